#pragma once
// Internal: the model an Engine loaded, as the analyses that run it directly see it (the pruning what-ifs run
// batched and differentiable head masks through it, with no second copy of the weights). Engine::loaded()
// hands it out; outside core/src it stays an incomplete type.
#include "model/transformer.h"

#include <memory>
#include <torch/types.h>
#include <torch/utils.h>

namespace headlight {

struct LoadedModel {
    // Immutable once loaded, so several threads may run it at once (its forward pass only reads).
    std::unique_ptr<Transformer> model;
    torch::Device device = torch::kCPU;   // where its weights live
};

} // namespace headlight
