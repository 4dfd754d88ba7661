#pragma once
// Internal: one layer's multi-head attention, computed explicitly so each intermediate can be captured. The
// family settings (masks, scale, soft-capping, GQA) live here; the mechanisms hook in
// (mechanisms/mechanism.h). Shapes: B batch, H heads, T tokens, d head width, N memory slots.
#include "headlight/model_config.h"
#include "mechanisms/mechanism.h"

#include <functional>
#include <torch/types.h>
#include <torch/utils.h>
#include <vector>

namespace headlight {

struct RoleProbe;

// One layer's attention: the heads' outputs, and what it captured (the heads' probabilities asked for, the
// mechanisms' captures by name, the digests).
struct AttentionOutput {
    torch::Tensor output;              // [B,H,T,d] gated, masked head outputs (before merging heads)
    LayerCapture capture;              // attention [B,h,T,T] (KeepAttention), named, digests
};

// How one layer's logits are formed and masked (family settings; the mechanisms come from the ModelConfig).
struct AttentionSpec {
    bool causal = true;
    int64_t window = 0;        // > 0: a query sees only the last `window` keys, itself included
    double scale = 0.0;        // 0 = 1 / sqrt(d)
    double softcap = 0.0;      // > 0: logits = softcap * tanh(logits / softcap) before masking
    // Added to the scaled logits before any mask, [1 or B, H, T, S] (T5's relative position bias); undefined: none.
    torch::Tensor bias = torch::Tensor();
    // The dtype of the q.k and probabilities.v products (the model's stored dtype, Engine::load); the logits
    // and the softmax stay float32 whatever it is.
    torch::ScalarType productType = torch::kFloat;
};
AttentionSpec attentionSpec(const ModelConfig& config, int layer);

// Which heads' probabilities attend() hands back in AttentionOutput::capture.attention. A forward pass that shows one
// head must not hold [H,T,T] for every layer, so the rest are never kept.
struct KeepAttention {
    bool keep = true;              // false: none (capture.attention undefined)
    std::vector<int64_t> heads;    // ascending; empty = every head
    // Every head digested in the same pass, whether kept or not (CaptureSpec::headStats, pooledSize).
    bool stats = false;
    int64_t pooledSize = 0;
    const RoleProbe* roles = nullptr;   // every head's role scores (attention/role_digest.h)
    bool digests() const { return stats || pooledSize > 0 || roles; }
    bool attentionDigests() const { return stats || pooledSize > 0; }
    static KeepAttention none() { KeepAttention k; k.keep = false; return k; }
};

// q: [B,H,T,d]; k, v: [B,Hkv,S,d], Hkv dividing H. S = T in self-attention; cross-attention (an encoder-decoder
// model's decoder reading the encoder's output) has its own S and a spec that is not causal and has no window. (grouped-query attention: query head h reads key/value head
// h / (H / Hkv)). headMask: [H] or [B,H] (1 keep, 0 pruned), or undefined for all kept.
// contextBudget > 0 (selective attention only): every head sees only the tokens the eviction schedule keeps.
// gates: this call's gate values [H] (or undefined = 1), see layerGates().
// Without gradients, without a context budget and with mechanisms whose hooks work on blocks of query rows
// (all but selective attention), the work is done in blocks of queries over the keys they may see
// (attendBlocked); otherwise in one explicit pass (attendExplicit). Both are exact.
AttentionOutput attend(const ModelConfig& config, const AttentionSpec& spec, const MechanismTensors& tensors,
                       const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, const torch::Tensor& gates,
                       const torch::Tensor& headMask, int64_t contextBudget = 0, const KeepAttention& keep = {});

// The two ways attend() computes, for tests that compare them. attendBlocked needs the conditions above.
AttentionOutput attendExplicit(const ModelConfig& config, const AttentionSpec& spec, const MechanismTensors& tensors,
                               const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                               const torch::Tensor& gates, const torch::Tensor& headMask, int64_t contextBudget,
                               const KeepAttention& keep);
AttentionOutput attendBlocked(const ModelConfig& config, const AttentionSpec& spec, const MechanismTensors& tensors,
                              const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                              const torch::Tensor& gates, const torch::Tensor& headMask, const KeepAttention& keep,
                              int64_t blockRows = 0);
// step.probs (and step.extraProbs when a mechanism added keys): one softmax over the context keys of
// step.logits and the extra keys beside them.
void softmaxWithExtraKeys(AttentionStep& step);
// The hook sequence both ways of attend() run (mechanisms/mechanism.h), on a whole matrix or a block of query
// rows. scoreHooks, once step.logits are formed: shapeLogits, `maskHidden` (the family's causal and window
// mask of those logits), restrictContext, addKeys, the one softmax, reweight. outputHooks, on the assembled
// head outputs: scaleOutput, then the head mask (a pruned head's output is 0).
void scoreHooks(const std::vector<const Mechanism*>& mechanisms, AttentionStep& step,
                const std::function<void(torch::Tensor& logits)>& maskHidden);
void outputHooks(const std::vector<const Mechanism*>& mechanisms, AttentionStep& step);
// Whether attend() takes the blocked path for this model and call.
bool canAttendBlocked(const ModelConfig& config, int64_t contextBudget);

} // namespace headlight
