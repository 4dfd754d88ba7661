#pragma once
// One layer's attention, torch-free: the exact computation the engine runs (core/src/attention.cpp), on
// given q, k, v. For tests that pin each step by hand and for teaching views that explain a formula.
#include "headlight/array.h"
#include "headlight/model_config.h"

namespace headlight {

struct AttentionInputs {
    FloatArray q, k, v;        // [H,T,d]
    FloatArray gateLogAlpha;   // [H]      head gates only
    FloatArray spanFraction;   // [H]      adaptive span only
    FloatArray memoryKey;      // [H,N,d]  persistent memory only
    FloatArray memoryValue;    // [H,N,d]  persistent memory only
    FloatArray headMask;       // [H]      optional (1 keep, 0 pruned)
};

struct AttentionResult {
    FloatArray output;               // [H,T,d] gated, masked head outputs
    FloatArray attention;            // [H,T,T]
    FloatArray memoryAttention;      // [H,T,N]
    FloatArray selection;            // [T,T]
    FloatArray selectionCumulative;  // [T,T]
    FloatArray gate;                 // [H]
    FloatArray gateOpenProbability;  // [H]
};

// Uses the mechanisms of `config` (sizes other than the mechanisms are ignored). Throws headlight::Error
// when a tensor a mechanism needs is missing or shapes disagree.
AttentionResult computeAttention(const ModelConfig& config, const AttentionInputs& inputs);

} // namespace headlight
