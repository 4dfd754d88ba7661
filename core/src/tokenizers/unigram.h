#pragma once
// The Unigram model of tokenizer.json (T5's, converted from SentencePiece), as Hugging Face's tokenizers encodes
// with it: the segmentation of highest total score (Viterbi over every vocabulary piece that starts at each
// character), a character no piece covers scored as the unknown token (the lowest score minus 10), runs of
// unknown characters fused into one unknown token, and byte fallback when the file asks for it.
#include "tokenizers/byte_trie.h"
#include "tokenizers/components.h"

#include <memory>
#include <string>
#include <vector>

namespace headlight::tok {

struct UnigramPiece {
    std::string piece;
    double score = 0;
};

class UnigramModel final : public Model {
public:
    // `pieces` in id order; `unkId` < 0: no unknown token (a character no piece covers is then an error naming
    // `path`, as Hugging Face's is).
    UnigramModel(std::vector<UnigramPiece> pieces, int64_t unkId, bool byteFallback, std::string path);
    void tokenize(const std::string& word, std::vector<int64_t>& ids) const override;
    // The Viterbi segmentation of `word` into pieces (unknown stretches fused), as strings.
    std::vector<std::string> segment(const std::string& word) const;

private:
    std::vector<UnigramPiece> pieces_;
    std::unique_ptr<ByteTrie> trie_;
    Vocab ids_;
    int64_t unkId_;
    bool byteFallback_;
    double unkScore_;
    std::string path_;
};

} // namespace headlight::tok
