#pragma once
// Internal: selective attention (Leviathan et al. 2024). One selector head's positive logits accumulate over
// the queries into F, which every head subtracts from its logits: a token can mask the tokens before it for
// everyone after it. Under a context budget, tokens with the largest F leave the context for good.
#include "headlight/mechanisms/selective_attention.h"
#include "mechanisms/mechanism.h"

#include <utility>

namespace headlight {

const Mechanism& selectiveAttention();

// Context pruning under a budget of K tokens: decoding left to right, token i joins the buffer; while the
// buffer holds more than K tokens, the one with the largest F[i, j] leaves it (ties: the earliest). Returns
// keep [T,T] (query i may attend key j) and evictedAt [T] (the step that evicted j, or -1). F: [T,T] on CPU.
std::pair<torch::Tensor, torch::Tensor> evictionSchedule(const torch::Tensor& f, int64_t budget);
// The regulariser: with tau = 1, M_i = sum over j <= i of (1 - min(F_ij, tau) / tau), the tokens not yet
// masked at query i; returns 1 / (L n) * sum over layers of max_i M_i, averaged over the batch.
// `masks` holds F [B,T,T] per layer.
torch::Tensor selectiveMemoryLoss(const std::vector<torch::Tensor>& masks, int64_t nLayer);

} // namespace headlight
