#pragma once
// Direct logit attribution (docs/head-roles.md): one logit at one position split into what the embeddings,
// every head of every layer, every MLP and the bias terms wrote into the residual stream there, each carried
// through the rest of the norms with their scales frozen at that position (as TransformerLens does). The
// terms add up to the logit (before Gemma 2's final soft-cap). Qt-free, torch-free.
#include "headlight/engine.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace headlight {

struct AttributionTerm {
    std::string kind;   // "embeddings", "head", "mlp", "bias"
    std::string name;   // "embeddings", "L3.H5", "L3 MLP", "L3 attention bias", "norm biases", "output bias"
    int layer = -1;
    int head = -1;
    double value = 0;
};

struct AttributionRequest {
    std::vector<int64_t> tokenIds;
    int64_t position = 0;
    std::optional<int64_t> target;   // default: the model's top prediction at `position`
    std::vector<float> headMask;     // L*H, 1 keep, 0 pruned; empty = every head
};

struct Attribution {
    int64_t position = 0;
    int64_t target = 0;
    std::string targetText;
    double logit = 0;         // the model's logit of `target` at `position` before any final soft-cap
    double outputLogit = 0;   // after it: the model's output (equal to `logit` without a soft-cap)
    double termSum = 0;       // the terms added up
    std::vector<AttributionTerm> terms;   // in model order

    // Indices of `terms` by |value|, largest first.
    std::vector<size_t> largest(size_t count) const;
};

// Errors (one line): "--position" outside the text, "--target" outside the vocabulary, a model without logits.
Attribution attributeLogit(const Engine& engine, const AttributionRequest& request);

// {"position", "target", "target_text", "logit", "output_logit", "sum", "terms": [{kind, name, layer, head, value}]}
std::string attributionJson(const Attribution& attribution);

} // namespace headlight
