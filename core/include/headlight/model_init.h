#pragma once
// Random initialisation of a model folder (for tests, benchmarks, and as a training starting point).
#include "headlight/model_config.h"

#include <cstdint>
#include <string>

namespace headlight {

// Writes config.json, model.safetensors and (for vocabularies up to 4096 without a given alphabet) a
// character vocab.json into `outDir`, which is created. GPT-2 initialisation: N(0, 0.02) weights,
// residual projections scaled by 1/sqrt(2L), zero biases, unit LayerNorms; mechanisms start open
// (gate log_alpha = 3), spans at full length, memory N(0, 0.02). Throws headlight::Error.
void initRandomModel(const ModelConfig& config, uint64_t seed, const std::string& outDir,
                     const std::string& alphabet = {});

} // namespace headlight
