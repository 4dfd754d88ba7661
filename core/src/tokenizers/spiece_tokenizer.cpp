// A lone SentencePiece model (T5's spiece.model, as transformers' T5Tokenizer reads it in its legacy mode): the
// model's own ids, `extra_ids` sentinel tokens after them (<extra_id_0> the last id), special tokens in the text
// cut out first, and </s> appended unless the text already ends with it.
#include "tokenizers/loaders.h"

#include "headlight/error.h"
#include "tokenizers/added_tokens.h"
#include "tokenizers/pipeline.h"
#include "tokenizers/sentencepiece_model.h"
#include "tokenizers/unicode.h"

namespace headlight::tok {
namespace {

class SpieceTokenizer final : public Tokenizer {
public:
    SpieceTokenizer(SentencePieceModel model, int extraIds) : model_(std::move(model)), extraIds_(extraIds) {
        std::vector<std::string> patterns;
        std::vector<AddedToken> tokens;
        // The sentinels strip the whitespace around them (T5Tokenizer's AddedToken(lstrip=True, rstrip=True)).
        auto add = [&](const std::string& content, int64_t id, bool strip = false) {
            AddedToken t;
            t.content = content;
            t.id = id;
            t.special = true;
            t.lstrip = t.rstrip = strip;
            patterns.push_back(content);
            tokens.push_back(t);
        };
        for (int id = 0; id < model_.size(); ++id)
            if (model_.isControl(id) || id == model_.pieceToId("<unk>")) add(model_.idToPiece(id), id);
        for (int n = 0; n < extraIds_; ++n) add("<extra_id_" + std::to_string(n) + ">", model_.size() + extraIds_ - 1 - n, true);
        specials_ = AddedTokenMatcher(patterns, tokens);
        specialPieces_ = std::move(tokens);
    }

    std::vector<int64_t> encode(const std::string& text, bool addSpecial) const override {
        unicode::decode(text, "text", ErrorInput::Text);
        std::vector<int64_t> ids;
        for (const Segment& s : specials_.split(text)) {
            if (s.id >= 0) {
                ids.push_back(s.id);
                continue;
            }
            for (int id : model_.ids(text.substr(s.begin, s.end - s.begin))) ids.push_back(id);
        }
        const int eos = model_.eosId();
        if (addSpecial && eos >= 0 && (ids.empty() || ids.back() != eos)) ids.push_back(eos);
        return ids;
    }
    std::string tokenPiece(int64_t id) const override {
        check(id);
        if (id >= model_.size()) return "<extra_id_" + std::to_string(model_.size() + extraIds_ - 1 - id) + ">";
        return model_.idToPiece(static_cast<int>(id));
    }
    std::string tokenText(int64_t id) const override {
        return isSpecial(id) ? tokenPiece(id) : metaspaceDisplay(tokenPiece(id));
    }
    // T5Tokenizer's convert_tokens_to_string: the first piece's leading '▁' dropped, runs of pieces decoded by the
    // model, a special token written after a space (unless it follows another), the ends stripped.
    std::string decode(const std::vector<int64_t>& ids, bool skipSpecial) const override {
        std::vector<std::string> tokens;
        for (int64_t id : ids)
            if (id >= 0 && id < vocabSize() && !(skipSpecial && isSpecial(id))) tokens.push_back(tokenPiece(id));
        if (!tokens.empty() && tokens.front().compare(0, 3, "\xE2\x96\x81") == 0) tokens.front().erase(0, 3);
        std::string out;
        std::vector<std::string> run;
        bool previousSpecial = false;
        for (const std::string& token : tokens) {
            if (isSpecialPiece(token)) {
                if (!previousSpecial) out += ' ';
                out += model_.decodePieces(run) + token;
                run.clear();
                previousSpecial = true;
            } else {
                run.push_back(token);
                previousSpecial = false;
            }
        }
        return stripAsciiWhitespace(out + model_.decodePieces(run));
    }
    int64_t vocabSize() const override { return model_.size() + extraIds_; }
    std::string kind() const override { return "sentencepiece (spiece.model)"; }
    bool isSpecial(int64_t id) const override {
        for (const AddedToken& t : specialPieces_)
            if (t.id == id) return true;
        return false;
    }
    std::optional<int64_t> maskTokenId() const override { return std::nullopt; }

private:
    bool isSpecialPiece(const std::string& piece) const {
        for (const AddedToken& t : specialPieces_)
            if (t.content == piece) return true;
        return false;
    }
    void check(int64_t id) const {
        if (id < 0 || id >= vocabSize())
            throw Error(model_.path(), "token id " + std::to_string(id) + " is out of range 0.." + std::to_string(vocabSize() - 1));
    }

    SentencePieceModel model_;
    int extraIds_;
    AddedTokenMatcher specials_;
    std::vector<AddedToken> specialPieces_;
};

} // namespace

std::unique_ptr<Tokenizer> loadSpieceTokenizer(const std::string& modelPath, const std::string& configPath) {
    int extraIds = 0;
    if (fileExists(configPath)) {
        const nlohmann::json config = readJsonFile(configPath);
        if (!config.is_object()) throw Error(configPath, "expected a JSON object");
        if (config.contains("extra_ids") && !config.at("extra_ids").is_null()) {
            const auto& v = config.at("extra_ids");
            if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > 100000)
                throw Error(configPath, "\"extra_ids\" must be a whole number from 0 to 100000");
            extraIds = v.get<int>();
        }
        // transformers' non-legacy T5 mode moves the first piece's '▁' around special tokens; only the legacy
        // reading (the default of the files that do not say) is implemented.
        if (config.contains("legacy") && config.at("legacy").is_boolean() && !config.at("legacy").get<bool>())
            throw Error(configPath, "\"legacy\": false is not supported for spiece.model (the folder's tokenizer.json is read when present)");
    }
    return std::make_unique<SpieceTokenizer>(SentencePieceModel(modelPath), extraIds);
}

} // namespace headlight::tok
