#pragma once
// Internal: how the trainer turns task examples into token ids and targets. A character model maps each
// character to its id, so a task's scored positions carry over one to one. A model with another tokenizer
// (byte-level BPE, SentencePiece BPE, WordPiece: a downloaded checkpoint being fine-tuned) trains on the
// text task's passages, encoded with its own special tokens, every next token scored: the structured tasks
// score characters, which such tokens do not align with.
#include "headlight/model_config.h"
#include "headlight/objective.h"
#include "headlight/tasks.h"
#include "headlight/tokenizer.h"

#include <map>
#include <memory>
#include <string>

namespace headlight {

class ExampleEncoder {
public:
    // The tokenizer of a model folder. Everything that can be known before training is checked here, so that
    // nothing is written for a run that cannot start: throws headlight::Error naming the model folder or its
    // tokenizer file for a missing tokenizer, a vocabulary that does not fit the config's vocab_size (as
    // Engine::load would refuse the result), a task character a character vocabulary lacks, or a structured
    // task on a tokenizer whose tokens are not characters.
    ExampleEncoder(const std::string& modelDir, const Task& task, const ModelConfig& config);
    // A new character model: `characters` is its vocabulary, ids in that order (what init writes as vocab.json).
    ExampleEncoder(const std::vector<std::string>& characters, const Task& task, const ModelConfig& config);
    ~ExampleEncoder();

    ScoredExample encode(const TaskExample& example) const;
    // Fills batch rows after an example's end (never scored).
    int64_t padId() const { return pad_; }
    // True when an example's length in tokens, and so whether it fits the positions, is known only by encoding
    // it (a tokenizer whose tokens are not characters); character models are checked by the constructor.
    bool lengthKnownOnlyByEncoding() const { return charIds_.empty(); }

private:
    void useCharacters(const std::vector<std::string>& characters, const Task& task);

    std::unique_ptr<Tokenizer> tokenizer_;
    std::map<std::string, int64_t> charIds_;   // character models only
    std::string vocabPath_;
    int64_t pad_ = 0;
    int64_t vocabSize_ = 0;
    int64_t nPositions_ = 0;
};

} // namespace headlight
