#include "training/training_losses.h"

#include "engine/objective.h"

namespace headlight {

torch::Tensor scoredCrossEntropy(const torch::Tensor& logits, const torch::Tensor& targets) {
    return targetMean(targetNll(logits, targets).reshape(-1), targets.reshape(-1));
}

double scoredAccuracy(const torch::Tensor& logits, const torch::Tensor& targets) {
    torch::NoGradGuard noGrad;
    return targetMean(targetHits(logits, targets).reshape(-1), targets.reshape(-1)).item<double>();
}

} // namespace headlight
