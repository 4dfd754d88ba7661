#pragma once
// Internal: where a training run's examples come from and how they are batched: a task's generator through the
// example encoder, or windows of a text file (TokenWindows), drawn on the CPU with the run's data generator so a
// seed gives the same batches on every device.
#include "headlight/tasks.h"
#include "training/example_encoder.h"
#include "training/token_windows.h"

#include <cstdint>
#include <memory>
#include <random>
#include <torch/types.h>

namespace headlight {

struct Batch {
    torch::Tensor ids;       // [B,T] padded with the source's pad id
    torch::Tensor targets;   // [B,T] what each position predicts, -1 unscored (and on padding)
    int64_t tokens = 0;
};

struct ExampleSource {
    std::unique_ptr<Task> task;
    std::unique_ptr<ExampleEncoder> encoder;
    std::unique_ptr<TokenWindows> windows;

    ScoredExample draw(std::mt19937_64& rng) const { return windows ? windows->sample(rng) : encoder->encode(task->sample(rng)); }
    int64_t padId() const { return windows ? windows->padId() : encoder->padId(); }
};

// `size` examples drawn with `rng`, padded to the longest.
Batch makeBatch(const ExampleSource& source, std::mt19937_64& rng, int size);

// With a tokenizer whose tokens are not characters, only encoding a passage tells whether it fits the model's
// positions and vocabulary. So every example the run will draw is drawn and encoded once before anything is
// written, from a copy of the data generator (training then draws the same ones); an error names the task or
// the tokenizer. The cost is one more encoding of the run's text, small beside its forward and backward passes.
void checkEveryExample(const ExampleSource& source, std::mt19937_64 rng, int64_t examples);

} // namespace headlight
