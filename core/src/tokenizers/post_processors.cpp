// Post-processors for single sequences: TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel
// (adds nothing), Sequence.
#include "tokenizers/components.h"

#include "headlight/error.h"
#include "io/json_util.h"

namespace headlight::tok {
namespace {

// Special ids before and after the sequence.
class WrapProcessor final : public PostProcessor {
public:
    WrapProcessor(Stage stage, std::vector<int64_t> before, std::vector<int64_t> after)
        : stage_(std::move(stage)), before_(std::move(before)), after_(std::move(after)) {}
    void addSpecial(std::vector<int64_t>& ids) const override {
        ids.insert(ids.begin(), before_.begin(), before_.end());
        ids.insert(ids.end(), after_.begin(), after_.end());
    }
    void checkIds(const std::function<bool(int64_t)>& isToken) const override {
        for (const auto* list : {&before_, &after_})
            for (int64_t id : *list)
                if (!isToken(id)) throw Error(stage_.path, stage_.label + ": adds id " + std::to_string(id) + ", which is not a token of the vocabulary");
    }

private:
    Stage stage_;
    std::vector<int64_t> before_, after_;
};

class SequenceProcessor final : public PostProcessor {
public:
    explicit SequenceProcessor(std::vector<std::unique_ptr<PostProcessor>> parts) : parts_(std::move(parts)) {}
    void addSpecial(std::vector<int64_t>& ids) const override {
        for (const auto& p : parts_) p->addSpecial(ids);
    }
    void checkIds(const std::function<bool(int64_t)>& isToken) const override {
        for (const auto& p : parts_) p->checkIds(isToken);
    }

private:
    std::vector<std::unique_ptr<PostProcessor>> parts_;
};

// ["[SEP]", 102] -> 102, checked against the vocabulary.
int64_t tokenPair(const Options& o, const char* key, const TokenLookup& lookup) {
    const nlohmann::json& v = o.raw(key);
    if (!v.is_array() || v.size() != 2 || !v[0].is_string() || !v[1].is_number_integer())
        o.fail(std::string("option \"") + key + "\" must be [\"TOKEN\", ID]");
    const std::string token = v[0].get<std::string>();
    const int64_t id = v[1].get<int64_t>();
    if (lookup(token) != id)
        o.fail(std::string("option \"") + key + "\": " + quotedText(token) + " does not have id " + std::to_string(id) + " in the vocabulary");
    return id;
}

std::unique_ptr<PostProcessor> parseTemplate(const Options& o) {
    o.allowOnly({"single", "pair", "special_tokens"});
    const nlohmann::json& single = o.raw("single");
    const nlohmann::json& specials = o.raw("special_tokens");
    if (!single.is_array()) o.fail("option \"single\" must be a list");
    if (!specials.is_null() && !specials.is_object()) o.fail("option \"special_tokens\" must be an object");
    std::vector<int64_t> before, after;
    bool seenSequence = false;
    for (const auto& item : single) {
        if (item.is_object() && item.contains("Sequence")) {
            const auto& seq = item.at("Sequence");
            if (!seq.is_object() || seq.value("id", std::string()) != "A")
                o.fail("template \"single\" may only hold the sequence \"A\"");
            if (seenSequence) o.fail("template \"single\" holds the sequence twice");
            seenSequence = true;
        } else if (item.is_object() && item.contains("SpecialToken") && item.at("SpecialToken").is_object() &&
                   item.at("SpecialToken").contains("id") && item.at("SpecialToken").at("id").is_string()) {
            const std::string name = item.at("SpecialToken").at("id").get<std::string>();
            if (specials.is_null() || !specials.contains(name)) o.fail("special token " + quotedText(name) + " is not in \"special_tokens\"");
            const auto& ids = specials.at(name).is_object() && specials.at(name).contains("ids") ? specials.at(name).at("ids") : nlohmann::json();
            if (!ids.is_array()) o.fail("special token " + quotedText(name) + " has no \"ids\" list");
            for (const auto& id : ids) {
                if (!id.is_number_integer() || id.get<int64_t>() < 0) o.fail("special token " + quotedText(name) + " has an id that is not a non-negative integer");
                (seenSequence ? after : before).push_back(id.get<int64_t>());
            }
        } else {
            o.fail("template item " + jsonutil::excerpt(item) + " is neither a SpecialToken nor a Sequence");
        }
    }
    if (!seenSequence) o.fail("template \"single\" has no sequence \"A\"");
    return std::make_unique<WrapProcessor>(o.stage(), before, after);
}

} // namespace

std::unique_ptr<PostProcessor> parsePostProcessor(const nlohmann::json& j, const std::string& path, const TokenLookup& lookup,
                                                  const std::string& position) {
    const std::string type = componentType(j, path, "post_processor");
    const Options o(j, path, componentLabel("post_processor", position, type));
    if (type == "TemplateProcessing") return parseTemplate(o);
    if (type == "BertProcessing") {
        o.allowOnly({"sep", "cls"});
        return std::make_unique<WrapProcessor>(o.stage(), std::vector<int64_t>{tokenPair(o, "cls", lookup)},
                                               std::vector<int64_t>{tokenPair(o, "sep", lookup)});
    }
    if (type == "RobertaProcessing") {
        o.allowOnly({"sep", "cls", "trim_offsets", "add_prefix_space"});
        return std::make_unique<WrapProcessor>(o.stage(), std::vector<int64_t>{tokenPair(o, "cls", lookup)},
                                               std::vector<int64_t>{tokenPair(o, "sep", lookup)});
    }
    if (type == "ByteLevel") {   // only adjusts offsets, which we do not report
        o.allowOnly({"add_prefix_space", "trim_offsets", "use_regex"});
        return std::make_unique<WrapProcessor>(o.stage(), std::vector<int64_t>{}, std::vector<int64_t>{});
    }
    if (type == "Sequence") {
        o.allowOnly({"processors"});
        const nlohmann::json& list = o.raw("processors");
        if (!list.is_array()) o.fail("option \"processors\" must be a list");
        std::vector<std::unique_ptr<PostProcessor>> parts;
        for (size_t i = 0; i < list.size(); ++i) parts.push_back(parsePostProcessor(list[i], path, lookup, itemPosition(position, i)));
        return std::make_unique<SequenceProcessor>(std::move(parts));
    }
    throw Error(path, "post_processor type " + quotedText(type) + " is not supported");
}

} // namespace headlight::tok
