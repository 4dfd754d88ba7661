// Leftmost-longest search over a small set of strings, indexed by their first byte.
#include "tokenizers/added_tokens.h"

#include "tokenizers/unicode.h"

#include <algorithm>

namespace headlight::tok {
namespace {

// The code point ending just before byte `at` / starting at byte `at` (text is valid UTF-8).
char32_t codePointBefore(const std::string& text, size_t at) {
    size_t b = at - 1;
    while (b > 0 && (static_cast<unsigned char>(text[b]) & 0xC0) == 0x80) --b;
    return unicode::decode(text.substr(b, at - b), "text").front();
}
char32_t codePointAt(const std::string& text, size_t at) {
    return unicode::decode(text.substr(at, unicode::sequenceLength(static_cast<unsigned char>(text[at]))), "text").front();
}

} // namespace

void AddedTokenMatcher::add(const std::string& pattern, const AddedToken& token) {
    if (pattern.empty()) return;
    byFirstByte_[static_cast<unsigned char>(pattern[0])].push_back(patterns_.size());
    patterns_.push_back(pattern);
    tokens_.push_back(token);
}

std::vector<Segment> AddedTokenMatcher::split(const std::string& text) const {
    std::vector<Segment> out;
    size_t done = 0;   // end of what is already in `out`
    size_t at = 0;
    while (at < text.size()) {
        size_t best = patterns_.size();
        for (size_t k : byFirstByte_[static_cast<unsigned char>(text[at])]) {
            const std::string& p = patterns_[k];
            if (text.compare(at, p.size(), p) == 0 && (best == patterns_.size() || p.size() > patterns_[best].size())) best = k;
        }
        if (best == patterns_.size()) {
            ++at;
            continue;
        }
        const AddedToken& token = tokens_[best];
        size_t start = at, stop = at + patterns_[best].size();
        at = stop;   // the search resumes after this match even when it is discarded
        if (token.singleWord) {
            const bool wordBefore = start > 0 && unicode::isWordChar(codePointBefore(text, start));
            const bool wordAfter = stop < text.size() && unicode::isWordChar(codePointAt(text, stop));
            if (wordBefore || wordAfter) continue;
        }
        if (token.lstrip) {
            size_t s = start;
            while (s > done && unicode::isWhitespace(codePointBefore(text, s))) {
                do --s; while (s > 0 && (static_cast<unsigned char>(text[s]) & 0xC0) == 0x80);
            }
            start = std::max(s, done);
        }
        if (token.rstrip) {
            while (stop < text.size() && unicode::isWhitespace(codePointAt(text, stop)))
                stop += unicode::sequenceLength(static_cast<unsigned char>(text[stop]));
            at = stop;
        }
        if (done < start) out.push_back({done, start, -1});
        out.push_back({start, stop, token.id});
        done = stop;
    }
    if (done < text.size() || out.empty()) out.push_back({done, text.size(), -1});
    return out;
}

} // namespace headlight::tok
