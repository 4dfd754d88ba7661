#pragma once
// Internal: the batched task loss (the mechanisms' regularizers are in mechanisms/).
#include "model/transformer.h"

#include <torch/types.h>
#include <torch/utils.h>
#include <vector>

namespace headlight {

// Cross-entropy over every scored position of the batch: logits [B,T,V], targets [B,T] (-1 = not scored).
torch::Tensor scoredCrossEntropy(const torch::Tensor& logits, const torch::Tensor& targets);
// Accuracy of the argmax prediction over the scored positions (no gradient).
double scoredAccuracy(const torch::Tensor& logits, const torch::Tensor& targets);

} // namespace headlight
