#pragma once
// Added tokens (special or not) are cut out of the text before the model sees it, as Hugging Face's
// AddedVocabulary does: leftmost-longest matches, with single_word, lstrip and rstrip.
#include <cstdint>
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
};

// A stretch of text: either plain text (`id` < 0) or one added token.
struct Segment {
    size_t begin = 0, end = 0;
    int64_t id = -1;
};

class AddedTokenMatcher {
public:
    // `patterns[i]` is matched and yields `ids[i]`; `tokens` gives each one's matching options.
    void add(const std::string& pattern, const AddedToken& token);
    bool empty() const { return patterns_.empty(); }
    // Splits `text` into plain stretches and matched tokens, covering it in order.
    std::vector<Segment> split(const std::string& text) const;

private:
    std::vector<std::string> patterns_;
    std::vector<AddedToken> tokens_;
    std::vector<std::vector<size_t>> byFirstByte_ = std::vector<std::vector<size_t>>(256);
};

} // namespace headlight::tok
