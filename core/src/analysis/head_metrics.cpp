#include "headlight/head_metrics.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

namespace headlight {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// A row-major [L,H] grid being filled; NaN until a captured layer provides a value.
struct Grid {
    int layers;
    int heads;
    std::vector<float> values;

    explicit Grid(const ModelConfig& c)
        : layers(std::max(0, c.nLayer)), heads(std::max(0, c.nHead)),
          values(static_cast<size_t>(layers) * static_cast<size_t>(heads), kNaN) {}
    bool contains(int l, int h) const { return l >= 0 && l < layers && h >= 0 && h < heads; }
    void set(int l, int h, double v) {
        if (contains(l, h)) values[static_cast<size_t>(l) * static_cast<size_t>(heads) + static_cast<size_t>(h)] =
            static_cast<float>(v);
    }
    FloatArray array() && { return FloatArray({layers, heads}, std::move(values)); }
};

// Calls `perQuery(row, i)` for every query row i of each captured head's [T,W] block of `tensor` ([h,T,W],
// picked by `of`) and stores the mean over rows. `width(T)` is the expected W (T for attention, N for memory).
FloatArray meanOverQueries(const Trace& trace, const ModelConfig& config,
                           const std::function<const FloatArray&(const LayerTrace&)>& of,
                           const std::function<int64_t(int64_t)>& width,
                           const std::function<double(const float*, int64_t, int64_t)>& perQuery) {
    Grid grid(config);
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

// The four attention metrics of every captured head, from one pass over its [T,T] weights (the logarithm of
// the entropy is most of the cost, so the other three come almost free).
struct AttentionStats {
    FloatArray entropy, maxWeight, meanDistance, firstToken;
};

AttentionStats attentionStats(const Trace& trace, const ModelConfig& config) {
    Grid entropy(config), maxWeight(config), distance(config), first(config);
    // Heads digested in the forward pass (long inputs keep no [T,T] for most heads): the same means, summed
    // on the device in float32; a captured head's own matrix below overrides them.
    for (const LayerDigest& d : trace.digests) {
        const FloatArray* stats[] = {&d.entropy, &d.maxWeight, &d.meanDistance, &d.firstToken};
        Grid* grids[] = {&entropy, &maxWeight, &distance, &first};
        for (int k = 0; k < 4; ++k)
            if (stats[k]->rank() == 1 && stats[k]->dim(0) == entropy.heads)
                for (int h = 0; h < entropy.heads; ++h) grids[k]->set(d.layer, h, stats[k]->data()[h]);
    }
    for (const LayerTrace& lt : trace.layers) {
        const FloatArray& a = lt.attention;
        if (a.rank() != 3 || a.dim(0) != static_cast<int64_t>(lt.heads.size())) continue;
        const int64_t T = a.dim(1);
        if (T <= 0 || a.dim(2) != T) continue;
        for (size_t k = 0; k < lt.heads.size(); ++k) {
            const float* block = a.data() + static_cast<int64_t>(k) * T * T;   // [T,T]
            double h = 0, m = 0, d = 0, f = 0;
            for (int64_t i = 0; i < T; ++i) {
                const float* row = block + i * T;
                double rowH = 0, rowD = 0;
                float rowMax = row[0];
                for (int64_t j = 0; j < T; ++j) {
                    const float p = row[j];
                    if (p > 0) rowH -= static_cast<double>(p) * std::log(p);   // 0 ln 0 = 0
                    rowD += static_cast<double>(p) * static_cast<double>(i > j ? i - j : j - i);
                    rowMax = std::max(rowMax, p);
                }
                h += rowH;
                d += rowD;
                m += rowMax;
                f += row[0];
            }
            const double n = static_cast<double>(T);
            entropy.set(lt.layer, lt.heads[k], h / n);
            maxWeight.set(lt.layer, lt.heads[k], m / n);
            distance.set(lt.layer, lt.heads[k], d / n);
            first.set(lt.layer, lt.heads[k], f / n);
        }
    }
    return {std::move(entropy).array(), std::move(maxWeight).array(), std::move(distance).array(),
            std::move(first).array()};
}

// A per-layer [H] parameter (gate, open probability, span) copied to every head of each captured layer.
FloatArray perHeadParameter(const Trace& trace, const ModelConfig& config,
                            const std::function<const FloatArray&(const LayerTrace&)>& of) {
    Grid grid(config);
    for (const LayerTrace& lt : trace.layers) {
        const FloatArray& p = of(lt);
        if (p.rank() != 1 || p.dim(0) != grid.heads) continue;
        for (int h = 0; h < grid.heads; ++h) grid.set(lt.layer, h, p.data()[h]);
    }
    return std::move(grid).array();
}

FloatArray unavailable(const ModelConfig& config) { return Grid(config).array() ; }

} // namespace

const std::vector<HeadMetricInfo>& headMetrics() {
    static const std::vector<HeadMetricInfo> all = {
        {HeadMetric::Entropy, "entropy", "Attention entropy", "nats"},
        {HeadMetric::MaxWeight, "max_weight", "Largest attention weight", ""},
        {HeadMetric::MeanDistance, "mean_distance", "Mean attention distance", "tokens"},
        {HeadMetric::FirstTokenShare, "first_token", "Attention on the first token", ""},
        {HeadMetric::Gate, "gate", "Head gate", ""},
        {HeadMetric::OpenProbability, "p_open", "P(gate open)", ""},
        {HeadMetric::Span, "span", "Attention span", "tokens"},
        {HeadMetric::Masking, "masking", "Selective masking received", ""},
        {HeadMetric::MemoryShare, "memory_share", "Attention on memory", ""},
    };
    return all;
}

const HeadMetricInfo& headMetricInfo(HeadMetric metric) {
    for (const auto& info : headMetrics())
        if (info.metric == metric) return info;
    return headMetrics().front();   // unreachable: every enumerator is listed
}

std::optional<HeadMetric> headMetricFromId(const std::string& id) {
    for (const auto& info : headMetrics())
        if (id == info.id) return info.metric;
    return std::nullopt;
}

bool headMetricAvailable(HeadMetric metric, const ModelConfig& config) {
    switch (metric) {
    case HeadMetric::Entropy:
    case HeadMetric::MaxWeight:
    case HeadMetric::MeanDistance:
    case HeadMetric::FirstTokenShare: return true;
    case HeadMetric::Gate:
    case HeadMetric::OpenProbability: return config.headGates.has_value();
    case HeadMetric::Span: return config.adaptiveSpan.has_value();
    case HeadMetric::Masking: return config.selectiveAttention.has_value();
    case HeadMetric::MemoryShare: return config.persistentMemory.has_value();
    }
    return false;
}

std::vector<HeadMetric> availableHeadMetrics(const ModelConfig& config) {
    std::vector<HeadMetric> out;
    for (const auto& info : headMetrics())
        if (headMetricAvailable(info.metric, config)) out.push_back(info.metric);
    return out;
}

FloatArray computeHeadMetric(HeadMetric metric, const Trace& trace, const ModelConfig& config) {
    switch (metric) {
    case HeadMetric::Entropy: return attentionEntropy(trace, config);
    case HeadMetric::MaxWeight: return maxAttentionWeight(trace, config);
    case HeadMetric::MeanDistance: return meanAttentionDistance(trace, config);
    case HeadMetric::FirstTokenShare: return firstTokenShare(trace, config);
    case HeadMetric::Gate: return headGate(trace, config);
    case HeadMetric::OpenProbability: return gateOpenProbability(trace, config);
    case HeadMetric::Span: return attentionSpan(trace, config);
    case HeadMetric::Masking: return maskingReceived(trace, config);
    case HeadMetric::MemoryShare: return memoryShare(trace, config);
    }
    return unavailable(config);
}

FloatArray attentionEntropy(const Trace& trace, const ModelConfig& config) {
    return attentionStats(trace, config).entropy;
}

FloatArray maxAttentionWeight(const Trace& trace, const ModelConfig& config) {
    return attentionStats(trace, config).maxWeight;
}

FloatArray meanAttentionDistance(const Trace& trace, const ModelConfig& config) {
    return attentionStats(trace, config).meanDistance;
}

FloatArray firstTokenShare(const Trace& trace, const ModelConfig& config) {
    return attentionStats(trace, config).firstToken;
}

FloatArray headGate(const Trace& trace, const ModelConfig& config) {
    if (!headMetricAvailable(HeadMetric::Gate, config)) return unavailable(config);
    return perHeadParameter(trace, config, [](const LayerTrace& lt) -> const FloatArray& { return lt.gate; });
}

FloatArray gateOpenProbability(const Trace& trace, const ModelConfig& config) {
    if (!headMetricAvailable(HeadMetric::OpenProbability, config)) return unavailable(config);
    return perHeadParameter(trace, config,
                            [](const LayerTrace& lt) -> const FloatArray& { return lt.gateOpenProbability; });
}

FloatArray attentionSpan(const Trace& trace, const ModelConfig& config) {
    if (!headMetricAvailable(HeadMetric::Span, config)) return unavailable(config);
    return perHeadParameter(trace, config, [](const LayerTrace& lt) -> const FloatArray& { return lt.span; });
}

FloatArray maskingReceived(const Trace& trace, const ModelConfig& config) {
    Grid grid(config);
    if (!headMetricAvailable(HeadMetric::Masking, config)) return std::move(grid).array();
    for (const LayerTrace& lt : trace.layers) {
        const FloatArray& F = lt.selectionCumulative;   // [T,T], shared by every head of the layer
        if (F.rank() != 2 || F.dim(0) != F.dim(1)) continue;
        const int64_t T = F.dim(0);
        double sum = 0;
        int64_t pairs = 0;
        for (int64_t i = 2; i < T; ++i)
            for (int64_t j = 1; j < i; ++j, ++pairs) sum += std::min(static_cast<double>(F.data()[i * T + j]), 1.0);
        const double mean = pairs ? sum / static_cast<double>(pairs) : 0.0;
        for (int h = 0; h < grid.heads; ++h) grid.set(lt.layer, h, mean);
    }
    return std::move(grid).array();
}

FloatArray memoryShare(const Trace& trace, const ModelConfig& config) {
    if (!headMetricAvailable(HeadMetric::MemoryShare, config)) return unavailable(config);
    const int64_t slots = config.memorySlots();
    return meanOverQueries(
        trace, config, [](const LayerTrace& lt) -> const FloatArray& { return lt.memoryAttention; },
        [slots](int64_t) { return slots; },
        [](const float* row, int64_t, int64_t N) {
            double s = 0;
            for (int64_t n = 0; n < N; ++n) s += row[n];
            return s;
        });
}

bool HeadStates::isPruned(int layer, int head) const {
    if (layer < 0 || layer >= layers || head < 0 || head >= heads) return false;
    return pruned[static_cast<size_t>(layer) * static_cast<size_t>(heads) + static_cast<size_t>(head)];
}

bool HeadStates::isClosed(int layer, int head) const {
    if (layer < 0 || layer >= layers || head < 0 || head >= heads) return false;
    return closed[static_cast<size_t>(layer) * static_cast<size_t>(heads) + static_cast<size_t>(head)];
}

HeadStates headStates(const Trace& trace, const ModelConfig& config) {
    HeadStates s;
    s.layers = std::max(0, config.nLayer);
    s.heads = std::max(0, config.nHead);
    const size_t count = static_cast<size_t>(s.layers) * static_cast<size_t>(s.heads);
    s.pruned.assign(count, false);
    s.closed.assign(count, false);
    const FloatArray& mask = trace.headMask;   // [L,H]
    if (mask.rank() == 2 && mask.dim(0) == s.layers && mask.dim(1) == s.heads)
        for (size_t k = 0; k < count; ++k) s.pruned[k] = mask.data()[k] == 0.0f;
    for (const LayerTrace& lt : trace.layers) {
        if (!config.headGates) break;   // only a gated model can close a head
        if (lt.layer < 0 || lt.layer >= s.layers || lt.gate.rank() != 1 || lt.gate.dim(0) != s.heads) continue;
        for (int h = 0; h < s.heads; ++h)
            s.closed[static_cast<size_t>(lt.layer) * static_cast<size_t>(s.heads) + static_cast<size_t>(h)] =
                lt.gate.data()[h] == 0.0f;
    }
    return s;
}

const FloatArray* HeadSummaries::find(HeadMetric metric) const {
    for (const auto& [m, values] : metrics)
        if (m == metric) return &values;
    return nullptr;
}

HeadSummaries summarizeHeads(const Trace& trace, const ModelConfig& config) {
    HeadSummaries s;
    s.layers = std::max(0, config.nLayer);
    s.heads = std::max(0, config.nHead);
    AttentionStats attention = attentionStats(trace, config);
    for (HeadMetric metric : availableHeadMetrics(config)) {
        switch (metric) {
        case HeadMetric::Entropy: s.metrics.emplace_back(metric, attention.entropy); break;
        case HeadMetric::MaxWeight: s.metrics.emplace_back(metric, attention.maxWeight); break;
        case HeadMetric::MeanDistance: s.metrics.emplace_back(metric, attention.meanDistance); break;
        case HeadMetric::FirstTokenShare: s.metrics.emplace_back(metric, attention.firstToken); break;
        default: s.metrics.emplace_back(metric, computeHeadMetric(metric, trace, config)); break;
        }
    }
    s.states = headStates(trace, config);
    return s;
}

} // namespace headlight
