// Marian's tokenizer (transformers' MarianTokenizer, the opus-mt folders): a SentencePiece model per side
// (source.spm, target.spm) whose pieces are looked up in vocab.json (target_vocab.json on the target side when
// separate_vocabs), falling back to the model's own piece id as transformers does; a leading language code
// (">>fra<<") is a token of its own; special tokens in the text are cut out first; </s> ends every sequence.
#include "tokenizers/loaders.h"

#include "headlight/error.h"
#include "tokenizers/added_tokens.h"
#include "tokenizers/pipeline.h"
#include "tokenizers/sentencepiece_model.h"
#include "tokenizers/unicode.h"

#include <algorithm>
#include <map>

namespace headlight::tok {
namespace {

// A vocabulary file: token -> id, and id -> token for the ids it has.
struct IdTable {
    std::string path;
    std::map<std::string, int64_t> ids;
    std::vector<std::string> byId;   // "" where no token has the id
};

IdTable readIdTable(const std::string& path) {
    IdTable t;
    t.path = path;
    const nlohmann::json j = readJsonFile(path);
    if (!j.is_object() || j.empty()) throw Error(path, "expected a JSON object mapping tokens to ids");
    int64_t largest = -1;
    for (const auto& item : j.items()) {
        if (!item.value().is_number_integer()) throw Error(path, "the id of \"" + printableText(item.key(), 40) + "\" is not an integer");
        const auto id = item.value().get<int64_t>();
        if (id < 0 || id >= static_cast<int64_t>(j.size()) + kMaxUnusedIds)
            throw Error(path, "id " + std::to_string(id) + " of \"" + printableText(item.key(), 40) + "\" is out of range");
        t.ids[item.key()] = id;
        largest = std::max(largest, id);
    }
    t.byId.assign(static_cast<size_t>(largest + 1), std::string());
    for (const auto& [token, id] : t.ids) {
        if (!t.byId[static_cast<size_t>(id)].empty())
            throw Error(path, "id " + std::to_string(id) + " is used twice (\"" + printableText(token, 40) + "\")");
        t.byId[static_cast<size_t>(id)] = token;
    }
    return t;
}

struct Side {
    SentencePieceModel model;
    const IdTable* vocab;
};

class MarianTokenizer final : public Tokenizer {
public:
    MarianTokenizer(SentencePieceModel source, SentencePieceModel target, IdTable vocab, std::optional<IdTable> targetVocab)
        : vocab_(std::move(vocab)), targetVocab_(std::move(targetVocab)),
          source_{std::move(source), &vocab_}, target_{std::move(target), targetVocab_ ? &*targetVocab_ : &vocab_} {
        for (const IdTable* t : {&vocab_, targetVocab_ ? &*targetVocab_ : nullptr}) {
            if (!t) continue;
            for (const char* required : {"</s>", "<unk>"})
                if (!t->ids.count(required)) throw Error(t->path, std::string("has no \"") + required + "\" token");
        }
        for (const Side* side : {&source_, &target_}) requireAgreement(*side);
        std::vector<std::string> patterns;
        std::vector<AddedToken> specials;
        for (const char* s : {"</s>", "<unk>", "<pad>"}) {
            const auto it = vocab_.ids.find(s);
            if (it == vocab_.ids.end()) continue;
            AddedToken t;
            t.content = s;
            t.id = it->second;
            t.special = true;
            patterns.push_back(s);
            specials.push_back(t);
            specialIds_.push_back(it->second);
        }
        specials_ = AddedTokenMatcher(patterns, specials);
    }

    std::vector<int64_t> encode(const std::string& text, bool addSpecial) const override { return encodeSide(source_, text, addSpecial); }
    std::vector<int64_t> encodeTarget(const std::string& text, bool addSpecial) const override {
        return encodeSide(target_, text, addSpecial);
    }

    std::string tokenPiece(int64_t id) const override { return pieceOf(vocab_, id); }
    std::string tokenText(int64_t id) const override { return display(vocab_, id); }
    // A special token written in a target text keeps the source vocabulary's id, as transformers does (its added
    // tokens come from vocab.json), which a separate target vocabulary may not have.
    std::string targetTokenPiece(int64_t id) const override { return pieceOf(targetTableOf(id), id); }
    std::string targetTokenText(int64_t id) const override { return display(targetTableOf(id), id); }
    // Decoded with the source model, as transformers does unless the vocabularies are separate.
    std::string decode(const std::vector<int64_t>& ids, bool skipSpecial) const override {
        return decodeWith(targetVocab_ ? target_ : source_, ids, skipSpecial);
    }
    std::string decodeTarget(const std::vector<int64_t>& ids, bool skipSpecial) const override {
        return decodeWith(target_, ids, skipSpecial);
    }
    int64_t vocabSize() const override { return static_cast<int64_t>(vocab_.byId.size()); }
    int64_t targetVocabSize() const override { return static_cast<int64_t>(target_.vocab->byId.size()); }
    std::string kind() const override {
        return targetVocab_ ? "sentencepiece (source.spm, target.spm, vocab.json, target_vocab.json)"
                            : "sentencepiece (source.spm, target.spm, vocab.json)";
    }
    bool isSpecial(int64_t id) const override { return std::count(specialIds_.begin(), specialIds_.end(), id) > 0; }
    std::optional<int64_t> maskTokenId() const override { return std::nullopt; }

private:
    const IdTable& targetTableOf(int64_t id) const {
        const bool outside = id < 0 || id >= static_cast<int64_t>(target_.vocab->byId.size());
        return outside && isSpecial(id) ? vocab_ : *target_.vocab;
    }
    static std::string pieceOf(const IdTable& t, int64_t id) {
        if (id < 0 || id >= static_cast<int64_t>(t.byId.size()))
            throw Error(t.path, "token id " + std::to_string(id) + " is out of range 0.." + std::to_string(t.byId.size() - 1));
        return t.byId[static_cast<size_t>(id)];
    }
    static std::string display(const IdTable& t, int64_t id) {
        const std::string piece = pieceOf(t, id);
        if (piece == "</s>" || piece == "<unk>" || piece == "<pad>" || (piece.rfind(">>", 0) == 0 && piece.size() > 4 &&
                                                                         piece.compare(piece.size() - 2, 2, "<<") == 0))
            return piece;
        return metaspaceDisplay(piece);
    }

