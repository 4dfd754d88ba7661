#pragma once
// Pruning what-ifs in the app: how a run under a head mask differs from the unpruned run of the same text, and
// the head-mask presets (prune closed gates, prune the k least important, keep the k most important).
// Qt-free and torch-free API; definitions in docs/pruning.md.
#include "headlight/array.h"
#include "headlight/trace.h"

#include <cstdint>
#include <vector>

namespace headlight {

struct TopPrediction {
    int64_t id = 0;
    float probability = 0;
};

struct RunComparison {
    double lossBefore = 0, lossAfter = 0;               // mean next-token loss (natural log) of each run
    double perplexityBefore = 0, perplexityAfter = 0;   // exp(mean loss)
    std::vector<float> kl;                              // [T] KL(before || after) of the next-token distributions, nats
    std::vector<std::vector<TopPrediction>> topBefore;  // [T][k], most probable first
    std::vector<std::vector<TopPrediction>> topAfter;   // [T][k]
    double maxAbsLogitChange = 0;                       // max over positions and vocabulary of |logit after - before|
    // [L,H] how much pruning moved each head's attention: the mean over queries i of the total variation
    // 1/2 sum_j |a_after(i,j) - a_before(i,j)|, in [0, 1] (0: unchanged, 1: moved to other keys entirely). A pruned
    // head's own attention changes only through earlier pruned layers: the change shows downstream. NaN where
    // either run did not capture the head's [T,T] attention.
    FloatArray attentionChange;
};

// Compares two runs of the same tokens. Throws headlight::Error("run comparison", ...) when the token ids
// differ or either run kept no logits. `topK` is clamped to the vocabulary size.
RunComparison compareRuns(const Trace& before, const Trace& after, int topK = 5);

// The mean of `trace.loss` [T-1] over the predictions `predictions` (indices into it, e.g. the positions a task
// scores; out-of-range ones are ignored). NaN when none is in range or the run has no loss (a masked-token model).
double meanLossOver(const Trace& trace, const std::vector<int>& predictions);

// Head-mask presets: L*H row-major keep masks (1 = keep, 0 = pruned). Ties go to the lower (layer, head).
// Every head whose gate is exactly 0 pruned (gates: [L,H]); all ones for an empty array.
std::vector<float> closedGateMask(const FloatArray& gates);
// `mask` (empty = all kept) with k more of its kept heads pruned: those with the smallest `scores` [L,H].
// Heads whose score is NaN are never chosen. k larger than the kept heads prunes all of them.
std::vector<float> pruneLeastImportant(const FloatArray& scores, int k, const std::vector<float>& mask = {});
// Only the k heads with the largest `scores` [L,H] kept (NaN scores count as smallest).
std::vector<float> keepMostImportant(const FloatArray& scores, int k);
// Heads with mask value 0.
int prunedHeadCount(const std::vector<float>& mask);

} // namespace headlight
