// UTF-8 coding by hand (exact error positions, Rust-compatible lossy decoding); properties and
// normalization from utf8proc.
#include "tokenizers/unicode.h"

#include "headlight/error.h"

#include <cstdlib>
#include <utf8proc.h>

namespace headlight::unicode {
namespace {

// Decodes one code point at `i`; returns its length, or 0 when the bytes there are not valid UTF-8.
size_t decodeAt(const std::string& s, size_t i, char32_t& cp) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > s.size()) return 0;
    uint32_t v = len == 1 ? c : c & (0x7Fu >> len);
    for (size_t k = 1; k < len; ++k) {
        const auto cc = static_cast<unsigned char>(s[i + k]);
        if ((cc & 0xC0) != 0x80) return 0;
        v = v << 6 | (cc & 0x3Fu);
    }
    static const uint32_t kMinCodePoint[] = {0, 0, 0x80, 0x800, 0x10000};   // shorter forms are overlong
    if (v < kMinCodePoint[len] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    cp = v;
    return len;
}

// Byte offset of the first malformed byte for an error message (the continuation byte that breaks a
// sequence, else the lead byte), matching splitUtf8's long-standing messages.
size_t errorByte(const std::string& s, size_t i) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > s.size()) return i;
    for (size_t k = 1; k < len; ++k)
        if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return i + k;
    return i;
}

int category(char32_t c) { return utf8proc_category(static_cast<utf8proc_int32_t>(c)); }

} // namespace

size_t sequenceLength(unsigned char lead) {
    return lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : lead < 0xF8 ? 4 : 1;
}

std::vector<char32_t> decode(const std::string& utf8, const std::string& source, ErrorInput input) {
    std::vector<char32_t> out;
    out.reserve(utf8.size());
    for (size_t i = 0; i < utf8.size();) {
        char32_t cp = 0;
        const size_t len = decodeAt(utf8, i, cp);
        if (len == 0) throw Error(source, "invalid UTF-8 at byte " + std::to_string(errorByte(utf8, i)), input);
        out.push_back(cp);
        i += len;
    }
    return out;
}

void validate(const std::string& utf8, const std::string& source, ErrorInput input) {
    for (size_t i = 0; i < utf8.size();) {
        char32_t cp = 0;
        const size_t len = decodeAt(utf8, i, cp);
        if (len == 0) throw Error(source, "invalid UTF-8 at byte " + std::to_string(errorByte(utf8, i)), input);
        i += len;
    }
}

bool isValid(const std::string& utf8) {
    for (size_t i = 0; i < utf8.size();) {
        char32_t cp = 0;
        const size_t len = decodeAt(utf8, i, cp);
        if (len == 0) return false;
        i += len;
    }
    return true;
}

void append(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

std::string encode(const std::vector<char32_t>& cps) {
    std::string out;
    out.reserve(cps.size());
    for (char32_t c : cps) append(out, c);
    return out;
}

std::string fromUtf8Lossy(const std::string& s) {
    std::string out;
    out.reserve(s.size());
    size_t i = 0;
    while (i < s.size()) {
        char32_t cp = 0;
        const size_t len = decodeAt(s, i, cp);
        if (len > 0) {
            out.append(s, i, len);
            i += len;
            continue;
        }
        // The maximal prefix of a well-formed sequence is replaced as one unit (Unicode's
        // "substitution of maximal subparts", which Rust follows); the second byte's valid range
        // depends on the lead byte.
        const auto lead = static_cast<unsigned char>(s[i]);
        size_t need = 0;
        unsigned char lo = 0x80, hi = 0xBF;
        if (lead >= 0xC2 && lead <= 0xDF) need = 1;
        else if (lead >= 0xE0 && lead <= 0xEF) {
            need = 2;
            if (lead == 0xE0) lo = 0xA0;
            if (lead == 0xED) hi = 0x9F;
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            need = 3;
            if (lead == 0xF0) lo = 0x90;
            if (lead == 0xF4) hi = 0x8F;
        }
        size_t consumed = 1;
        for (size_t k = 0; k < need && i + consumed < s.size(); ++k) {
            const auto b = static_cast<unsigned char>(s[i + consumed]);
            const bool ok = k == 0 ? (b >= lo && b <= hi) : (b & 0xC0) == 0x80;
            if (!ok) break;
            ++consumed;
        }
        out += "\xEF\xBF\xBD";
        i += consumed;
    }
    return out;
}

bool isWhitespace(char32_t c) {
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

bool isPunctuation(char32_t c) {
    switch (category(c)) {
    case UTF8PROC_CATEGORY_PC: case UTF8PROC_CATEGORY_PD: case UTF8PROC_CATEGORY_PS: case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF: case UTF8PROC_CATEGORY_PO:
        return true;
    default:
        return false;
    }
}

bool isAsciiPunctuation(char32_t c) {
    return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) || (c >= 0x7B && c <= 0x7E);
}

bool isOther(char32_t c) {
    switch (category(c)) {
    case UTF8PROC_CATEGORY_CC: case UTF8PROC_CATEGORY_CF: case UTF8PROC_CATEGORY_CS: case UTF8PROC_CATEGORY_CO:
    case UTF8PROC_CATEGORY_CN:
        return true;
    default:
        return false;
    }
}

bool isNumeric(char32_t c) {
    const int cat = category(c);
    return cat == UTF8PROC_CATEGORY_ND || cat == UTF8PROC_CATEGORY_NL || cat == UTF8PROC_CATEGORY_NO;
}

bool isMarkNonspacing(char32_t c) { return category(c) == UTF8PROC_CATEGORY_MN; }

bool isWordChar(char32_t c) {
    switch (category(c)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT: case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_PC:
        return true;
    default:
        return false;
    }
}

std::string normalize(const std::string& utf8, Form form) {
    int options = UTF8PROC_STABLE;
    switch (form) {
    case Form::NFC: options |= UTF8PROC_COMPOSE; break;
    case Form::NFD: options |= UTF8PROC_DECOMPOSE; break;
    case Form::NFKC: options |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT; break;
    case Form::NFKD: options |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT; break;
    }
    utf8proc_uint8_t* result = nullptr;
    const auto n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(utf8.data()),
                                static_cast<utf8proc_ssize_t>(utf8.size()), &result,
                                static_cast<utf8proc_option_t>(options));
    if (n < 0) throw Error("text", std::string("cannot be normalized: ") + utf8proc_errmsg(n), ErrorInput::Text);
    std::string out(reinterpret_cast<const char*>(result), static_cast<size_t>(n));
    std::free(result);
    return out;
}

std::string lowercase(const std::string& utf8) {
    std::string out;
    out.reserve(utf8.size());
    for (char32_t c : decode(utf8, "text", ErrorInput::Text)) {
        // The one unconditional multi-character lowercase mapping (SpecialCasing.txt), which Rust applies
        // and utf8proc's simple mapping does not.
        if (c == 0x130) {
            out += "i\xCC\x87";
            continue;
        }
        append(out, static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c))));
    }
    return out;
}

} // namespace headlight::unicode
