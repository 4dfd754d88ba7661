#pragma once
// What a model is scored on. Causal models predict the next token (position t predicts token t+1); BERT
// predicts the tokens at its [MASK] positions, which a plain text has no targets for: its runs carry no loss.
#include "headlight/model_config.h"

#include <string>

namespace headlight {

enum class Objective { NextToken, MaskedToken };

Objective objectiveOf(const ModelConfig& config);
const char* objectiveName(Objective objective);   // "next token", "masked token"
// Throws headlight::Error naming `what` when the model is not scored on the next token.
void requireNextToken(const ModelConfig& config, const std::string& what);

} // namespace headlight
