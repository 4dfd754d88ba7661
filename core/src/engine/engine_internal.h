#pragma once
// Internal: what the rest of the core may use of an Engine beyond its public API. The pruning analyses run
// the engine's own model (no second copy of the weights) with batched and differentiable head masks.
#include "headlight/engine.h"

#include <torch/torch.h>

namespace headlight {

class Transformer;

// The loaded model; immutable, so it may be used from several threads at once (its forward pass reads only).
const Transformer& modelOf(const Engine& engine);
// The device the model's weights live on.
torch::Device deviceOf(const Engine& engine);

} // namespace headlight
