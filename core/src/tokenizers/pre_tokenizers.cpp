// Pre-tokenizers: ByteLevel, Split, Metaspace, BertPreTokenizer, Whitespace, WhitespaceSplit, Digits,
// Punctuation, Sequence.
#include "tokenizers/byte_level.h"
#include "tokenizers/components.h"
#include "tokenizers/regex.h"

#include "headlight/error.h"

namespace headlight::tok {
namespace {

// GPT-2's word pattern (the ByteLevel pre-tokenizer's use_regex).
const char* kGpt2Pattern = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

std::vector<std::pair<size_t, size_t>> literalMatches(const std::string& text, const std::string& literal) {
    std::vector<std::pair<size_t, size_t>> out;
    if (literal.empty()) return out;
    for (size_t at = text.find(literal); at != std::string::npos; at = text.find(literal, at + literal.size()))
        out.emplace_back(at, at + literal.size());
    return out;
}

class ByteLevelPreTokenizer final : public PreTokenizer {
public:
    ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex) : addPrefixSpace_(addPrefixSpace) {
        if (useRegex) regex_ = std::make_unique<Regex>(kGpt2Pattern, "ByteLevel");
    }
    void split(std::vector<Piece>& pieces) const override {
        std::vector<Piece> out;
        for (Piece p : pieces) {
            if (addPrefixSpace_ && (p.text.empty() || p.text[0] != ' ')) p.text.insert(0, " ");
            if (regex_) splitPiece(p, regex_->findAll(p.text), SplitBehavior::Isolated, false, out);
            else if (!p.text.empty()) out.push_back(p);
        }
        for (Piece& p : out) p.text = byte_level::toSymbols(p.text);
        pieces = std::move(out);
    }

private:
    bool addPrefixSpace_;
    std::unique_ptr<Regex> regex_;
};

class SplitPreTokenizer final : public PreTokenizer {
public:
    SplitPreTokenizer(std::string literal, std::unique_ptr<Regex> regex, SplitBehavior behavior, bool invert)
        : literal_(std::move(literal)), regex_(std::move(regex)), behavior_(behavior), invert_(invert) {}
    void split(std::vector<Piece>& pieces) const override {
        std::vector<Piece> out;
        for (const Piece& p : pieces)
            splitPiece(p, regex_ ? regex_->findAll(p.text) : literalMatches(p.text, literal_), behavior_, invert_, out);
        pieces = std::move(out);
    }

private:
    std::string literal_;
    std::unique_ptr<Regex> regex_;
    SplitBehavior behavior_;
    bool invert_;
};

enum class PrependScheme { Always, First, Never };

class MetaspacePreTokenizer final : public PreTokenizer {
public:
    MetaspacePreTokenizer(std::string replacement, PrependScheme scheme, bool splitOnReplacement)
        : replacement_(std::move(replacement)), scheme_(scheme), split_(splitOnReplacement) {}
    void split(std::vector<Piece>& pieces) const override {
        std::vector<Piece> out;
        for (Piece p : pieces) {
            std::string replaced;
            for (char c : p.text) {
                if (c == ' ') replaced += replacement_;
                else replaced += c;
            }
            const bool startsWithReplacement = replaced.compare(0, replacement_.size(), replacement_) == 0;
            if (!startsWithReplacement && (scheme_ == PrependScheme::Always || (scheme_ == PrependScheme::First && p.atStart)))
                replaced.insert(0, replacement_);
            p.text = replaced;
            if (split_) splitPiece(p, literalMatches(p.text, replacement_), SplitBehavior::MergedWithNext, false, out);
            else if (!p.text.empty()) out.push_back(p);
        }
        pieces = std::move(out);
    }

private:
    std::string replacement_;
    PrependScheme scheme_;
    bool split_;
};

// Splits every piece by a character predicate.
template <class Predicate>
class CharacterSplitPreTokenizer final : public PreTokenizer {
public:
    CharacterSplitPreTokenizer(Predicate predicate, SplitBehavior behavior) : predicate_(predicate), behavior_(behavior) {}
    void split(std::vector<Piece>& pieces) const override {
        std::vector<Piece> out;
        for (const Piece& p : pieces) splitPiece(p, characterMatches(p.text, predicate_), behavior_, false, out);
        pieces = std::move(out);
    }

private:
    Predicate predicate_;
    SplitBehavior behavior_;
};

template <class Predicate>
std::unique_ptr<PreTokenizer> splitBy(Predicate predicate, SplitBehavior behavior) {
    return std::make_unique<CharacterSplitPreTokenizer<Predicate>>(predicate, behavior);
}

bool isPunctuation(char32_t c) { return unicode::isAsciiPunctuation(c) || unicode::isPunctuation(c); }

class SequencePreTokenizer final : public PreTokenizer {
public:
    explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> parts) : parts_(std::move(parts)) {}
    void split(std::vector<Piece>& pieces) const override {
        for (const auto& part : parts_) part->split(pieces);
    }

private:
    std::vector<std::unique_ptr<PreTokenizer>> parts_;
};

