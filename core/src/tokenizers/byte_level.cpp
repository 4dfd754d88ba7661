// The alphabet: printable Latin-1 bytes map to themselves, the other 68 bytes to U+0100 upwards in order.
#include "tokenizers/byte_level.h"

#include "tokenizers/unicode.h"

#include <array>
#include <unordered_map>

namespace headlight::byte_level {
namespace {

struct Alphabet {
    std::array<std::string, 256> symbolOf;
    std::unordered_map<char32_t, unsigned char> byteOf;
    Alphabet() {
        char32_t next = 0x100;
        for (int b = 0; b < 256; ++b) {
            const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            const char32_t cp = printable ? static_cast<char32_t>(b) : next++;
            unicode::append(symbolOf[static_cast<size_t>(b)], cp);
            byteOf[cp] = static_cast<unsigned char>(b);
        }
    }
};

const Alphabet& alphabet() {
    static const Alphabet a;
    return a;
}

} // namespace

std::string toSymbols(const std::string& bytes) {
    const Alphabet& a = alphabet();
    std::string out;
    out.reserve(bytes.size() * 2);
    for (char b : bytes) out += a.symbolOf[static_cast<unsigned char>(b)];
    return out;
}

size_t symbolsLength(const std::string& bytes) {
    size_t length = bytes.size();
    for (char c : bytes) {
        const auto b = static_cast<unsigned char>(c);
        length += b < 0x21 || b > 0x7E;
    }
    return length;
}

bool toBytes(const std::string& symbols, std::string& bytes) {
    const Alphabet& a = alphabet();
    std::string out;
    for (char32_t c : unicode::decode(symbols, "token")) {
        auto it = a.byteOf.find(c);
        if (it == a.byteOf.end()) return false;
        out += static_cast<char>(it->second);
    }
    bytes = std::move(out);
    return true;
}

} // namespace headlight::byte_level
