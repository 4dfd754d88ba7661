// Character-level tokenizer (vocab.json maps each character to an id) and the display-only BPE vocabulary.
#include "headlight/tokenizer.h"

#include "headlight/error.h"
#include "io/json_util.h"

#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unordered_map>

namespace headlight {
namespace {

bool fileExists(const std::string& path) {
    struct stat st {};
    return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// id -> text table shared by both vocabularies; validates ids are 0..V-1 without gaps or repeats.
std::vector<std::string> inverseVocab(const nlohmann::json& vocab, const std::string& path) {
    std::vector<std::string> byId(vocab.size());
    std::vector<bool> seen(vocab.size(), false);
    for (const auto& item : vocab.items()) {
        if (!item.value().is_number_integer())
            throw Error(path, "the id of \"" + item.key() + "\" is not an integer");
        const auto id = item.value().get<int64_t>();
        if (id < 0 || id >= static_cast<int64_t>(vocab.size()))
            throw Error(path, "id " + std::to_string(id) + " of \"" + item.key() + "\" is outside 0.." +
                                  std::to_string(vocab.size() - 1) + " (ids must be dense)");
        if (seen[static_cast<size_t>(id)]) throw Error(path, "id " + std::to_string(id) + " is used twice");
        seen[static_cast<size_t>(id)] = true;
        byId[static_cast<size_t>(id)] = item.key();
    }
    return byId;
}

class CharTokenizer final : public Tokenizer {
public:
    CharTokenizer(std::string path, std::vector<std::string> byId) : path_(std::move(path)), byId_(std::move(byId)) {
        for (size_t i = 0; i < byId_.size(); ++i) {
            if (splitUtf8(byId_[i], path_).size() != 1)
                throw Error(path_, "key \"" + byId_[i] + "\" is not a single character");
            ids_[byId_[i]] = static_cast<int64_t>(i);
        }
    }

    std::vector<int64_t> encode(const std::string& text) const override {
        std::vector<int64_t> ids;
        std::string missing;
        for (const std::string& ch : splitUtf8(text, "text")) {
            auto it = ids_.find(ch);
            if (it == ids_.end()) {
                const std::string shown = ch == "\n" ? "\\n" : ch == "\t" ? "\\t" : ch;
                if (missing.find("'" + shown + "'") == std::string::npos)
                    missing += (missing.empty() ? "'" : ", '") + shown + "'";
                continue;
            }
            ids.push_back(it->second);
        }
        if (!missing.empty())
            throw Error(path_, "text has characters not in the vocabulary: " + missing);
        return ids;
    }

    std::string tokenText(int64_t id) const override {
        if (id < 0 || id >= vocabSize()) throw Error(path_, "token id " + std::to_string(id) + " is out of range");
        return byId_[static_cast<size_t>(id)];
    }
    int64_t vocabSize() const override { return static_cast<int64_t>(byId_.size()); }
    std::string kind() const override { return "char"; }

private:
    std::string path_;
    std::vector<std::string> byId_;
    std::unordered_map<std::string, int64_t> ids_;
};

// A GPT-2 byte-level BPE vocabulary: labels tokens ("Ġthe" shown as " the"); encoding needs the BPE merges,
// which a later release implements, so encode() says so instead of guessing.
class BpeDisplayTokenizer final : public Tokenizer {
public:
    BpeDisplayTokenizer(std::string path, std::vector<std::string> byId) : path_(std::move(path)), byId_(std::move(byId)) {}

    std::vector<int64_t> encode(const std::string&) const override {
        throw Error(path_, "byte-level BPE encoding is not supported yet; pass token ids instead (--ids)");
    }
    std::string tokenText(int64_t id) const override {
        if (id < 0 || id >= vocabSize()) throw Error(path_, "token id " + std::to_string(id) + " is out of range");
        return bytesToDisplay(byId_[static_cast<size_t>(id)]);
    }
    int64_t vocabSize() const override { return static_cast<int64_t>(byId_.size()); }
    std::string kind() const override { return "bpe-display-only"; }
    bool canEncode() const override { return false; }

private:
    // GPT-2 maps bytes to printable code points; the two that matter for reading are space and newline.
    static std::string bytesToDisplay(const std::string& s) {
        std::string out;
        for (size_t i = 0; i < s.size(); ++i) {
            if (s.compare(i, 2, "\xC4\xA0") == 0) { out += ' '; ++i; }        // U+0120 'Ġ' = space
            else if (s.compare(i, 2, "\xC4\x8A") == 0) { out += '\n'; ++i; }  // U+010A 'Ċ' = newline
            else out += s[i];
        }
        return out;
    }

    std::string path_;
    std::vector<std::string> byId_;
};

} // namespace

std::string Tokenizer::decode(const std::vector<int64_t>& ids) const {
    std::string out;
    for (int64_t id : ids) out += tokenText(id);
    return out;
}

std::vector<std::string> splitUtf8(const std::string& text, const std::string& source) {
    std::vector<std::string> chars;
    size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        const size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        if (len == 0 || i + len > text.size())
            throw Error(source, "invalid UTF-8 at byte " + std::to_string(i));
        uint32_t cp = len == 1 ? c : c & (0x7Fu >> len);
        for (size_t k = 1; k < len; ++k) {
            const auto cc = static_cast<unsigned char>(text[i + k]);
            if ((cc & 0xC0) != 0x80) throw Error(source, "invalid UTF-8 at byte " + std::to_string(i + k));
            cp = cp << 6 | (cc & 0x3Fu);
        }
        static const uint32_t kMinCodePoint[] = {0, 0, 0x80, 0x800, 0x10000};   // shorter forms are overlong
        if (cp < kMinCodePoint[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            throw Error(source, "invalid UTF-8 at byte " + std::to_string(i));
        chars.push_back(text.substr(i, len));
        i += len;
    }
    return chars;
}

std::unique_ptr<Tokenizer> loadTokenizer(const std::string& modelDir) {
    const std::string path = modelDir + "/vocab.json";
    nlohmann::json vocab;
    try {
        vocab = nlohmann::json::parse(jsonutil::readTextFile(path));
    } catch (const nlohmann::json::parse_error& e) {
        throw Error(path, "not valid JSON (" + jsonutil::shortParseError(e) + ")");
    } catch (const nlohmann::json::out_of_range&) {
        throw Error(path, "not valid JSON (a number is out of range)");
    }
    if (!vocab.is_object() || vocab.empty()) throw Error(path, "expected a non-empty object mapping tokens to ids");
    auto byId = inverseVocab(vocab, path);
    if (fileExists(modelDir + "/merges.txt"))
        return std::make_unique<BpeDisplayTokenizer>(path, std::move(byId));
    return std::make_unique<CharTokenizer>(path, std::move(byId));
}

} // namespace headlight
