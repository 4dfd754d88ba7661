// Mechanism statistics over fresh task examples, from the same traces the app draws: every mechanism of the
// model reports its own section (mechanisms/*.cpp).
#include "headlight/mechanism_report.h"

#include "headlight/error.h"
#include "mechanisms/mechanism.h"

#include <memory>
#include <nlohmann/json.hpp>

namespace headlight {

std::string reportMechanisms(const Engine& engine, const Task& task, int n, uint64_t seed) {
    if (n < 1) throw Error("--n", "must be >= 1");
    const ModelConfig& c = engine.config();
    std::vector<std::pair<const Mechanism*, std::unique_ptr<MechanismReportSection>>> sections;
    const ReportTask about{task.name(), task.maxLength()};
    for (const Mechanism* m : mechanismsOf(c))
        if (auto section = m->report(c, about)) sections.emplace_back(m, std::move(section));
    std::mt19937_64 rng(seed);
    RunRequest req;
    req.reuseActivations = false;   // many examples: keep the engine's kept run for interactive what-ifs
    req.capture = CaptureSpec{};
    req.capture.logits = false;
    for (int k = 0; k < n && !sections.empty(); ++k) {
        const TaskExample ex = task.sample(rng);
        req.tokenIds = engine.encode(ex.text);
        const Trace t = engine.run(req);
        std::vector<int64_t> scored;
        for (size_t i = 0; i < ex.scored.size(); ++i)
            if (ex.scored[i]) scored.push_back(static_cast<int64_t>(i));
        for (auto& [m, section] : sections) section->add(ex.chars, t, scored);
    }
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [m, section] : sections) j[m->key()] = section->result();
    return j.dump();
}

} // namespace headlight
