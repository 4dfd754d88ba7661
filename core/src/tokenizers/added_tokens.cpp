// Leftmost-longest search for many strings at once. The longest pattern starting at each byte comes from one
// Aho-Corasick pass over the text from its end, with the patterns reversed: a pattern starting at byte i of
// the text is a reversed pattern ending there in the reversed text. The matches are then taken left to right,
// each search resuming where the last match ended, exactly as the leftmost-longest iterator Hugging Face uses.
#include "tokenizers/added_tokens.h"

#include "tokenizers/unicode.h"

#include <algorithm>
#include <string_view>

namespace headlight::tok {
namespace {

bool isContinuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// The code point ending just before byte `at` / starting at byte `at` (text is valid UTF-8).
char32_t codePointBefore(const std::string& text, size_t at) {
    size_t b = at - 1;
    while (b > 0 && isContinuation(text[b])) --b;
    return unicode::decode(text.substr(b, at - b), "text", ErrorInput::Text).front();
}
char32_t codePointAt(const std::string& text, size_t at) {
    return unicode::decode(text.substr(at, unicode::sequenceLength(static_cast<unsigned char>(text[at]))), "text", ErrorInput::Text).front();
}

// Where the run of whitespace starting at a byte ends. Remembers the last run, so that rstrip over one long
// run of spaces (hit by many matches inside it) walks it once.
class WhitespaceRuns {
public:
    explicit WhitespaceRuns(const std::string& text) : text_(text) {}
    size_t endFrom(size_t at) {
        if (at >= runBegin_ && at <= runEnd_) return runEnd_;
        size_t end = at;
        while (end < text_.size() && unicode::isWhitespace(codePointAt(text_, end)))
            end += unicode::sequenceLength(static_cast<unsigned char>(text_[end]));
        runBegin_ = at;
        runEnd_ = end;
        return end;
    }

private:
    const std::string& text_;
    size_t runBegin_ = 1, runEnd_ = 0;   // empty: nothing remembered yet
};

} // namespace

AddedTokenMatcher::AddedTokenMatcher(std::vector<std::string> patterns, std::vector<AddedToken> tokens)
    : patterns_(std::move(patterns)), tokens_(std::move(tokens)) {
    std::vector<std::string_view> keys(patterns_.begin(), patterns_.end());
    reversedTrie_ = std::make_unique<ByteTrie>(keys, true);
    reversedTrie_->addFailureLinks();
}

std::vector<uint32_t> AddedTokenMatcher::longestAt(const std::string& text) const {
    std::vector<uint32_t> longest(text.size(), ByteTrie::kNone);
    uint32_t state = ByteTrie::root();
    for (size_t i = text.size(); i-- > 0;) {
        state = reversedTrie_->next(state, static_cast<unsigned char>(text[i]));
        longest[i] = reversedTrie_->longestKey(state);
    }
    return longest;
}

std::vector<Segment> AddedTokenMatcher::split(const std::string& text) const {
    if (text.empty() || patterns_.empty()) return {{0, text.size(), -1}};
    const std::vector<uint32_t> longest = longestAt(text);
    WhitespaceRuns whitespace(text);
    std::vector<Segment> out;
    size_t done = 0;   // Hugging Face's start_offset: the end of the last token taken
    for (size_t at = 0; at < text.size();) {
        const uint32_t k = longest[at];
        if (k == ByteTrie::kNone) {
            ++at;
            continue;
        }
        const AddedToken& token = tokens_[k];
        size_t start = at, stop = at + patterns_[k].size();
        at = stop;   // the search resumes after the match, even when it is discarded or strips spaces
        if (token.singleWord) {
            const bool wordBefore = start > 0 && unicode::isWordChar(codePointBefore(text, start));
            const bool wordAfter = stop < text.size() && unicode::isWordChar(codePointAt(text, stop));
            if (wordBefore || wordAfter) continue;
        }
        if (token.lstrip) {
            // Back over the spaces before the match, but not into what an earlier token took.
            size_t s = start;
            while (s > done && unicode::isWhitespace(codePointBefore(text, s))) {
                do --s; while (s > 0 && isContinuation(text[s]));
            }
            start = std::max(s, done);
        }
        if (token.rstrip) stop = whitespace.endFrom(stop);
        if (done < start) out.push_back({done, start, -1});
        // A match whose text an earlier rstrip took entirely is left empty by lstrip: Hugging Face drops empty
        // pieces, the token with them (and its split panics where lstrip moves the start past the end).
        if (start < stop) out.push_back({start, stop, token.id});
        done = stop;
    }
    if (done != text.size()) out.push_back({done, text.size(), -1});
    return out;
}

} // namespace headlight::tok
