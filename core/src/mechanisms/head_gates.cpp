// Hard Concrete / L0 head gates (Voita et al. 2019): config, tensors, the output hook, the L0 regulariser and
// the gate values traces and `info` show.
#include "mechanisms/head_gates.h"

#include "headlight/trace.h"
#include "headlight/training.h"
#include "io/json_util.h"
#include "model/config_reader.h"
#include "model/transformer.h"
#include "nn/torch_bridge.h"

#include <cmath>
#include <nlohmann/json.hpp>

namespace headlight {

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

torch::Tensor l0Penalty(const Transformer& model) {
    const auto& c = model.config();
    auto total = model.gateOpenProbability(0).sum();
    for (int l = 1; l < c.nLayer; ++l) total = total + model.gateOpenProbability(l).sum();
    return total / c.nLayer;
}

torch::Tensor layerGates(const ModelConfig& c, const MechanismTensors& t, torch::Generator* noise) {
    if (!c.headGates) return {};
    return noise ? sampleHardConcrete(*c.headGates, t.gateLogAlpha, *noise) : gateValues(*c.headGates, t.gateLogAlpha);
}

namespace {

class HeadGates final : public Mechanism {
public:
    const char* key() const override { return "head_gates"; }
    bool enabledIn(const ModelConfig& c) const override { return c.headGates.has_value(); }

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
        c.headGates = g;
    }
    nlohmann::json configJson(const ModelConfig& c) const override {
        return {{"temperature", c.headGates->temperature}, {"gamma", c.headGates->gamma}, {"zeta", c.headGates->zeta}};
    }

    void declareTensors(const ModelConfig& c, MechanismTensors& t, const std::string& prefix,
                        const TensorVisitor& slot) const override {
        TensorSlot s{&t.gateLogAlpha, prefix + "gate_log_alpha", {c.nHead}, Init::fill(3.0)};   // open: clamp(..) = 1
        s.mechanism = true;
        slot(s);
    }

    // Each head's output scaled by its gate.
    bool worksInRowBlocks() const override { return true; }   // scaleOutput only
    void scaleOutput(AttentionStep& s) const override {
        if (s.gates.defined()) s.headOutput = s.headOutput * s.gates.view({1, -1, 1, 1});
    }

    torch::Tensor regulariser(const Transformer& m, const ForwardResult&, const TrainConfig& tc) const override {
        return tc.l0Lambda > 0 ? tc.l0Lambda * l0Penalty(m) : torch::Tensor();
    }

    void exportLayer(const Transformer& m, int l, const LayerCapture&, LayerTrace& lt) const override {
        lt.gate = toArray(m.gates(l));
        lt.gateOpenProbability = toArray(m.gateOpenProbability(l));
    }

    nlohmann::json describe(const Transformer& m) const override {
        const ModelConfig& c = m.config();
        nlohmann::json j = configJson(c), gates = nlohmann::json::array(), open = nlohmann::json::array();
        int closed = 0;
        for (int l = 0; l < c.nLayer; ++l) {
            const FloatArray g = toArray(m.gates(l));
            for (float v : g) closed += v == 0.0f;
            gates.push_back(g.toVector());
            open.push_back(toArray(m.gateOpenProbability(l)).toVector());
        }
        j["gate"] = gates;
        j["closed_heads"] = closed;
        j["gate_open_probability"] = open;
        return j;
    }
};

} // namespace

const Mechanism& headGates() {
    static const HeadGates m;
    return m;
}

} // namespace headlight
