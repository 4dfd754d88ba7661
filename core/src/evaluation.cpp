// Evaluation on fresh task examples, through the same engine the app and the CLI use.
#include "headlight/error.h"
#include "headlight/training.h"

#include <cmath>

namespace headlight {

Evaluation evaluate(const Engine& engine, const Task& task, int n, uint64_t seed) {
    if (n < 1) throw Error("--n", "must be >= 1");
    std::mt19937_64 rng(seed);
    Evaluation e;
    int64_t hits = 0;
    double lossSum = 0;
    int perfect = 0;
    RunRequest req;
    req.capture = CaptureSpec::none();
    req.capture.logits = true;
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

} // namespace headlight
