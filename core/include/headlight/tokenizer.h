#pragma once
// Text <-> token ids: Hugging Face tokenizers (tokenizer.json, GPT-2's vocab.json + merges.txt, BERT's
// vocab.txt), encoding exactly as Hugging Face's fast tokenizers do, and our character vocabularies.
// docs/tokenizers.md describes the formats, the components supported and the display rules.
#include "headlight/error.h"
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace headlight {

class Tokenizer {
public:
    virtual ~Tokenizer() = default;

    // Text to ids. With `addSpecial`, the special tokens the tokenizer's post-processor adds (BOS for
    // Llama-style files, [CLS] ... [SEP] for BERT, none for GPT-2 and Qwen; the char tokenizer's '^').
    // Throws headlight::Error for invalid UTF-8 and, for char vocabularies, characters not in it.
    virtual std::vector<int64_t> encode(const std::string& utf8Text, bool addSpecial = true) const = 0;
    // The raw vocabulary string of a token ("Ġthe", "▁the", "##ing", "<0x0A>"). Throws on an id
    // outside 0..vocabSize()-1; an id the vocabulary skips gives "".
    virtual std::string tokenPiece(int64_t id) const = 0;
    // Readable display text of one token (what the views label an axis with), docs/tokenizers.md.
    // Throws on an id outside 0..vocabSize()-1.
    virtual std::string tokenText(int64_t id) const = 0;
    // Ids back to text, as Hugging Face's decode does (special tokens skipped when `skipSpecial`).
    virtual std::string decode(const std::vector<int64_t>& ids, bool skipSpecial = true) const = 0;
    // Largest id + 1 (added tokens included).
    virtual int64_t vocabSize() const = 0;
    // "char", "bpe (vocab.json + merges.txt)", "tokenizer.json: BPE", ...; written into traces.
    virtual std::string kind() const = 0;
    virtual bool canEncode() const { return true; }
    virtual bool isSpecial(int64_t id) const = 0;
    // The [MASK] / <mask> token when the vocabulary has one (masked-language models need it).
    virtual std::optional<int64_t> maskTokenId() const = 0;

    // The target side of a translation model's tokenizer (the text its decoder reads), where it differs from the
    // source side (Marian: target.spm, and target_vocab.json when the vocabularies are separate); the other
    // tokenizers read both sides alike.
    virtual std::vector<int64_t> encodeTarget(const std::string& utf8Text, bool addSpecial = true) const {
        return encode(utf8Text, addSpecial);
    }
    virtual std::string targetTokenPiece(int64_t id) const { return tokenPiece(id); }
    virtual std::string targetTokenText(int64_t id) const { return tokenText(id); }
    virtual std::string decodeTarget(const std::vector<int64_t>& ids, bool skipSpecial = true) const { return decode(ids, skipSpecial); }
    virtual int64_t targetVocabSize() const { return vocabSize(); }
};

// Loads the tokenizer of a folder, detecting in this order: tokenizer.json; vocab.json + merges.txt
// (byte-level BPE); source.spm (Marian: with target.spm and vocab.json); vocab.txt (WordPiece, settings from
// tokenizer_config.json); spiece.model (SentencePiece, T5's legacy reading); vocab.json alone (a character
// vocabulary). nullptr when the folder has none of these; headlight::Error naming the file
// for anything malformed or unsupported.
std::unique_ptr<Tokenizer> loadTokenizer(const std::string& dir);

// Split UTF-8 text into characters (code points as UTF-8 strings). Throws on invalid UTF-8.
std::vector<std::string> splitUtf8(const std::string& text, const std::string& source, ErrorInput input = ErrorInput::None);

} // namespace headlight
