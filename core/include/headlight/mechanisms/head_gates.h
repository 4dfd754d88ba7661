#pragma once
// Hard Concrete / L0 head gates (Voita et al. 2019): each head's output is scaled by a gate in [0, 1] that
// training pushes to exactly 0 for the heads a model can do without.
#include <cmath>

namespace headlight {

struct HeadGatesConfig {
    static constexpr const char* kKey = "head_gates";   // its object under "headlight" in config.json
    double temperature = 0.33;
    double gamma = -0.1;   // stretch interval lower end, < 0
    double zeta = 1.1;     // stretch interval upper end, > 1
};

// What it adds to each captured layer of a trace (LayerTrace, and /layers/{l}/... in HDF5): [H] each.
namespace head_gates {
inline constexpr const char* kGate = "gate";                            // the deterministic gate g
inline constexpr const char* kOpenProbability = "gate_open_probability";   // P(g != 0)
inline constexpr const char* kLogAlpha = "gate_log_alpha";              // the tensor it adds to every layer, [H]
} // namespace head_gates

} // namespace headlight
