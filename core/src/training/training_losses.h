#pragma once
// Internal: the regularizers each mechanism trains with (docs/training.md), and the batched task loss.
#include "model/transformer.h"

#include <torch/torch.h>
#include <vector>

namespace headlight {

// Cross-entropy over the scored positions: logits [B,T,V], ids [B,T], scored [B,T-1] (1/0).
torch::Tensor scoredCrossEntropy(const torch::Tensor& logits, const torch::Tensor& ids, const torch::Tensor& scored);
// Accuracy of the argmax prediction over the scored positions (no gradient).
double scoredAccuracy(const torch::Tensor& logits, const torch::Tensor& ids, const torch::Tensor& scored);

// Head gates: mean over layers of the sum over heads of P(gate open).
torch::Tensor l0Penalty(const Transformer& model);
// Adaptive span: max_span * sum over layers of the mean over heads of span_fraction.
torch::Tensor spanPenalty(const Transformer& model);
// Selective attention (Leviathan et al.): with tau = 1, M_i = sum over j <= i of (1 - min(F_ij, tau) / tau), the
// tokens not yet masked at query i; returns 1 / (L n) * sum over layers of max_i M_i, averaged over the batch.
// `masks` holds F [B,T,T] per layer.
torch::Tensor selectiveMemoryLoss(const std::vector<torch::Tensor>& masks, int64_t nLayer);

} // namespace headlight
