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
    std::string path;   // the file errors name
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

// Throws headlight::Error(parts.path, ...) when two vocabulary strings share an id.
std::unique_ptr<Tokenizer> makePipelineTokenizer(PipelineParts parts);

// Display text of a string of characters: space as "␣", newline "↵", tab "→", other control characters
// as \xNN; bytes that are not valid UTF-8 as \xNN.
std::string displayBytes(const std::string& bytes);

} // namespace headlight::tok
