#pragma once
// Internal: the batched task loss (the mechanisms' regularizers are in mechanisms/).
#include "model/transformer.h"

#include <torch/torch.h>
#include <vector>

namespace headlight {

// Cross-entropy over the scored positions: logits [B,T,V], ids [B,T], scored [B,T-1] (1/0).
torch::Tensor scoredCrossEntropy(const torch::Tensor& logits, const torch::Tensor& ids, const torch::Tensor& scored);
// Accuracy of the argmax prediction over the scored positions (no gradient).
double scoredAccuracy(const torch::Tensor& logits, const torch::Tensor& ids, const torch::Tensor& scored);

} // namespace headlight
