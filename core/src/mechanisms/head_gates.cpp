// Hard Concrete / L0 head gates (Voita et al. 2019): config, tensors, the output hook, the L0 regulariser, the
// gate values traces and `info` show, the overview's gate metrics and the report's closed heads.
#include "mechanisms/head_gates.h"

#include "io/json_util.h"
#include "mechanisms/metric_grid.h"
#include "checkpoint/config_reader.h"
#include "nn/torch_bridge.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

namespace headlight {

using head_gates::kGate;
using head_gates::kLogAlpha;
using head_gates::kOpenProbability;

torch::Tensor gateValues(const HeadGatesConfig& g, const torch::Tensor& logAlpha) {
    return torch::clamp(torch::sigmoid(logAlpha) * (g.zeta - g.gamma) + g.gamma, 0.0, 1.0);
}

torch::Tensor sampleHardConcrete(const HeadGatesConfig& g, const torch::Tensor& logAlpha, torch::Generator& gen) {
    // Drawn on the CPU generator, then moved, so a seed gives the same gates on every device.
    auto u = (at::rand(logAlpha.sizes(), gen, torch::TensorOptions().dtype(torch::kFloat)) * (1.0 - 2e-6) + 1e-6)
                 .to(logAlpha.device());
    auto s = torch::sigmoid((torch::log(u) - torch::log(1.0 - u) + logAlpha) / g.temperature);
    return torch::clamp(s * (g.zeta - g.gamma) + g.gamma, 0.0, 1.0);
}

torch::Tensor gateOpenProbability(const HeadGatesConfig& g, const torch::Tensor& logAlpha) {
    return torch::sigmoid(logAlpha - g.temperature * std::log(-g.gamma / g.zeta));
}

torch::Tensor l0Penalty(const MechanismHost& model) {
    const auto& c = model.config();
    const HeadGatesConfig& g = *c.mechanism<HeadGatesConfig>();
    auto total = gateOpenProbability(g, model.mechanisms(0)[kLogAlpha]).sum();
    for (int l = 1; l < c.nLayer; ++l) total = total + gateOpenProbability(g, model.mechanisms(l)[kLogAlpha]).sum();
    return total / c.nLayer;
}

FloatArray gateGrid(const MechanismHost& model) {
    const ModelConfig& c = model.config();
    const HeadGatesConfig* g = c.mechanism<HeadGatesConfig>();
    if (!g) return {};
    std::vector<float> values;
    for (int l = 0; l < c.nLayer; ++l) {
        const FloatArray row = toArray(gateValues(*g, model.mechanisms(l)[kLogAlpha]).detach());
        values.insert(values.end(), row.begin(), row.end());
    }
    return FloatArray({c.nLayer, c.nHead}, std::move(values));
}

namespace {

class HeadGates final : public Mechanism {
public:
    const char* key() const override { return HeadGatesConfig::kKey; }

    void readConfig(ConfigReader& r, const nlohmann::json& s, ModelConfig& c) const override {
        requireKnownKeys(r, s, key(), {"temperature", "gamma", "zeta"});
        const std::string w = "headlight.head_gates";
        HeadGatesConfig g;
        if (s.contains("temperature")) g.temperature = jsonutil::requireNumber(s, "temperature", r.source(), w);
        if (s.contains("gamma")) g.gamma = jsonutil::requireNumber(s, "gamma", r.source(), w);
        if (s.contains("zeta")) g.zeta = jsonutil::requireNumber(s, "zeta", r.source(), w);
        if (!(g.temperature > 0)) r.fail("\"" + w + ".temperature\" must be > 0");
        if (!(g.gamma < 0)) r.fail("\"" + w + ".gamma\" must be < 0 (the stretch must reach below 0)");
        if (!(g.zeta > 1)) r.fail("\"" + w + ".zeta\" must be > 1 (the stretch must reach above 1)");
        c.mechanisms.set(g);
    }
    nlohmann::json configJson(const ModelConfig& c) const override {
        const HeadGatesConfig& g = *c.mechanism<HeadGatesConfig>();
        return {{"temperature", g.temperature}, {"gamma", g.gamma}, {"zeta", g.zeta}};
    }

    void declareTensors(const ModelConfig& c, MechanismTensors& t, const std::string& prefix,
                        const TensorVisitor& slot) const override {
        TensorSlot s{&t.slot(kLogAlpha), prefix + kLogAlpha, {c.nHead}, Init::fill(3.0)};   // open: clamp(..) = 1
        s.mechanism = true;
        slot(s);
    }

