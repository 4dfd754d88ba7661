// Format detection, the shared JSON reading, and splitUtf8.
#include "tokenizers/loaders.h"

#include "headlight/error.h"
#include "io/json_util.h"
#include "tokenizers/unicode.h"

#include <sys/stat.h>

namespace headlight {
namespace tok {

// A folder of that name is not a tokenizer file (the folder has none); anything else at the path counts,
// a FIFO or device too, so that reading it refuses it by name instead of blocking or silently skipping it.
bool fileExists(const std::string& path) {
    struct stat st {};
    return stat(path.c_str(), &st) == 0 && !S_ISDIR(st.st_mode);
}

nlohmann::json readJsonFile(const std::string& path) { return jsonutil::parse(jsonutil::readTextFile(path), path); }

} // namespace tok

std::unique_ptr<Tokenizer> loadTokenizer(const std::string& dir) {
    const std::string base = dir.empty() || dir.back() == '/' ? dir : dir + "/";
    try {
        if (tok::fileExists(base + "tokenizer.json")) return tok::loadTokenizerJson(base + "tokenizer.json");
        if (tok::fileExists(base + "vocab.json") && tok::fileExists(base + "merges.txt"))
            return tok::loadVocabAndMerges(base + "vocab.json", base + "merges.txt");
        if (tok::fileExists(base + "vocab.txt")) return tok::loadWordPieceVocab(base + "vocab.txt", base + "tokenizer_config.json");
        if (tok::fileExists(base + "vocab.json")) return tok::loadCharVocab(base + "vocab.json");
    } catch (const nlohmann::json::exception&) {
        // A JSON value of an unexpected type that no check above caught: name the file, not the library.
        const std::string file = tok::fileExists(base + "tokenizer.json") ? base + "tokenizer.json" : base + "vocab.json";
        throw Error(file, "a value has an unexpected JSON type");
    }
    return nullptr;
}

std::vector<std::string> splitUtf8(const std::string& text, const std::string& source) {
    std::vector<std::string> chars;
    for (char32_t c : unicode::decode(text, source)) {
        std::string s;
        unicode::append(s, c);
        chars.push_back(s);
    }
    return chars;
}

} // namespace headlight
