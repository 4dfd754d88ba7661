#pragma once
// What a model's mechanisms do on a task, measured on fresh examples: each mechanism reports its own section
// (closed gates; learned spans and the attention FLOPs that span trimming saves; what selective attention
// masks; the share of attention that goes to persistent memory). `headlight-cli evaluate` prints it; the
// sample model cards quote it.
#include "headlight/engine.h"
#include "headlight/tasks.h"

#include <cstdint>
#include <string>

namespace headlight {

// Runs `n` fresh examples (seed `seed`) with full capture and returns a JSON object with one key per mechanism
// the model has (its config key: "head_gates", ...), each its section (docs/training.md lists the fields).
// Throws headlight::Error as evaluate() does.
std::string reportMechanisms(const Engine& engine, const Task& task, int n, uint64_t seed);

} // namespace headlight
