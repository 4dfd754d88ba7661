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

// Vocabulary string -> id, shared by the model and the tokenizer that owns it.
using Vocab = std::unordered_map<std::string, int64_t>;

// A stretch of text on its way through the pipeline. `atStart`: it begins at byte 0 of the input
// (Metaspace's prepend_scheme "first" looks at it).
struct Piece {
    std::string text;
    bool atStart = false;
};

// What a component is called in messages: its file, and e.g. `normalizer "NFC"`, or `normalizer #12 "Replace"`
// for the 12th part of a Sequence (`#3.2` inside a nested one).
struct Stage {
    std::string path, label;
};

// A tokenizer.json is a program, and some components lengthen text (Replace, Prepend, Metaspace, decoders'
// Replace): 40 Replace "a" -> "aa" in a row would double a text 40 times. So, while one text is encoded (or
// one list of ids decoded), each such component may write at most kGrowthFactor times the input plus
// kGrowthSlack bytes, over all the pieces it is given; past that the tokenizer is refused, by name. The
// factor leaves room for every real expansion chained (NFKD of U+FDFA is 11 times longer, ByteLevel
// doubles non-ASCII bytes, BERT pads CJK characters with spaces). docs/tokenizers.md, "Limits and refusals".
constexpr size_t kGrowthFactor = 64;
constexpr size_t kGrowthSlack = size_t(1) << 16;

class GrowthBudget {
public:
    explicit GrowthBudget(size_t inputBytes) : limit_(kGrowthFactor * inputBytes + kGrowthSlack) {}
    // Counts `bytes` more written by `stage`; headlight::Error naming its file and label when its total
    // would pass the limit. Components call it before they build a longer text.
    void charge(const Stage& stage, size_t bytes);

private:
    size_t limit_;
    std::vector<std::pair<const Stage*, size_t>> written_;   // a handful of components: a list is enough
};

class Normalizer {
public:
    explicit Normalizer(Stage stage) : stage_(std::move(stage)) {}
    virtual ~Normalizer() = default;
    virtual std::string normalize(const std::string& text, GrowthBudget& budget) const = 0;
    // One text on its own budget (an added token's content, tests).
    std::string normalize(const std::string& text) const;

protected:
    Stage stage_;
};

class PreTokenizer {
public:
    explicit PreTokenizer(Stage stage) : stage_(std::move(stage)) {}
    virtual ~PreTokenizer() = default;
    virtual void split(std::vector<Piece>& pieces, GrowthBudget& budget) const = 0;
    void split(std::vector<Piece>& pieces) const;   // on a budget of the pieces' own length

protected:
    Stage stage_;
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
    // Throws headlight::Error naming the file and the post-processor when an id it adds is not a token
    // (`isToken` false): checked at load, not when a text is encoded.
    virtual void checkIds(const std::function<bool(int64_t)>& isToken) const = 0;
};

class Decoder {
public:
    explicit Decoder(Stage stage) : stage_(std::move(stage)) {}
    virtual ~Decoder() = default;
    // `budget`: from the tokens' total length (plus one byte per token, for the separators decoders add).
    virtual std::vector<std::string> decode(std::vector<std::string> tokens, GrowthBudget& budget) const = 0;
    std::vector<std::string> decode(std::vector<std::string> tokens) const;

protected:
    Stage stage_;
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
    Stage stage() const { return {path_, where_}; }

private:
    const nlohmann::json& j_;
    std::string path_, where_;
};

// The JSON "type" of a component, or an error naming `what` ("normalizer", "decoder", ...).
std::string componentType(const nlohmann::json& j, const std::string& path, const std::string& what);
// `what` ("normalizer"), the position in its Sequences ("12", "3.2"; "" for none) and the type, as messages
// name a component: `normalizer #12 "Replace"`.
std::string componentLabel(const std::string& what, const std::string& position, const std::string& type);
// The position of item `index` (from 0) of a Sequence at `position`.
std::string itemPosition(const std::string& position, size_t index);
// `text` quoted for a message: escaped and cut to 40 bytes (a token or pattern may be megabytes).
std::string quotedText(const std::string& text);

// `position` as in componentLabel: where the component sits in its Sequences.
std::unique_ptr<Normalizer> parseNormalizer(const nlohmann::json& j, const std::string& path, const std::string& position = {});
std::unique_ptr<PreTokenizer> parsePreTokenizer(const nlohmann::json& j, const std::string& path, const std::string& position = {});
std::unique_ptr<Decoder> parseDecoder(const nlohmann::json& j, const std::string& path, const std::string& position = {});
// The id of a token string (model vocabulary or added token), -1 when there is none.
using TokenLookup = std::function<int64_t(const std::string&)>;
std::unique_ptr<PostProcessor> parsePostProcessor(const nlohmann::json& j, const std::string& path, const TokenLookup& lookup,
                                                  const std::string& position = {});

// The "pattern" option of Replace and Split: {"String": literal} or {"Regex": pattern}.
void parsePattern(const Options& o, std::string& literal, std::unique_ptr<Regex>& regex);
// Byte ranges of the non-overlapping occurrences of `literal` in `text`, left to right (none for "").
std::vector<std::pair<size_t, size_t>> literalMatches(const std::string& text, const std::string& literal);

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
    for (char32_t c : unicode::decode(text, "text", ErrorInput::Text)) {
        const size_t len = unicode::sequenceLength(static_cast<unsigned char>(text[i]));
        if (predicate(c)) out.emplace_back(i, i + len);
        i += len;
    }
    return out;
}

// The "Precompiled" normalizer (SentencePiece's charsmap, precompiled_normalizer.cpp), from its options.
std::unique_ptr<Normalizer> makePrecompiledNormalizer(const Options& o);

// Components built in code for the vocab.json + merges.txt and vocab.txt formats.
std::unique_ptr<Normalizer> makeBertNormalizer(Stage stage, bool cleanText, bool chineseChars, bool stripAccents, bool lowercase);
std::unique_ptr<PreTokenizer> makeByteLevelPreTokenizer(Stage stage, bool addPrefixSpace, bool useRegex);
std::unique_ptr<PreTokenizer> makeBertPreTokenizer(Stage stage);
std::unique_ptr<Decoder> makeByteLevelDecoder(Stage stage);
std::unique_ptr<Decoder> makeWordPieceDecoder(Stage stage, const std::string& prefix, bool cleanup);

} // namespace headlight::tok
