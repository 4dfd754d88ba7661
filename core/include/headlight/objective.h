#pragma once
// What a model is scored on. Causal models predict the next token (position t predicts token t+1); BERT
// predicts the tokens at its [MASK] positions. A text typed into the app has no targets for its [MASK]s, so
// BERT's runs carry no loss; analyses score BERT by masking the text's own tokens (maskedTokenExamples).
// docs/pruning.md defines both.
#include "headlight/model_config.h"

#include <cstdint>
#include <string>
#include <vector>

namespace headlight {

enum class Objective { NextToken, MaskedToken };

Objective objectiveOf(const ModelConfig& config);
const char* objectiveName(Objective objective);   // "next token", "masked token"
// Throws headlight::Error naming `what` when the model is not scored on the next token.
void requireNextToken(const ModelConfig& config, const std::string& what);

class Tokenizer;

// An input and what each of its positions is scored on: targets[t] is the token id position t must predict,
// or -1 where nothing is scored. ids.size() == targets.size().
struct ScoredExample {
    std::vector<int64_t> ids;
    std::vector<int64_t> targets;
};

// Next token: position t predicts ids[t+1] where scored[t] (scored has ids.size() - 1 flags).
ScoredExample nextTokenExample(std::vector<int64_t> ids, const std::vector<uint8_t>& scored);
// Masked token (BERT): the maskable tokens of `ids` (not special, not already [MASK]) are split into
// min(n, kMaskGroups) groups by their index among the maskable tokens modulo kMaskGroups; example r replaces
// group r by [MASK] and is scored on the original tokens there. Every maskable token is predicted exactly
// once, with about 1 / kMaskGroups (14%) of the text masked, close to BERT's 15% training rate.
// Throws headlight::Error naming `where` when the tokenizer has no [MASK] token or nothing can be masked.
constexpr int kMaskGroups = 7;
std::vector<ScoredExample> maskedTokenExamples(const std::vector<int64_t>& ids, const Tokenizer& tokenizer,
                                               const std::string& where);

} // namespace headlight
