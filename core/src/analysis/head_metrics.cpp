#include "headlight/head_metrics.h"

#include "mechanisms/mechanism.h"
#include "headlight/head_roles.h"
#include "mechanisms/metric_grid.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

namespace headlight {
namespace {

// The four attention metrics of every captured head, from one pass over its [T,T] weights (the logarithm of
// the entropy is most of the cost, so the other three come almost free).
struct AttentionStats {
    FloatArray entropy, maxWeight, meanDistance, firstToken;
};

AttentionStats attentionStats(const Trace& trace, const ModelConfig& config) {
    MetricGrid entropy(config), maxWeight(config), distance(config), first(config);
    // Heads digested in the forward pass (long inputs keep no [T,T] for most heads): the same means, summed
    // on the device in float32; a captured head's own matrix below overrides them.
    for (const LayerDigest& d : trace.digests) {
        const FloatArray* stats[] = {&d.entropy, &d.maxWeight, &d.meanDistance, &d.firstToken};
        MetricGrid* grids[] = {&entropy, &maxWeight, &distance, &first};
        for (int k = 0; k < 4; ++k)
            if (stats[k]->rank() == 1 && stats[k]->dim(0) == entropy.heads)
                for (int h = 0; h < entropy.heads; ++h) grids[k]->set(d.layer, h, stats[k]->data()[h]);
    }
    for (const LayerTrace& lt : trace.layers) {
        const FloatArray& a = lt.attention;
        if (a.rank() != 3 || a.dim(0) != static_cast<int64_t>(lt.heads.size())) continue;
        // [h,T,K]: K = T for self-attention, the source's length for cross-attention (|i - j| then compares a
        // target position with a source position: 0 on a monotonic alignment of equal lengths).
        const int64_t T = a.dim(1), K = a.dim(2);
        if (T <= 0 || K <= 0) continue;
        for (size_t k = 0; k < lt.heads.size(); ++k) {
            const float* block = a.data() + static_cast<int64_t>(k) * T * K;   // [T,K]
            double h = 0, m = 0, d = 0, f = 0;
            for (int64_t i = 0; i < T; ++i) {
                const float* row = block + i * K;
                double rowH = 0, rowD = 0;
                float rowMax = row[0];
                for (int64_t j = 0; j < K; ++j) {
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

FloatArray unavailable(const ModelConfig& config) { return MetricGrid(config).array(); }

// A role's scores as the run measured them (CaptureSpec::roles), NaN when it did not.
std::function<FloatArray(const Trace&, const ModelConfig&)> roleScore(const std::string& role) {
    return [role](const Trace& trace, const ModelConfig& config) {
        if (static_cast<int>(trace.roleScores.size()) != config.nLayer) return unavailable(config);
        return *headRoles(trace, config).find(role);
    };
}

// The role metrics' ids: "role_" and the role ("role_induction"), stable names for settings and the CLI.
struct RoleMetricNames {
    std::vector<std::string> ids, names;
    RoleMetricNames() {
        for (const std::string& role : roleIds()) {
            ids.push_back("role_" + role);
            names.push_back("Role score: " + roleName(role));
        }
    }
};
const RoleMetricNames& roleMetricNames() {
    static const RoleMetricNames names;
    return names;
}

// A metric's description and how to compute it; the attention metrics come from attentionStats.
struct MetricEntry {
    HeadMetricInfo info;
    const Mechanism* mechanism;   // null for the attention metrics
    std::function<FloatArray(const Trace&, const ModelConfig&)> compute;
};

const std::vector<MetricEntry>& entries() {
    static const std::vector<MetricEntry> all = [] {
        std::vector<MetricEntry> e = {
            {{HeadMetric::entropy(), "entropy", "Attention entropy", "nats"}, nullptr, attentionEntropy},
            {{HeadMetric::maxWeight(), "max_weight", "Largest attention weight", ""}, nullptr, maxAttentionWeight},
            {{HeadMetric::meanDistance(), "mean_distance", "Mean attention distance", "tokens"}, nullptr, meanAttentionDistance},
            {{HeadMetric::firstToken(), "first_token", "Attention on the first token", ""}, nullptr, firstTokenShare}};
        const RoleMetricNames& roles = roleMetricNames();
        for (size_t r = 0; r < roleIds().size(); ++r) {
            MetricEntry& role = e.emplace_back();
            role.info.metric.id = roles.ids[r];
            role.info.id = roles.ids[r].c_str();
            role.info.name = roles.names[r].c_str();
            role.info.unit = "";
            role.mechanism = nullptr;
            role.compute = roleScore(roleIds()[r]);
        }
        for (const Mechanism* m : allMechanisms())
            for (const MechanismMetric& metric : m->metrics())
                e.push_back({{HeadMetric{metric.id}, metric.id, metric.name, metric.unit}, m, metric.compute});
        return e;
    }();
    return all;
}

const MetricEntry* entryOf(const HeadMetric& metric) {
    for (const MetricEntry& e : entries())
        if (e.info.metric == metric) return &e;
    return nullptr;
}

} // namespace

const std::vector<HeadMetricInfo>& headMetrics() {
    static const std::vector<HeadMetricInfo> all = [] {
        std::vector<HeadMetricInfo> infos;
        for (const MetricEntry& e : entries()) infos.push_back(e.info);
        return infos;
    }();
    return all;
}

const HeadMetricInfo& headMetricInfo(const HeadMetric& metric) {
    const MetricEntry* e = entryOf(metric);
    return e ? e->info : entries().front().info;
}

std::optional<HeadMetric> headMetricFromId(const std::string& id) {
    if (const MetricEntry* e = entryOf(HeadMetric{id})) return e->info.metric;
    return std::nullopt;
}

bool headMetricAvailable(const HeadMetric& metric, const ModelConfig& config) {
    const MetricEntry* e = entryOf(metric);
    return e && (!e->mechanism || e->mechanism->enabledIn(config));
}

std::vector<HeadMetric> availableHeadMetrics(const ModelConfig& config) {
    std::vector<HeadMetric> out;
    for (const auto& info : headMetrics())
        if (headMetricAvailable(info.metric, config)) out.push_back(info.metric);
    return out;
}

FloatArray computeHeadMetric(const HeadMetric& metric, const Trace& trace, const ModelConfig& config) {
    if (!headMetricAvailable(metric, config)) return unavailable(config);
    return entryOf(metric)->compute(trace, config);
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
    const auto mechanisms = mechanismsOf(config);
    for (const LayerTrace& lt : trace.layers) {
        if (lt.layer < 0 || lt.layer >= s.layers) continue;
        std::vector<bool> closed(static_cast<size_t>(s.heads), false);
        for (const Mechanism* m : mechanisms) m->markClosedHeads(lt, closed);
        for (int h = 0; h < s.heads; ++h)
            s.closed[static_cast<size_t>(lt.layer) * static_cast<size_t>(s.heads) + static_cast<size_t>(h)] = closed[static_cast<size_t>(h)];
    }
    return s;
}

const FloatArray* HeadSummaries::find(const HeadMetric& metric) const {
    for (const auto& [m, values] : metrics)
        if (m == metric) return &values;
    return nullptr;
}

HeadSummaries summarizeHeads(const Trace& trace, const ModelConfig& config) {
    HeadSummaries s;
    s.layers = std::max(0, config.nLayer);
    s.heads = std::max(0, config.nHead);
    AttentionStats attention = attentionStats(trace, config);
    // The roles once: the seven role metrics are their scores.
    if (static_cast<int>(trace.roleScores.size()) == config.nLayer) s.roles = headRoles(trace, config);
    const std::string rolePrefix = "role_";
    for (const HeadMetric& metric : availableHeadMetrics(config)) {
        const FloatArray* role = s.roles && metric.id.rfind(rolePrefix, 0) == 0 ? s.roles->find(metric.id.substr(rolePrefix.size())) : nullptr;
        if (metric == HeadMetric::entropy()) s.metrics.emplace_back(metric, attention.entropy);
        else if (metric == HeadMetric::maxWeight()) s.metrics.emplace_back(metric, attention.maxWeight);
        else if (metric == HeadMetric::meanDistance()) s.metrics.emplace_back(metric, attention.meanDistance);
        else if (metric == HeadMetric::firstToken()) s.metrics.emplace_back(metric, attention.firstToken);
        else if (role) s.metrics.emplace_back(metric, *role);
        else s.metrics.emplace_back(metric, computeHeadMetric(metric, trace, config));
    }
    s.states = headStates(trace, config);
    return s;
}

} // namespace headlight
