// The mechanism registry, config.json's "headlight" object, and the hooks' shared entry points.
#include "mechanisms/mechanism.h"

#include "mechanisms/adaptive_span.h"
#include "mechanisms/head_gates.h"
#include "mechanisms/persistent_memory.h"
#include "mechanisms/selective_attention.h"
#include "model/config_reader.h"
#include "model/transformer.h"

#include <nlohmann/json.hpp>

namespace headlight {

nlohmann::json Mechanism::describe(const Transformer& m) const { return configJson(m.config()); }

const std::vector<const Mechanism*>& allMechanisms() {
    // Hook order: selective shapes the logits, memory adds keys, span reweights, gates scale the output.
    static const std::vector<const Mechanism*> all = {&selectiveAttention(), &persistentMemory(), &adaptiveSpan(),
                                                      &headGates()};
    return all;
}

std::vector<const Mechanism*> mechanismsOf(const ModelConfig& c) {
    std::vector<const Mechanism*> on;
    for (const Mechanism* m : allMechanisms())
        if (m->enabledIn(c)) on.push_back(m);
    return on;
}

void readMechanisms(ConfigReader& r, ModelConfig& c) {
    if (!r.has("headlight")) return;
    const nlohmann::json& h = r.json().at("headlight");
    if (!h.is_object()) r.fail("\"headlight\" must be an object");
    for (const auto& item : h.items()) {
        const Mechanism* found = nullptr;
        for (const Mechanism* m : allMechanisms())
            if (item.key() == m->key()) found = m;
        if (!found) r.fail("unknown key \"" + item.key() + "\" in \"headlight\"");
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

} // namespace headlight
