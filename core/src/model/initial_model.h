#pragma once
// Internal: the pieces of `init` that training reuses to start a new model without writing it first.
#include "headlight/model_config.h"
#include "model/transformer.h"

#include <cstdint>
#include <string>
#include <vector>

namespace headlight {

// Refuses, naming the config key, sizes whose weights cannot fit in this machine's memory (Error "config").
void checkInitSize(const ModelConfig& config);
// Fresh random weights as init draws them, after checkInitSize; an allocation failure is an Error "config".
Transformer initialModel(const ModelConfig& config, uint64_t seed);
// The character vocabulary init writes: `alphabet`'s characters (Error "--alphabet" when their number is not
// vocab_size or one repeats), else a default alphabet up to 4096 tokens, else none.
std::vector<std::string> initialVocabulary(const ModelConfig& config, const std::string& alphabet);
// vocab.json for `vocab` (id = position), written atomically.
void writeCharacterVocabulary(const std::string& path, const std::vector<std::string>& vocab);

} // namespace headlight
