#pragma once
// Internal: adaptive attention span (Sukhbaatar et al. 2019). Each head learns how far back it looks: its
// probabilities are multiplied by a soft distance mask and renormalised; training penalises long spans.
#include "headlight/mechanisms/adaptive_span.h"
#include "mechanisms/mechanism.h"

namespace headlight {

const Mechanism& adaptiveSpan();

// Soft span mask m(x) = clamp((R + z - x) / R, 0, 1), x = i - j: [H,T,T] for spans z [H].
torch::Tensor spanMask(const AdaptiveSpanConfig& a, const torch::Tensor& spanFraction, int64_t T);
// The same for queries row0..row0+rows-1 over keys col0..col0+cols-1: [H,rows,cols].
torch::Tensor spanMask(const AdaptiveSpanConfig& a, const torch::Tensor& spanFraction, int64_t row0, int64_t rows,
                       int64_t col0, int64_t cols);
// The regulariser: max_span * sum over layers of the mean over heads of span_fraction.
torch::Tensor spanPenalty(const MechanismHost& model);

} // namespace headlight