    // A vocabulary that lacks most of a model's pieces belongs to another model: its pieces would fall back to the
    // model's own ids, which mean other tokens in the vocabulary (transformers does so silently). A few missing
    // pieces are normal (Marian builds vocab.json from its training data).
    static void requireAgreement(const Side& side) {
        int missing = 0, pieces = 0;
        std::string example;
        for (int id = 0; id < side.model.size(); ++id) {
            if (side.model.isControl(id)) continue;
            ++pieces;
            const std::string piece = side.model.idToPiece(id);
            if (side.vocab->ids.count(piece)) continue;
            if (example.empty()) example = piece;
            ++missing;
        }
        if (2 * missing > pieces)
            throw Error(side.vocab->path, "lacks " + std::to_string(missing) + " of the " + std::to_string(pieces) + " pieces of " +
                                              side.model.path() + " (\"" + printableText(example, 40) +
                                              "\" among them): the vocabulary and the SentencePiece model do not belong together");
    }

    // transformers' _tokenize on one stretch between special tokens, then _convert_token_to_id.
    void encodeStretch(const Side& side, std::string text, std::vector<int64_t>& ids) const {
        if (text.rfind(">>", 0) == 0) {
            const size_t end = text.find("<<");
            if (end != std::string::npos) {
                ids.push_back(idOf(side, text.substr(0, end + 2)));
                text = text.substr(end + 2);
            }
        }
        for (const std::string& piece : side.model.pieces(text)) ids.push_back(idOf(side, piece));
    }
    static int64_t idOf(const Side& side, const std::string& piece) {
        const auto it = side.vocab->ids.find(piece);
        return it != side.vocab->ids.end() ? it->second : side.model.pieceToId(piece);
    }

    std::vector<int64_t> encodeSide(const Side& side, const std::string& text, bool addSpecial) const {
        unicode::decode(text, "text", ErrorInput::Text);   // refuses invalid UTF-8 before the library sees it
        std::vector<int64_t> ids;
        for (const Segment& s : specials_.split(text)) {
            if (s.id < 0) encodeStretch(side, text.substr(s.begin, s.end - s.begin), ids);
            else ids.push_back(s.id);
        }
        if (addSpecial) ids.push_back(side.vocab->ids.at("</s>"));
        return ids;
    }

    std::string decodeWith(const Side& side, const std::vector<int64_t>& ids, bool skipSpecial) const {
        // convert_tokens_to_string: runs of pieces decoded by the model, special tokens written as they are.
        std::string out;
        std::vector<std::string> run;
        for (int64_t id : ids) {
            if (id < 0 || id >= static_cast<int64_t>(side.vocab->byId.size()) || side.vocab->byId[static_cast<size_t>(id)].empty()) continue;
            const std::string& piece = side.vocab->byId[static_cast<size_t>(id)];
            if (isSpecial(id)) {
                if (skipSpecial) continue;
                out += side.model.decodePieces(run) + piece + " ";
                run.clear();
            } else {
                run.push_back(piece);
            }
        }
        out += side.model.decodePieces(run);
        return stripAsciiWhitespace(metaspaceAsSpaces(out));   // remaining '▁' become spaces, then the ends go
    }

    IdTable vocab_;
    std::optional<IdTable> targetVocab_;
    Side source_, target_;
    AddedTokenMatcher specials_;
    std::vector<int64_t> specialIds_;
};

} // namespace

std::unique_ptr<Tokenizer> loadMarianTokenizer(const std::string& dir) {
    const std::string base = dir.empty() || dir.back() == '/' ? dir : dir + "/";
    bool separate = false;
    if (fileExists(base + "tokenizer_config.json")) {
        const nlohmann::json config = readJsonFile(base + "tokenizer_config.json");
        if (config.is_object() && config.contains("separate_vocabs") && !config.at("separate_vocabs").is_null()) {
            if (!config.at("separate_vocabs").is_boolean())
                throw Error(base + "tokenizer_config.json", "\"separate_vocabs\" must be true or false");
            separate = config.at("separate_vocabs").get<bool>();
        }
    }
    if (!fileExists(base + "target.spm")) throw Error(base + "target.spm", "file not found (a Marian tokenizer needs source.spm and target.spm)");
    if (!fileExists(base + "vocab.json")) throw Error(base + "vocab.json", "file not found (a Marian tokenizer needs vocab.json beside its .spm files)");
    std::optional<IdTable> targetVocab;
    if (separate) {
        if (!fileExists(base + "target_vocab.json"))
            throw Error(base + "target_vocab.json", "file not found (tokenizer_config.json says separate_vocabs)");
        targetVocab = readIdTable(base + "target_vocab.json");
    }
    return std::make_unique<MarianTokenizer>(SentencePieceModel(base + "source.spm"), SentencePieceModel(base + "target.spm"),
                                             readIdTable(base + "vocab.json"), std::move(targetVocab));
}

} // namespace headlight::tok
