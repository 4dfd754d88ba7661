// The mechanism registry (the one list of mechanisms), config.json's "headlight" object, and the hooks' shared
// entry points. A new mechanism is its own file in this folder, its settings header in headlight/mechanisms/,
// and one line in allMechanisms().
#include "mechanisms/mechanism.h"

#include "mechanisms/adaptive_span.h"
#include "mechanisms/head_gates.h"
#include "mechanisms/persistent_memory.h"
#include "mechanisms/selective_attention.h"
#include "checkpoint/config_reader.h"
#include "nn/torch_bridge.h"

#include <nlohmann/json.hpp>

namespace headlight {

nlohmann::json Mechanism::describe(const MechanismHost& m) const { return configJson(m.config()); }

FloatArray layerGrid(const MechanismHost& m, const std::function<torch::Tensor(const MechanismTensors&)>& perLayer) {
    torch::NoGradGuard noGrad;
    const ModelConfig& c = m.config();
    std::vector<float> values;
    for (int l = 0; l < c.nLayer; ++l) {
        const FloatArray row = toArray(perLayer(m.mechanisms(l)).detach().to(torch::kFloat));
        values.insert(values.end(), row.begin(), row.end());
    }
    return FloatArray({c.nLayer, c.nHead}, std::move(values));
}

const std::vector<const Mechanism*>& allMechanisms() {
    // The order views and menus list them in. attend() runs its hooks phase by phase (every mechanism's
    // shapeLogits, then every restrictContext, ...), so within a phase in this order too.
    static const std::vector<const Mechanism*> all = {&headGates(), &adaptiveSpan(), &selectiveAttention(),
                                                      &persistentMemory()};
    return all;
}

std::vector<const Mechanism*> mechanismsOf(const ModelConfig& c) {
    std::vector<const Mechanism*> on;
    for (const Mechanism* m : allMechanisms())
        if (m->enabledIn(c)) on.push_back(m);
    return on;
}

const Mechanism* findMechanism(const std::string& key) {
    for (const Mechanism* m : allMechanisms())
        if (key == m->key()) return m;
    return nullptr;
}

bool prunesContext(const ModelConfig& c) {
    for (const Mechanism* m : mechanismsOf(c))
        if (m->prunesContext()) return true;
    return false;
}

void readMechanisms(ConfigReader& r, ModelConfig& c) {
    if (!r.has("headlight")) return;
    const nlohmann::json& h = r.json().at("headlight");
    if (!h.is_object()) r.fail("\"headlight\" must be an object");
    for (const auto& item : h.items()) {
        if (!findMechanism(item.key())) r.fail("unknown key \"" + item.key() + "\" in \"headlight\"");
        if (!item.value().is_object()) r.fail("\"headlight." + item.key() + "\" must be an object");
    }
    // In registry order, so a mechanism may check the ones read before it.
    for (const Mechanism* m : allMechanisms())
        if (h.contains(m->key())) m->readConfig(r, h.at(m->key()), c);
}

nlohmann::json mechanismsJson(const ModelConfig& c) {
    nlohmann::json h = nlohmann::json::object();
    for (const Mechanism* m : mechanismsOf(c)) h[m->key()] = m->configJson(c);
    return h;
}

void requireKnownKeys(ConfigReader& r, const nlohmann::json& section, const char* mechanism,
                      std::initializer_list<const char*> known) {
    for (const auto& item : section.items()) {
        bool ok = false;
        for (const char* k : known) ok = ok || item.key() == k;
        if (!ok) r.fail("unknown key \"" + item.key() + "\" in \"headlight." + mechanism + "\"");
    }
}

int ModelConfig::extraKeysPerHead() const {
    int keys = 0;
    for (const Mechanism* m : mechanismsOf(*this)) keys += m->extraKeys(*this);
    return keys;
}

bool ModelConfig::hasMlp() const {
    for (const Mechanism* m : mechanismsOf(*this))
        if (m->replacesMlp(*this)) return false;
    return true;
}

torch::Tensor layerGates(const ModelConfig& c, const MechanismTensors& t, torch::Generator* noise) {
    torch::Tensor gates;
    for (const Mechanism* m : mechanismsOf(c))
        if (auto g = m->layerGates(c, t, noise); g.defined()) gates = gates.defined() ? gates * g : g;
    return gates;
}

} // namespace headlight
