#pragma once
// Added tokens (special or not) are cut out of the text before the model sees it, as Hugging Face's
// AddedVocabulary does: leftmost-longest matches of an Aho-Corasick automaton, then single_word, lstrip
// and rstrip. Finding the matches costs O(text + total length of the tokens), whatever their number.
#include "tokenizers/byte_trie.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace headlight::tok {

struct AddedToken {
    std::string content;
    int64_t id = 0;
    bool special = false;
    bool singleWord = false;
    bool lstrip = false;
    bool rstrip = false;
    bool normalized = false;
    std::string where;   // names it in messages: "added_tokens[3]", "added_tokens_decoder \"50256\""
};

// A stretch of text: either plain text (`id` < 0) or one added token.
struct Segment {
    size_t begin = 0, end = 0;
    int64_t id = -1;
};

class AddedTokenMatcher {
public:
    // `patterns[i]` is what token `tokens[i]` matches (its content, or its normalized content). Empty
    // patterns never match (Hugging Face ignores empty tokens); of equal patterns the first counts.
    AddedTokenMatcher(std::vector<std::string> patterns, std::vector<AddedToken> tokens);
    AddedTokenMatcher() = default;
    bool empty() const { return patterns_.empty(); }
    // Splits `text` into plain stretches and matched tokens, in order, as Hugging Face's find_matches does
    // (stretches may overlap where an rstrip'ed match's spaces hold the start of the next match).
    std::vector<Segment> split(const std::string& text) const;

private:
    // For each byte of `text`, the index of the longest pattern starting there, or ByteTrie::kNone: the
    // automaton of the reversed patterns run over the text from its end.
    std::vector<uint32_t> longestAt(const std::string& text) const;

    std::vector<std::string> patterns_;
    std::vector<AddedToken> tokens_;
    std::unique_ptr<ByteTrie> reversedTrie_;
};

} // namespace headlight::tok
