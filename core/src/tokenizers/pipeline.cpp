// The tokenizer that runs the stages: added tokens out, normalize, added (normalized) tokens out,
// pre-tokenize, model, post-process; decode through the decoder.
#include "tokenizers/pipeline.h"

#include "headlight/error.h"
#include "tokenizers/byte_level.h"
#include "tokenizers/unicode.h"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace headlight::tok {
namespace {

const char* kHexDigits = "0123456789abcdef";

std::string hexByte(unsigned char b) { return std::string("\\x") + kHexDigits[b >> 4] + kHexDigits[b & 15]; }

class PipelineTokenizer final : public Tokenizer {
public:
    PipelineTokenizer(const PipelineTokenizer&) = delete;   // pieces_ points into p_
    PipelineTokenizer& operator=(const PipelineTokenizer&) = delete;
    explicit PipelineTokenizer(PipelineParts parts) : p_(std::move(parts)) {
        checkTokenIds(p_);   // before the tables below are sized by the ids
        int64_t maxId = -1;
        for (const auto& [token, id] : *p_.vocab) maxId = std::max(maxId, id);
        for (const AddedToken& t : p_.added) maxId = std::max(maxId, t.id);
        pieces_.assign(static_cast<size_t>(maxId + 1), std::string_view());
        kinds_.assign(static_cast<size_t>(maxId + 1), Kind::Gap);
        for (const auto& [token, id] : *p_.vocab) {
            auto& kind = kinds_[static_cast<size_t>(id)];
            if (kind != Kind::Gap)
                throw Error(p_.path, "id " + std::to_string(id) + " is used by both " + quotedText(std::string(pieces_[static_cast<size_t>(id)])) +
                                         " and " + quotedText(token));
            kind = Kind::Model;
            pieces_[static_cast<size_t>(id)] = token;
        }
        std::vector<std::string> rawPatterns, normalizedPatterns;
        std::vector<AddedToken> rawTokens, normalizedTokens;
        for (const AddedToken& t : p_.added) {
            // An added token takes precedence over a model token with the same id, as in Hugging Face.
            pieces_[static_cast<size_t>(t.id)] = t.content;
            kinds_[static_cast<size_t>(t.id)] = t.special ? Kind::Special : Kind::Added;
            if (t.normalized) {
                normalizedPatterns.push_back(p_.normalizer ? p_.normalizer->normalize(t.content) : t.content);
                normalizedTokens.push_back(t);
            } else {
                rawPatterns.push_back(t.content);
                rawTokens.push_back(t);
            }
            if (t.special && (t.content == "[MASK]" || t.content == "<mask>")) mask_ = t.id;
        }
        rawMatcher_ = AddedTokenMatcher(std::move(rawPatterns), std::move(rawTokens));
        normalizedMatcher_ = AddedTokenMatcher(std::move(normalizedPatterns), std::move(normalizedTokens));
        if (p_.postProcessor)
            p_.postProcessor->checkIds([this](int64_t id) { return id >= 0 && id < vocabSize() && kinds_[static_cast<size_t>(id)] != Kind::Gap; });
        if (!mask_) {
            for (const char* m : {"[MASK]", "<mask>"}) {
                auto it = p_.vocab->find(m);
                if (it != p_.vocab->end()) {
                    mask_ = it->second;
                    break;
                }
            }
        }
    }

    std::vector<int64_t> encode(const std::string& text, bool addSpecial) const override {
        unicode::validate(text, "text", ErrorInput::Text);
        GrowthBudget budget(text.size());
        std::vector<int64_t> ids;
        for (const Segment& raw : rawMatcher_.split(text)) {
            if (raw.id >= 0) {
                ids.push_back(raw.id);
                continue;
            }
            const std::string slice = text.substr(raw.begin, raw.end - raw.begin);
            const std::string normalized = p_.normalizer ? p_.normalizer->normalize(slice, budget) : slice;
            for (const Segment& seg : normalizedMatcher_.split(normalized)) {
                if (seg.id >= 0) {
                    ids.push_back(seg.id);
                    continue;
                }
                if (seg.begin == seg.end) continue;
                std::vector<Piece> pieces{{normalized.substr(seg.begin, seg.end - seg.begin), raw.begin == 0 && seg.begin == 0}};
                if (p_.preTokenizer) p_.preTokenizer->split(pieces, budget);
                for (const Piece& piece : pieces) p_.model->tokenize(piece.text, ids);
            }
        }
        if (addSpecial && p_.postProcessor) p_.postProcessor->addSpecial(ids);
        return ids;
    }

    std::string tokenPiece(int64_t id) const override { return std::string(pieces_[index(id)]); }

