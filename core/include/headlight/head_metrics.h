#pragma once
// One number per head, for the layers x heads overview: how each head attends in one run, and what its
// mechanisms (gates, spans, selective masking, persistent memory) did. Qt-free; works on any Trace.
#include "headlight/array.h"
#include "headlight/head_roles.h"
#include "headlight/model_config.h"
#include "headlight/trace.h"

#include <optional>
#include <string>
#include <vector>

namespace headlight {

// A per-head number of one run, by its stable id (settings, the CLI). The four attention metrics every model
// has are below, then the role scores ("role_" + a role of headlight/head_roles.h, NaN unless the run measured
// them); each mechanism adds its own ("gate", "p_open", "span", "masking", "memory_share").
struct HeadMetric {
    std::string id;
    bool operator==(const HeadMetric& o) const { return id == o.id; }
    bool operator!=(const HeadMetric& o) const { return id != o.id; }
    static HeadMetric entropy() { return {"entropy"}; }          // mean over queries i of -sum_j p_ij ln p_ij (nats)
    static HeadMetric maxWeight() { return {"max_weight"}; }     // mean over queries i of max_j p_ij
    static HeadMetric meanDistance() { return {"mean_distance"}; }   // mean over i of sum_j p_ij |i - j| (tokens)
    static HeadMetric firstToken() { return {"first_token"}; }   // mean over i of p_i0: an attention sink
};

struct HeadMetricInfo {
    HeadMetric metric;
    const char* id;     // metric.id
    const char* name;   // display name: "Attention entropy"
    const char* unit;   // "nats", "tokens", or "" for probabilities and fractions
};

// Every metric, in display order: the attention metrics, then the mechanisms' in registry order.
const std::vector<HeadMetricInfo>& headMetrics();
const HeadMetricInfo& headMetricInfo(const HeadMetric& metric);
std::optional<HeadMetric> headMetricFromId(const std::string& id);

// Whether a model with `config` has what `metric` measures (the four attention metrics: always).
bool headMetricAvailable(const HeadMetric& metric, const ModelConfig& config);
std::vector<HeadMetric> availableHeadMetrics(const ModelConfig& config);

// [L,H] values of `metric`; NaN for heads whose layer (or head) the trace did not capture, and everywhere
// when the model lacks the mechanism. A layer's tensors of an unexpected shape count as not captured.
FloatArray computeHeadMetric(const HeadMetric& metric, const Trace& trace, const ModelConfig& config);

FloatArray attentionEntropy(const Trace& trace, const ModelConfig& config);
FloatArray maxAttentionWeight(const Trace& trace, const ModelConfig& config);
FloatArray meanAttentionDistance(const Trace& trace, const ModelConfig& config);
FloatArray firstTokenShare(const Trace& trace, const ModelConfig& config);

// Heads switched off in this run: pruned by the head mask, or closed by a mechanism (a gate of exactly 0).
struct HeadStates {
    int layers = 0;
    int heads = 0;
    std::vector<bool> pruned;   // [L*H] row-major: trace.headMask == 0
    std::vector<bool> closed;   // [L*H] row-major: a mechanism switched it off (captured gate == 0)

    bool isPruned(int layer, int head) const;   // false out of range
    bool isClosed(int layer, int head) const;
};
HeadStates headStates(const Trace& trace, const ModelConfig& config);

// Every available metric of every head for one run, and the heads' states: computed once per run (the app
// does it on its worker thread, with the run) so that views only read numbers.
struct HeadSummaries {
    int layers = 0;
    int heads = 0;
    std::vector<std::pair<HeadMetric, FloatArray>> metrics;   // [L,H] per available metric, in display order
    HeadStates states;
    // Every head's role scores and label, when the run measured them (CaptureSpec::roles).
    std::optional<HeadRoles> roles;

    // The metric's [L,H] values, or null when the model lacks it.
    const FloatArray* find(const HeadMetric& metric) const;
};
// The four attention metrics come from one pass over each head's weights.
HeadSummaries summarizeHeads(const Trace& trace, const ModelConfig& config);

} // namespace headlight
