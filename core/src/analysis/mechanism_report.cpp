// Mechanism statistics over fresh task examples, from the same traces the app draws.
#include "headlight/mechanism_report.h"

#include "headlight/error.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

namespace headlight {
namespace {

// Assign task: the token positions of the queried variable's superseded values, and the query position
// (the '=' that predicts the answer). Layout: '^' then "v=d;" n times, then "?v=" and the answer.
struct AssignQuery {
    int64_t query = -1;
    std::vector<int64_t> superseded;
};

AssignQuery parseAssign(const std::vector<std::string>& c) {
    AssignQuery a;
    const auto n = static_cast<int64_t>(c.size());
    if (n < 5 || c[static_cast<size_t>(n - 4)] != "?") return a;
    const std::string var = c[static_cast<size_t>(n - 3)];
    a.query = n - 2;
    std::vector<int64_t> values;
    for (int64_t v = 1; v + 2 < n - 4; v += 4)
        if (c[static_cast<size_t>(v)] == var) values.push_back(v + 2);
    if (!values.empty()) values.pop_back();   // the last assignment is the answer, not superseded
    a.superseded = values;
    return a;
}

// Multiply-adds of q.k and p.v over every causal pair within `window` keys of the query, one head.
double pairFlops(int64_t T, int64_t window, int64_t headDim) {
    double pairs = 0;
    for (int64_t i = 0; i < T; ++i) pairs += static_cast<double>(std::min(i + 1, window));
    return 4.0 * static_cast<double>(headDim) * pairs;
}

} // namespace

MechanismReport reportMechanisms(const Engine& engine, const Task& task, int n, uint64_t seed) {
    if (n < 1) throw Error("--n", "must be >= 1");
    const ModelConfig& c = engine.config();
    MechanismReport r;
    r.layers = c.nLayer;
    r.heads = c.nHead;
    const size_t LH = static_cast<size_t>(c.nLayer * c.nHead);
    std::mt19937_64 rng(seed);
    RunRequest req;
    req.reuseActivations = false;   // many examples: keep the engine's kept run for interactive what-ifs
    req.capture = CaptureSpec{};
    req.capture.logits = false;
    double maskedSum = 0;
    int64_t maskedCount = 0, scoredTotal = 0;
    std::vector<double> memorySum(static_cast<size_t>(c.nLayer), 0.0);
    for (int k = 0; k < n; ++k) {
        const TaskExample ex = task.sample(rng);
        req.tokenIds = engine.encode(ex.text);
        const Trace t = engine.run(req);
        if (k == 0) {
            // Gates and spans are parameters: any one trace has them.
            for (const auto& layer : t.layers) {
                r.gates.insert(r.gates.end(), layer.gate.begin(), layer.gate.end());
                r.gateOpenProbability.insert(r.gateOpenProbability.end(), layer.gateOpenProbability.begin(), layer.gateOpenProbability.end());
                r.spans.insert(r.spans.end(), layer.span.begin(), layer.span.end());
            }
        }
        std::vector<int64_t> scored;
        for (size_t i = 0; i < ex.scored.size(); ++i)
            if (ex.scored[i]) scored.push_back(static_cast<int64_t>(i));
        scoredTotal += static_cast<int64_t>(scored.size());
        const AssignQuery assign = task.name() == "assign" ? parseAssign(ex.chars) : AssignQuery{};
        const int64_t T = static_cast<int64_t>(req.tokenIds.size());
        for (const auto& layer : t.layers) {
            if (!layer.selectionCumulative.empty()) {
                const float* F = layer.selectionCumulative.data();
                for (int64_t i : scored) {
                    int64_t masked = 0;
                    for (int64_t j = 0; j < i; ++j) masked += F[i * T + j] >= 1.0f;
                    if (i > 0) { maskedSum += static_cast<double>(masked) / static_cast<double>(i); ++maskedCount; }
                }
            }
            if (!layer.memoryAttention.empty()) {
                const int64_t h = layer.memoryAttention.dim(0), N = layer.memoryAttention.dim(2);
                const float* m = layer.memoryAttention.data();
                for (int64_t head = 0; head < h; ++head)
                    for (int64_t i : scored)
                        for (int64_t s = 0; s < N; ++s)
                            memorySum[static_cast<size_t>(layer.layer)] += m[(head * T + i) * N + s] / static_cast<double>(h);
            }
        }
        if (c.selectiveAttention && assign.query >= 0) {
            for (int64_t j : assign.superseded) {
                ++r.superseded;
                bool masked = false;
                for (const auto& layer : t.layers) masked |= layer.selectionCumulative.data()[assign.query * T + j] >= 1.0f;
                r.supersededMasked += masked;
            }
        }
    }
    if (c.headGates)
        r.closedHeads = static_cast<int>(std::count(r.gates.begin(), r.gates.end(), 0.0f));
    else
        r.gates.clear(), r.gateOpenProbability.clear();
    if (c.adaptiveSpan && r.spans.size() == LH) {
        double sum = 0;
        for (float z : r.spans) sum += z;
        r.averageSpan = sum / static_cast<double>(LH);
        r.flopsLength = task.maxLength();
        for (int l = 0; l < c.nLayer; ++l) {
            const auto first = r.spans.begin() + l * c.nHead;
            const double widest = *std::max_element(first, first + c.nHead) + c.adaptiveSpan->ramp;
            const int window = static_cast<int>(std::min<double>(std::ceil(widest), static_cast<double>(r.flopsLength)));
            r.trimWindow.push_back(window);
            r.attentionFlops += c.nHead * pairFlops(r.flopsLength, r.flopsLength, c.headDim());
            r.trimmedAttentionFlops += c.nHead * pairFlops(r.flopsLength, window, c.headDim());
        }
    } else {
        r.spans.clear();
    }
    if (c.selectiveAttention) r.maskedShare = maskedCount ? maskedSum / static_cast<double>(maskedCount) : 0.0;
    if (c.persistentMemory)
        for (double s : memorySum) r.memoryShare.push_back(scoredTotal ? s / static_cast<double>(scoredTotal) : 0.0);
    return r;
}

std::string MechanismReport::toJson() const {
    nlohmann::json j = nlohmann::json::object();
    if (!gates.empty())
        j["head_gates"] = {{"gates", gates}, {"p_open", gateOpenProbability}, {"closed_heads", closedHeads},
                           {"heads", layers * heads}};
    if (!spans.empty())
        j["adaptive_span"] = {{"spans", spans}, {"average_span", averageSpan}, {"trim_window", trimWindow},
                              {"flops_length", flopsLength}, {"attention_flops", attentionFlops},
                              {"trimmed_attention_flops", trimmedAttentionFlops},
                              {"flops_saved", attentionFlops > 0 ? 1.0 - trimmedAttentionFlops / attentionFlops : 0.0}};
    if (maskedShare >= 0) {
        nlohmann::json s = {{"masked_share", maskedShare}};
        if (superseded > 0)
            s.update({{"superseded", superseded}, {"superseded_masked", supersededMasked},
                      {"superseded_masked_share", static_cast<double>(supersededMasked) / static_cast<double>(superseded)}});
        j["selective_attention"] = s;
    }
    if (!memoryShare.empty()) {
        double mean = 0;
        for (double s : memoryShare) mean += s / static_cast<double>(memoryShare.size());
        j["persistent_memory"] = {{"memory_share", mean}, {"memory_share_per_layer", memoryShare}};
    }
    return j.dump();
}

} // namespace headlight
