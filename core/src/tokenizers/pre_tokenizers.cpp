// Pre-tokenizers: ByteLevel, Split, Metaspace, BertPreTokenizer, Whitespace, WhitespaceSplit, Digits,
// Punctuation, Sequence.
#include "tokenizers/byte_level.h"
#include "tokenizers/components.h"
#include "tokenizers/regex.h"

#include "headlight/error.h"

#include <algorithm>

namespace headlight::tok {
namespace {

// GPT-2's word pattern (the ByteLevel pre-tokenizer's use_regex).
const char* kGpt2Pattern = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

// Splitting (Split, Digits, Punctuation, ...) only cuts text; ByteLevel (a prefix space, two bytes for each byte
// above 0x7F) and Metaspace (a replacement of up to four bytes for each space, a prefix) lengthen it and charge
// the growth budget for what they write.
class ByteLevelPreTokenizer final : public PreTokenizer {
public:
    ByteLevelPreTokenizer(Stage stage, bool addPrefixSpace, bool useRegex) : PreTokenizer(std::move(stage)), addPrefixSpace_(addPrefixSpace) {
        if (useRegex) regex_ = std::make_unique<Regex>(kGpt2Pattern, stage_.path + ": " + stage_.label);
    }
    void split(std::vector<Piece>& pieces, GrowthBudget& budget) const override {
        std::vector<Piece> out;
        for (Piece p : pieces) {
            if (addPrefixSpace_ && (p.text.empty() || p.text[0] != ' ')) p.text.insert(0, " ");
            if (regex_) splitPiece(p, regex_->findAll(p.text), SplitBehavior::Isolated, false, out);
            else if (!p.text.empty()) out.push_back(p);
        }
        for (Piece& p : out) {
            budget.charge(stage_, byte_level::symbolsLength(p.text));
            p.text = byte_level::toSymbols(p.text);
        }
        pieces = std::move(out);
    }

private:
    bool addPrefixSpace_;
    std::unique_ptr<Regex> regex_;
};

class SplitPreTokenizer final : public PreTokenizer {
public:
    SplitPreTokenizer(Stage stage, std::string literal, std::unique_ptr<Regex> regex, SplitBehavior behavior, bool invert)
        : PreTokenizer(std::move(stage)), literal_(std::move(literal)), regex_(std::move(regex)), behavior_(behavior), invert_(invert) {}
    void split(std::vector<Piece>& pieces, GrowthBudget&) const override {
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
    MetaspacePreTokenizer(Stage stage, std::string replacement, PrependScheme scheme, bool splitOnReplacement)
        : PreTokenizer(std::move(stage)), replacement_(std::move(replacement)), scheme_(scheme), split_(splitOnReplacement) {}
    void split(std::vector<Piece>& pieces, GrowthBudget& budget) const override {
        std::vector<Piece> out;
        for (Piece p : pieces) {
            const size_t spaces = static_cast<size_t>(std::count(p.text.begin(), p.text.end(), ' '));
            budget.charge(stage_, p.text.size() + (spaces + 1) * replacement_.size());
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
    CharacterSplitPreTokenizer(Stage stage, Predicate predicate, SplitBehavior behavior)
        : PreTokenizer(std::move(stage)), predicate_(predicate), behavior_(behavior) {}
    void split(std::vector<Piece>& pieces, GrowthBudget&) const override {
        std::vector<Piece> out;
        for (const Piece& p : pieces) splitPiece(p, characterMatches(p.text, predicate_), behavior_, false, out);
        pieces = std::move(out);
    }

private:
    Predicate predicate_;
    SplitBehavior behavior_;
};

template <class Predicate>
std::unique_ptr<PreTokenizer> splitBy(Stage stage, Predicate predicate, SplitBehavior behavior) {
    return std::make_unique<CharacterSplitPreTokenizer<Predicate>>(std::move(stage), predicate, behavior);
}

bool isPunctuation(char32_t c) { return unicode::isAsciiPunctuation(c) || unicode::isPunctuation(c); }

class SequencePreTokenizer final : public PreTokenizer {
public:
    SequencePreTokenizer(Stage stage, std::vector<std::unique_ptr<PreTokenizer>> parts) : PreTokenizer(std::move(stage)), parts_(std::move(parts)) {}
    void split(std::vector<Piece>& pieces, GrowthBudget& budget) const override {
        for (const auto& part : parts_) part->split(pieces, budget);
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
    o.fail("prepend_scheme " + quotedText(s) + " is not supported");
}

} // namespace

std::unique_ptr<PreTokenizer> makeByteLevelPreTokenizer(Stage stage, bool addPrefixSpace, bool useRegex) {
    return std::make_unique<ByteLevelPreTokenizer>(std::move(stage), addPrefixSpace, useRegex);
}

std::unique_ptr<PreTokenizer> makeBertPreTokenizer(Stage stage) {
    std::vector<std::unique_ptr<PreTokenizer>> parts;
    parts.push_back(splitBy(stage, unicode::isWhitespace, SplitBehavior::Removed));
    parts.push_back(splitBy(stage, isPunctuation, SplitBehavior::Isolated));
    return std::make_unique<SequencePreTokenizer>(std::move(stage), std::move(parts));
}

std::unique_ptr<PreTokenizer> parsePreTokenizer(const nlohmann::json& j, const std::string& path, const std::string& position) {
    const std::string type = componentType(j, path, "pre_tokenizer");
    const Options o(j, path, componentLabel("pre_tokenizer", position, type));
    if (type == "ByteLevel") {
        o.allowOnly({"add_prefix_space", "trim_offsets", "use_regex"});
        return makeByteLevelPreTokenizer(o.stage(), o.boolean("add_prefix_space", true), o.boolean("use_regex", true));
    }
    if (type == "Split") {
        o.allowOnly({"pattern", "behavior", "invert"});
        std::string literal;
        std::unique_ptr<Regex> regex;
        parsePattern(o, literal, regex);
        if (!o.has("behavior")) o.fail("option \"behavior\" is missing");
        return std::make_unique<SplitPreTokenizer>(o.stage(), literal, std::move(regex), parseBehavior(o, "behavior", SplitBehavior::Isolated),
                                                   o.boolean("invert", false));
    }
    if (type == "Metaspace") {
        o.allowOnly({"replacement", "prepend_scheme", "split", "add_prefix_space", "str_rep"});
        const std::string replacement = o.string("replacement", "\xE2\x96\x81");
        if (unicode::decode(replacement, path).size() != 1) o.fail("option \"replacement\" must be one character");
        return std::make_unique<MetaspacePreTokenizer>(o.stage(), replacement, parseScheme(o), o.boolean("split", true));
    }
    if (type == "BertPreTokenizer") {
        o.allowOnly({});
        return makeBertPreTokenizer(o.stage());
    }
    if (type == "Whitespace") {
        o.allowOnly({});
        return std::make_unique<SplitPreTokenizer>(o.stage(), std::string(), std::make_unique<Regex>(R"(\w+|[^\w\s]+)", path + ": " + o.where()),
                                                   SplitBehavior::Removed, true);
    }
    if (type == "WhitespaceSplit") {
        o.allowOnly({});
        return splitBy(o.stage(), unicode::isWhitespace, SplitBehavior::Removed);
    }
    if (type == "Digits") {
        o.allowOnly({"individual_digits"});
        return splitBy(o.stage(), unicode::isNumeric, o.boolean("individual_digits", false) ? SplitBehavior::Isolated : SplitBehavior::Contiguous);
    }
    if (type == "Punctuation") {
        o.allowOnly({"behavior"});
        return splitBy(o.stage(), isPunctuation, parseBehavior(o, "behavior", SplitBehavior::Isolated));
    }
    if (type == "Sequence") {
        o.allowOnly({"pretokenizers"});
        const nlohmann::json& list = o.raw("pretokenizers");
        if (!list.is_array()) o.fail("option \"pretokenizers\" must be a list");
        std::vector<std::unique_ptr<PreTokenizer>> parts;
        for (size_t i = 0; i < list.size(); ++i) parts.push_back(parsePreTokenizer(list[i], path, itemPosition(position, i)));
        return std::make_unique<SequencePreTokenizer>(o.stage(), std::move(parts));
    }
    throw Error(path, "pre_tokenizer type " + quotedText(type) + " is not supported");
}

} // namespace headlight::tok