PrependScheme parseScheme(const Options& o) {
    if (!o.has("prepend_scheme")) return o.boolean("add_prefix_space", true) ? PrependScheme::Always : PrependScheme::Never;
    const std::string s = o.string("prepend_scheme", {});
    if (s == "always") return PrependScheme::Always;
    if (s == "first") return PrependScheme::First;
    if (s == "never") return PrependScheme::Never;
    o.fail("prepend_scheme \"" + s + "\" is not supported");
}

} // namespace

std::unique_ptr<PreTokenizer> makeByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex) {
    return std::make_unique<ByteLevelPreTokenizer>(addPrefixSpace, useRegex);
}

std::unique_ptr<PreTokenizer> makeBertPreTokenizer() {
    std::vector<std::unique_ptr<PreTokenizer>> parts;
    parts.push_back(splitBy(unicode::isWhitespace, SplitBehavior::Removed));
    parts.push_back(splitBy(isPunctuation, SplitBehavior::Isolated));
    return std::make_unique<SequencePreTokenizer>(std::move(parts));
}

std::unique_ptr<PreTokenizer> parsePreTokenizer(const nlohmann::json& j, const std::string& path) {
    const std::string type = componentType(j, path, "pre_tokenizer");
    const Options o(j, path, "pre_tokenizer \"" + type + "\"");
    if (type == "ByteLevel") {
        o.allowOnly({"add_prefix_space", "trim_offsets", "use_regex"});
        return makeByteLevelPreTokenizer(o.boolean("add_prefix_space", true), o.boolean("use_regex", true));
    }
    if (type == "Split") {
        o.allowOnly({"pattern", "behavior", "invert"});
        std::string literal;
        std::unique_ptr<Regex> regex;
        parsePattern(o, literal, regex);
        if (!o.has("behavior")) o.fail("option \"behavior\" is missing");
        return std::make_unique<SplitPreTokenizer>(literal, std::move(regex), parseBehavior(o, "behavior", SplitBehavior::Isolated),
                                                   o.boolean("invert", false));
    }
    if (type == "Metaspace") {
        o.allowOnly({"replacement", "prepend_scheme", "split", "add_prefix_space", "str_rep"});
        const std::string replacement = o.string("replacement", "\xE2\x96\x81");
        if (unicode::decode(replacement, path).size() != 1) o.fail("option \"replacement\" must be one character");
        return std::make_unique<MetaspacePreTokenizer>(replacement, parseScheme(o), o.boolean("split", true));
    }
    if (type == "BertPreTokenizer") {
        o.allowOnly({});
        return makeBertPreTokenizer();
    }
    if (type == "Whitespace") {
        o.allowOnly({});
        return std::make_unique<SplitPreTokenizer>(std::string(), std::make_unique<Regex>(R"(\w+|[^\w\s]+)", "Whitespace"),
                                                   SplitBehavior::Removed, true);
    }
    if (type == "WhitespaceSplit") {
        o.allowOnly({});
        return splitBy(unicode::isWhitespace, SplitBehavior::Removed);
    }
    if (type == "Digits") {
        o.allowOnly({"individual_digits"});
        return splitBy(unicode::isNumeric, o.boolean("individual_digits", false) ? SplitBehavior::Isolated : SplitBehavior::Contiguous);
    }
    if (type == "Punctuation") {
        o.allowOnly({"behavior"});
        return splitBy(isPunctuation, parseBehavior(o, "behavior", SplitBehavior::Isolated));
    }
    if (type == "Sequence") {
        o.allowOnly({"pretokenizers"});
        const nlohmann::json& list = o.raw("pretokenizers");
        if (!list.is_array()) o.fail("option \"pretokenizers\" must be a list");
        std::vector<std::unique_ptr<PreTokenizer>> parts;
        for (const auto& item : list) parts.push_back(parsePreTokenizer(item, path));
        return std::make_unique<SequencePreTokenizer>(std::move(parts));
    }
    throw Error(path, "pre_tokenizer type \"" + type + "\" is not supported");
}

} // namespace headlight::tok
