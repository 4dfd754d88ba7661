#pragma once
// Internal: one layer's multi-head attention with every Headlight mechanism, computed explicitly so each
// intermediate can be captured. Shapes: B batch, H heads, T tokens, d head width, N memory slots.
#include "headlight/model_config.h"

#include <torch/torch.h>

namespace headlight {

// The mechanism parameters of one layer (undefined tensors where the mechanism is off).
struct AttentionParams {
    torch::Tensor gateLogAlpha;   // [H]
    torch::Tensor spanFraction;   // [H], z' in [0, 1]
    torch::Tensor memoryKey;      // [H,N,d]
    torch::Tensor memoryValue;    // [H,N,d]
};

struct AttentionOutput {
    torch::Tensor output;              // [B,H,T,d] gated, masked head outputs (before merging heads)
    torch::Tensor attention;           // [B,H,T,T] final context probabilities
    torch::Tensor memoryAttention;     // [B,H,T,N] final memory probabilities (memory only)
    torch::Tensor selection;           // [B,T,T] S after the shift (selective only)
    torch::Tensor selectionCumulative; // [B,T,T] F = cumsum(S) over queries (selective only)
    torch::Tensor evictedAt;           // [B,T] int64: the step that evicted each token, -1 if kept (budget only)
};

// How one layer's logits are formed and masked (family settings; the mechanisms come from the ModelConfig).
struct AttentionSpec {
    bool causal = true;
    int64_t window = 0;        // > 0: a query sees only the last `window` keys, itself included
    double scale = 0.0;        // 0 = 1 / sqrt(d)
    double softcap = 0.0;      // > 0: logits = softcap * tanh(logits / softcap) before masking
};
AttentionSpec attentionSpec(const ModelConfig& config, int layer);

// q: [B,H,T,d]; k, v: [B,Hkv,T,d], Hkv dividing H (grouped-query attention: query head h reads key/value head
// h / (H / Hkv)). headMask: [H] or [B,H] (1 keep, 0 pruned), or undefined for all kept.
// contextBudget > 0 (selective attention only): every head sees only the tokens the eviction schedule keeps.
// gates: deterministic gate values [H] (or undefined = 1), see gateValues().
AttentionOutput attend(const ModelConfig& config, const AttentionSpec& spec, const AttentionParams& params, const torch::Tensor& q,
                       const torch::Tensor& k, const torch::Tensor& v, const torch::Tensor& gates,
                       const torch::Tensor& headMask, int64_t contextBudget = 0);

// Context pruning under a budget of K tokens: decoding left to right, token i joins the buffer; while the
// buffer holds more than K tokens, the one with the largest F[i, j] leaves it (ties: the earliest). Returns
// keep [T,T] (query i may attend key j) and evictedAt [T] (the step that evicted j, or -1). F: [T,T] on CPU.
std::pair<torch::Tensor, torch::Tensor> evictionSchedule(const torch::Tensor& f, int64_t budget);

// Deterministic (inference) Hard Concrete gate: clamp(sigmoid(log_alpha) * (zeta - gamma) + gamma, 0, 1).
torch::Tensor gateValues(const HeadGatesConfig& g, const torch::Tensor& logAlpha);
// Training: one Hard Concrete sample per head, u ~ U(1e-6, 1 - 1e-6),
// g = clamp(sigmoid((ln u - ln(1 - u) + log_alpha) / temperature) * (zeta - gamma) + gamma, 0, 1).
torch::Tensor sampleHardConcrete(const HeadGatesConfig& g, const torch::Tensor& logAlpha, torch::Generator& gen);
// P(gate != 0) = sigmoid(log_alpha - temperature * ln(-gamma / zeta)).
torch::Tensor gateOpenProbability(const HeadGatesConfig& g, const torch::Tensor& logAlpha);
// Soft span mask m(x) = clamp((R + z - x) / R, 0, 1), x = i - j: [H,T,T] for spans z [H].
torch::Tensor spanMask(const AdaptiveSpanConfig& a, const torch::Tensor& spanFraction, int64_t T);

} // namespace headlight
