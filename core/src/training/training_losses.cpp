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

} // namespace headlight