    torch::Tensor layerGates(const ModelConfig& c, const MechanismTensors& t, torch::Generator* noise) const override {
        const HeadGatesConfig& g = *c.mechanism<HeadGatesConfig>();
        return noise ? sampleHardConcrete(g, t[kLogAlpha], *noise) : gateValues(g, t[kLogAlpha]);
    }
    // Each head's output scaled by its gate.
    bool worksInRowBlocks() const override { return true; }   // scaleOutput only
    void scaleOutput(AttentionStep& s) const override {
        if (s.gates.defined()) s.headOutput = s.headOutput * s.gates.view({1, -1, 1, 1});
    }

    const char* regulariserKey() const override { return "l0_lambda"; }
    bool needsGateNoise() const override { return true; }
    torch::Tensor regulariser(const MechanismHost& m, const std::vector<LayerCapture>&, double weight) const override {
        return weight * l0Penalty(m);
    }

    void timelineHeads(const MechanismHost& m, std::map<std::string, FloatArray>& out) const override {
        const HeadGatesConfig& g = *m.config().mechanism<HeadGatesConfig>();
        out[kLogAlpha] = layerGrid(m, [](const MechanismTensors& t) { return t[kLogAlpha]; });
        out[kOpenProbability] = layerGrid(m, [&](const MechanismTensors& t) { return gateOpenProbability(g, t[kLogAlpha]); });
        out[kGate] = layerGrid(m, [&](const MechanismTensors& t) { return gateValues(g, t[kLogAlpha]); });
    }

    double capturedBytesPerLayer(const ModelConfig& c, int64_t) const override { return 2.0 * c.nHead * sizeof(float); }
    void exportLayer(const ModelConfig& c, const MechanismTensors& t, const LayerCapture&, LayerTrace& lt) const override {
        const HeadGatesConfig& g = *c.mechanism<HeadGatesConfig>();
        lt[kGate] = toArray(gateValues(g, t[kLogAlpha]).detach());
        lt[kOpenProbability] = toArray(gateOpenProbability(g, t[kLogAlpha]).detach());
    }

    nlohmann::json describe(const MechanismHost& m) const override {
        const ModelConfig& c = m.config();
        const HeadGatesConfig& g = *c.mechanism<HeadGatesConfig>();
        nlohmann::json j = configJson(c), gates = nlohmann::json::array(), open = nlohmann::json::array();
        int closed = 0;
        for (int l = 0; l < c.nLayer; ++l) {
            const FloatArray values = toArray(gateValues(g, m.mechanisms(l)[kLogAlpha]).detach());
            for (float v : values) closed += v == 0.0f;
            gates.push_back(values.toVector());
            open.push_back(toArray(gateOpenProbability(g, m.mechanisms(l)[kLogAlpha]).detach()).toVector());
        }
        j["gate"] = gates;
        j["closed_heads"] = closed;
        j["gate_open_probability"] = open;
        return j;
    }

    std::vector<MechanismMetric> metrics() const override {
        return {{"gate", "Head gate", "", [](const Trace& t, const ModelConfig& c) { return perHeadGrid(t, c, kGate); }},
                {"p_open", "P(gate open)", "",
                 [](const Trace& t, const ModelConfig& c) { return perHeadGrid(t, c, kOpenProbability); }}};
    }
    void markClosedHeads(const LayerTrace& lt, std::vector<bool>& closed) const override {
        const FloatArray& g = lt[kGate];
        if (g.rank() != 1 || g.dim(0) != static_cast<int64_t>(closed.size())) return;
        for (size_t h = 0; h < closed.size(); ++h) closed[h] = closed[h] || g.data()[h] == 0.0f;
    }

    // Gates are parameters: any one run has them.
    class Report final : public MechanismReportSection {
    public:
        void add(const std::vector<std::string>&, const Trace& t, const std::vector<int64_t>&) override {
            if (!gates_.empty()) return;
            for (const auto& layer : t.layers) {
                gates_.insert(gates_.end(), layer[kGate].begin(), layer[kGate].end());
                open_.insert(open_.end(), layer[kOpenProbability].begin(), layer[kOpenProbability].end());
            }
        }
        nlohmann::json result() const override {
            return {{"gates", gates_}, {"p_open", open_},
                    {"closed_heads", std::count(gates_.begin(), gates_.end(), 0.0f)}, {"heads", gates_.size()}};
        }

    private:
        std::vector<float> gates_, open_;
    };
    std::unique_ptr<MechanismReportSection> report(const ModelConfig&, const ReportTask&) const override {
        return std::make_unique<Report>();
    }
};

} // namespace

const Mechanism& headGates() {
    static const HeadGates m;
    return m;
}

} // namespace headlight