    std::string tokenText(int64_t id) const override {
        const size_t i = index(id);
        const std::string piece(pieces_[i]);
        switch (kinds_[i]) {
        case Kind::Gap: return {};
        case Kind::Special: return piece;
        case Kind::Added: return displayBytes(piece);   // typed text, not vocabulary symbols
        case Kind::Model: break;
        }
        if (p_.display == Display::ByteLevel) {
            std::string bytes;
            return displayBytes(byte_level::toBytes(piece, bytes) ? bytes : piece);
        }
        if (p_.byteFallback && piece.size() == 6 && piece.compare(0, 3, "<0x") == 0 && piece[5] == '>' &&
            std::isxdigit(static_cast<unsigned char>(piece[3])) && std::isxdigit(static_cast<unsigned char>(piece[4])))
            return hexByte(static_cast<unsigned char>(std::stoi(piece.substr(3, 2), nullptr, 16)));
        if (p_.display == Display::Metaspace) return metaspaceDisplay(piece);
        return displayBytes(piece);
    }

    std::string decode(const std::vector<int64_t>& ids, bool skipSpecial) const override {
        std::vector<std::string> tokens;
        tokens.reserve(ids.size());
        size_t bytes = 0;
        for (int64_t id : ids) {
            // Ids without a token are skipped, as Hugging Face does (a model's padded embedding rows).
            if (id < 0 || id >= vocabSize() || kinds_[static_cast<size_t>(id)] == Kind::Gap) continue;
            if (skipSpecial && kinds_[static_cast<size_t>(id)] == Kind::Special) continue;
            tokens.emplace_back(pieces_[static_cast<size_t>(id)]);
            bytes += tokens.back().size() + 1;   // + 1: room for a separator a decoder puts between tokens
        }
        if (!p_.decoder) {
            std::string joined;
            for (size_t i = 0; i < tokens.size(); ++i) joined += (i ? " " : "") + tokens[i];
            return joined;
        }
        GrowthBudget budget(bytes);
        std::string out;
        for (const std::string& t : p_.decoder->decode(std::move(tokens), budget)) out += t;
        return out;
    }

    int64_t vocabSize() const override { return static_cast<int64_t>(pieces_.size()); }
    std::string kind() const override { return p_.kind; }
    bool isSpecial(int64_t id) const override { return kinds_[index(id)] == Kind::Special; }
    std::optional<int64_t> maskTokenId() const override { return mask_; }

private:
    enum class Kind : unsigned char { Gap, Model, Added, Special };

    size_t index(int64_t id) const {
        if (id < 0 || id >= vocabSize()) throw Error(p_.path, "token id " + std::to_string(id) + " is out of range");
        return static_cast<size_t>(id);
    }

    PipelineParts p_;
    // Views of the vocabulary's keys and the added tokens' contents, both owned by p_ and never changed.
    std::vector<std::string_view> pieces_;
    std::vector<Kind> kinds_;
    AddedTokenMatcher rawMatcher_, normalizedMatcher_;
    std::optional<int64_t> mask_;
};

} // namespace

std::string metaspaceAsSpaces(const std::string& text) {
    std::string spaced;
    for (size_t at = 0; at < text.size();) {
        if (text.compare(at, 3, "\xE2\x96\x81") == 0) {
            spaced += ' ';
            at += 3;
        } else {
            spaced += text[at++];
        }
    }
    return spaced;
}

std::string metaspaceDisplay(const std::string& piece) { return displayBytes(metaspaceAsSpaces(piece)); }

std::string stripAsciiWhitespace(const std::string& text) {
    const size_t first = text.find_first_not_of(" \t\n\r\f\v");
    if (first == std::string::npos) return {};
    return text.substr(first, text.find_last_not_of(" \t\n\r\f\v") - first + 1);
}

std::string displayBytes(const std::string& bytes) {
    std::string out;
    for (size_t i = 0; i < bytes.size();) {
        const auto b = static_cast<unsigned char>(bytes[i]);
        const size_t len = unicode::sequenceLength(b);
        const std::string one = bytes.substr(i, len);
        if (b >= 0x80 && (len == 1 || !unicode::isValid(one))) {   // a fragment of a character
            out += hexByte(b);
            ++i;
            continue;
        }
        i += len;
        const char32_t c = unicode::decode(one, "token").front();
        if (c == ' ') out += "\xE2\x90\xA3";                // ␣
        else if (c == '\n') out += "\xE2\x86\xB5";          // ↵
        else if (c == '\t') out += "\xE2\x86\x92";          // →
        else if (c < 0x20 || c == 0x7F) out += hexByte(static_cast<unsigned char>(c));
        else if (c >= 0x80 && c < 0xA0) out += hexByte(static_cast<unsigned char>(c));   // C1 controls
        else out += one;
    }
    return out;
}

std::unique_ptr<Tokenizer> makePipelineTokenizer(PipelineParts parts) {
    return std::make_unique<PipelineTokenizer>(std::move(parts));
}

} // namespace headlight::tok
