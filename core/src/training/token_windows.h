#pragma once
// Internal: what `fit --text-file` learns from. A text encoded once by the model's own tokenizer, cut into
// windows of `context` tokens: the last tenth held out for the reported loss (whole windows, at most
// kMaxHeldOutWindows of them), training windows drawn at random offsets from the rest. Causal models predict
// every next token of a window; masked-token models (BERT) predict BERT's 15% of masked tokens (docs/fitting.md).
#include "headlight/model_config.h"
#include "headlight/objective.h"
#include "headlight/tokenizer.h"

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace headlight {

class TokenWindows {
public:
    static constexpr int kMaxHeldOutWindows = 64;
    static constexpr double kMaskRate = 0.15;   // BERT's: of these 80% [MASK], 10% a random token, 10% unchanged

    // Reads and encodes `textFile` with the tokenizer of `modelDir`. Throws headlight::Error naming the file (or
    // "--context") for a missing tokenizer, an empty file, a text shorter than two windows (one to learn from,
    // one held out), ids beyond the model's vocab_size, a context beyond its positions, or (masked-token models)
    // a tokenizer without [MASK].
    TokenWindows(const std::string& modelDir, const std::string& textFile, int context, const ModelConfig& config);
    ~TokenWindows();

    // One training window, drawn with `rng`: the model's input and what each position is scored on.
    ScoredExample sample(std::mt19937_64& rng) const;
    // The held-out windows, every one scored as evaluate scores text (masked-token: each token masked once).
    std::vector<ScoredExample> heldOut() const;
    int64_t padId() const { return pad_; }
    int64_t trainingTokens() const { return static_cast<int64_t>(split_); }
    int64_t heldOutTokens() const { return static_cast<int64_t>(ids_.size() - split_); }

private:
    std::vector<int64_t> window(size_t start, size_t length) const;

    std::unique_ptr<Tokenizer> tokenizer_;
    std::vector<int64_t> ids_;            // the whole text, no special tokens
    std::vector<int64_t> prefix_, suffix_;   // the tokenizer's own around every window ([CLS] / [SEP], <s>, '^')
    size_t split_ = 0;                    // ids_[0, split_) trains, the rest is held out
    size_t body_ = 0;                     // text tokens per window (next token: one more, for the last target)
    bool masked_ = false;
    int64_t mask_ = -1, vocabSize_ = 0, pad_ = 0;
    std::vector<int64_t> maskable_;       // ids a masked position may be replaced by at random (not special)
};

} // namespace headlight
