// Adaptive attention span (Sukhbaatar et al. 2019): config, the span tensor, the reweighting hook, the span
// regulariser and the spans traces and `info` show.
#include "mechanisms/adaptive_span.h"

#include "headlight/trace.h"
#include "headlight/training.h"
#include "io/json_util.h"
#include "model/config_reader.h"
#include "model/transformer.h"
#include "nn/torch_bridge.h"

#include <cmath>
#include <nlohmann/json.hpp>

namespace headlight {

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

torch::Tensor spanPenalty(const Transformer& model) {
    const auto& c = model.config();
    auto total = model.mechanisms(0).spanFraction.mean();
    for (int l = 1; l < c.nLayer; ++l) total = total + model.mechanisms(l).spanFraction.mean();
    return total * c.adaptiveSpan->maxSpan;
}

namespace {

class AdaptiveSpan final : public Mechanism {
public:
    const char* key() const override { return "adaptive_span"; }
    bool enabledIn(const ModelConfig& c) const override { return c.adaptiveSpan.has_value(); }

    void readConfig(ConfigReader& r, const nlohmann::json& s, ModelConfig& c) const override {
        requireKnownKeys(r, s, key(), {"max_span", "ramp"});
        const std::string w = "headlight.adaptive_span";
        AdaptiveSpanConfig a;
        a.maxSpan = jsonutil::requirePositiveInt(s, "max_span", r.source(), w);
        a.ramp = jsonutil::requireNumber(s, "ramp", r.source(), w);
        if (!(a.ramp > 0) || !std::isfinite(a.ramp)) r.fail("\"" + w + ".ramp\" must be > 0");
        c.adaptiveSpan = a;
    }
    nlohmann::json configJson(const ModelConfig& c) const override {
        return {{"max_span", c.adaptiveSpan->maxSpan}, {"ramp", c.adaptiveSpan->ramp}};
    }

    void declareTensors(const ModelConfig& c, MechanismTensors& t, const std::string& prefix,
                        const TensorVisitor& slot) const override {
        TensorSlot s{&t.spanFraction, prefix + "span_fraction", {c.nHead}, Init::ones()};   // the full span
        s.mechanism = true;
        slot(s);
    }

    // Context probabilities soft-masked by distance, then context and extra keys renormalised together.
    bool worksInRowBlocks() const override { return true; }   // the mask depends on i - j only
    void reweight(AttentionStep& s) const override {
        const int64_t rows = s.probs.size(-2), cols = s.probs.size(-1);
        s.probs = s.probs * spanMask(*s.config.adaptiveSpan, s.tensors.spanFraction, s.row0, rows, s.col0, cols).unsqueeze(0);
        auto total = s.probs.sum(-1, true);
        if (s.extraProbs.defined()) total = total + s.extraProbs.sum(-1, true);
        total = total + 1e-8;
        s.probs = s.probs / total;
        if (s.extraProbs.defined()) s.extraProbs = s.extraProbs / total;
    }

    torch::Tensor regulariser(const Transformer& m, const ForwardResult&, const TrainConfig& tc) const override {
        return tc.spanLambda > 0 ? tc.spanLambda * spanPenalty(m) : torch::Tensor();
    }
    // Spans stay in [0, max_span] (span_fraction in [0, 1]) after every step.
    void projectParameters(Transformer& m) const override {
        torch::NoGradGuard noGrad;
        for (int l = 0; l < m.config().nLayer; ++l) m.mechanisms(l).spanFraction.clamp_(0.0, 1.0);
    }

    void exportLayer(const Transformer& m, int l, const LayerCapture&, LayerTrace& lt) const override {
        lt.span = toArray(m.spans(l));
    }

    nlohmann::json describe(const Transformer& m) const override {
        nlohmann::json j = configJson(m.config()), spans = nlohmann::json::array();
        for (int l = 0; l < m.config().nLayer; ++l) spans.push_back(toArray(m.spans(l)).toVector());
        j["span"] = spans;
        return j;
    }
};

} // namespace

const Mechanism& adaptiveSpan() {
    static const AdaptiveSpan m;
    return m;
}

} // namespace headlight
