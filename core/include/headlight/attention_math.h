#pragma once
// One layer's attention, torch-free: the exact computation the engine runs (core/src/attention/), on given q, k,
// v. For tests that pin each step by hand and for teaching views that explain a formula.
#include "headlight/array.h"
#include "headlight/model_config.h"

#include <map>
#include <string>

namespace headlight {

struct AttentionInputs {
    FloatArray q, k, v;        // [H,T,d]
    // The tensors the model's mechanisms add to a layer, by name (headlight/mechanisms/): "gate_log_alpha" [H],
    // "span_fraction" [H], "memory_key" and "memory_value" [H,N,d].
    std::map<std::string, FloatArray> tensors;
    FloatArray headMask;       // [H]      optional (1 keep, 0 pruned)
};

struct AttentionResult {
    FloatArray output;         // [H,T,d] gated, masked head outputs
    FloatArray attention;      // [H,T,T]
    // What the mechanisms hand out, by their trace names: "gate", "gate_open_probability", "span",
    // "memory_attention" [H,T,N], "selection" and "selection_cumulative" [T,T], ...
    std::map<std::string, FloatArray> named;
    const FloatArray& operator[](const std::string& name) const {
        static const FloatArray kNone;
        const auto it = named.find(name);
        return it == named.end() ? kNone : it->second;
    }
};

// Uses the mechanisms of `config` (sizes other than the mechanisms are ignored). Throws headlight::Error
// when a tensor a mechanism needs is missing or shapes disagree.
AttentionResult computeAttention(const ModelConfig& config, const AttentionInputs& inputs);

} // namespace headlight
