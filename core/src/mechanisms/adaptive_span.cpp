// Adaptive attention span (Sukhbaatar et al. 2019): config, the span tensor, the reweighting hook, the span
// regulariser, the spans traces and `info` show, the overview's span metric and the report's trimmed FLOPs.
#include "mechanisms/adaptive_span.h"

#include "io/json_util.h"
#include "mechanisms/metric_grid.h"
#include "checkpoint/config_reader.h"
#include "nn/torch_bridge.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

namespace headlight {

using adaptive_span::kFraction;
using adaptive_span::kSpan;

torch::Tensor spanMask(const AdaptiveSpanConfig& a, const torch::Tensor& spanFraction, int64_t T) {
    return spanMask(a, spanFraction, 0, T, 0, T);
}

torch::Tensor spanMask(const AdaptiveSpanConfig& a, const torch::Tensor& spanFraction, int64_t row0, int64_t rows,
                       int64_t col0, int64_t cols) {
    auto opts = spanFraction.options();
    auto distance = torch::arange(row0, row0 + rows, opts).unsqueeze(1) - torch::arange(col0, col0 + cols, opts).unsqueeze(0);   // x = i - j
    auto z = (spanFraction * a.maxSpan).view({-1, 1, 1});                // [H,1,1]
    return torch::clamp((a.ramp + z - distance.unsqueeze(0)) / a.ramp, 0.0, 1.0);   // [H,T,T]
}

torch::Tensor spanPenalty(const MechanismHost& model) {
    const auto& c = model.config();
    auto total = model.mechanisms(0)[kFraction].mean();
    for (int l = 1; l < c.nLayer; ++l) total = total + model.mechanisms(l)[kFraction].mean();
    return total * c.mechanism<AdaptiveSpanConfig>()->maxSpan;
}

namespace {

// Multiply-adds of q.k and p.v over every causal pair within `window` keys of the query, one head.
double pairFlops(int64_t T, int64_t window, int64_t headDim) {
    double pairs = 0;
    for (int64_t i = 0; i < T; ++i) pairs += static_cast<double>(std::min(i + 1, window));
    return 4.0 * static_cast<double>(headDim) * pairs;
}

} // namespace

SpanTrim spanTrim(const ModelConfig& c, const std::vector<float>& spans, int64_t length) {
    SpanTrim t;
    const size_t LH = static_cast<size_t>(c.nLayer * c.nHead);
    if (spans.size() != LH) return t;
    double sum = 0;
    for (float z : spans) sum += z;
    t.meanSpan = sum / static_cast<double>(LH);
    for (int l = 0; l < c.nLayer; ++l) {
        const auto first = spans.begin() + l * c.nHead;
        const double widest = *std::max_element(first, first + c.nHead) + c.mechanism<AdaptiveSpanConfig>()->ramp;
        const int window = static_cast<int>(std::min<double>(std::ceil(widest), static_cast<double>(length)));
        t.windows.push_back(window);
        t.attentionFlops += c.nHead * pairFlops(length, length, c.headDim());
        t.trimmedFlops += c.nHead * pairFlops(length, window, c.headDim());
    }
    t.flopsSaved = t.attentionFlops > 0 ? 1.0 - t.trimmedFlops / t.attentionFlops : 0.0;
    return t;
}

namespace {

// Spans are parameters: any one run has them. The trim at the task's longest example (spanTrim).
class SpanReport final : public MechanismReportSection {
public:
    SpanReport(const ModelConfig& c, const ReportTask& task) : c_(c), length_(task.maxLength) {}
    void add(const std::vector<std::string>&, const Trace& t, const std::vector<int64_t>&) override {
        if (!spans_.empty()) return;
        for (const auto& layer : t.layers) spans_.insert(spans_.end(), layer[kSpan].begin(), layer[kSpan].end());
    }
    nlohmann::json result() const override {
        if (spans_.size() != static_cast<size_t>(c_.nLayer * c_.nHead)) return nlohmann::json::object();
        const SpanTrim trim = spanTrim(c_, spans_, length_);
        return {{"spans", spans_}, {"average_span", trim.meanSpan}, {"trim_window", trim.windows},
                {"flops_length", length_}, {"attention_flops", trim.attentionFlops},
                {"trimmed_attention_flops", trim.trimmedFlops}, {"flops_saved", trim.flopsSaved}};
    }

private:
    ModelConfig c_;
    int64_t length_;
    std::vector<float> spans_;
};

class AdaptiveSpan final : public Mechanism {
public:
    const char* key() const override { return AdaptiveSpanConfig::kKey; }

