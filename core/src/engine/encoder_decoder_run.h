#pragma once
// Internal: Engine::run for an encoder-decoder model: the request checked, one forward pass of both stacks with
// the three kinds' head masks, and the Trace with the encoder's layers and each decoder layer's cross-attention.
#include "engine/loaded_model.h"
#include "headlight/engine.h"

#include <string>

namespace headlight {

// 1..n_positions source ids, each in the encoder's vocabulary; Error tagged ErrorInput::SourceIds.
void checkSourceIds(const ModelConfig& c, const std::vector<int64_t>& ids);

Trace runEncoderDecoder(const LoadedModel& loaded, const Tokenizer* tokenizer, const std::string& deviceName,
                        const RunRequest& request);

} // namespace headlight
