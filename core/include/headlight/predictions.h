#pragma once
// What a model predicts at one position of a run: the likeliest next tokens (the softmax of that position's
// logits, in float64), and how likely and how high it ranked the token that actually follows. The predictions
// view and its figure show it; computed here so that every view reads the same numbers.
#include "headlight/trace.h"

#include <cstdint>
#include <vector>

namespace headlight {

struct PredictedToken {
    int64_t id = 0;
    double probability = 0;
};

struct PositionPredictions {
    std::vector<PredictedToken> top;  // the k likeliest, most probable first; ties: the lower id first
    int64_t actualId = -1;         // the token at position + 1 (-1 at the last position)
    double actualProbability = 0;
    int actualRank = -1;           // how many tokens the model found likelier (0 = its top prediction); -1: none
};

// Empty (no `top`) when the trace kept no logits or `position` is outside the run.
PositionPredictions predictionsAt(const Trace& trace, int64_t position, int k);

} // namespace headlight
