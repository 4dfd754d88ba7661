// Normalizers: Unicode forms, Lowercase, StripAccents, Strip, Prepend, Replace, BertNormalizer, Sequence, and
// Precompiled (precompiled_normalizer.cpp).
#include "tokenizers/components.h"
#include "tokenizers/regex.h"
#include "tokenizers/unicode.h"

#include "headlight/error.h"

namespace headlight::tok {
namespace {

// The components that can lengthen text charge the budget for what they write (components.h, GrowthBudget):
// before building it when the length is known (Replace, Prepend), else after (the Unicode forms, lower case and
// BERT's padding of CJK characters lengthen text by a bounded factor, so the text built is bounded too).
class FormNormalizer final : public Normalizer {
public:
    FormNormalizer(Stage stage, unicode::Form form) : Normalizer(std::move(stage)), form_(form) {}
    std::string normalize(const std::string& text, GrowthBudget& budget) const override {
        std::string out = unicode::normalize(text, form_);
        budget.charge(stage_, out.size());
        return out;
    }

private:
    unicode::Form form_;
};

class LowercaseNormalizer final : public Normalizer {
public:
    using Normalizer::Normalizer;
    std::string normalize(const std::string& text, GrowthBudget& budget) const override {
        std::string out = unicode::lowercase(text);
        budget.charge(stage_, out.size());
        return out;
    }
};

// Removes non-spacing marks only; tokenizer.json files pair it with NFD/NFKD themselves.
class StripAccentsNormalizer final : public Normalizer {
public:
    using Normalizer::Normalizer;
    std::string normalize(const std::string& text, GrowthBudget&) const override {
        std::string out;
        for (char32_t c : unicode::decode(text, "text", ErrorInput::Text))
            if (!unicode::isMarkNonspacing(c)) unicode::append(out, c);
        return out;
    }
};

class StripNormalizer final : public Normalizer {
public:
    StripNormalizer(Stage stage, bool left, bool right) : Normalizer(std::move(stage)), left_(left), right_(right) {}
    std::string normalize(const std::string& text, GrowthBudget&) const override {
        const auto cps = unicode::decode(text, "text", ErrorInput::Text);
        size_t b = 0, e = cps.size();
        if (left_) while (b < e && unicode::isWhitespace(cps[b])) ++b;
        if (right_) while (e > b && unicode::isWhitespace(cps[e - 1])) --e;
        return unicode::encode(std::vector<char32_t>(cps.begin() + static_cast<long>(b), cps.begin() + static_cast<long>(e)));
    }

private:
    bool left_, right_;
};

class PrependNormalizer final : public Normalizer {
public:
    PrependNormalizer(Stage stage, std::string prefix) : Normalizer(std::move(stage)), prefix_(std::move(prefix)) {}
    std::string normalize(const std::string& text, GrowthBudget& budget) const override {
        if (text.empty()) return text;
        budget.charge(stage_, prefix_.size() + text.size());
        return prefix_ + text;
    }

private:
    std::string prefix_;
};

class ReplaceNormalizer final : public Normalizer {
public:
    ReplaceNormalizer(Stage stage, std::string literal, std::unique_ptr<Regex> regex, std::string content)
        : Normalizer(std::move(stage)), literal_(std::move(literal)), regex_(std::move(regex)), content_(std::move(content)) {}
    std::string normalize(const std::string& text, GrowthBudget& budget) const override {
        const auto found = regex_ ? regex_->findAll(text) : literalMatches(text, literal_);
        size_t length = text.size();
        for (const auto& [b, e] : found) length = length - (e - b) + content_.size();
        budget.charge(stage_, length);
        std::string out;
        out.reserve(length);
        size_t prev = 0;
        for (const auto& [b, e] : found) {
            out.append(text, prev, b - prev);
            out += content_;
            prev = e;
        }
        out.append(text, prev, std::string::npos);
        return out;
    }

private:
    std::string literal_;
    std::unique_ptr<Regex> regex_;
    std::string content_;
};

// The CJK ideograph blocks BERT surrounds with spaces (as Hugging Face's BertNormalizer lists them).
bool isChineseChar(char32_t c) {
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
           (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

class BertNormalizer final : public Normalizer {
public:
    BertNormalizer(Stage stage, bool cleanText, bool chineseChars, bool stripAccents, bool lowercase)
        : Normalizer(std::move(stage)), cleanText_(cleanText), chineseChars_(chineseChars), stripAccents_(stripAccents), lowercase_(lowercase) {}

    std::string normalize(const std::string& text, GrowthBudget& budget) const override {
        std::string out;
        for (char32_t c : unicode::decode(text, "text", ErrorInput::Text)) {
            const bool tabOrNewline = c == '\t' || c == '\n' || c == '\r';
            if (cleanText_) {
                if (c == 0 || c == 0xFFFD || (!tabOrNewline && unicode::isOther(c))) continue;
                if (tabOrNewline || unicode::isWhitespace(c)) c = ' ';
            }
            if (chineseChars_ && isChineseChar(c)) {
                out += ' ';
                unicode::append(out, c);
                out += ' ';
            } else {
                unicode::append(out, c);
            }
        }
        if (stripAccents_) {
            const std::string decomposed = unicode::normalize(out, unicode::Form::NFD);
            out.clear();
            for (char32_t c : unicode::decode(decomposed, "text", ErrorInput::Text))
                if (!unicode::isMarkNonspacing(c)) unicode::append(out, c);
        }
        if (lowercase_) out = unicode::lowercase(out);
        budget.charge(stage_, out.size());
        return out;
    }

private:
    bool cleanText_, chineseChars_, stripAccents_, lowercase_;
};

class SequenceNormalizer final : public Normalizer {
public:
    SequenceNormalizer(Stage stage, std::vector<std::unique_ptr<Normalizer>> parts) : Normalizer(std::move(stage)), parts_(std::move(parts)) {}
    std::string normalize(const std::string& text, GrowthBudget& budget) const override {
        std::string s = text;
        for (const auto& n : parts_) s = n->normalize(s, budget);
        return s;
    }

private:
    std::vector<std::unique_ptr<Normalizer>> parts_;
};

} // namespace

std::unique_ptr<Normalizer> makeBertNormalizer(Stage stage, bool cleanText, bool chineseChars, bool stripAccents, bool lowercase) {
    return std::make_unique<BertNormalizer>(std::move(stage), cleanText, chineseChars, stripAccents, lowercase);
}

// {"String": "..."} or {"Regex": "..."}: the pattern of Replace and Split.
void parsePattern(const Options& o, std::string& literal, std::unique_ptr<Regex>& regex) {
    const nlohmann::json& p = o.raw("pattern");
    if (p.is_object() && p.size() == 1 && p.contains("String") && p.at("String").is_string()) {
        literal = p.at("String").get<std::string>();
    } else if (p.is_object() && p.size() == 1 && p.contains("Regex") && p.at("Regex").is_string()) {
        regex = std::make_unique<Regex>(p.at("Regex").get<std::string>(), o.path() + ": " + o.where());
    } else {
        o.fail("option \"pattern\" must be {\"String\": ...} or {\"Regex\": ...}");
    }
}

std::unique_ptr<Normalizer> parseNormalizer(const nlohmann::json& j, const std::string& path, const std::string& position) {
    const std::string type = componentType(j, path, "normalizer");
    const Options o(j, path, componentLabel("normalizer", position, type));
    if (type == "NFC" || type == "NFD" || type == "NFKC" || type == "NFKD") {
        o.allowOnly({});
        const auto form = type == "NFC" ? unicode::Form::NFC : type == "NFD" ? unicode::Form::NFD
                        : type == "NFKC" ? unicode::Form::NFKC : unicode::Form::NFKD;
        return std::make_unique<FormNormalizer>(o.stage(), form);
    }
    if (type == "Lowercase") {
        o.allowOnly({});
        return std::make_unique<LowercaseNormalizer>(o.stage());
    }
    if (type == "StripAccents") {
        o.allowOnly({});
        return std::make_unique<StripAccentsNormalizer>(o.stage());
    }
    if (type == "Precompiled") {
        o.allowOnly({"precompiled_charsmap"});
        return makePrecompiledNormalizer(o);
    }
    if (type == "Strip") {
        o.allowOnly({"strip_left", "strip_right"});
        return std::make_unique<StripNormalizer>(o.stage(), o.boolean("strip_left", true), o.boolean("strip_right", true));
    }
    if (type == "Prepend") {
        o.allowOnly({"prepend"});
        return std::make_unique<PrependNormalizer>(o.stage(), o.requiredString("prepend"));
    }
    if (type == "Replace") {
        o.allowOnly({"pattern", "content"});
        std::string literal;
        std::unique_ptr<Regex> regex;
        parsePattern(o, literal, regex);
        return std::make_unique<ReplaceNormalizer>(o.stage(), literal, std::move(regex), o.requiredString("content"));
    }
    if (type == "BertNormalizer") {
        o.allowOnly({"clean_text", "handle_chinese_chars", "strip_accents", "lowercase"});
        const bool lowercase = o.boolean("lowercase", true);
        return makeBertNormalizer(o.stage(), o.boolean("clean_text", true), o.boolean("handle_chinese_chars", true),
                                  o.boolean("strip_accents", lowercase), lowercase);
    }
    if (type == "Sequence") {
        o.allowOnly({"normalizers"});
        const nlohmann::json& list = o.raw("normalizers");
        if (!list.is_array()) o.fail("option \"normalizers\" must be a list");
        std::vector<std::unique_ptr<Normalizer>> parts;
        for (size_t i = 0; i < list.size(); ++i) parts.push_back(parseNormalizer(list[i], path, itemPosition(position, i)));
        return std::make_unique<SequenceNormalizer>(o.stage(), std::move(parts));
    }
    throw Error(path, "normalizer type " + quotedText(type) + " is not supported");
}

} // namespace headlight::tok
