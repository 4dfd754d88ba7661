#pragma once
// UTF-8 and the Unicode properties the tokenizers need, with the same definitions Hugging Face's
// Rust tokenizers use (Rust's char methods and its unicode crates), so that encodings match exactly.
#include "headlight/error.h"
#include <cstdint>
#include <string>
#include <vector>

namespace headlight::unicode {

// Code points of valid UTF-8; throws headlight::Error(source, "invalid UTF-8 at byte N") otherwise.
std::vector<char32_t> decode(const std::string& utf8, const std::string& source, ErrorInput input = ErrorInput::None);
// Same check without the copy.
void validate(const std::string& utf8, const std::string& source, ErrorInput input = ErrorInput::None);
bool isValid(const std::string& utf8);
void append(std::string& out, char32_t cp);
std::string encode(const std::vector<char32_t>& cps);
// Byte length of the UTF-8 sequence starting with `lead` (1 for anything not a lead byte).
size_t sequenceLength(unsigned char lead);

// Rust's String::from_utf8_lossy: each maximal invalid subsequence becomes U+FFFD.
std::string fromUtf8Lossy(const std::string& bytes);

// Rust's char::is_whitespace (the White_Space property).
bool isWhitespace(char32_t c);
// Unicode general category groups (utf8proc's tables).
bool isPunctuation(char32_t c);        // Pc Pd Ps Pe Pi Pf Po
bool isAsciiPunctuation(char32_t c);   // Rust's is_ascii_punctuation
bool isOther(char32_t c);              // Cc Cf Cs Co Cn
bool isNumeric(char32_t c);            // Nd Nl No (Rust's char::is_numeric)
bool isMarkNonspacing(char32_t c);     // Mn
bool isWordChar(char32_t c);           // letters, marks, decimal digits, connector punctuation

// Normalization forms and Rust's char::to_lowercase applied to every character.
enum class Form { NFC, NFD, NFKC, NFKD };
std::string normalize(const std::string& utf8, Form form);
std::string lowercase(const std::string& utf8);

} // namespace headlight::unicode
