// Decoders: ByteLevel, Metaspace, WordPiece, Replace, ByteFallback, Fuse, Strip, Sequence. Each maps the
// list of token strings to a new list; the tokenizer joins the final list.
#include "tokenizers/byte_level.h"
#include "tokenizers/components.h"
#include "tokenizers/regex.h"

#include "headlight/error.h"

namespace headlight::tok {
namespace {

// Decoders that can lengthen text (Replace; WordPiece's spaces; ByteLevel, whose U+FFFD for a stray byte is
// three bytes) charge the growth budget for what they write; the others only shorten or join.
class ByteLevelDecoder final : public Decoder {
public:
    using Decoder::Decoder;
    std::vector<std::string> decode(std::vector<std::string> tokens, GrowthBudget& budget) const override {
        std::string bytes;
        for (const std::string& t : tokens) {
            std::string b;
            bytes += byte_level::toBytes(t, b) ? b : t;   // tokens outside the alphabet pass through as they are
        }
        std::string text = unicode::fromUtf8Lossy(bytes);
        budget.charge(stage_, text.size());
        return {std::move(text)};
    }
};

class MetaspaceDecoder final : public Decoder {
public:
    MetaspaceDecoder(Stage stage, std::string replacement, bool dropFirst)
        : Decoder(std::move(stage)), replacement_(std::move(replacement)), dropFirst_(dropFirst) {}
    std::vector<std::string> decode(std::vector<std::string> tokens, GrowthBudget&) const override {
        for (size_t i = 0; i < tokens.size(); ++i) {
            std::string out;
            const std::string& t = tokens[i];
            for (size_t at = 0; at < t.size();) {
                if (t.compare(at, replacement_.size(), replacement_) == 0) {
                    if (!(i == 0 && dropFirst_)) out += ' ';
                    at += replacement_.size();
                } else {
                    out += t[at++];
                }
            }
            tokens[i] = out;
        }
        return tokens;
    }

private:
    std::string replacement_;
    bool dropFirst_;   // prepend_scheme other than "never": the first token's marks were added, not typed
};

// Hugging Face's WordPiece cleanup: no space before punctuation and English contractions.
std::string cleanup(std::string s) {
    static const std::pair<const char*, const char*> kRules[] = {
        {" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"}, {" n't", "n't"}, {" 'm", "'m"},
        {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
    for (const auto& [from, to] : kRules) {
        const std::string f = from, t = to;
        std::string out;
        size_t prev = 0;
        for (size_t at = s.find(f); at != std::string::npos; at = s.find(f, prev)) {
            out.append(s, prev, at - prev);
            out += t;
            prev = at + f.size();
        }
        out.append(s, prev, std::string::npos);
        s = std::move(out);
    }
    return s;
}

class WordPieceDecoder final : public Decoder {
public:
    WordPieceDecoder(Stage stage, std::string prefix, bool cleanup) : Decoder(std::move(stage)), prefix_(std::move(prefix)), cleanup_(cleanup) {}
    std::vector<std::string> decode(std::vector<std::string> tokens, GrowthBudget& budget) const override {
        for (size_t i = 0; i < tokens.size(); ++i) {
            std::string& t = tokens[i];
            budget.charge(stage_, t.size() + 1);
            if (i != 0) {
                if (t.compare(0, prefix_.size(), prefix_) == 0) t.erase(0, prefix_.size());
                else t.insert(0, " ");
            }
            if (cleanup_) t = cleanup(t);
        }
        return tokens;
    }

private:
    std::string prefix_;
    bool cleanup_;
};

class ReplaceDecoder final : public Decoder {
public:
    ReplaceDecoder(Stage stage, std::string literal, std::unique_ptr<Regex> regex, std::string content)
        : Decoder(std::move(stage)), literal_(std::move(literal)), regex_(std::move(regex)), content_(std::move(content)) {}
    std::vector<std::string> decode(std::vector<std::string> tokens, GrowthBudget& budget) const override {
        for (std::string& t : tokens) {
            const auto matches = regex_ ? regex_->findAll(t) : literalMatches(t, literal_);
            size_t length = t.size();
            for (const auto& [b, e] : matches) length = length - (e - b) + content_.size();
            budget.charge(stage_, length);
            std::string out;
            out.reserve(length);
            size_t prev = 0;
            for (const auto& [b, e] : matches) {
                out.append(t, prev, b - prev);
                out += content_;
                prev = e;
            }
            out.append(t, prev, std::string::npos);
            t = std::move(out);
        }
        return tokens;
    }

private:
    std::string literal_;
    std::unique_ptr<Regex> regex_;
    std::string content_;
};

// "<0xNN>" -> the byte; false for anything else.
bool byteToken(const std::string& t, char& byte) {
    if (t.size() != 6 || t.compare(0, 3, "<0x") != 0 || t[5] != '>') return false;
    auto hex = [](char c) {
        return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    };
    const int hi = hex(t[3]), lo = hex(t[4]);
    if (hi < 0 || lo < 0) return false;
    byte = static_cast<char>(hi * 16 + lo);
    return true;
}

class ByteFallbackDecoder final : public Decoder {
public:
    using Decoder::Decoder;
    std::vector<std::string> decode(std::vector<std::string> tokens, GrowthBudget&) const override {
        std::vector<std::string> out;
        std::string pending;   // consecutive byte tokens
        size_t pendingCount = 0;
        auto flush = [&] {
            if (pendingCount == 0) return;
            if (unicode::isValid(pending)) out.push_back(pending);
            else for (size_t k = 0; k < pendingCount; ++k) out.push_back("\xEF\xBF\xBD");   // one U+FFFD per byte
            pending.clear();
            pendingCount = 0;
        };
        for (std::string& t : tokens) {
            char b = 0;
            if (byteToken(t, b)) {
                pending += b;
                ++pendingCount;
            } else {
                flush();
                out.push_back(std::move(t));
            }
        }
        flush();
        return out;
    }
};

class FuseDecoder final : public Decoder {
public:
    using Decoder::Decoder;
    std::vector<std::string> decode(std::vector<std::string> tokens, GrowthBudget&) const override {
        std::string all;
        for (const std::string& t : tokens) all += t;
        return {all};
    }
};

class StripDecoder final : public Decoder {
public:
    StripDecoder(Stage stage, char32_t content, size_t start, size_t stop)
        : Decoder(std::move(stage)), content_(content), start_(start), stop_(stop) {}
    std::vector<std::string> decode(std::vector<std::string> tokens, GrowthBudget&) const override {
        for (std::string& t : tokens) {
            const auto cps = unicode::decode(t, "token");
            size_t b = 0, e = cps.size();
            while (b < start_ && b < e && cps[b] == content_) ++b;
            for (size_t k = 0; k < stop_ && e > b && cps[e - 1] == content_; ++k) --e;
            t = unicode::encode(std::vector<char32_t>(cps.begin() + static_cast<long>(b), cps.begin() + static_cast<long>(e)));
        }
        return tokens;
    }

private:
    char32_t content_;
    size_t start_, stop_;
};

class SequenceDecoder final : public Decoder {
public:
    SequenceDecoder(Stage stage, std::vector<std::unique_ptr<Decoder>> parts) : Decoder(std::move(stage)), parts_(std::move(parts)) {}
    std::vector<std::string> decode(std::vector<std::string> tokens, GrowthBudget& budget) const override {
        for (const auto& part : parts_) tokens = part->decode(std::move(tokens), budget);
        return tokens;
    }

private:
    std::vector<std::unique_ptr<Decoder>> parts_;
};

} // namespace

std::unique_ptr<Decoder> makeByteLevelDecoder(Stage stage) { return std::make_unique<ByteLevelDecoder>(std::move(stage)); }
std::unique_ptr<Decoder> makeWordPieceDecoder(Stage stage, const std::string& prefix, bool cleanup) {
    return std::make_unique<WordPieceDecoder>(std::move(stage), prefix, cleanup);
}

std::unique_ptr<Decoder> parseDecoder(const nlohmann::json& j, const std::string& path, const std::string& position) {
    const std::string type = componentType(j, path, "decoder");
    const Options o(j, path, componentLabel("decoder", position, type));
    if (type == "ByteLevel") {
        o.allowOnly({"add_prefix_space", "trim_offsets", "use_regex"});
        return makeByteLevelDecoder(o.stage());
    }
    if (type == "Metaspace") {
        o.allowOnly({"replacement", "prepend_scheme", "split", "add_prefix_space", "str_rep"});
        const std::string replacement = o.string("replacement", "\xE2\x96\x81");
        const std::string scheme = o.has("prepend_scheme") ? o.string("prepend_scheme", {})
                                 : o.boolean("add_prefix_space", true) ? "always" : "never";
        if (scheme != "always" && scheme != "first" && scheme != "never") o.fail("prepend_scheme " + quotedText(scheme) + " is not supported");
        return std::make_unique<MetaspaceDecoder>(o.stage(), replacement, scheme != "never");
    }
    if (type == "WordPiece") {
        o.allowOnly({"prefix", "cleanup"});
        return makeWordPieceDecoder(o.stage(), o.string("prefix", "##"), o.boolean("cleanup", true));
    }
    if (type == "Replace") {
        o.allowOnly({"pattern", "content"});
        std::string literal;
        std::unique_ptr<Regex> regex;
        parsePattern(o, literal, regex);
        return std::make_unique<ReplaceDecoder>(o.stage(), literal, std::move(regex), o.requiredString("content"));
    }
    if (type == "ByteFallback") {
        o.allowOnly({});
        return std::make_unique<ByteFallbackDecoder>(o.stage());
    }
    if (type == "Fuse") {
        o.allowOnly({});
        return std::make_unique<FuseDecoder>(o.stage());
    }
    if (type == "Strip") {
        o.allowOnly({"content", "start", "stop"});
        const auto content = unicode::decode(o.requiredString("content"), path);
        if (content.size() != 1) o.fail("option \"content\" must be one character");
        const int64_t start = o.integer("start", 0), stop = o.integer("stop", 0);
        if (start < 0 || stop < 0) o.fail("options \"start\" and \"stop\" must not be negative");
        return std::make_unique<StripDecoder>(o.stage(), content[0], static_cast<size_t>(start), static_cast<size_t>(stop));
    }
    if (type == "Sequence") {
        o.allowOnly({"decoders"});
        const nlohmann::json& list = o.raw("decoders");
        if (!list.is_array()) o.fail("option \"decoders\" must be a list");
        std::vector<std::unique_ptr<Decoder>> parts;
        for (size_t i = 0; i < list.size(); ++i) parts.push_back(parseDecoder(list[i], path, itemPosition(position, i)));
        return std::make_unique<SequenceDecoder>(o.stage(), std::move(parts));
    }
    throw Error(path, "decoder type " + quotedText(type) + " is not supported");
}

} // namespace headlight::tok
