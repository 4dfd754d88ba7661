// Format detection, the shared JSON reading, splitUtf8 and the JSON-lines texts of `tokenize --jsonl`.
#include "tokenizers/loaders.h"
#include "headlight/input_file.h"

#include "headlight/error.h"
#include "headlight/jsonl_texts.h"
#include "io/json_util.h"
#include "tokenizers/unicode.h"

#include <algorithm>

namespace headlight {
namespace tok {

// A folder of that name is not a tokenizer file (the folder has none); anything else at the path counts,
// a FIFO or device too, so that reading it refuses it by name instead of blocking or silently skipping it.
bool fileExists(const std::string& path) {
    const FileKind kind = fileKind(path);
    return kind != FileKind::Missing && kind != FileKind::Folder;
}

nlohmann::json readJsonFile(const std::string& path) { return jsonutil::parse(jsonutil::readTextFile(path), path); }

} // namespace tok

std::unique_ptr<Tokenizer> loadTokenizer(const std::string& dir) {
    const std::string base = dir.empty() || dir.back() == '/' ? dir : dir + "/";
    try {
        if (tok::fileExists(base + "tokenizer.json")) return tok::loadTokenizerJson(base + "tokenizer.json");
        if (tok::fileExists(base + "vocab.json") && tok::fileExists(base + "merges.txt"))
            return tok::loadVocabAndMerges(base + "vocab.json", base + "merges.txt");
        if (tok::fileExists(base + "source.spm")) return tok::loadMarianTokenizer(base);
        if (tok::fileExists(base + "vocab.txt")) return tok::loadWordPieceVocab(base + "vocab.txt", base + "tokenizer_config.json");
        if (tok::fileExists(base + "spiece.model")) return tok::loadSpieceTokenizer(base + "spiece.model", base + "tokenizer_config.json");
        if (tok::fileExists(base + "vocab.json")) return tok::loadCharVocab(base + "vocab.json");
    } catch (const nlohmann::json::exception&) {
        // A JSON value of an unexpected type that no check above caught: name the file, not the library.
        const std::string file = tok::fileExists(base + "tokenizer.json") ? base + "tokenizer.json" : base + "vocab.json";
        throw Error(file, "a value has an unexpected JSON type");
    }
    return nullptr;
}

std::vector<std::string> splitUtf8(const std::string& text, const std::string& source, ErrorInput input) {
    std::vector<std::string> chars;
    for (char32_t c : unicode::decode(text, source, input)) {
        std::string s;
        unicode::append(s, c);
        chars.push_back(s);
    }
    return chars;
}

} // namespace headlight

namespace headlight {

std::vector<JsonlText> readJsonlTexts(const std::string& path, uint64_t maxBytes) {
    // A regular file only (a FIFO would block, /dev/zero would never end), read whole.
    const std::string all = jsonutil::readTextFile(path, maxBytes);
    std::vector<JsonlText> out;
    size_t lineNo = 0;
    for (size_t at = 0; at < all.size();) {
        size_t end = all.find('\n', at);
        if (end == std::string::npos) end = all.size();
        ++lineNo;
        const char* begin = all.data() + at;
        const char* stop = all.data() + end;
        at = end + 1;
        if (stop > begin && stop[-1] == '\r') --stop;
        if (std::all_of(begin, stop, [](char c) { return c == ' ' || c == '\t'; })) continue;   // blank lines carry nothing
        const std::string where = path + ": line " + std::to_string(lineNo);
        const nlohmann::json j = jsonutil::parse(begin, stop, where);
        if (!j.is_object() || !j.contains("text") || !j.at("text").is_string())
            throw Error(where, "expected an object with a \"text\" string");
        out.push_back({where, j.at("text").get<std::string>()});
    }
    return out;
}

} // namespace headlight
