#pragma once
// What a model's mechanisms do on a task, measured on fresh examples: closed gates, learned spans and the
// attention FLOPs that span trimming saves, what selective attention masks, and the share of attention that
// goes to persistent memory. `headlight-cli evaluate` prints it; the sample model cards quote it.
#include "headlight/engine.h"
#include "headlight/tasks.h"

#include <cstdint>
#include <string>
#include <vector>

namespace headlight {

struct MechanismReport {
    int layers = 0, heads = 0;

    // Head gates (empty without): deterministic gate and P(open) per head, [L*H] row-major.
    std::vector<float> gates, gateOpenProbability;
    int closedHeads = 0;              // gate == 0

    // Adaptive span (empty without): z per head in tokens, [L*H].
    std::vector<float> spans;
    double averageSpan = 0;
    // Per layer: keys at distance >= window have m_z = 0 for every head, so they are trimmed
    // (window = ceil(largest z + R), at most T).
    std::vector<int> trimWindow;
    int64_t flopsLength = 0;          // T the FLOPs are counted for: the task's longest example
    double attentionFlops = 0;        // q.k and p.v multiply-adds (4 d per query-key pair) over every head, causal
    double trimmedAttentionFlops = 0; // the same with each layer's keys limited to its window

    // Selective attention (NaN / 0 without). At the scored positions: the share of earlier tokens that some
    // layer masks (F >= 1), averaged over layers.
    double maskedShare = -1;
    // The assign task only: superseded values of the queried variable, and how many of them some layer masks
    // at the query (F >= 1).
    int64_t superseded = 0, supersededMasked = 0;

    // Persistent memory (empty without): per layer, the mean over heads and scored positions of the attention
    // that goes to memory slots.
    std::vector<double> memoryShare;

    std::string toJson() const;       // an object with one key per mechanism the model has
};

// Runs `n` fresh examples (seed `seed`) with full capture. Throws headlight::Error as evaluate() does.
MechanismReport reportMechanisms(const Engine& engine, const Task& task, int n, uint64_t seed);

} // namespace headlight
