// The one attention (Hugging Face's eager_attention_forward, made explicit): every family reaches attention
// through attend(), and every mechanism through its hooks (mechanisms/mechanism.h), in one fixed order.
#include "attention/attention.h"
#include "attention/attention_digest.h"
#include "attention/role_digest.h"
#include "headlight/error.h"

#include "nn/layers.h"

#include <cmath>
#include <limits>

namespace headlight {

AttentionSpec attentionSpec(const ModelConfig& config, int layer) {
    AttentionSpec s;
    s.causal = config.causal;
    s.window = config.windowOf(layer);
    s.scale = config.attentionScale > 0 ? config.attentionScale : 1.0 / std::sqrt(static_cast<double>(config.headDim()));
    if (config.scaleByInverseLayer) s.scale /= static_cast<double>(layer + 1);
    s.softcap = config.attnLogitSoftcap;
    return s;
}

bool canAttendBlocked(const ModelConfig& config, int64_t contextBudget) {
    if (torch::GradMode::is_enabled() || contextBudget > 0) return false;   // training and differentiable masks
    for (const Mechanism* m : mechanismsOf(config))
        if (!m->worksInRowBlocks()) return false;
    return true;
}

AttentionOutput attend(const ModelConfig& config, const AttentionSpec& spec, const MechanismTensors& tensors,
                       const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, const torch::Tensor& gates,
                       const torch::Tensor& headMask, int64_t contextBudget, const KeepAttention& keep) {
    if (canAttendBlocked(config, contextBudget)) return attendBlocked(config, spec, tensors, q, k, v, gates, headMask, keep);
    return attendExplicit(config, spec, tensors, q, k, v, gates, headMask, contextBudget, keep);
}

void softmaxWithExtraKeys(AttentionStep& step) {
    if (!step.extraLogits.defined()) {
        step.probs = torch::softmax(step.logits, -1);
        return;
    }
    const int64_t keys = step.logits.size(-1);
    auto all = torch::softmax(torch::cat({step.logits, step.extraLogits}, -1), -1);
    step.probs = all.narrow(-1, 0, keys);
    step.extraProbs = all.narrow(-1, keys, step.extraLogits.size(-1));
}

void scoreHooks(const std::vector<const Mechanism*>& mechanisms, AttentionStep& step,
                const std::function<void(torch::Tensor& logits)>& maskHidden) {
    for (const Mechanism* m : mechanisms) m->shapeLogits(step);
    maskHidden(step.logits);
    for (const Mechanism* m : mechanisms) m->restrictContext(step);
    for (const Mechanism* m : mechanisms) m->addKeys(step);
    softmaxWithExtraKeys(step);
    for (const Mechanism* m : mechanisms) m->reweight(step);
}

void outputHooks(const std::vector<const Mechanism*>& mechanisms, AttentionStep& step) {
    for (const Mechanism* m : mechanisms) m->scaleOutput(step);
    if (step.headMask.defined()) {
        const int64_t B = step.headOutput.size(0), H = step.headOutput.size(1);
        step.headOutput = step.headOutput * step.headMask.reshape({step.headMask.dim() == 2 ? B : 1, H, 1, 1});
    }
}

AttentionOutput attendExplicit(const ModelConfig& config, const AttentionSpec& spec, const MechanismTensors& tensors,
                               const torch::Tensor& q, const torch::Tensor& kvK, const torch::Tensor& kvV,
                               const torch::Tensor& gates, const torch::Tensor& headMask, int64_t contextBudget,
                               const KeepAttention& keep) {
    const int64_t B = q.size(0), H = q.size(1), T = q.size(2), d = q.size(3), S = kvK.size(2);
    const double scale = spec.scale > 0 ? spec.scale : 1.0 / std::sqrt(static_cast<double>(d));
    if (S != T && (spec.causal || spec.window > 0)) throw Error("attention", "cross-attention is neither causal nor windowed");
    const auto mechanisms = mechanismsOf(config);
    AttentionStep step(config, tensors);
    step.contextBudget = contextBudget;
    step.gates = gates;
    step.headMask = headMask;
    // Grouped-query attention: each key/value head serves H / Hkv consecutive query heads.
    const int64_t group = H / kvK.size(1);
    const auto k = group == 1 ? kvK : kvK.repeat_interleave(group, 1);   // [B,H,T,d]
    const auto v = group == 1 ? kvV : kvV.repeat_interleave(group, 1);

    // 1. logits a_ij = q_i . k_j * scale (soft-capped where the family does).
    step.scaledQ = q * scale;                                            // scaling q is cheaper than [T,T]
    step.logits = product(step.scaledQ, k.transpose(-2, -1), spec.productType);   // [B,H,T,S]
    if (spec.bias.defined()) step.logits = step.logits + spec.bias;
    if (spec.softcap > 0) step.logits = torch::tanh(step.logits / spec.softcap) * spec.softcap;

    // 2. The mechanisms' scores; keys the query may not see (the future, or beyond the sliding window) masked
    //    in place; 3. one softmax over the context and any extra keys.
    scoreHooks(mechanisms, step, [&](torch::Tensor& logits) {
        const bool windowed = spec.window > 0 && spec.window < T;
        if (!spec.causal && !windowed) return;
        auto boolOpts = torch::TensorOptions().dtype(torch::kBool).device(q.device());
        torch::Tensor hidden = spec.causal ? torch::ones({T, T}, boolOpts).triu(1) : torch::zeros({T, T}, boolOpts);
        if (windowed) hidden = hidden.logical_or(torch::ones({T, T}, boolOpts).tril(-spec.window));
        logits.masked_fill_(hidden, -std::numeric_limits<float>::infinity());
    });

    // 4. Head outputs from the context and extra values, then scaled by the mechanisms and the head mask.
    AttentionOutput out;
    step.headOutput = product(step.probs, v, spec.productType);         // [B,H,T,d]
    if (keep.keep)
        out.capture.attention = keep.heads.empty() ? step.probs
                                                   : step.probs.index_select(1, torch::tensor(keep.heads, torch::kLong).to(q.device()));
    if (keep.digests()) {
        if (B != 1) throw Error("capture", "head digests need a batch of one sequence");
        if (S != T) throw Error("capture", "head digests describe self-attention only");
        if (keep.attentionDigests()) {
            AttentionDigest digest(keep, H, T, q.device(), AttentionDigest::Path::Auto, spec.causal);
            digest.add(step.probs.select(0, 0), 0, 0);
            digest.finish(out.capture);
        }
        if (keep.roles) {
            RoleDigest roles(*keep.roles, H);
            roles.add(step.probs.select(0, 0), 0, 0);
            roles.finish(out.capture);
        }
    }
    if (step.extraProbs.defined()) {
        auto extra = step.extraProbs.contiguous();
        step.headOutput = step.headOutput + torch::matmul(extra, step.extraValues);
        if (step.extraKeysName) out.capture.named[step.extraKeysName] = extra;
    }
    for (auto& [name, t] : step.captures) out.capture.named[name] = t;
    outputHooks(mechanisms, step);
    out.output = step.headOutput;
    return out;
}

} // namespace headlight
