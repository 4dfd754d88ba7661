#include "engine/request_check.h"

#include "headlight/error.h"
#include "mechanisms/mechanism.h"

namespace headlight {

void checkTokenIds(const ModelConfig& c, const std::vector<int64_t>& ids) {
    const auto T = static_cast<int64_t>(ids.size());
    if (T == 0) throw Error("input", "no tokens to run", ErrorInput::TokenIds);
    if (T > c.nPositions)
        throw Error("input", std::to_string(T) + " tokens, but the model allows at most " + std::to_string(c.nPositions) + " (n_positions)",
                    ErrorInput::TokenIds);
    for (int64_t id : ids)
        if (id < 0 || id >= c.vocabSize)
            throw Error("input", "token id " + std::to_string(id) + " is out of range 0.." + std::to_string(c.vocabSize - 1),
                        ErrorInput::TokenIds);
}

void checkHeadMask(const ModelConfig& c, const std::vector<float>& mask) {
    const size_t LH = static_cast<size_t>(c.nLayer) * static_cast<size_t>(c.nHead);
    if (!mask.empty() && mask.size() != LH)
        throw Error("head mask", "has " + std::to_string(mask.size()) + " values, expected n_layer * n_head = " + std::to_string(LH),
                    ErrorInput::HeadMask);
    for (float m : mask)
        if (!(m >= 0.0f && m <= 1.0f)) throw Error("head mask", "values must lie in [0, 1]", ErrorInput::HeadMask);
}

void checkContextBudget(const ModelConfig& c, const std::vector<int>& budget) {
    if (budget.empty()) return;
    if (!prunesContext(c)) throw Error("context budget", "needs a model with selective attention", ErrorInput::ContextBudget);
    if (static_cast<int>(budget.size()) != c.nLayer)
        throw Error("context budget", "has " + std::to_string(budget.size()) + " values, expected one per layer (" + std::to_string(c.nLayer) + ")",
                    ErrorInput::ContextBudget);
    for (int k : budget)
        if (k < 0) throw Error("context budget", "must be >= 0 (0 = unlimited)", ErrorInput::ContextBudget);
}

void checkCaptureLayer(const ModelConfig& c, int l) {
    if (l < 0 || l >= c.nLayer)
        throw Error("capture", "layer " + std::to_string(l) + " does not exist (n_layer = " + std::to_string(c.nLayer) + ")",
                    ErrorInput::CaptureLayers);
}

void checkCaptureHeads(const ModelConfig& c, const std::set<int>& heads) {
    for (int h : heads)
        if (h < 0 || h >= c.nHead)
            throw Error("capture", "head " + std::to_string(h) + " does not exist (n_head = " + std::to_string(c.nHead) + ")",
                        ErrorInput::CaptureHeads);
}

void checkRequest(const ModelConfig& c, const RunRequest& req) {
    checkTokenIds(c, req.tokenIds);
    checkHeadMask(c, req.headMask);
    checkContextBudget(c, req.contextBudget);
    for (int l : req.capture.layers) checkCaptureLayer(c, l);
    checkCaptureHeads(c, req.capture.heads);
    if (req.capture.pooledSize < 0) throw Error("capture", "pooled size must be >= 0");
    const auto T = static_cast<int64_t>(req.tokenIds.size());
    if (!req.capture.rareKeys.empty()) {
        if (static_cast<int64_t>(req.capture.rareKeys.size()) != T)
            throw Error("capture", "rare-token keys: " + std::to_string(req.capture.rareKeys.size()) + " for " + std::to_string(T) + " tokens");
        for (int64_t k : req.capture.rareKeys)
            if (k < -1 || k >= T) throw Error("capture", "rare-token key " + std::to_string(k) + " is not a position of the input");
    }
}

} // namespace headlight
