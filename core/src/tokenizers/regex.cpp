// PCRE2 wrapper: compile once (JIT where the platform has it), find all matches.
#include "tokenizers/regex.h"

#include "headlight/error.h"

#include <new>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace headlight {
namespace {

// Oniguruma's Unicode classes: \s is White_Space (which includes U+0085, unlike PCRE2's \s) and \w is
// letters, marks, decimal digits and connector punctuation (PCRE2 10.42's \w lacks marks).
const char* kSpace = "\\p{White_Space}";
const char* kNotSpace = "\\P{White_Space}";
const char* kWordInClass = "\\p{L}\\p{M}\\p{Nd}\\p{Pc}";

// The pattern as messages show it: escaped, at most 40 bytes.
std::string shown(const std::string& pattern) { return "\"" + printableText(pattern, 40) + "\""; }

[[noreturn]] void refuse(const std::string& source, const std::string& pattern, const std::string& what) {
    throw Error(source, "regex " + shown(pattern) + ": " + what + " is not supported (Hugging Face's Oniguruma does not read it as PCRE2 does)");
}

std::string pcre2Message(int code) {
    PCRE2_UCHAR buffer[256];
    pcre2_get_error_message(code, buffer, sizeof buffer);
    return reinterpret_cast<const char*>(buffer);
}

} // namespace

std::string translateOnigurumaEscapes(const std::string& pattern, const std::string& source) {
    std::string out;
    bool inClass = false;
    for (size_t i = 0; i < pattern.size(); ++i) {
        const char c = pattern[i];
        if (c == '\\' && i + 1 < pattern.size()) {
            const char e = pattern[++i];
            switch (e) {
            // \C matches one byte, splitting characters (the next stage would then see invalid UTF-8); \Q...\E
            // quotes in PCRE2 but is a plain Q and E in Oniguruma's Ruby syntax.
            case 'C': refuse(source, pattern, "\\C (one byte of a character)");
            case 'Q': case 'E': refuse(source, pattern, std::string("\\") + e + " (quoting)");
            case 's': out += kSpace; break;
            case 'S': out += kNotSpace; break;
            case 'd': out += "\\p{Nd}"; break;
            case 'D': out += "\\P{Nd}"; break;
            case 'w': out += inClass ? kWordInClass : std::string("[") + kWordInClass + "]"; break;
            case 'W':
                if (inClass) throw Error(source, "regex " + shown(pattern) + ": \\W inside a character class is not supported");
                out += std::string("[^") + kWordInClass + "]";
                break;
            default: out += c; out += e; break;
            }
            continue;
        }
        // "(*" starts PCRE2's pattern options ((*UTF), (*LIMIT_MATCH=1), (*CR)) and verbs ((*SKIP)), "(?C" a
        // callout: none of them exists in Oniguruma, so a file using them would encode differently there.
        if (!inClass && c == '(' && pattern.compare(i, 2, "(*") == 0) refuse(source, pattern, "\"(*\" (a pattern option or verb)");
        if (!inClass && c == '(' && pattern.compare(i, 3, "(?C") == 0) refuse(source, pattern, "\"(?C\" (a callout)");
        if (!inClass && c == '[') {
            inClass = true;
            out += c;
            // A ']' right after '[' or '[^' is a literal, not the end of the class.
            if (i + 1 < pattern.size() && pattern[i + 1] == '^') out += pattern[++i];
            if (i + 1 < pattern.size() && pattern[i + 1] == ']') out += pattern[++i];
            continue;
        }
        if (inClass && c == '[' && i + 1 < pattern.size() && pattern[i + 1] == ':') {
            const size_t close = pattern.find(":]", i + 2);   // POSIX class [:alpha:] inside a class
            if (close != std::string::npos) {
                out.append(pattern, i, close + 2 - i);
                i = close + 1;
                continue;
            }
        }
        if (inClass && c == ']') inClass = false;
        out += c;
    }
    return out;
}

struct Regex::Impl {
    pcre2_code* code = nullptr;
    ~Impl() {
        if (code) pcre2_code_free(code);
    }
};

namespace {

// Match data per call: one tokenizer may encode on several threads at once.
struct MatchData {
    pcre2_match_data* data;
    explicit MatchData(const pcre2_code* code) : data(pcre2_match_data_create_from_pattern(code, nullptr)) {
        if (!data) throw std::bad_alloc();
    }
    ~MatchData() { pcre2_match_data_free(data); }
    MatchData(const MatchData&) = delete;
    MatchData& operator=(const MatchData&) = delete;
};

} // namespace

Regex::Regex(const std::string& pattern, const std::string& source) : impl_(std::make_unique<Impl>()), source_(source), shown_(shown(pattern)) {
    const std::string translated = translateOnigurumaEscapes(pattern, source);
    int errorCode = 0;
    PCRE2_SIZE errorOffset = 0;
    impl_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()), translated.size(),
                                PCRE2_UTF | PCRE2_UCP | PCRE2_NO_UTF_CHECK | PCRE2_NEVER_BACKSLASH_C, &errorCode, &errorOffset,
                                nullptr);
    if (!impl_->code) throw Error(source, "regex " + shown_ + " does not compile: " + pcre2Message(errorCode));
    pcre2_jit_compile(impl_->code, PCRE2_JIT_COMPLETE);   // optional: falls back to the interpreter
}

Regex::~Regex() = default;

std::vector<std::pair<size_t, size_t>> Regex::findAll(const std::string& text) const {
    std::vector<std::pair<size_t, size_t>> out;
    const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    const MatchData match(impl_->code);
    size_t start = 0;
    while (start <= text.size()) {
        const int rc = pcre2_match(impl_->code, subject, text.size(), start, PCRE2_NO_UTF_CHECK, match.data, nullptr);
        if (rc == PCRE2_ERROR_NOMATCH) break;
        // The pattern is what fails here (PCRE2's match limit stops runaway backtracking): name it.
        if (rc < 0) throw Error(source_, "regex " + shown_ + ": matching failed: " + pcre2Message(rc));
        const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(match.data);
        const size_t b = ovector[0], e = ovector[1];
        out.emplace_back(b, e);
        if (e > b) {
            start = e;
        } else {
            // An empty match: step over one whole character so the search moves on.
            if (e >= text.size()) break;
            start = e + 1;
            while (start < text.size() && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) ++start;
        }
    }
    return out;
}

} // namespace headlight
