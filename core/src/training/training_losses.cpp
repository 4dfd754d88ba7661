#include "training/training_losses.h"

#include "engine/objective.h"

namespace headlight {

torch::Tensor scoredCrossEntropy(const torch::Tensor& logits, const torch::Tensor& ids, const torch::Tensor& scored) {
    return scoredMean(nextTokenNll(logits, ids).reshape(-1), scored.reshape(-1));
}

double scoredAccuracy(const torch::Tensor& logits, const torch::Tensor& ids, const torch::Tensor& scored) {
    torch::NoGradGuard noGrad;
    return scoredMean(nextTokenHits(logits, ids).reshape(-1), scored.reshape(-1)).item<double>();
}

torch::Tensor l0Penalty(const Transformer& model) {
    const auto& c = model.config();
    auto total = model.gateOpenProbability(0).sum();
    for (int l = 1; l < c.nLayer; ++l) total = total + model.gateOpenProbability(l).sum();
    return total / c.nLayer;
}

torch::Tensor spanPenalty(const Transformer& model) {
    const auto& c = model.config();
    auto total = model.mechanisms(0).spanFraction.mean();
    for (int l = 1; l < c.nLayer; ++l) total = total + model.mechanisms(l).spanFraction.mean();
    return total * c.adaptiveSpan->maxSpan;
}

torch::Tensor selectiveMemoryLoss(const std::vector<torch::Tensor>& masks, int64_t nLayer) {
    constexpr double tau = 1.0;
    torch::Tensor total;
    int64_t T = 0;
    for (const auto& f : masks) {                                        // f: [B,T,T]
        T = f.size(1);
        auto visible = torch::ones({T, T}, f.options().dtype(torch::kBool)).tril();   // keys j <= i
        auto kept = (1.0 - torch::clamp_max(f, tau) / tau).masked_fill(visible.logical_not(), 0.0);
        auto perLayer = std::get<0>(kept.sum(-1).max(-1)).mean();        // max_i M_i, mean over the batch
        total = total.defined() ? total + perLayer : perLayer;
    }
    return total / static_cast<double>(nLayer * T);
}

} // namespace headlight
