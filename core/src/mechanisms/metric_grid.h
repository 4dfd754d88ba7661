#pragma once
// Internal: filling a layers x heads grid of one number per head from a trace's captured layers, for the
// overview's metrics (analysis/head_metrics.cpp and each mechanism's own metrics).
#include "headlight/model_config.h"
#include "headlight/trace.h"

#include <functional>
#include <string>
#include <vector>

namespace headlight {

// A row-major [L,H] grid being filled; NaN until a captured layer provides a value.
struct MetricGrid {
    int layers;
    int heads;
    std::vector<float> values;

    explicit MetricGrid(const ModelConfig& c);
    bool contains(int l, int h) const { return l >= 0 && l < layers && h >= 0 && h < heads; }
    void set(int l, int h, double v);
    FloatArray array() &&;
};

// A per-layer [H] tensor of the trace (`name`: a gate, a span) copied to every head of each captured layer.
FloatArray perHeadGrid(const Trace& trace, const ModelConfig& config, const std::string& name);

// For each captured head's [T,W] block of a [h,T,W] tensor (`of`), the mean over query rows i of
// perQuery(row, i, W); `width(T)` is the W expected (T for attention, N for memory slots).
FloatArray meanOverQueries(const Trace& trace, const ModelConfig& config,
                           const std::function<const FloatArray&(const LayerTrace&)>& of,
                           const std::function<int64_t(int64_t)>& width,
                           const std::function<double(const float*, int64_t, int64_t)>& perQuery);

} // namespace headlight
