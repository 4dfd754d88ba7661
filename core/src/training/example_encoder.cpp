#include "training/example_encoder.h"

#include "headlight/error.h"

namespace headlight {

ExampleEncoder::ExampleEncoder(const std::string& modelDir, const Task& task, const ModelConfig& config)
    : tokenizer_(loadTokenizer(modelDir)), vocabPath_(modelDir + "/vocab.json"), vocabSize_(config.vocabSize),
      nPositions_(config.nPositions) {
    if (!tokenizer_) throw Error(modelDir, "has no tokenizer files (training needs vocab.json, tokenizer.json or vocab.txt)");
    if (tokenizer_->kind() == "char") {
        for (int64_t i = 0; i < tokenizer_->vocabSize(); ++i) charIds_[tokenizer_->tokenText(i)] = i;
        auto caret = charIds_.find("^");
        if (caret == charIds_.end()) throw Error(vocabPath_, "lacks '^', which starts every task example");
        pad_ = caret->second;
        return;
    }
    if (task.name() != "text")
        throw Error(modelDir, "has a " + tokenizer_->kind() + " tokenizer: its tokens do not align with the characters the \"" +
                                  task.name() + "\" task scores; train it on the \"text\" task (every next token scored)");
}

ExampleEncoder::~ExampleEncoder() = default;

ScoredExample ExampleEncoder::encode(const TaskExample& ex) const {
    std::vector<int64_t> ids;
    if (!charIds_.empty()) {
        for (const auto& ch : ex.chars) {
            auto it = charIds_.find(ch);
            if (it == charIds_.end()) throw Error(vocabPath_, "the task uses the character '" + ch + "', which the model's vocabulary lacks");
            ids.push_back(it->second);
        }
        return nextTokenExample(std::move(ids), ex.scored);
    }
    // '^' is the character models' start mark: a real tokenizer adds its own special tokens instead.
    const std::string text = ex.text.rfind('^', 0) == 0 ? ex.text.substr(1) : ex.text;
    ids = tokenizer_->encode(text, true);
    if (static_cast<int64_t>(ids.size()) > nPositions_)
        throw Error("task", "a passage encodes to " + std::to_string(ids.size()) + " tokens, more than the model's " +
                                std::to_string(nPositions_) + " positions; lower the text task's \"context\"");
    for (int64_t id : ids)
        if (id < 0 || id >= vocabSize_)
            throw Error("tokenizer", "gives id " + std::to_string(id) + ", but the model's vocab_size is " + std::to_string(vocabSize_));
    const std::vector<uint8_t> everyPosition(ids.empty() ? 0 : ids.size() - 1, 1);
    return nextTokenExample(std::move(ids), everyPosition);
}

} // namespace headlight
