#pragma once
// One number per head, for the layers x heads overview: how each head attends in one run, and what its
// mechanisms (gates, spans, selective masking, persistent memory) did. Qt-free; works on any Trace.
#include "headlight/array.h"
#include "headlight/model_config.h"
#include "headlight/trace.h"

#include <optional>
#include <string>
#include <vector>

namespace headlight {

enum class HeadMetric {
    Entropy,          // mean over queries i of -sum_j p_ij ln p_ij (nats)
    MaxWeight,        // mean over queries i of max_j p_ij
    Gate,             // deterministic head gate g (head gates)
    OpenProbability,  // P(gate != 0) (head gates)
    Span,             // z, in tokens (adaptive span)
    Masking,          // mean over pairs j < i, j > 0 of min(F_ij, 1); one value per layer (selective attention)
    MemoryShare,      // mean over queries i of sum_n memory probability (persistent memory)
};

struct HeadMetricInfo {
    HeadMetric metric;
    const char* id;     // stable id for settings and the CLI: "entropy", "max_weight", ...
    const char* name;   // display name: "Attention entropy"
    const char* unit;   // "nats", "tokens", or "" for probabilities and fractions
};

// Every metric, in display order.
const std::vector<HeadMetricInfo>& headMetrics();
const HeadMetricInfo& headMetricInfo(HeadMetric metric);
std::optional<HeadMetric> headMetricFromId(const std::string& id);

// Whether a model with `config` has what `metric` measures (entropy and max weight: always).
bool headMetricAvailable(HeadMetric metric, const ModelConfig& config);
std::vector<HeadMetric> availableHeadMetrics(const ModelConfig& config);

// [L,H] values of `metric`; NaN for heads whose layer (or head) the trace did not capture, and everywhere
// when the model lacks the mechanism. A layer's tensors of an unexpected shape count as not captured.
FloatArray computeHeadMetric(HeadMetric metric, const Trace& trace, const ModelConfig& config);

FloatArray attentionEntropy(const Trace& trace, const ModelConfig& config);
FloatArray maxAttentionWeight(const Trace& trace, const ModelConfig& config);
FloatArray headGate(const Trace& trace, const ModelConfig& config);
FloatArray gateOpenProbability(const Trace& trace, const ModelConfig& config);
FloatArray attentionSpan(const Trace& trace, const ModelConfig& config);
// 0 for a layer whose run is too short to have any pair j < i with j > 0 (nothing could be masked).
FloatArray maskingReceived(const Trace& trace, const ModelConfig& config);
FloatArray memoryShare(const Trace& trace, const ModelConfig& config);

// Heads switched off in this run: pruned by the head mask, or closed by a gate of exactly 0.
struct HeadStates {
    int layers = 0;
    int heads = 0;
    std::vector<bool> pruned;   // [L*H] row-major: trace.headMask == 0
    std::vector<bool> closed;   // [L*H] row-major: captured gate == 0

    bool isPruned(int layer, int head) const;   // false out of range
    bool isClosed(int layer, int head) const;
};
HeadStates headStates(const Trace& trace, const ModelConfig& config);

} // namespace headlight
