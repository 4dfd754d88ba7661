// Normalizers: Unicode forms, Lowercase, StripAccents, Strip, Prepend, Replace, BertNormalizer, Sequence.
#include "tokenizers/components.h"
#include "tokenizers/regex.h"
#include "tokenizers/unicode.h"

#include "headlight/error.h"

namespace headlight::tok {
namespace {

class FormNormalizer final : public Normalizer {
public:
    explicit FormNormalizer(unicode::Form form) : form_(form) {}
    std::string normalize(const std::string& text) const override { return unicode::normalize(text, form_); }

private:
    unicode::Form form_;
};

class LowercaseNormalizer final : public Normalizer {
public:
    std::string normalize(const std::string& text) const override { return unicode::lowercase(text); }
};

// Removes non-spacing marks only; tokenizer.json files pair it with NFD/NFKD themselves.
class StripAccentsNormalizer final : public Normalizer {
public:
    std::string normalize(const std::string& text) const override {
        std::string out;
        for (char32_t c : unicode::decode(text, "text"))
            if (!unicode::isMarkNonspacing(c)) unicode::append(out, c);
        return out;
    }
};

class StripNormalizer final : public Normalizer {
public:
    StripNormalizer(bool left, bool right) : left_(left), right_(right) {}
    std::string normalize(const std::string& text) const override {
        const auto cps = unicode::decode(text, "text");
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
    explicit PrependNormalizer(std::string prefix) : prefix_(std::move(prefix)) {}
    std::string normalize(const std::string& text) const override { return text.empty() ? text : prefix_ + text; }

private:
    std::string prefix_;
};

class ReplaceNormalizer final : public Normalizer {
public:
    ReplaceNormalizer(std::string literal, std::unique_ptr<Regex> regex, std::string content)
        : literal_(std::move(literal)), regex_(std::move(regex)), content_(std::move(content)) {}
    std::string normalize(const std::string& text) const override {
        std::string out;
        size_t prev = 0;
        for (const auto& [b, e] : matches(text)) {
            out.append(text, prev, b - prev);
            out += content_;
            prev = e;
        }
        out.append(text, prev, std::string::npos);
        return out;
    }

private:
    std::vector<std::pair<size_t, size_t>> matches(const std::string& text) const {
        if (regex_) return regex_->findAll(text);
        std::vector<std::pair<size_t, size_t>> out;
        if (literal_.empty()) return out;
        for (size_t at = text.find(literal_); at != std::string::npos; at = text.find(literal_, at + literal_.size()))
            out.emplace_back(at, at + literal_.size());
        return out;
    }

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
    BertNormalizer(bool cleanText, bool chineseChars, bool stripAccents, bool lowercase)
        : cleanText_(cleanText), chineseChars_(chineseChars), stripAccents_(stripAccents), lowercase_(lowercase) {}

    std::string normalize(const std::string& text) const override {
        std::string out;
        for (char32_t c : unicode::decode(text, "text")) {
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
            for (char32_t c : unicode::decode(decomposed, "text"))
                if (!unicode::isMarkNonspacing(c)) unicode::append(out, c);
        }
        if (lowercase_) out = unicode::lowercase(out);
        return out;
    }

private:
    bool cleanText_, chineseChars_, stripAccents_, lowercase_;
};

class SequenceNormalizer final : public Normalizer {
public:
    explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> parts) : parts_(std::move(parts)) {}
    std::string normalize(const std::string& text) const override {
        std::string s = text;
        for (const auto& n : parts_) s = n->normalize(s);
        return s;
    }

private:
    std::vector<std::unique_ptr<Normalizer>> parts_;
};

} // namespace

std::unique_ptr<Normalizer> makeBertNormalizer(bool cleanText, bool chineseChars, bool stripAccents, bool lowercase) {
    return std::make_unique<BertNormalizer>(cleanText, chineseChars, stripAccents, lowercase);
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

std::unique_ptr<Normalizer> parseNormalizer(const nlohmann::json& j, const std::string& path) {
    const std::string type = componentType(j, path, "normalizer");
    const Options o(j, path, "normalizer \"" + type + "\"");
    if (type == "NFC" || type == "NFD" || type == "NFKC" || type == "NFKD") {
        o.allowOnly({});
        const auto form = type == "NFC" ? unicode::Form::NFC : type == "NFD" ? unicode::Form::NFD
                        : type == "NFKC" ? unicode::Form::NFKC : unicode::Form::NFKD;
        return std::make_unique<FormNormalizer>(form);
    }
    if (type == "Lowercase") {
        o.allowOnly({});
        return std::make_unique<LowercaseNormalizer>();
    }
    if (type == "StripAccents") {
        o.allowOnly({});
        return std::make_unique<StripAccentsNormalizer>();
    }
    if (type == "Strip") {
        o.allowOnly({"strip_left", "strip_right"});
        return std::make_unique<StripNormalizer>(o.boolean("strip_left", true), o.boolean("strip_right", true));
    }
    if (type == "Prepend") {
        o.allowOnly({"prepend"});
        return std::make_unique<PrependNormalizer>(o.requiredString("prepend"));
    }
    if (type == "Replace") {
        o.allowOnly({"pattern", "content"});
        std::string literal;
        std::unique_ptr<Regex> regex;
        parsePattern(o, literal, regex);
        return std::make_unique<ReplaceNormalizer>(literal, std::move(regex), o.requiredString("content"));
    }
    if (type == "BertNormalizer") {
        o.allowOnly({"clean_text", "handle_chinese_chars", "strip_accents", "lowercase"});
        const bool lowercase = o.boolean("lowercase", true);
        return makeBertNormalizer(o.boolean("clean_text", true), o.boolean("handle_chinese_chars", true),
                                  o.boolean("strip_accents", lowercase), lowercase);
    }
    if (type == "Sequence") {
        o.allowOnly({"normalizers"});
        const nlohmann::json& list = o.raw("normalizers");
        if (!list.is_array()) o.fail("option \"normalizers\" must be a list");
        std::vector<std::unique_ptr<Normalizer>> parts;
        for (const auto& item : list) parts.push_back(parseNormalizer(item, path));
        return std::make_unique<SequenceNormalizer>(std::move(parts));
    }
    throw Error(path, "normalizer type \"" + type + "\" is not supported");
}

} // namespace headlight::tok
