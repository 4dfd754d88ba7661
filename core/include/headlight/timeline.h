#pragma once
// A training or fitting run's timeline (timeline.h5 in its folder, docs/trace-format.md): at every logged step
// the losses, the regulariser's coefficient and each head's mechanism state, so the app and figures can replay
// how gates closed and spans shrank.
#include "headlight/array.h"

#include <map>
#include <string>
#include <vector>

namespace headlight {

struct TimelineStep {
    int step = 0;                 // optimizer steps done
    double loss = 0;              // the batch's total loss, regularisers included
    double taskLoss = 0;          // its cross-entropy alone
    double lambda = 0;            // the coefficient of Timeline::lambdaKey's regulariser (0 without one)
    double learningRate = 0;
    // Each head's state after the step, [L,H] each, by its name in traces: head gates "gate_log_alpha",
    // "gate_open_probability" and "gate" (deterministic); adaptive span "span" (tokens).
    std::map<std::string, FloatArray> heads;
};

struct Timeline {
    std::string lambdaKey;        // "l0_lambda", "span_lambda", "selective_epsilon", or "" (no regulariser)
    std::vector<TimelineStep> steps;   // ascending step

    // Atomic; Error naming `path` when it cannot be written.
    void write(const std::string& path) const;
    // Error naming `path` for a missing, damaged or inconsistent file (steps not ascending, shapes that differ).
    static Timeline read(const std::string& path);
    // The steps up to and including `step` (a resumed run drops what came after its checkpoint).
    void truncateAfter(int step);
};

} // namespace headlight
