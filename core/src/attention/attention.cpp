#include "attention/attention.h"

#include <cmath>
#include <limits>

namespace headlight {

torch::Tensor gateValues(const HeadGatesConfig& g, const torch::Tensor& logAlpha) {
    return torch::clamp(torch::sigmoid(logAlpha) * (g.zeta - g.gamma) + g.gamma, 0.0, 1.0);
}

torch::Tensor sampleHardConcrete(const HeadGatesConfig& g, const torch::Tensor& logAlpha, torch::Generator& gen) {
    // Drawn on the CPU generator, then moved, so a seed gives the same gates on every device.
    auto u = (at::rand(logAlpha.sizes(), gen, torch::TensorOptions().dtype(torch::kFloat)) * (1.0 - 2e-6) + 1e-6)
                 .to(logAlpha.device());
    auto s = torch::sigmoid((torch::log(u) - torch::log(1.0 - u) + logAlpha) / g.temperature);
    return torch::clamp(s * (g.zeta - g.gamma) + g.gamma, 0.0, 1.0);
}

torch::Tensor gateOpenProbability(const HeadGatesConfig& g, const torch::Tensor& logAlpha) {
    return torch::sigmoid(logAlpha - g.temperature * std::log(-g.gamma / g.zeta));
}

torch::Tensor spanMask(const AdaptiveSpanConfig& a, const torch::Tensor& spanFraction, int64_t T) {
    auto opts = spanFraction.options();
    auto pos = torch::arange(T, opts);
    auto distance = pos.unsqueeze(1) - pos.unsqueeze(0);                 // [T,T] x = i - j
    auto z = (spanFraction * a.maxSpan).view({-1, 1, 1});                // [H,1,1]
    return torch::clamp((a.ramp + z - distance.unsqueeze(0)) / a.ramp, 0.0, 1.0);   // [H,T,T]
}

std::pair<torch::Tensor, torch::Tensor> evictionSchedule(const torch::Tensor& f, int64_t budget) {
    const int64_t T = f.size(0);
    auto fc = f.to(torch::kCPU, torch::kFloat).contiguous();
    auto F = fc.accessor<float, 2>();
    auto keep = torch::zeros({T, T}, torch::kBool);
    auto evicted = torch::full({T}, -1, torch::kLong);
    auto K = keep.accessor<bool, 2>();
    auto E = evicted.accessor<int64_t, 1>();
    std::vector<int64_t> buffer;
    for (int64_t i = 0; i < T; ++i) {
        buffer.push_back(i);
        while (static_cast<int64_t>(buffer.size()) > budget) {
            size_t worst = 0;
            for (size_t n = 1; n < buffer.size(); ++n)
                if (F[i][buffer[n]] > F[i][buffer[worst]]) worst = n;
            E[buffer[worst]] = i;
            buffer.erase(buffer.begin() + static_cast<std::ptrdiff_t>(worst));
        }
        for (int64_t j : buffer) K[i][j] = true;
    }
    return {keep, evicted};
}

AttentionSpec attentionSpec(const ModelConfig& config, int layer) {
    AttentionSpec s;
    s.causal = config.causal;
    s.window = config.windowOf(layer);
    s.scale = config.attentionScale > 0 ? config.attentionScale : 1.0 / std::sqrt(static_cast<double>(config.headDim()));
    if (config.scaleByInverseLayer) s.scale /= static_cast<double>(layer + 1);
    s.softcap = config.attnLogitSoftcap;
    return s;
}

AttentionOutput attend(const ModelConfig& config, const AttentionSpec& spec, const AttentionParams& params,
                       const torch::Tensor& q, const torch::Tensor& kvK, const torch::Tensor& kvV,
                       const torch::Tensor& gates, const torch::Tensor& headMask, int64_t contextBudget) {
    const int64_t B = q.size(0), H = q.size(1), T = q.size(2), d = q.size(3);
    const double scale = spec.scale > 0 ? spec.scale : 1.0 / std::sqrt(static_cast<double>(d));
    AttentionOutput out;
    // Grouped-query attention: each key/value head serves H / Hkv consecutive query heads.
    const int64_t group = H / kvK.size(1);
    const auto k = group == 1 ? kvK : kvK.repeat_interleave(group, 1);   // [B,H,T,d]
    const auto v = group == 1 ? kvV : kvV.repeat_interleave(group, 1);

    // 1. logits a_ij = q_i . k_j * scale (soft-capped where the family does), hidden keys masked.
    auto logits = torch::matmul(q * scale, k.transpose(-2, -1));        // [B,H,T,T] (scaling q is cheaper)
    if (spec.softcap > 0) logits = torch::tanh(logits / spec.softcap) * spec.softcap;
    // hidden[i][j]: key j is not visible to query i (the future, or beyond the sliding window).
    auto boolOpts = torch::TensorOptions().dtype(torch::kBool).device(q.device());
    const bool windowed = spec.window > 0 && spec.window < T;
    torch::Tensor hidden = spec.causal ? torch::ones({T, T}, boolOpts).triu(1) : torch::zeros({T, T}, boolOpts);
    if (windowed) hidden = hidden.logical_or(torch::ones({T, T}, boolOpts).tril(-spec.window));

    // 2. Selective attention: the selector head's positive logits accumulate into F, which every head subtracts.
    if (config.selectiveAttention) {
        // Only keys strictly before the query count: no future, no self; and the first token is never masked.
        auto maskable = torch::ones({T, T}, boolOpts).tril(-1);
        maskable.select(1, 0).fill_(false);
        auto s = torch::relu(logits.select(1, config.selectiveAttention->selectorHead))
                     .masked_fill(maskable.logical_not(), 0.0);          // [B,T,T]
        s = torch::cat({torch::zeros_like(s.narrow(1, 0, 1)), s.narrow(1, 0, T - 1)}, 1);   // shift down a row
        auto f = s.cumsum(1);                                            // [B,T,T] F over the query axis
        logits = logits - f.unsqueeze(1);
        out.selection = s;
        out.selectionCumulative = f;
    }
    if (spec.causal || windowed)   // in place: saves a [T,T] pass
        logits.masked_fill_(hidden, -std::numeric_limits<float>::infinity());
    if (contextBudget > 0 && out.selectionCumulative.defined()) {
        // Each layer prunes its own context; row i depends only on rows <= i, so one pass equals decoding.
        std::vector<torch::Tensor> keeps, evictions;
        for (int64_t b = 0; b < B; ++b) {
            auto [keep, evicted] = evictionSchedule(out.selectionCumulative.select(0, b).detach(), contextBudget);
            keeps.push_back(keep);
            evictions.push_back(evicted);
        }
        auto keep = torch::stack(keeps).to(q.device()).unsqueeze(1);          // [B,1,T,T]
        logits.masked_fill_(keep.logical_not(), -std::numeric_limits<float>::infinity());
        out.evictedAt = torch::stack(evictions).to(q.device());
    }

    // 3. Persistent memory: N extra keys per head, one softmax over context and memory together.
    torch::Tensor probs, memProbs;
    if (config.persistentMemory) {
        auto memLogits = torch::matmul(q * scale, params.memoryKey.transpose(-2, -1).unsqueeze(0));   // [B,H,T,N]
        auto all = torch::softmax(torch::cat({logits, memLogits}, -1), -1);
        probs = all.narrow(-1, 0, T);
        memProbs = all.narrow(-1, T, memLogits.size(-1));
    } else {
        probs = torch::softmax(logits, -1);
    }

    // 4. Adaptive span: soft-mask the context by distance, renormalize context and memory together.
    if (config.adaptiveSpan) {
        probs = probs * spanMask(*config.adaptiveSpan, params.spanFraction, T).unsqueeze(0);
        auto total = probs.sum(-1, true);
        if (memProbs.defined()) total = total + memProbs.sum(-1, true);
        total = total + 1e-8;
        probs = probs / total;
        if (memProbs.defined()) memProbs = memProbs / total;
    }
    out.attention = probs.contiguous();

    // 5. Head output: context and memory values, scaled by the gate and the head mask.
    auto headOut = torch::matmul(out.attention, v);                     // [B,H,T,d]
    if (memProbs.defined()) {
        out.memoryAttention = memProbs.contiguous();
        headOut = headOut + torch::matmul(out.memoryAttention, params.memoryValue.unsqueeze(0));
    }
    if (gates.defined()) headOut = headOut * gates.view({1, H, 1, 1});
    if (headMask.defined()) headOut = headOut * headMask.reshape({headMask.dim() == 2 ? B : 1, H, 1, 1});
    out.output = headOut;
    return out;
}

} // namespace headlight
