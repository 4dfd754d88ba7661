// A model opened for runs (headlight/session.h): encoding and the cut to n_positions, the capture plan, the
// unpruned run a pruned one is compared with, and the recapture of one head of a long run.
#include "headlight/session.h"

#include "headlight/capture_size.h"
#include "headlight/error.h"

#include <algorithm>
#include <cmath>

namespace headlight {

bool capturesEveryHead(const ModelConfig& config, int64_t tokens, int64_t budgetBytes) {
    return captureBytes(config, tokens, CaptureSpec{}).attention <= static_cast<double>(budgetBytes);   // every [T,T]
}

int pooledCells(const ModelConfig& config) {
    const double heads = std::max(1.0, static_cast<double>(config.nLayer) * config.nHead);
    const auto fits = static_cast<int>(std::sqrt(static_cast<double>(kDigestBytes) / (heads * 2 * sizeof(float))));
    return std::clamp(fits, kThumbnailCells, kPooledCells);
}

CaptureSpec planCapture(const ModelConfig& config, int64_t tokens, int focusLayer, int focusHead, int64_t budgetBytes) {
    CaptureSpec capture;   // every layer and head, logits included, and every head's role scores
    capture.roles = true;
    if (capturesEveryHead(config, tokens, budgetBytes)) return capture;
    capture.layers = {std::clamp(focusLayer, 0, config.nLayer - 1)};
    capture.heads = {std::clamp(focusHead, 0, config.nHead - 1)};
    capture.headStats = true;
    capture.pooledSize = pooledCells(config);
    return capture;
}

Session::Session(const std::string& modelDir, const std::string& device, const std::string& dtype)
    : stamp_(FolderStamp::of(modelDir)), engine_(Engine::load(modelDir, device, dtype)) {}

Session::Session(const std::string& modelDir, const LoadOptions& options)
    : stamp_(FolderStamp::of(modelDir)), engine_(Engine::load(modelDir, options)) {}

SessionRun Session::run(const RunInput& input, const Engine::LayerSink& sink) {
    const ModelConfig& c = engine_.config();
    // The views show one stack's attention; the three kinds of an encoder-decoder model reach the trace only.
    if (c.isEncoderDecoder())
        throw Error(engine_.modelDir(), "is an encoder-decoder model (" + c.modelType + "), which the views do not show yet; "
                                        "headlight-cli run --text SOURCE --target TARGET writes all three kinds of its attention");
    SessionRun out;
    std::vector<int64_t> ids = input.tokenIds.empty() ? engine_.encode(input.text) : input.tokenIds;
    if (input.tokenIds.empty()) out.text = input.text;
    if (static_cast<int64_t>(ids.size()) > c.nPositions) {
        // Keep the beginning: what the user reads first is what the views show.
        out.droppedTokens = static_cast<int>(ids.size()) - c.nPositions;
        ids.resize(static_cast<size_t>(c.nPositions));
        if (input.tokenIds.empty()) out.text = engine_.tokenizer()->decode(ids);
    }
    RunRequest request;
    request.tokenIds = std::move(ids);
    request.contextBudget = input.contextBudget;
    request.capture = input.capture ? *input.capture
                                    : planCapture(c, static_cast<int64_t>(request.tokenIds.size()), input.focusLayer, input.focusHead);
    request.progress = input.progress;
    out.capture = request.capture;

    const bool pruned = prunedHeadCount(input.headMask) > 0;
    if (pruned && input.compareWithUnpruned) {
        // The unpruned run first: it is compared against, and the pruned run then starts from the first layer
        // with a pruned head instead of layer 0. The engine keeps it while only the mask changes.
        out.baseline = engine_.unprunedRun(request);
        if (!out.baseline) out.baseline = std::make_shared<const Trace>(engine_.run(request));
    }
    if (!pruned) {
        // Nothing pruned: the unpruned run the engine keeps for this input is this run (a what-if undone).
        if (!sink) out.trace = engine_.unprunedRun(request);
        if (!out.trace) out.trace = std::make_shared<const Trace>(engine_.run(request, sink));
        return out;
    }
    request.headMask = input.headMask;
    out.trace = std::make_shared<const Trace>(engine_.run(request, sink));
    if (out.baseline) out.comparison = std::make_shared<const RunComparison>(compareRuns(*out.baseline, *out.trace));
    return out;
}

std::optional<Trace> Session::recapture(const Trace& shown, int layer, int head) const {
    RunRequest request;
    request.tokenIds = shown.tokenIds;
    request.headMask.assign(shown.headMask.begin(), shown.headMask.end());
    request.contextBudget = shown.contextBudget;
    Trace trace = shown;   // shares every array; only the layers change
    try {
        trace.layers = {engine_.recaptureLayer(request, layer, {head})};
    } catch (const Error&) {
        return std::nullopt;
    }
    return trace;
}

} // namespace headlight
