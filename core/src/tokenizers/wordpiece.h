#pragma once
// WordPiece (BERT): greedy longest-match-first pieces, continuations marked with a prefix ("##"); a word
// that cannot be covered, or is too long, becomes the unknown token.
#include "tokenizers/components.h"

#include <unordered_map>

namespace headlight::tok {

class WordPieceModel final : public Model {
public:
    // Throws headlight::Error(path, ...) when `unkToken` is not in the vocabulary.
    WordPieceModel(std::shared_ptr<const Vocab> vocab, const std::string& unkToken,
                   std::string continuingSubwordPrefix, size_t maxInputCharsPerWord, const std::string& path);
    void tokenize(const std::string& word, std::vector<int64_t>& ids) const override;

private:
    std::shared_ptr<const Vocab> vocabHolder_;
    const Vocab& vocab_;
    int64_t unkId_;
    std::string prefix_;
    size_t maxChars_;
};

} // namespace headlight::tok
