#pragma once
// Adaptive attention span (Sukhbaatar et al. 2019): each head learns how far back it reads; its probabilities
// are soft-masked by distance, m(x) = clamp((R + z - x) / R, 0, 1), and renormalised.
#include <algorithm>

namespace headlight {

struct AdaptiveSpanConfig {
    static constexpr const char* kKey = "adaptive_span";
    int maxSpan = 0;       // S: z = span_fraction * S
    double ramp = 0.0;     // R, in tokens
};

namespace adaptive_span {
inline constexpr const char* kSpan = "span";               // z per head, in tokens: [H] on each captured layer
inline constexpr const char* kFraction = "span_fraction";  // the tensor it adds to every layer, [H] in [0, 1]

// The soft mask m_z(x) of a head with span z at distance x = i - j (what the engine multiplies by).
inline double maskAt(const AdaptiveSpanConfig& c, double z, double distance) {
    return std::clamp((c.ramp + z - distance) / c.ramp, 0.0, 1.0);
}
} // namespace adaptive_span

} // namespace headlight
