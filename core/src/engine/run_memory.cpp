#include "engine/run_memory.h"

#include "attention/attention.h"
#include "headlight/capture_size.h"
#include "headlight/error.h"

#include <algorithm>
#include <string>

namespace headlight {

// Refuses, before the forward pass, a run that cannot fit in the memory this process may use (the allocator
// would fail halfway with its own message): naming the capture ("capture size") when a run without the
// per-layer capture would fit, else the input's length ("input"). The forward pass's own needs are estimated
// from above: the logits and their log-softmax, the residuals kept for the next run, and one layer's largest
// intermediate (its MLP, or [H,T,T] several times over where attention runs in one explicit pass).
void checkRunFitsMemory(const ModelConfig& c, int64_t tokens, const RunRequest& req, bool streamed, bool keepsResiduals) {
    const double usable = usableMemoryBytes();
    if (usable <= 0) return;
    const CaptureBytes kept = captureBytes(c, tokens, req.capture);
    const double T = static_cast<double>(tokens), f = sizeof(float);
    int64_t budget = 0;
    for (int k : req.contextBudget) budget = std::max<int64_t>(budget, k);
    const double logits = T * c.vocabSize * f * (req.capture.logits ? 1 : 2);
    const double residuals = keepsResiduals && !req.capture.hiddenStates ? (c.nLayer + 1.0) * T * c.nEmbd * f : 0;
    const double explicitAttention = canAttendBlocked(c, budget) ? 0 : 4.0 * c.nHead * T * T * f;
    const double layer = std::max(3.0 * T * c.mlpWidth() * f, explicitAttention) + 6.0 * T * c.nEmbd * f;
    const double forward = logits + residuals + layer;
    const double perLayerCapture = streamed ? kept.perLayer() : kept.attention + kept.mechanisms;
    const double capture = (streamed ? kept.streamed() : kept.total());
    if (capture + forward <= usable) return;
    const std::string here = byteCount(usable) + " this process can use";
    if (capture - perLayerCapture + forward <= usable) {
        // One head of one layer is the least a capture keeps: when even that does not fit, say so.
        const double oneHead = T * T * f;
        const std::string advice = capture - perLayerCapture + forward + oneHead <= usable
                                       ? "capture fewer layers or heads, or none"
                                       : "even one head's [T,T] needs " + byteCount(oneHead) + ": capture none";
        throw Error("capture size", "keeping the attention of " + std::to_string(streamed ? std::min(kept.capturedLayers, 1) : kept.capturedLayers) +
                                        " layer(s) x " + std::to_string(kept.capturedHeads) + " head(s) at " + std::to_string(tokens) +
                                        " tokens needs " + byteCount(perLayerCapture) + " (" + byteCount(capture + forward) +
                                        " for the run in all), more than the " + here + "; " + advice,
                    ErrorInput::CaptureSize);
    }
    std::string parts = "logits and loss " + byteCount(logits + kept.logits);
    if (explicitAttention > 0) parts += ", attention computed in one pass " + byteCount(explicitAttention);
    if (kept.hiddenStates + residuals > 0) parts += ", hidden states " + byteCount(kept.hiddenStates + residuals);
    throw Error("input", std::to_string(tokens) + " tokens need " + byteCount(capture - perLayerCapture + forward) +
                             " even without capturing attention (" + parts + "), more than the " + here + "; use a shorter input",
                ErrorInput::TokenIds);
}

// LibTorch's allocator failing (on the CPU or CUDA) as one line naming the input, for what the estimate above
// did not foresee; other library errors are rethrown as they were. Called from the handler of `e`.
void rethrowOutOfMemory(const c10::Error& e, int64_t tokens) {
    const std::string what = e.what();
    if (what.find("can't allocate memory") == std::string::npos && what.find("out of memory") == std::string::npos) throw;
    std::string size;
    const size_t at = what.find("allocate ");
    if (at != std::string::npos) {
        try {
            size_t used = 0;
            const double bytes = std::stod(what.substr(at + 9), &used);
            if (what.compare(at + 9 + used, 6, " bytes") == 0) size = " (" + byteCount(bytes) + " more were asked for)";
        } catch (const std::exception&) {
        }
    }
    throw Error("input", "out of memory at " + std::to_string(tokens) + " tokens" + size +
                             "; use a shorter input or capture less",
                ErrorInput::TokenIds);
}

} // namespace headlight
