#include "mechanisms/metric_grid.h"

#include <algorithm>
#include <limits>

namespace headlight {

MetricGrid::MetricGrid(const ModelConfig& c)
    : layers(std::max(0, c.nLayer)), heads(std::max(0, c.nHead)),
      values(static_cast<size_t>(layers) * static_cast<size_t>(heads), std::numeric_limits<float>::quiet_NaN()) {}

void MetricGrid::set(int l, int h, double v) {
    if (contains(l, h)) values[static_cast<size_t>(l) * static_cast<size_t>(heads) + static_cast<size_t>(h)] = static_cast<float>(v);
}

FloatArray MetricGrid::array() && { return FloatArray({layers, heads}, std::move(values)); }

FloatArray perHeadGrid(const Trace& trace, const ModelConfig& config, const std::string& name) {
    MetricGrid grid(config);
    for (const LayerTrace& lt : trace.layers) {
        const FloatArray& p = lt[name];
        if (p.rank() != 1 || p.dim(0) != grid.heads) continue;
        for (int h = 0; h < grid.heads; ++h) grid.set(lt.layer, h, p.data()[h]);
    }
    return std::move(grid).array();
}

FloatArray meanOverQueries(const Trace& trace, const ModelConfig& config,
                           const std::function<const FloatArray&(const LayerTrace&)>& of,
                           const std::function<int64_t(int64_t)>& width,
                           const std::function<double(const float*, int64_t, int64_t)>& perQuery) {
    MetricGrid grid(config);
    for (const LayerTrace& lt : trace.layers) {
        const FloatArray& a = of(lt);
        if (a.rank() != 3 || a.dim(0) != static_cast<int64_t>(lt.heads.size())) continue;
        const int64_t T = a.dim(1), W = a.dim(2);
        if (T <= 0 || W != width(T)) continue;
        for (size_t k = 0; k < lt.heads.size(); ++k) {
            const float* block = a.data() + static_cast<int64_t>(k) * T * W;   // [T,W]
            double sum = 0;
            for (int64_t i = 0; i < T; ++i) sum += perQuery(block + i * W, i, W);
            grid.set(lt.layer, lt.heads[k], sum / static_cast<double>(T));
        }
    }
    return std::move(grid).array();
}

} // namespace headlight
