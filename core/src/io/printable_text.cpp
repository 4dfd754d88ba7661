// printableText (headlight/error.h): every message that echoes user text passes through it.
#include "headlight/error.h"

#include <cstdint>

namespace headlight {
namespace {

// Length of the valid UTF-8 sequence starting at s[i] (1..4), or 0 when the bytes there are not one.
size_t utf8SequenceLength(const std::string& s, size_t i) {
    const auto b = static_cast<unsigned char>(s[i]);
    size_t len = 0;
    uint32_t cp = 0;
    if (b < 0x80) return 1;
    if ((b & 0xE0) == 0xC0) { len = 2; cp = b & 0x1Fu; }
    else if ((b & 0xF0) == 0xE0) { len = 3; cp = b & 0x0Fu; }
    else if ((b & 0xF8) == 0xF0) { len = 4; cp = b & 0x07u; }
    else return 0;
    if (i + len > s.size()) return 0;
    for (size_t k = 1; k < len; ++k) {
        const auto c = static_cast<unsigned char>(s[i + k]);
        if ((c & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (c & 0x3Fu);
    }
    const uint32_t smallest[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < smallest[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;   // overlong, surrogate
    if (cp >= 0x80 && cp <= 0x9F) return 0;   // C1 controls (0x9B is a terminal's CSI): escaped like bytes
    return len;
}

std::string hexEscape(unsigned char b) {
    const char* digits = "0123456789abcdef";
    return std::string("\\x") + digits[b >> 4] + digits[b & 15];
}

} // namespace

std::string printableText(const std::string& text, std::size_t maxBytes) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size();) {
        if (maxBytes && out.size() >= maxBytes) {
            out += "...";
            break;
        }
        const auto b = static_cast<unsigned char>(text[i]);
        const size_t len = utf8SequenceLength(text, i);
        if (len == 0) {
            // An invalid byte, or a C1 control: escape each byte of it.
            const bool c1 = b == 0xC2 && i + 1 < text.size() && (static_cast<unsigned char>(text[i + 1]) & 0xE0) == 0x80;
            const size_t n = c1 ? 2 : 1;
            for (size_t k = 0; k < n; ++k) out += hexEscape(static_cast<unsigned char>(text[i + k]));
            i += n;
            continue;
        }
        if (len == 1 && (b < 0x20 || b == 0x7F)) {
            if (b == '\n') out += "\\n";
            else if (b == '\r') out += "\\r";
            else if (b == '\t') out += "\\t";
            else out += hexEscape(b);
        } else {
            out.append(text, i, len);
        }
        i += len;
    }
    return out;
}

} // namespace headlight
