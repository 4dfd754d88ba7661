#pragma once
// Greedy decoding for encoder-decoder models (Marian, BART, T5): the source encoded once, then the decoder run on
// its own output, the most likely token appended each step, until the end-of-sequence token or a length limit.
// What the app's Translate button and `run --translate` fill the target with.
#include "headlight/engine.h"

#include <cstdint>
#include <functional>
#include <vector>

namespace headlight {

struct Translation {
    std::vector<int64_t> decoderIds;   // the decoder start token, then every token chosen (the end token included)
    bool finished = false;             // the end-of-sequence token was chosen (false: stopped at the limit)
};

// At most `maxNewTokens` tokens after the start token, and never past the model's positions. `progress`, when
// set, is called after each token with the number chosen so far; returning false stops (the tokens so far are
// returned). headlight::Error for a model of one stack or a bad source (named as a run names it).
Translation greedyTranslate(const Engine& engine, const std::vector<int64_t>& sourceIds, int maxNewTokens,
                            const std::function<bool(int)>& progress = {});

} // namespace headlight
