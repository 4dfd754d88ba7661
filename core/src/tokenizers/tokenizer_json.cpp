// tokenizer.json: the Hugging Face pipeline in one file.
#include "tokenizers/bpe.h"
#include "tokenizers/json_reader.h"
#include "tokenizers/loaders.h"
#include "tokenizers/pipeline.h"
#include "tokenizers/unigram.h"
#include "tokenizers/wordpiece.h"

#include "headlight/error.h"

#include <algorithm>

namespace headlight::tok {
namespace {

// Whether any component object in `j` (nested Sequences included) has this "type".
bool hasType(const nlohmann::json& j, const std::string& type) {
    if (j.is_object()) {
        if (j.contains("type") && j.at("type") == type) return true;
        for (const auto& item : j.items())
            if (hasType(item.value(), type)) return true;
    } else if (j.is_array()) {
        for (const auto& item : j)
            if (hasType(item, type)) return true;
    }
    return false;
}

bool mentionsMetaspace(const nlohmann::json& j) {
    return j.dump().find("\xE2\x96\x81") != std::string::npos || hasType(j, "Metaspace");
}

void requireVocab(const Options& model, const ModelTables& tables) {
    if (!tables.hasVocab) model.fail("\"vocab\" must be an object mapping tokens to ids");
}

void readModel(const nlohmann::json& j, ModelTables& tables, PipelineParts& parts) {
    const std::string type = componentType(j, parts.path, "model");
    const Options o(j, parts.path, "model \"" + type + "\"");
    if (type == "BPE") {
        o.allowOnly({"vocab", "merges", "dropout", "unk_token", "continuing_subword_prefix", "end_of_word_suffix",
                     "fuse_unk", "byte_fallback", "ignore_merges"});
        if (o.has("dropout") && (!o.raw("dropout").is_number() || o.raw("dropout").get<double>() != 0.0))
            o.fail("dropout is not supported (it makes encoding random); it must be null or 0");
        requireVocab(o, tables);
        if (!tables.hasMerges) o.fail("\"merges\" must be a list");
        BpeOptions options;
        options.unkToken = o.string("unk_token", "");
        options.fuseUnk = o.boolean("fuse_unk", false);
        options.byteFallback = o.boolean("byte_fallback", false);
        parts.byteFallback = options.byteFallback;
        options.ignoreMerges = o.boolean("ignore_merges", false);
        options.continuingSubwordPrefix = o.string("continuing_subword_prefix", "");
        options.endOfWordSuffix = o.string("end_of_word_suffix", "");
        parts.model = std::make_unique<BpeModel>(parts.vocab, tables.merges, options, parts.path);
        parts.kind = "tokenizer.json: BPE";
        return;
    }
    if (type == "WordPiece") {
        o.allowOnly({"vocab", "unk_token", "continuing_subword_prefix", "max_input_chars_per_word"});
        requireVocab(o, tables);
        const int64_t maxChars = o.integer("max_input_chars_per_word", 100);
        if (maxChars < 0) o.fail("max_input_chars_per_word must not be negative");
        parts.model = std::make_unique<WordPieceModel>(parts.vocab, o.string("unk_token", "[UNK]"),
                                                       o.string("continuing_subword_prefix", "##"), static_cast<size_t>(maxChars), parts.path);
        parts.kind = "tokenizer.json: WordPiece";
        return;
    }
    if (type == "Unigram") {
        o.allowOnly({"vocab", "unk_id", "byte_fallback"});
        const auto& list = o.raw("vocab");
        if (!list.is_array()) o.fail("\"vocab\" must be a list of [piece, score] pairs");
        std::vector<UnigramPiece> pieces;
        pieces.reserve(list.size());
        for (size_t i = 0; i < list.size(); ++i) {
            const auto& entry = list[i];
            if (!entry.is_array() || entry.size() != 2 || !entry[0].is_string() || !entry[1].is_number())
                o.fail("vocab[" + std::to_string(i) + "] is not a [piece, score] pair");
            pieces.push_back({entry[0].get<std::string>(), entry[1].get<double>()});
            if (!parts.vocab->emplace(pieces.back().piece, static_cast<int64_t>(i)).second)
                o.fail("vocab[" + std::to_string(i) + "]: piece " + quotedText(pieces.back().piece) + " is listed twice");
        }
        const int64_t unkId = o.has("unk_id") ? o.integer("unk_id", -1) : -1;
        if (o.has("unk_id") && (unkId < 0 || unkId >= static_cast<int64_t>(pieces.size())))
            o.fail("unk_id " + std::to_string(unkId) + " is not an id of the vocabulary");
        parts.byteFallback = o.boolean("byte_fallback", false);
        parts.model = std::make_unique<UnigramModel>(std::move(pieces), unkId, parts.byteFallback, parts.path);
        parts.kind = "tokenizer.json: Unigram";
        return;
    }
    throw Error(parts.path, "model type " + quotedText(type) + " is not supported");
}

void readAddedTokens(const nlohmann::json& list, PipelineParts& parts) {
    if (list.is_null()) return;
    if (!list.is_array()) throw Error(parts.path, "\"added_tokens\" must be a list");
    for (size_t i = 0; i < list.size(); ++i) {
        const Options o(list[i], parts.path, "added_tokens[" + std::to_string(i) + "]");
        o.allowOnly({"id", "content", "single_word", "lstrip", "rstrip", "normalized", "special"});
        AddedToken t;
        t.where = "added_tokens[" + std::to_string(i) + "]";
        t.content = o.requiredString("content");
        if (!o.has("id")) o.fail("option \"id\" is missing");
        t.id = o.integer("id", 0);
        t.special = o.boolean("special", false);
        t.singleWord = o.boolean("single_word", false);
        t.lstrip = o.boolean("lstrip", false);
        t.rstrip = o.boolean("rstrip", false);
        t.normalized = o.boolean("normalized", !t.special);
        parts.added.push_back(t);
    }
}

} // namespace

std::unique_ptr<Tokenizer> loadTokenizerJson(const std::string& path) {
    ModelTables tables;
    const nlohmann::json j = readTokenizerJson(path, tables);
    if (!j.is_object()) throw Error(path, "expected a JSON object");
    for (const auto& item : j.items()) {
        static const char* kKnown[] = {"version", "truncation", "padding", "added_tokens", "normalizer",
                                       "pre_tokenizer", "model", "post_processor", "decoder"};
        if (std::find(std::begin(kKnown), std::end(kKnown), item.key()) == std::end(kKnown))
            throw Error(path, "key " + quotedText(item.key()) + " is not supported");
    }
    // Truncation and padding change the ids of a single text; we encode texts whole.
    for (const char* key : {"truncation", "padding"})
        if (j.contains(key) && !j.at(key).is_null())
            throw Error(path, std::string("\"") + key + "\" is not supported (it must be null)");
    if (!j.contains("model")) throw Error(path, "has no \"model\"");

    PipelineParts parts;
    parts.path = path;
    parts.vocab = tables.vocab;
    readModel(j.at("model"), tables, parts);
    tables.merges = {};   // no longer needed once the model has its merge table
    readAddedTokens(j.value("added_tokens", nlohmann::json()), parts);
    const nlohmann::json null;
    const auto& normalizer = j.contains("normalizer") ? j.at("normalizer") : null;
    const auto& preTokenizer = j.contains("pre_tokenizer") ? j.at("pre_tokenizer") : null;
    const auto& postProcessor = j.contains("post_processor") ? j.at("post_processor") : null;
    const auto& decoder = j.contains("decoder") ? j.at("decoder") : null;
    if (!normalizer.is_null()) parts.normalizer = parseNormalizer(normalizer, path);
    if (!preTokenizer.is_null()) parts.preTokenizer = parsePreTokenizer(preTokenizer, path);
    if (!decoder.is_null()) parts.decoder = parseDecoder(decoder, path);
    if (!postProcessor.is_null()) {
        // Post-processors name special tokens, which may be added tokens only.
        const auto lookup = [&parts](const std::string& token) -> int64_t {
            for (const AddedToken& t : parts.added)
                if (t.content == token) return t.id;
            auto it = parts.vocab->find(token);
            return it == parts.vocab->end() ? -1 : it->second;
        };
        parts.postProcessor = parsePostProcessor(postProcessor, path, lookup);
    }
    if (hasType(preTokenizer, "ByteLevel") || hasType(decoder, "ByteLevel")) parts.display = Display::ByteLevel;
    else if ((parts.kind == "tokenizer.json: BPE" || parts.kind == "tokenizer.json: Unigram") && (mentionsMetaspace(preTokenizer) || mentionsMetaspace(decoder) || mentionsMetaspace(normalizer)))
        parts.display = Display::Metaspace;
    return makePipelineTokenizer(std::move(parts));
}

} // namespace headlight::tok
