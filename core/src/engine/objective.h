#pragma once
// Internal: the losses of headlight/objective.h, in one place for the engine, evaluation, the pruning analyses and
// training. Causal models predict the next token (position t predicts ids[t+1]); BERT predicts the tokens at
// its [MASK] positions, which a plain text does not have targets for, so its runs carry no loss; analyses give
// it targets by masking the text's own tokens.
#include "headlight/objective.h"

#include <torch/types.h>
#include <torch/utils.h>

namespace headlight {

// logits [B,T,V], ids [B,T] -> negative log-likelihood of each next token, [B,T-1] (differentiable).
torch::Tensor nextTokenNll(const torch::Tensor& logits, const torch::Tensor& ids);
// 1 where the argmax prediction is the next token, [B,T-1] float.
torch::Tensor nextTokenHits(const torch::Tensor& logits, const torch::Tensor& ids);
// Mean of `perPosition` [B,T-1] over positions where `scored` [B,T-1] is 1, per row -> [B].
torch::Tensor scoredMean(const torch::Tensor& perPosition, const torch::Tensor& scored);

// Either objective through targets [B,T] (ScoredExample: the id position t predicts, -1 = not scored).
// logits [B,T,V] -> NLL [B,T], 0 where unscored (differentiable).
torch::Tensor targetNll(const torch::Tensor& logits, const torch::Tensor& targets);
// 1 where the argmax prediction is the target, [B,T] float (0 where unscored).
torch::Tensor targetHits(const torch::Tensor& logits, const torch::Tensor& targets);
// Mean of `perPosition` [B,T] over the scored positions of each row -> [B].
torch::Tensor targetMean(const torch::Tensor& perPosition, const torch::Tensor& targets);

} // namespace headlight
