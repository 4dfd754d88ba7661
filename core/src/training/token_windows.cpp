#include "training/token_windows.h"

#include "headlight/error.h"
#include "io/json_util.h"

#include <algorithm>

namespace headlight {
TokenWindows::TokenWindows(const std::string& modelDir, const std::string& textFile, int context, const ModelConfig& config)
    : tokenizer_(loadTokenizer(modelDir)), masked_(!config.causal), vocabSize_(config.vocabSize) {
    if (!tokenizer_) throw Error(modelDir, "has no tokenizer files to encode --text-file with (vocab.json, tokenizer.json or vocab.txt)");
    if (tokenizer_->vocabSize() > config.vocabSize)
        throw Error(modelDir, "the tokenizer (" + tokenizer_->kind() + ") has ids up to " + std::to_string(tokenizer_->vocabSize() - 1) +
                                  " but config.json says vocab_size = " + std::to_string(config.vocabSize));
    if (context > config.nPositions)
        throw Error("--context", std::to_string(context) + " tokens is more than the model's " + std::to_string(config.nPositions) + " positions");
    // The tokenizer's own marks around every window: what encode() adds to an empty text ([CLS] [SEP], <s>), and
    // the '^' that starts every text of Headlight's character models.
    const std::vector<int64_t> marks = tokenizer_->encode("", true);
    if (tokenizer_->kind() == "char") {
        const auto caret = tokenizer_->encode("^", false);
        if (caret.size() == 1) prefix_ = caret;
    } else if (masked_ && marks.size() >= 2) {
        prefix_.assign(marks.begin(), marks.end() - 1);
        suffix_ = {marks.back()};
    } else {
        prefix_ = marks;
    }
    const int64_t around = static_cast<int64_t>(prefix_.size() + suffix_.size()) + (masked_ ? 0 : 1);
    if (context - around < 1)
        throw Error("--context", "must be at least " + std::to_string(around + 1) + " tokens (the tokenizer's own marks and one of the text)");
    body_ = static_cast<size_t>(context - around + (masked_ ? 0 : 1));

    const std::string text = jsonutil::readTextFile(textFile, jsonutil::kMaxTextFileBytes);
    ids_ = tokenizer_->encode(text, false);
    for (int64_t id : ids_)
        if (id < 0 || id >= vocabSize_)
            throw Error(textFile, "encodes to id " + std::to_string(id) + ", beyond the model's vocab_size " + std::to_string(vocabSize_));
    if (ids_.empty()) throw Error(textFile, "is empty after encoding; fitting needs text");
    if (ids_.size() < 2 * body_)
        throw Error(textFile, "encodes to " + std::to_string(ids_.size()) + " tokens, fewer than two windows of " + std::to_string(body_) +
                                  " (one to fit on, one held out); give a longer text or a smaller --context");
    // The last tenth (at least one window) is held out.
    const size_t held = std::max(body_, ids_.size() / 10);
    split_ = ids_.size() - held;
    if (split_ < body_) split_ = body_;

    pad_ = ids_.front();
    if (masked_) {
        const auto mask = tokenizer_->maskTokenId();
        if (!mask) throw Error(modelDir, "the tokenizer has no [MASK] token, which fitting a masked-token model needs");
        mask_ = *mask;
        for (int64_t id = 0; id < tokenizer_->vocabSize(); ++id)
            if (!tokenizer_->isSpecial(id)) maskable_.push_back(id);
        if (maskable_.empty()) throw Error(modelDir, "the tokenizer has no ordinary token to mask with");
    }
}

TokenWindows::~TokenWindows() = default;

std::vector<int64_t> TokenWindows::window(size_t start, size_t length) const {
    std::vector<int64_t> w = prefix_;
    w.insert(w.end(), ids_.begin() + static_cast<std::ptrdiff_t>(start), ids_.begin() + static_cast<std::ptrdiff_t>(start + length));
    w.insert(w.end(), suffix_.begin(), suffix_.end());
    return w;
}

ScoredExample TokenWindows::sample(std::mt19937_64& rng) const {
    const size_t start = std::uniform_int_distribution<size_t>(0, split_ - body_)(rng);
    std::vector<int64_t> w = window(start, body_);
    ScoredExample ex;
    if (!masked_) {
        ex.targets.assign(w.begin() + 1, w.end());   // position t predicts token t + 1
        w.pop_back();
        ex.ids = std::move(w);
        return ex;
    }
    // BERT's recipe: each text token is chosen with probability 15% (at least one per window); a chosen token
    // becomes [MASK] 80% of the time, a random ordinary token 10%, and stays 10%; chosen tokens are scored.
    ex.targets.assign(w.size(), -1);
    const size_t first = prefix_.size(), last = w.size() - suffix_.size();
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::uniform_int_distribution<size_t> any(0, maskable_.size() - 1);
    bool chosenAny = false;
    for (size_t t = first; t < last; ++t) {
        const bool forced = !chosenAny && t + 1 == last;
        if (!forced && !(u(rng) < kMaskRate)) continue;
        chosenAny = true;
        ex.targets[t] = w[t];
        const double r = u(rng);
        if (r < 0.8) w[t] = mask_;
        else if (r < 0.9) w[t] = maskable_[any(rng)];
    }
    ex.ids = std::move(w);
    return ex;
}

std::vector<ScoredExample> TokenWindows::heldOut() const {
    std::vector<ScoredExample> out;
    for (size_t start = split_; start + body_ <= ids_.size() && out.size() < kMaxHeldOutWindows; start += body_) {
        std::vector<int64_t> w = window(start, body_);
        if (masked_) {
            for (auto& ex : maskedTokenExamples(w, *tokenizer_, "--text-file")) out.push_back(std::move(ex));
            continue;
        }
        ScoredExample ex;
        ex.targets.assign(w.begin() + 1, w.end());
        w.pop_back();
        ex.ids = std::move(w);
        out.push_back(std::move(ex));
    }
    return out;
}

} // namespace headlight
