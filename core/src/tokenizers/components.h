#pragma once
// The stages of a Hugging Face tokenizer pipeline: normalizer -> pre-tokenizer -> model, then a
// post-processor adds special tokens; a decoder turns tokens back into text.
#include "tokenizers/unicode.h"

#include <nlohmann/json.hpp>
#include <unordered_map>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace headlight {
class Regex;
}

namespace headlight::tok {

// A stretch of text on its way through the pipeline. `atStart`: it begins at byte 0 of the input
// (Metaspace's prepend_scheme "first" looks at it).
// Vocabulary string -> id, shared by the model and the tokenizer that owns it.
using Vocab = std::unordered_map<std::string, int64_t>;

struct Piece {
    std::string text;
    bool atStart = false;
};

class Normalizer {
public:
    virtual ~Normalizer() = default;
    virtual std::string normalize(const std::string& text) const = 0;
};

class PreTokenizer {
public:
    virtual ~PreTokenizer() = default;
    virtual void split(std::vector<Piece>& pieces) const = 0;
};

// The model turns one pre-tokenized word into ids.
class Model {
public:
    virtual ~Model() = default;
    virtual void tokenize(const std::string& word, std::vector<int64_t>& ids) const = 0;
};

class PostProcessor {
public:
    virtual ~PostProcessor() = default;
    virtual void addSpecial(std::vector<int64_t>& ids) const = 0;
};

class Decoder {
public:
    virtual ~Decoder() = default;
    virtual std::vector<std::string> decode(std::vector<std::string> tokens) const = 0;
};

// Typed, strict access to one component's JSON object; errors read
// "PATH: pre_tokenizer \"ByteLevel\": option \"x\" ...".
class Options {
public:
    Options(const nlohmann::json& j, std::string path, std::string where);
    // Every key must be one of `known` (plus "type"): an option we do not implement is an error.
    void allowOnly(std::initializer_list<const char*> known) const;
    bool has(const char* key) const;   // present and not null
    bool boolean(const char* key, bool fallback) const;
    std::string string(const char* key, const std::string& fallback) const;
    std::string requiredString(const char* key) const;
    int64_t integer(const char* key, int64_t fallback) const;
    const nlohmann::json& raw(const char* key) const;   // the value or null
    [[noreturn]] void fail(const std::string& problem) const;
    const std::string& path() const { return path_; }
    const std::string& where() const { return where_; }

private:
    const nlohmann::json& j_;
    std::string path_, where_;
};

// The JSON "type" of a component, or an error naming `what` ("normalizer", "decoder", ...).
std::string componentType(const nlohmann::json& j, const std::string& path, const std::string& what);

std::unique_ptr<Normalizer> parseNormalizer(const nlohmann::json& j, const std::string& path);
std::unique_ptr<PreTokenizer> parsePreTokenizer(const nlohmann::json& j, const std::string& path);
std::unique_ptr<Decoder> parseDecoder(const nlohmann::json& j, const std::string& path);
// The id of a token string (model vocabulary or added token), -1 when there is none.
using TokenLookup = std::function<int64_t(const std::string&)>;
std::unique_ptr<PostProcessor> parsePostProcessor(const nlohmann::json& j, const std::string& path, const TokenLookup& lookup);

// The "pattern" option of Replace and Split: {"String": literal} or {"Regex": pattern}.
void parsePattern(const Options& o, std::string& literal, std::unique_ptr<Regex>& regex);

// Split behaviours shared by Split, Punctuation, Digits and friends (as in Hugging Face's
// NormalizedString::split).
enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };
SplitBehavior parseBehavior(const Options& o, const char* key, SplitBehavior fallback);
// Cuts `piece` at the byte ranges `matches` (sorted, non-overlapping) and appends the non-empty parts.
void splitPiece(const Piece& piece, const std::vector<std::pair<size_t, size_t>>& matches, SplitBehavior behavior,
                bool invert, std::vector<Piece>& out);
// Matches of single characters for which `predicate` holds.
template <class Predicate>
std::vector<std::pair<size_t, size_t>> characterMatches(const std::string& text, Predicate predicate) {
    std::vector<std::pair<size_t, size_t>> out;
    size_t i = 0;
    for (char32_t c : unicode::decode(text, "text")) {
        const size_t len = unicode::sequenceLength(static_cast<unsigned char>(text[i]));
        if (predicate(c)) out.emplace_back(i, i + len);
        i += len;
    }
    return out;
}

// Components built in code for the vocab.json + merges.txt and vocab.txt formats.
std::unique_ptr<Normalizer> makeBertNormalizer(bool cleanText, bool chineseChars, bool stripAccents, bool lowercase);
std::unique_ptr<PreTokenizer> makeByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex);
std::unique_ptr<PreTokenizer> makeBertPreTokenizer();
std::unique_ptr<Decoder> makeByteLevelDecoder();
std::unique_ptr<Decoder> makeWordPieceDecoder(const std::string& prefix, bool cleanup);

} // namespace headlight::tok
