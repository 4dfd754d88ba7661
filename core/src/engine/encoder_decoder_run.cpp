#include "engine/encoder_decoder_run.h"

#include "engine/objective.h"
#include "engine/request_check.h"
#include "engine/run_memory.h"
#include "engine/trace_export.h"
#include "headlight/capture_size.h"
#include "nn/torch_bridge.h"

#include <chrono>
#include <torch/cuda.h>

namespace headlight {
namespace {

using Clock = std::chrono::steady_clock;
double msSince(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

// Empty, or one value in [0, 1] per head of `layers` layers; `what` names the kind in messages.
FloatArray headMaskOf(const std::vector<float>& mask, int layers, int heads, const std::string& what) {
    const size_t n = static_cast<size_t>(layers) * static_cast<size_t>(heads);
    if (!mask.empty() && mask.size() != n)
        throw Error(what, "has " + std::to_string(mask.size()) + " values, expected " + std::to_string(layers) + " layers x " +
                              std::to_string(heads) + " heads = " + std::to_string(n), ErrorInput::HeadMask);
    for (float m : mask)
        if (!(m >= 0.0f && m <= 1.0f)) throw Error(what, "values must lie in [0, 1]", ErrorInput::HeadMask);
    return FloatArray({layers, heads}, mask.empty() ? std::vector<float>(n, 1.0f) : mask);
}

// The captures and the forward pass's own tensors, estimated from above as for single stacks (run_memory.cpp).
void checkFitsMemory(const ModelConfig& c, int64_t S, int64_t T, const CaptureSpec& capture) {
    const double usable = usableMemoryBytes();
    if (usable <= 0) return;
    const double f = sizeof(float), H = capture.heads.empty() ? c.nHead : static_cast<double>(capture.heads.size());
    double kept = 0;
    for (int l = 0; l < std::max(c.encoderDecoder->layers, c.nLayer); ++l) {
        if (!capture.wantsLayer(l)) continue;
        if (l < c.encoderDecoder->layers) kept += H * S * S * f;
        if (l < c.nLayer) kept += H * (T * T + T * S) * f;
    }
    const double forward = 2.0 * T * c.vocabSize * f + 4.0 * c.nHead * std::max(S, T) * std::max(S, T) * f +
                           3.0 * std::max(S, T) * std::max(c.mlpWidth(), c.encoderDecoder->mlpWidth) * f;
    if (kept + forward <= usable) return;
    throw Error(kept > forward ? "capture size" : "input",
                std::to_string(S) + " source and " + std::to_string(T) + " target tokens need " + byteCount(kept + forward) +
                    ", more than the " + byteCount(usable) + " this process can use; " +
                    (kept > forward ? "capture fewer layers or heads, or none" : "use a shorter input"),
                kept > forward ? ErrorInput::CaptureSize : ErrorInput::TokenIds);
}

// Layer `l`'s captured heads [1,h,*,*] as the trace carries them.
LayerTrace exportAttention(int l, const std::vector<int>& heads, const torch::Tensor& attention) {
    LayerTrace lt;
    lt.layer = l;
    lt.heads = heads;
    lt.attention = toArray(attention.select(0, 0));
    return lt;
}

} // namespace

void checkSourceIds(const ModelConfig& c, const std::vector<int64_t>& ids) {
    const int64_t vocab = c.encoderDecoder->sourceVocabSize;
    if (ids.empty()) throw Error("source", "no tokens: an encoder-decoder model needs a source to translate from", ErrorInput::SourceIds);
    if (static_cast<int64_t>(ids.size()) > c.nPositions)
        throw Error("source", std::to_string(ids.size()) + " tokens, but the model allows at most " + std::to_string(c.nPositions) +
                                  " (its positions)", ErrorInput::SourceIds);
    for (int64_t id : ids)
        if (id < 0 || id >= vocab)
            throw Error("source", "token id " + std::to_string(id) + " is out of range 0.." + std::to_string(vocab - 1), ErrorInput::SourceIds);
}

Trace runEncoderDecoder(const LoadedModel& loaded, const Tokenizer* tokenizer, const std::string& deviceName,
                        const RunRequest& req) try {
    torch::NoGradGuard noGrad;
    const ModelConfig& c = loaded.config();
    const int Le = c.encoderDecoder->layers;
    checkSourceIds(c, req.sourceIds);
    checkTokenIds(c, req.tokenIds);
    if (!req.contextBudget.empty()) throw Error("context budget", "needs a model with selective attention", ErrorInput::ContextBudget);
    for (int l : req.capture.layers)
        if (l < 0 || l >= std::max(Le, c.nLayer))
            throw Error("capture", "layer " + std::to_string(l) + " does not exist (" + std::to_string(Le) + " encoder and " +
                                       std::to_string(c.nLayer) + " decoder layers)", ErrorInput::CaptureLayers);
    checkCaptureHeads(c, req.capture.heads);
    if (req.capture.hiddenStates || req.capture.headStats || req.capture.pooledSize > 0 || req.capture.roles)
        throw Error("capture", "hidden states, head digests and role scores are not available for encoder-decoder models yet");
    const auto S = static_cast<int64_t>(req.sourceIds.size()), T = static_cast<int64_t>(req.tokenIds.size());
    checkFitsMemory(c, S, T, req.capture);

    Trace trace;
    trace.device = deviceName;
    trace.sourceIds = req.sourceIds;
    trace.sourceTokens = tokenTexts(tokenizer, req.sourceIds);
    trace.tokenIds = req.tokenIds;
    trace.tokens = targetTokenTexts(tokenizer, req.tokenIds);
    trace.encoderHeadMask = headMaskOf(req.encoderHeadMask, Le, c.nHead, "encoder head mask");
    trace.headMask = headMaskOf(req.headMask, c.nLayer, c.nHead, "head mask");
    trace.crossHeadMask = headMaskOf(req.crossHeadMask, c.nLayer, c.nHead, "cross-attention head mask");

    const torch::Device& dev = loaded.device;
    auto t0 = Clock::now();
    EncoderDecoderOptions options;
    if (!req.encoderHeadMask.empty()) options.encoderHeadMask = toTensor(trace.encoderHeadMask, dev);
    if (!req.headMask.empty()) options.decoderHeadMask = toTensor(trace.headMask, dev);
    if (!req.crossHeadMask.empty()) options.crossHeadMask = toTensor(trace.crossHeadMask, dev);
    options.capture = req.capture;
    if (req.progress) options.afterLayer = req.progress;
    auto source = torch::tensor(req.sourceIds, torch::kLong).to(dev).unsqueeze(0);   // [1,S]
    auto target = torch::tensor(req.tokenIds, torch::kLong).to(dev).unsqueeze(0);    // [1,T]
    const auto result = loaded.encoderDecoder->forward(source, target, options);
    if (dev.is_cuda()) torch::cuda::synchronize();
    trace.timings.forwardMs = msSince(t0);

    // Teacher forcing: position t predicts the target token at t + 1 (the decoder input is the start token
    // followed by the target).
    t0 = Clock::now();
    trace.loss = toArray(nextTokenNll(result.logits, target).select(0, 0));
    trace.timings.lossMs = msSince(t0);
    t0 = Clock::now();
    if (req.capture.logits) trace.logits = toArray(result.logits.select(0, 0));
    const std::vector<int> heads = capturedHeads(req.capture, c.nHead);
    for (int l = 0; l < Le; ++l)
        if (result.encoderAttention[static_cast<size_t>(l)].defined())
            trace.encoderLayers.push_back(exportAttention(l, heads, result.encoderAttention[static_cast<size_t>(l)]));
    for (int l = 0; l < c.nLayer; ++l) {
        if (!result.decoderAttention[static_cast<size_t>(l)].defined()) continue;
        LayerTrace lt = exportAttention(l, heads, result.decoderAttention[static_cast<size_t>(l)]);
        lt[kCrossAttention] = toArray(result.crossAttention[static_cast<size_t>(l)].select(0, 0));
        trace.layers.push_back(std::move(lt));
    }
    trace.timings.exportMs = msSince(t0);
    return trace;
} catch (const c10::Error& e) {
    rethrowOutOfMemory(e, static_cast<int64_t>(req.sourceIds.size() + req.tokenIds.size()));
}

} // namespace headlight
