#pragma once
// Text <-> token ids. Character-level vocabularies now; byte-level BPE plugs in behind the same interface.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace headlight {

class Tokenizer {
public:
    virtual ~Tokenizer() = default;

    // Throws headlight::Error naming the vocabulary file and the offending characters.
    virtual std::vector<int64_t> encode(const std::string& utf8Text) const = 0;
    // Display text of one token (what the views label an axis with). Throws on an unknown id.
    virtual std::string tokenText(int64_t id) const = 0;
    virtual std::string decode(const std::vector<int64_t>& ids) const;
    virtual int64_t vocabSize() const = 0;
    // "char" or "bpe-display-only"; written into traces for provenance.
    virtual std::string kind() const = 0;
    // Whether encode() is available (a BPE vocabulary without its merges can only label tokens).
    virtual bool canEncode() const { return true; }
};

// Loads the tokenizer of a model folder from its vocab.json. Throws headlight::Error.
std::unique_ptr<Tokenizer> loadTokenizer(const std::string& modelDir);

// Split UTF-8 text into characters (code points as UTF-8 strings). Throws on invalid UTF-8.
std::vector<std::string> splitUtf8(const std::string& text, const std::string& source);

} // namespace headlight
