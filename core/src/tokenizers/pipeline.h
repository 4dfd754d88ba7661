#pragma once
// A Hugging Face tokenizer assembled from its stages; every file format (tokenizer.json, vocab.json +
// merges.txt, vocab.txt) is loaded into one of these.
#include "headlight/tokenizer.h"
#include "tokenizers/added_tokens.h"
#include "tokenizers/components.h"

namespace headlight::tok {

// How tokenText renders vocabulary strings.
enum class Display {
    Plain,       // as they are (WordPiece: "##" kept)
    ByteLevel,   // GPT-2 symbols decoded to their bytes
    Metaspace,   // '▁' is a space
};

struct PipelineParts {
    std::string path;        // the file errors name
    std::string addedPath;   // the file the added tokens come from, when not `path` (tokenizer_config.json)
    std::string kind;
    std::shared_ptr<Vocab> vocab = std::make_shared<Vocab>();   // the model's vocabulary
    std::vector<AddedToken> added;
    std::unique_ptr<Normalizer> normalizer;
    std::unique_ptr<PreTokenizer> preTokenizer;
    std::unique_ptr<Model> model;
    std::unique_ptr<PostProcessor> postProcessor;
    std::unique_ptr<Decoder> decoder;
    Display display = Display::Plain;
    bool byteFallback = false;   // "<0xNN>" vocabulary strings stand for bytes
};

// Ids index tables, so they are checked before any table is built (docs/tokenizers.md, "Limits and
// refusals"): the vocabulary's ids may leave gaps, but the largest is below the number of tokens +
// kMaxUnusedIds; an added token has the id Hugging Face gives it (the vocabulary's id for its content, else
// the next one after the vocabulary, in order: Hugging Face ignores the ids the file gives); every id the
// post-processor adds is a token. Throws headlight::Error naming the file and the entry, and when two
// vocabulary strings share an id.
constexpr int64_t kMaxUnusedIds = int64_t(1) << 20;
std::unique_ptr<Tokenizer> makePipelineTokenizer(PipelineParts parts);
// The vocabulary's and the added tokens' part of those checks (token_ids.cpp); also drops empty added tokens
// and merges repeated ones, as Hugging Face does.
void checkTokenIds(PipelineParts& parts);

// Display text of a string of characters: space as "␣", newline "↵", tab "→", other control characters
// as \xNN; bytes that are not valid UTF-8 as \xNN.
std::string displayBytes(const std::string& bytes);
// Every '▁' (U+2581, SentencePiece's word mark) of `text` as a space.
std::string metaspaceAsSpaces(const std::string& text);
// Display text of a SentencePiece-style piece: '▁' as a space, then displayBytes.
std::string metaspaceDisplay(const std::string& piece);
// `text` without the ASCII whitespace at its ends (Python's str.strip() on what SentencePiece decodes).
std::string stripAsciiWhitespace(const std::string& text);

} // namespace headlight::tok
