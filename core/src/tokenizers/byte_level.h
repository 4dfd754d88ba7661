#pragma once
// GPT-2's byte-to-symbol alphabet: every byte maps to one printable code point ('Ġ' for the space,
// 'Ċ' for the newline), so byte strings become vocabulary keys.
#include <string>

namespace headlight::byte_level {

// Each byte of `bytes` as its symbol, in UTF-8.
std::string toSymbols(const std::string& bytes);
// The length toSymbols(bytes) will have: one byte for each of '!'..'~', two for the others.
size_t symbolsLength(const std::string& bytes);
// Back to bytes; false when `symbols` holds a character outside the alphabet (then `bytes` is unchanged).
bool toBytes(const std::string& symbols, std::string& bytes);

} // namespace headlight::byte_level
