#pragma once
// Internal: what the pruning analyses (pruning.cpp) run on: the engine's model, read-only; the examples in
// batches of rows; each row's loss and right predictions; the head mask as a tensor.
#include "headlight/engine.h"
#include "headlight/pruning.h"

#include <torch/types.h>
#include <utility>
#include <vector>

namespace headlight {

class Transformer;

// Floats one forward pass may hold: bounds rows per batch, since heads x examples can be large. On the CPU,
// larger batches buy nothing (per-op overhead is already amortized) and fresh memory costs page faults, so
// the budget is small there; a GPU wants wide batches.
int64_t floatBudget(const torch::Device& device);
constexpr int64_t kMaxExamplesPerBatch = 64;

// The engine's own model (read-only, so an analysis may run beside the engine's runs).
struct EngineModel {
    const Transformer* model;
    torch::Device device;
};
EngineModel engineModel(const Engine& engine);

struct Batch {
    torch::Tensor ids;       // [B,T] int64, padded with id 0 after each example's end
    torch::Tensor targets;   // [B,T] int64, what each position is scored on; -1 unscored and on padding
};

// Rough floats per batch row of length T: logits and log-softmax, activations, attention maps; with
// gradients, every layer's saved activations count.
int64_t rowCost(const ModelConfig& c, int64_t T, bool withGrad);
std::vector<Batch> makeBatches(const ExampleSet& data, const ModelConfig& c, const torch::Device& device, bool withGrad);
// Per row: L(x), the mean loss over scored positions, and the count of right argmax predictions.
std::pair<torch::Tensor, torch::Tensor> rowStats(const torch::Tensor& logits, const torch::Tensor& targets);
double scoredCount(const Batch& b);
// `headMask` (L*H, empty: all ones) as [L,H] on `device`; Error for a mask of the wrong size or values.
torch::Tensor maskTensor(const std::vector<float>& headMask, const ModelConfig& c, const torch::Device& device);

} // namespace headlight
