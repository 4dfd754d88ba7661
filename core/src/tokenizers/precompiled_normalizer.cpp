// The "Precompiled" normalizer of tokenizer.json: SentencePiece's normalisation rules (its precompiled_charsmap,
// base64 in the file) applied as Hugging Face's tokenizers applies them (spm_precompiled): the charsmap is a
// Darts double-array trie of UTF-8 sources whose values index NUL-terminated replacements; the text is read one
// grapheme cluster at a time, a cluster shorter than 6 bytes replaced as a whole by the first (shortest) rule that
// matches its start, otherwise character by character, a character without a rule kept as it is.
#include "tokenizers/components.h"

#include "headlight/error.h"

#include <cstring>
#include <utf8proc.h>

namespace headlight::tok {
namespace {

std::string decodeBase64(const std::string& in, const Options& o) {
    static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    uint32_t bits = 0;
    int count = 0;
    for (char c : in) {
        if (c == '=') break;
        const size_t v = alphabet.find(c);
        if (v == std::string::npos) o.fail("precompiled_charsmap is not base64");
        bits = (bits << 6) | static_cast<uint32_t>(v);
        count += 6;
        if (count >= 8) {
            count -= 8;
            out += static_cast<char>((bits >> count) & 0xFF);
        }
    }
    return out;
}

class PrecompiledNormalizer final : public Normalizer {
public:
    PrecompiledNormalizer(Stage stage, const std::string& charsmap, const Options& o) : Normalizer(std::move(stage)) {
        if (charsmap.size() < 4) o.fail("precompiled_charsmap is too short to hold its trie's size");
        uint32_t trieBytes = 0;
        std::memcpy(&trieBytes, charsmap.data(), 4);   // little-endian, as every machine we build for
        if (trieBytes % 4 != 0 || trieBytes > charsmap.size() - 4) o.fail("precompiled_charsmap's trie size is out of range");
        units_.resize(trieBytes / 4);
        std::memcpy(units_.data(), charsmap.data() + 4, trieBytes);
        replacements_ = charsmap.substr(4 + trieBytes);
        if (units_.empty()) o.fail("precompiled_charsmap has an empty trie");
    }

    std::string normalize(const std::string& text, GrowthBudget& budget) const override {
        const auto points = unicode::decode(text, "text", ErrorInput::Text);
        std::string out;
        size_t at = 0, clusterStart = 0;
        utf8proc_int32_t state = 0;
        for (size_t i = 0; i < points.size(); ++i) {
            const size_t length = unicode::sequenceLength(static_cast<unsigned char>(text[at]));
            at += length;
            const bool last = i + 1 == points.size();
            if (last || utf8proc_grapheme_break_stateful(static_cast<utf8proc_int32_t>(points[i]),
                                                         static_cast<utf8proc_int32_t>(points[i + 1]), &state)) {
                cluster(text.substr(clusterStart, at - clusterStart), out);
                clusterStart = at;
            }
        }
        budget.charge(stage_, out.size());
        return out;
    }

private:
    // The replacement of the shortest rule matching the start of `key`; null when none does.
    const char* transform(const std::string& key) const {
        const size_t size = units_.size();
        size_t node = offset(units_[0]);
        for (unsigned char c : key) {
            if (c == 0) break;
            node ^= c;
            if (node >= size) return nullptr;
            const uint32_t unit = units_[node];
            if ((unit & ((1u << 31) | 0xFF)) != c) return nullptr;
            node ^= offset(unit);
            if (node >= size) return nullptr;
            if ((unit >> 8) & 1) {
                const uint32_t value = units_[node] & ((1u << 31) - 1);
                if (value >= replacements_.size()) return nullptr;
                return replacements_.c_str() + value;   // the string is NUL-terminated: replacements_ ends in '\0'
            }
        }
        return nullptr;
    }
    static size_t offset(uint32_t unit) { return static_cast<size_t>((unit >> 10) << ((unit & (1u << 9)) >> 6)); }

    void cluster(const std::string& grapheme, std::string& out) const {
        if (grapheme.size() < 6) {
            if (const char* replacement = transform(grapheme)) {
                out += replacement;
                return;
            }
        }
        for (size_t at = 0; at < grapheme.size();) {
            const size_t length = unicode::sequenceLength(static_cast<unsigned char>(grapheme[at]));
            const std::string character = grapheme.substr(at, length);
            const char* replacement = transform(character);
            out += replacement ? std::string(replacement) : character;
            at += length;
        }
    }

    std::vector<uint32_t> units_;
    std::string replacements_;
};

} // namespace

std::unique_ptr<Normalizer> makePrecompiledNormalizer(const Options& o) {
    return std::make_unique<PrecompiledNormalizer>(o.stage(), decodeBase64(o.requiredString("precompiled_charsmap"), o), o);
}

} // namespace headlight::tok
