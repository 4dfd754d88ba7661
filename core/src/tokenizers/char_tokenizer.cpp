// Character-level vocabularies (vocab.json maps each character to an id), used by our own sample models.
// Their one convention: texts of the synthetic tasks start with '^', so with addSpecial encode()
// prepends it when the vocabulary has it and the text does not already start with it.
#include "tokenizers/loaders.h"

#include "headlight/error.h"

#include <unordered_map>
#include <unordered_set>

namespace headlight::tok {
namespace {

constexpr size_t kListedMissing = 10;

// id -> text; validates ids are 0..V-1 without gaps or repeats.
std::vector<std::string> inverseVocab(const nlohmann::json& vocab, const std::string& path) {
    std::vector<std::string> byId(vocab.size());
    std::vector<bool> seen(vocab.size(), false);
    for (const auto& item : vocab.items()) {
        if (!item.value().is_number_integer())
            throw Error(path, "the id of \"" + printableText(item.key(), 40) + "\" is not an integer");
        const auto id = item.value().get<int64_t>();
        if (id < 0 || id >= static_cast<int64_t>(vocab.size()))
            throw Error(path, "id " + std::to_string(id) + " of \"" + printableText(item.key(), 40) + "\" is outside 0.." +
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
                throw Error(path_, "key \"" + printableText(byId_[i], 40) + "\" is not a single character");
            ids_[byId_[i]] = static_cast<int64_t>(i);
        }
    }

    std::vector<int64_t> encode(const std::string& text, bool addSpecial) const override {
        std::vector<int64_t> ids;
        // The characters missing from the vocabulary, each once; the message lists the first few (a 1 MB text
        // may miss thousands).
        std::unordered_set<std::string> missing;
        std::string listed;
        const auto caret = ids_.find("^");
        if (addSpecial && caret != ids_.end() && (text.empty() || text[0] != '^')) ids.push_back(caret->second);
        for (const std::string& ch : splitUtf8(text, "text", ErrorInput::Text)) {
            auto it = ids_.find(ch);
            if (it == ids_.end()) {
                if (missing.insert(ch).second && missing.size() <= kListedMissing)
                    listed += (listed.empty() ? "'" : ", '") + (ch == "\n" ? "\\n" : ch == "\t" ? "\\t" : ch) + "'";
                continue;
            }
            ids.push_back(it->second);
        }
        if (missing.size() > kListedMissing) listed += " and " + std::to_string(missing.size() - kListedMissing) + " more";
        // The text is at fault, not the file: tagged so that a front end names the argument that gave it.
        if (!missing.empty())
            throw Error("text", "has characters not in the vocabulary of " + path_ + ": " + listed, ErrorInput::Text);
        return ids;
    }

    std::string tokenPiece(int64_t id) const override { return byId_[index(id)]; }
    std::string tokenText(int64_t id) const override { return byId_[index(id)]; }
    std::string decode(const std::vector<int64_t>& ids, bool) const override {
        std::string out;
        for (int64_t id : ids) out += tokenText(id);
        return out;
    }
    int64_t vocabSize() const override { return static_cast<int64_t>(byId_.size()); }
    std::string kind() const override { return "char"; }
    bool isSpecial(int64_t id) const override {
        index(id);
        return false;
    }
    std::optional<int64_t> maskTokenId() const override { return std::nullopt; }

private:
    size_t index(int64_t id) const {
        if (id < 0 || id >= vocabSize()) throw Error(path_, "token id " + std::to_string(id) + " is out of range");
        return static_cast<size_t>(id);
    }

    std::string path_;
    std::vector<std::string> byId_;
    std::unordered_map<std::string, int64_t> ids_;
};

} // namespace

std::unique_ptr<Tokenizer> loadCharVocab(const std::string& path) {
    const nlohmann::json vocab = readJsonFile(path);
    if (!vocab.is_object() || vocab.empty()) throw Error(path, "expected a non-empty object mapping tokens to ids");
    return std::make_unique<CharTokenizer>(path, inverseVocab(vocab, path));
}

} // namespace headlight::tok
