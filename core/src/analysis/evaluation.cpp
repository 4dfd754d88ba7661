// Evaluation on fresh task examples, through the same engine the app and the CLI use.
#include "headlight/objective.h"
#include "headlight/error.h"
#include "headlight/training.h"
#include "mechanisms/mechanism.h"

#include <algorithm>
#include <cmath>
#include <optional>

namespace headlight {

Evaluation evaluate(const Engine& engine, const Task& task, int n, uint64_t seed, const std::vector<int>& contextBudget) {
    requireNextToken(engine.config(), engine.modelDir());
    if (n < 1) throw Error("--n", "must be >= 1");
    std::mt19937_64 rng(seed);
    Evaluation e;
    int64_t hits = 0;
    double lossSum = 0;
    int perfect = 0;
    RunRequest req;
    req.reuseActivations = false;   // many examples: keep the engine's kept run for interactive what-ifs
    req.capture = CaptureSpec::none();
    req.capture.logits = true;
    req.contextBudget = contextBudget;
    for (int k = 0; k < n; ++k) {
        const TaskExample ex = task.sample(rng);
        req.tokenIds = engine.encode(ex.text);
        const Trace t = engine.run(req);
        const int64_t V = t.logits.dim(1);
        bool allRight = true;
        for (size_t i = 0; i < ex.scored.size(); ++i) {
            if (!ex.scored[i]) continue;
            const float* row = t.logits.data() + static_cast<int64_t>(i) * V;
            const int64_t best = std::max_element(row, row + V) - row;
            const bool right = best == req.tokenIds[i + 1];
            hits += right;
            allRight &= right;
            lossSum += t.loss.data()[i];
            ++e.scored;
        }
        perfect += allRight;
    }
    e.examples = n;
    e.accuracy = e.scored ? static_cast<double>(hits) / static_cast<double>(e.scored) : NAN;
    e.loss = e.scored ? lossSum / static_cast<double>(e.scored) : NAN;
    e.exampleAccuracy = static_cast<double>(perfect) / n;
    return e;
}

std::vector<BudgetStep> searchContextBudgets(const Engine& engine, const Task& task, int n, uint64_t seed,
                                             double tolerance, const std::function<void(const BudgetStep&)>& onStep) {
    const ModelConfig& c = engine.config();
    if (!prunesContext(c)) throw Error(engine.modelDir(), "context pruning needs a model with selective attention");
    const int longest = task.maxLength();
    auto step = [&](std::vector<int> budget) {
        BudgetStep s;
        s.budget = std::move(budget);
        for (int k : s.budget) s.memory += std::min(k, longest);
        s.fullMemory = static_cast<int64_t>(c.nLayer) * longest;
        s.evaluation = evaluate(engine, task, n, seed, s.budget);
        return s;
    };
    std::vector<BudgetStep> accepted = {step(std::vector<int>(static_cast<size_t>(c.nLayer), longest))};
    if (onStep) onStep(accepted.back());
    const double floor = accepted.front().evaluation.accuracy - tolerance;
    while (true) {
        std::optional<BudgetStep> best;
        for (int l = 0; l < c.nLayer; ++l) {
            auto budget = accepted.back().budget;
            int& k = budget[static_cast<size_t>(l)];
            if (k <= 1) continue;
            k = std::max(1, k - std::max(1, k / 8));   // shrink by about 12%, at least one token
            BudgetStep candidate = step(budget);
            if (!best || candidate.evaluation.accuracy > best->evaluation.accuracy ||
                (candidate.evaluation.accuracy == best->evaluation.accuracy && candidate.evaluation.loss < best->evaluation.loss))
                best = std::move(candidate);
        }
        if (!best || best->evaluation.accuracy < floor) break;
        accepted.push_back(std::move(*best));
        if (onStep) onStep(accepted.back());
    }
    return accepted;
}

} // namespace headlight
