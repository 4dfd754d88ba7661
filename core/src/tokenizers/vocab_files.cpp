// The two older Hugging Face formats: GPT-2's vocab.json + merges.txt (byte-level BPE) and BERT's
// vocab.txt (WordPiece), set up the way transformers' fast tokenizers set them up.
#include "tokenizers/bpe.h"
#include "tokenizers/loaders.h"
#include "tokenizers/pipeline.h"
#include "tokenizers/wordpiece.h"

#include "headlight/error.h"
#include "io/json_util.h"

#include <algorithm>

namespace headlight::tok {
namespace {

// tokenizer_config.json's "added_tokens_decoder" ({"50256": {"content": ..., "special": true, ...}}), in the
// order of the ids, as transformers adds them.
void readAddedTokensDecoder(const nlohmann::json& config, const std::string& path, std::vector<AddedToken>& added) {
    if (!config.contains("added_tokens_decoder")) return;
    const auto& decoder = config.at("added_tokens_decoder");
    if (!decoder.is_object()) throw Error(path, "\"added_tokens_decoder\" must be an object");
    const size_t first = added.size();
    for (const auto& item : decoder.items()) {
        const Options o(item.value(), path, "added_tokens_decoder " + quotedText(item.key()));
        AddedToken t;
        t.where = o.where();
        try {
            size_t used = 0;
            t.id = std::stoll(item.key(), &used);
            if (used != item.key().size() || t.id < 0) throw std::invalid_argument("id");
        } catch (const std::exception&) {
            o.fail("the key is not a token id");
        }
        t.content = o.requiredString("content");
        t.special = o.boolean("special", false);
        t.singleWord = o.boolean("single_word", false);
        t.lstrip = o.boolean("lstrip", false);
        t.rstrip = o.boolean("rstrip", false);
        t.normalized = o.boolean("normalized", !t.special);
        added.push_back(t);
    }
    std::stable_sort(added.begin() + static_cast<long>(first), added.end(), [](const AddedToken& a, const AddedToken& b) { return a.id < b.id; });
}

// A special token named in tokenizer_config.json ("unk_token": "[UNK]" or {"content": "[UNK]", ...}).
std::string configToken(const nlohmann::json& config, const char* key, const std::string& fallback, const std::string& path) {
    if (!config.contains(key) || config.at(key).is_null()) return fallback;
    const auto& v = config.at(key);
    if (v.is_string()) return v.get<std::string>();
    if (v.is_object() && v.contains("content") && v.at("content").is_string()) return v.at("content").get<std::string>();
    throw Error(path, std::string("\"") + key + "\" must be a string");   // never the value: it may be megabytes
}

bool configBool(const nlohmann::json& config, const char* key, bool fallback, const std::string& path) {
    if (!config.contains(key) || config.at(key).is_null()) return fallback;
    if (!config.at(key).is_boolean()) throw Error(path, std::string("\"") + key + "\" must be true or false");
    return config.at(key).get<bool>();
}

} // namespace

std::unique_ptr<Tokenizer> loadVocabAndMerges(const std::string& vocabPath, const std::string& mergesPath) {
    PipelineParts parts;
    parts.path = vocabPath;
    parts.kind = "bpe (vocab.json + merges.txt)";
    const nlohmann::json vocab = readJsonFile(vocabPath);
    if (!vocab.is_object() || vocab.empty()) throw Error(vocabPath, "expected a non-empty object mapping tokens to ids");
    for (const auto& item : vocab.items()) {
        if (!item.value().is_number_integer() || item.value().get<int64_t>() < 0)
            throw Error(vocabPath, "the id of \"" + printableText(item.key(), 40) + "\" is not a non-negative integer");
        parts.vocab->emplace(item.key(), item.value().get<int64_t>());
    }
    const std::string configPath = vocabPath.substr(0, vocabPath.rfind('/') + 1) + "tokenizer_config.json";
    if (fileExists(configPath)) readAddedTokensDecoder(readJsonFile(configPath), configPath, parts.added);
    parts.addedPath = configPath;
    // GPT-2's one special token, which transformers registers even without a tokenizer_config.json.
    auto eot = parts.vocab->find("<|endoftext|>");
    if (parts.added.empty() && eot != parts.vocab->end())
        parts.added.push_back({"<|endoftext|>", eot->second, true, false, false, false, false, "the end-of-text token"});
    parts.model = std::make_unique<BpeModel>(parts.vocab, parseMergesText(jsonutil::readTextFile(mergesPath), mergesPath), BpeOptions{}, mergesPath);
    parts.preTokenizer = makeByteLevelPreTokenizer({vocabPath, "pre_tokenizer \"ByteLevel\""}, false, true);
    parts.decoder = makeByteLevelDecoder({vocabPath, "decoder \"ByteLevel\""});
    parts.display = Display::ByteLevel;
    return makePipelineTokenizer(std::move(parts));
}

std::unique_ptr<Tokenizer> loadWordPieceVocab(const std::string& vocabPath, const std::string& configPath) {
    PipelineParts parts;
    parts.path = vocabPath;
    parts.kind = "wordpiece (vocab.txt)";
    const std::string text = jsonutil::readTextFile(vocabPath);
    unicode::validate(text, vocabPath);
    int64_t index = 0;
    for (size_t at = 0; at < text.size(); ++index) {
        size_t end = text.find('\n', at);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(at, end - at);
        at = end + 1;
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
        (*parts.vocab)[line] = index;   // a repeated line: the later id wins, as in Hugging Face
    }
    if (parts.vocab->empty()) throw Error(vocabPath, "is empty");
    nlohmann::json config = nlohmann::json::object();
    if (fileExists(configPath)) config = readJsonFile(configPath);
    if (!config.is_object()) throw Error(configPath, "expected a JSON object");
    const bool lowercase = configBool(config, "do_lower_case", true, configPath);
    const bool stripAccents = configBool(config, "strip_accents", lowercase, configPath);
    const bool chinese = configBool(config, "tokenize_chinese_chars", true, configPath);
    const std::string unk = configToken(config, "unk_token", "[UNK]", configPath);
    const std::string cls = configToken(config, "cls_token", "[CLS]", configPath);
    const std::string sep = configToken(config, "sep_token", "[SEP]", configPath);
    readAddedTokensDecoder(config, configPath, parts.added);
    parts.addedPath = configPath;
    if (parts.added.empty()) {
        for (const std::string& s : {std::string("[PAD]"), unk, cls, sep, std::string("[MASK]"),
                                     configToken(config, "pad_token", "[PAD]", configPath), configToken(config, "mask_token", "[MASK]", configPath)}) {
            auto it = parts.vocab->find(s);
            const bool seen = std::any_of(parts.added.begin(), parts.added.end(), [&](const AddedToken& t) { return t.content == s; });
            if (it != parts.vocab->end() && !seen) parts.added.push_back({s, it->second, true, false, false, false, false, "special token"});
        }
    }
    auto clsIt = parts.vocab->find(cls), sepIt = parts.vocab->find(sep);
    if (clsIt == parts.vocab->end()) throw Error(vocabPath, "the classifier token " + quotedText(cls) + " is not in the vocabulary");
    if (sepIt == parts.vocab->end()) throw Error(vocabPath, "the separator token " + quotedText(sep) + " is not in the vocabulary");
    parts.normalizer = makeBertNormalizer({vocabPath, "normalizer \"BertNormalizer\""}, true, chinese, stripAccents, lowercase);
    parts.preTokenizer = makeBertPreTokenizer({vocabPath, "pre_tokenizer \"BertPreTokenizer\""});
    parts.model = std::make_unique<WordPieceModel>(parts.vocab, unk, "##", 100, vocabPath);
    const nlohmann::json post = {{"type", "BertProcessing"}, {"cls", {cls, clsIt->second}}, {"sep", {sep, sepIt->second}}};
    const Vocab& vocab = *parts.vocab;
    parts.postProcessor = parsePostProcessor(post, vocabPath, [&vocab](const std::string& token) -> int64_t {
        auto it = vocab.find(token);
        return it == vocab.end() ? -1 : it->second;
    });
    parts.decoder = makeWordPieceDecoder({vocabPath, "decoder \"WordPiece\""}, "##", true);
    return makePipelineTokenizer(std::move(parts));
}

} // namespace headlight::tok