    void readConfig(ConfigReader& r, const nlohmann::json& s, ModelConfig& c) const override {
        requireKnownKeys(r, s, key(), {"max_span", "ramp"});
        const std::string w = "headlight.adaptive_span";
        AdaptiveSpanConfig a;
        a.maxSpan = jsonutil::requirePositiveInt(s, "max_span", r.source(), w);
        a.ramp = jsonutil::requireNumber(s, "ramp", r.source(), w);
        if (!(a.ramp > 0) || !std::isfinite(a.ramp)) r.fail("\"" + w + ".ramp\" must be > 0");
        c.mechanisms.set(a);
    }
    nlohmann::json configJson(const ModelConfig& c) const override {
        const AdaptiveSpanConfig& a = *c.mechanism<AdaptiveSpanConfig>();
        return {{"max_span", a.maxSpan}, {"ramp", a.ramp}};
    }

    void declareTensors(const ModelConfig& c, MechanismTensors& t, const std::string& prefix,
                        const TensorVisitor& slot) const override {
        TensorSlot s{&t.slot(kFraction), prefix + kFraction, {c.nHead}, Init::ones()};   // the full span
        s.mechanism = true;
        slot(s);
    }

    // Context probabilities soft-masked by distance, then context and extra keys renormalised together.
    bool worksInRowBlocks() const override { return true; }   // the mask depends on i - j only
    void reweight(AttentionStep& s) const override {
        const int64_t rows = s.probs.size(-2), cols = s.probs.size(-1);
        s.probs = s.probs * spanMask(*s.config.mechanism<AdaptiveSpanConfig>(), s.tensors[kFraction], s.row0, rows, s.col0, cols).unsqueeze(0);
        auto total = s.probs.sum(-1, true);
        if (s.extraProbs.defined()) total = total + s.extraProbs.sum(-1, true);
        total = total + 1e-8;
        s.probs = s.probs / total;
        if (s.extraProbs.defined()) s.extraProbs = s.extraProbs / total;
    }

    const char* regulariserKey() const override { return "span_lambda"; }
    torch::Tensor regulariser(const MechanismHost& m, const std::vector<LayerCapture>&, double weight) const override {
        return weight * spanPenalty(m);
    }
    // Spans stay in [0, max_span] (span_fraction in [0, 1]) after every step.
    void projectParameters(MechanismHost& m) const override {
        torch::NoGradGuard noGrad;
        for (int l = 0; l < m.config().nLayer; ++l) m.mechanisms(l).slot(kFraction).clamp_(0.0, 1.0);
    }

    void timelineHeads(const MechanismHost& m, std::map<std::string, FloatArray>& out) const override {
        const double maxSpan = m.config().mechanism<AdaptiveSpanConfig>()->maxSpan;
        out[kSpan] = layerGrid(m, [&](const MechanismTensors& t) { return t[kFraction] * maxSpan; });
    }

    double capturedBytesPerLayer(const ModelConfig& c, int64_t) const override { return 1.0 * c.nHead * sizeof(float); }
    void exportLayer(const ModelConfig& c, const MechanismTensors& t, const LayerCapture&, LayerTrace& lt) const override {
        lt[kSpan] = toArray((t[kFraction] * c.mechanism<AdaptiveSpanConfig>()->maxSpan).detach());
    }

    nlohmann::json describe(const MechanismHost& m) const override {
        const ModelConfig& c = m.config();
        nlohmann::json j = configJson(c), spans = nlohmann::json::array();
        for (int l = 0; l < c.nLayer; ++l)
            spans.push_back(toArray((m.mechanisms(l)[kFraction] * c.mechanism<AdaptiveSpanConfig>()->maxSpan).detach()).toVector());
        j["span"] = spans;
        return j;
    }

    std::vector<MechanismMetric> metrics() const override {
        return {{"span", "Attention span", "tokens", [](const Trace& t, const ModelConfig& c) { return perHeadGrid(t, c, kSpan); }}};
    }
    std::unique_ptr<MechanismReportSection> report(const ModelConfig& c, const ReportTask& task) const override {
        return std::make_unique<SpanReport>(c, task);
    }
};

} // namespace

const Mechanism& adaptiveSpan() {
    static const AdaptiveSpan m;
    return m;
}

} // namespace headlight
