#include "training/example_encoder.h"

#include "headlight/error.h"

namespace headlight {

ExampleEncoder::ExampleEncoder(const std::string& modelDir, const Task& task, const ModelConfig& config)
    : tokenizer_(loadTokenizer(modelDir)), vocabPath_(modelDir + "/vocab.json"), vocabSize_(config.vocabSize),
      nPositions_(config.nPositions) {
    if (!tokenizer_) throw Error(modelDir, "has no tokenizer files (training needs vocab.json, tokenizer.json or vocab.txt)");
    if (tokenizer_->kind() == "char") {
        if (tokenizer_->vocabSize() != config.vocabSize)
            throw Error(vocabPath_, "has " + std::to_string(tokenizer_->vocabSize()) + " tokens but config.json says vocab_size = " +
                                        std::to_string(config.vocabSize));
        std::vector<std::string> characters;
        for (int64_t i = 0; i < tokenizer_->vocabSize(); ++i) characters.push_back(tokenizer_->tokenText(i));
        useCharacters(characters, task);
        return;
    }
    // Hugging Face checkpoints often pad the embedding beyond the tokenizer's ids, never the other way.
    if (tokenizer_->vocabSize() > config.vocabSize)
        throw Error(modelDir, "the tokenizer (" + tokenizer_->kind() + ") has ids up to " + std::to_string(tokenizer_->vocabSize() - 1) +
                                  " but config.json says vocab_size = " + std::to_string(config.vocabSize));
    if (task.name() != "text")
        throw Error(modelDir, "has a " + tokenizer_->kind() + " tokenizer: its tokens do not align with the characters the \"" +
                                  task.name() + "\" task scores; train it on the \"text\" task (every next token scored)");
}

ExampleEncoder::ExampleEncoder(const std::vector<std::string>& characters, const Task& task, const ModelConfig& config)
    : vocabPath_("vocab.json"), vocabSize_(config.vocabSize), nPositions_(config.nPositions) {
    useCharacters(characters, task);
}

void ExampleEncoder::useCharacters(const std::vector<std::string>& characters, const Task& task) {
    for (size_t i = 0; i < characters.size(); ++i) charIds_[characters[i]] = static_cast<int64_t>(i);
    auto caret = charIds_.find("^");
    if (caret == charIds_.end()) throw Error(vocabPath_, "lacks '^', which starts every task example");
    pad_ = caret->second;
    // A task draws its examples from its alphabet, so every example is encodable when every letter is.
    for (const auto& ch : splitUtf8(task.alphabet(), "task"))
        if (!charIds_.count(ch)) throw Error(vocabPath_, "the task uses the character '" + ch + "', which the model's vocabulary lacks");
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
