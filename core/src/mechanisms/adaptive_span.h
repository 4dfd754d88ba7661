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

// What spans save at `length` tokens: per layer, keys at distance >= window = ceil(largest z + R) (at most
// `length`) have m_z = 0 for every head and can be trimmed; attention FLOPs (q.k and p.v over causal pairs)
// with and without the trim.
struct SpanTrim {
    std::vector<int> windows;      // per layer
    double meanSpan = 0;
    double attentionFlops = 0, trimmedFlops = 0;
    double flopsSaved = 0;         // 1 - trimmed / full
};
SpanTrim spanTrim(const ModelConfig& c, const std::vector<float>& spans /* L*H, tokens */, int64_t length);

} // namespace headlight
