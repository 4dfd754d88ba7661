#include "headlight/trace.h"

#include <cmath>
#include <limits>

namespace headlight {

std::vector<std::pair<const char*, FloatArray*>> LayerTrace::named() {
    return {{"attention", &attention}, {"memory_attention", &memoryAttention}, {"gate", &gate},
            {"gate_open_probability", &gateOpenProbability}, {"span", &span}, {"selection", &selection},
            {"selection_cumulative", &selectionCumulative}, {"evicted_at", &evictedAt}};
}

std::vector<std::pair<const char*, const FloatArray*>> LayerTrace::named() const {
    std::vector<std::pair<const char*, const FloatArray*>> out;
    for (const auto& [name, array] : const_cast<LayerTrace*>(this)->named()) out.emplace_back(name, array);
    return out;
}

double Trace::meanLoss() const {
    if (loss.empty()) return std::numeric_limits<double>::quiet_NaN();
    double sum = 0;
    for (float x : loss) sum += x;
    return sum / static_cast<double>(loss.size());
}

const LayerTrace* Trace::layer(int l) const {
    for (const auto& t : layers)
        if (t.layer == l) return &t;
    return nullptr;
}

const LayerDigest* Trace::digest(int l) const {
    for (const auto& d : digests)
        if (d.layer == l) return &d;
    return nullptr;
}

int64_t pooledBin(int64_t tokens, int64_t maxCells) {
    if (tokens <= 0 || maxCells <= 0) return 1;
    return (tokens + maxCells - 1) / maxCells;
}

} // namespace headlight
