#pragma once
// PCRE2 regular expressions in UTF + Unicode-property mode, with the escapes \s \S \w \W \d \D given
// Oniguruma's Unicode meanings (Hugging Face compiles tokenizer.json patterns with Oniguruma).
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace headlight {

class Regex {
public:
    // Throws headlight::Error(source, "...") when the pattern does not compile, or uses PCRE2 syntax that
    // Oniguruma reads otherwise (see translateOnigurumaEscapes). `source` names the file and the component.
    Regex(const std::string& pattern, const std::string& source);
    ~Regex();
    Regex(const Regex&) = delete;
    Regex& operator=(const Regex&) = delete;

    // Byte ranges [start, end) of the successive non-overlapping matches in `text` (valid UTF-8).
    std::vector<std::pair<size_t, size_t>> findAll(const std::string& text) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::string source_, shown_;   // for messages: the file and component, the pattern cut to 40 bytes
};

// The Oniguruma-to-PCRE2 rewrite of the class escapes (exposed for tests). Refuses what PCRE2 would read
// differently from Oniguruma or must never run: \C, \Q...\E, "(*" options and verbs, "(?C" callouts.
std::string translateOnigurumaEscapes(const std::string& pattern, const std::string& source);

} // namespace headlight
