#pragma once
// WordPiece (BERT): greedy longest-match-first pieces, continuations marked with a prefix ("##"); a word
// that cannot be covered, or is longer than max_input_chars_per_word characters, becomes the unknown token.
#include "tokenizers/byte_trie.h"
#include "tokenizers/components.h"

namespace headlight::tok {

class WordPieceModel final : public Model {
public:
    // Throws headlight::Error(path, ...) when `unkToken` is not in the vocabulary.
    WordPieceModel(std::shared_ptr<const Vocab> vocab, const std::string& unkToken,
                   std::string continuingSubwordPrefix, size_t maxInputCharsPerWord, const std::string& path);
    void tokenize(const std::string& word, std::vector<int64_t>& ids) const override;

private:
    std::shared_ptr<const Vocab> vocabHolder_;
    int64_t unkId_;
    size_t maxChars_;
    // The vocabulary as a trie: the longest entry at a position is one walk down it, so a word costs at most
    // its length times the longest entry, whatever max_input_chars_per_word allows.
    std::vector<int64_t> ids_;   // the trie's values are indexes into this
    ByteTrie trie_;
    uint32_t afterPrefix_;       // the node reached by the continuation prefix, or ByteTrie::kNone
};

} // namespace headlight::tok
