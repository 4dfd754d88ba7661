// config.json parsing: strict, because a silently ignored key is a silently wrong model.
#include "headlight/model_config.h"

#include "headlight/error.h"
#include "io/json_util.h"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace headlight {
namespace {

using nlohmann::json;

// Keys Hugging Face writes into GPT-2 configs that do not change the forward pass at inference.
const std::set<std::string> kInertHfKeys = {
    "_name_or_path", "architectures", "attn_pdrop", "bos_token_id", "embd_pdrop", "eos_token_id",
    "initializer_range", "n_ctx", "resid_pdrop", "summary_activation", "summary_first_dropout",
    "summary_proj_to_labels", "summary_type", "summary_use_proj", "task_specific_params",
    "torch_dtype", "transformers_version", "use_cache", "tokenizer_class", "pad_token_id",
    "id2label", "label2id", "output_past", "gradient_checkpointing", "prefix", "pruned_heads"};

const std::set<std::string> kCoreKeys = {"model_type", "vocab_size", "n_layer", "n_head", "n_embd",
                                         "n_positions", "layer_norm_epsilon", "activation_function",
                                         "headlight"};

void checkKnownKeys(const json& obj, const std::set<std::string>& known, const std::string& where,
                    const std::string& source) {
    for (const auto& item : obj.items()) {
        if (!known.count(item.key()))
            throw Error(source, "unknown key \"" + item.key() + "\"" + (where.empty() ? "" : " in " + where));
    }
}

// Keys whose non-default values would change GPT-2's computation; we accept only the defaults.
void checkHfSemanticKeys(const json& j, int nEmbd, const std::string& source) {
    auto expectValue = [&](const char* key, const json& expected, const std::string& why) {
        if (j.contains(key) && !j.at(key).is_null() && j.at(key) != expected)
            throw Error(source, std::string("\"") + key + "\" = " + j.at(key).dump() + " is not supported (" + why + ")");
    };
    expectValue("n_inner", json(4 * nEmbd), "the MLP must be 4 * n_embd wide");
    expectValue("scale_attn_weights", json(true), "attention logits are scaled by 1/sqrt(d)");
    expectValue("scale_attn_by_inverse_layer_idx", json(false), "no per-layer scaling");
    expectValue("reorder_and_upcast_attn", json(false), "attention is computed in float32");
    expectValue("add_cross_attention", json(false), "decoder-only models");
    expectValue("is_encoder_decoder", json(false), "decoder-only models");
}

} // namespace

ModelConfig ModelConfig::fromJson(const std::string& jsonText, const std::string& source) {
    json j;
    try {
        j = json::parse(jsonText);
    } catch (const json::parse_error& e) {
        throw Error(source, std::string("not valid JSON (") + jsonutil::shortParseError(e) + ")");
    } catch (const json::out_of_range&) {
        throw Error(source, "not valid JSON (a number is out of range)");
    }
    if (!j.is_object()) throw Error(source, "expected a JSON object at the top level");

    ModelConfig c;
    c.modelType = jsonutil::requireString(j, "model_type", source);
    if (c.modelType != "gpt2" && c.modelType != "headlight")
        throw Error(source, "\"model_type\" must be \"gpt2\" or \"headlight\", got \"" + c.modelType + "\"");

    std::set<std::string> known = kCoreKeys;
    known.insert(kInertHfKeys.begin(), kInertHfKeys.end());
    for (const char* k : {"n_inner", "scale_attn_weights", "scale_attn_by_inverse_layer_idx",
                          "reorder_and_upcast_attn", "add_cross_attention", "is_encoder_decoder"})
        known.insert(k);
    checkKnownKeys(j, known, "", source);

    c.vocabSize = jsonutil::requirePositiveInt(j, "vocab_size", source);
    c.nLayer = jsonutil::requirePositiveInt(j, "n_layer", source);
    c.nHead = jsonutil::requirePositiveInt(j, "n_head", source);
    c.nEmbd = jsonutil::requirePositiveInt(j, "n_embd", source);
    c.nPositions = jsonutil::requirePositiveInt(j, "n_positions", source);
    if (c.nEmbd % c.nHead != 0)
        throw Error(source, "n_embd (" + std::to_string(c.nEmbd) + ") is not divisible by n_head (" +
                                std::to_string(c.nHead) + ")");
    if (j.contains("layer_norm_epsilon")) {
        c.layerNormEpsilon = jsonutil::requireNumber(j, "layer_norm_epsilon", source);
        if (!(c.layerNormEpsilon > 0) || !std::isfinite(c.layerNormEpsilon))
            throw Error(source, "\"layer_norm_epsilon\" must be a positive number");
    }
    if (j.contains("activation_function")) {
        c.activationFunction = jsonutil::requireString(j, "activation_function", source);
        if (c.activationFunction != "gelu_new" && c.activationFunction != "gelu_pytorch_tanh")
            throw Error(source, "\"activation_function\" must be \"gelu_new\", got \"" + c.activationFunction + "\"");
        c.activationFunction = "gelu_new";   // the same tanh approximation under two names
    }
    checkHfSemanticKeys(j, c.nEmbd, source);

    if (j.contains("headlight")) {
        if (c.modelType != "headlight")
            throw Error(source, "a \"headlight\" object needs \"model_type\": \"headlight\"");
        const json& h = j.at("headlight");
        if (!h.is_object()) throw Error(source, "\"headlight\" must be an object");
        checkKnownKeys(h, {"head_gates", "adaptive_span", "selective_attention", "persistent_memory"},
                       "\"headlight\"", source);
        auto section = [&](const char* key) -> const json& {
            const json& s = h.at(key);
            if (!s.is_object()) throw Error(source, std::string("\"headlight.") + key + "\" must be an object");
            return s;
        };
        if (h.contains("head_gates")) {
            const json& s = section("head_gates");
            const std::string w = "headlight.head_gates";
            checkKnownKeys(s, {"temperature", "gamma", "zeta"}, "\"" + w + "\"", source);
            HeadGatesConfig g;
            if (s.contains("temperature")) g.temperature = jsonutil::requireNumber(s, "temperature", source, w);
            if (s.contains("gamma")) g.gamma = jsonutil::requireNumber(s, "gamma", source, w);
            if (s.contains("zeta")) g.zeta = jsonutil::requireNumber(s, "zeta", source, w);
            if (!(g.temperature > 0)) throw Error(source, "\"" + w + ".temperature\" must be > 0");
            if (!(g.gamma < 0)) throw Error(source, "\"" + w + ".gamma\" must be < 0 (the stretch must reach below 0)");
            if (!(g.zeta > 1)) throw Error(source, "\"" + w + ".zeta\" must be > 1 (the stretch must reach above 1)");
            c.headGates = g;
        }
        if (h.contains("adaptive_span")) {
            const json& s = section("adaptive_span");
            const std::string w = "headlight.adaptive_span";
            checkKnownKeys(s, {"max_span", "ramp"}, "\"" + w + "\"", source);
            AdaptiveSpanConfig a;
            a.maxSpan = jsonutil::requirePositiveInt(s, "max_span", source, w);
            a.ramp = jsonutil::requireNumber(s, "ramp", source, w);
            if (!(a.ramp > 0) || !std::isfinite(a.ramp)) throw Error(source, "\"" + w + ".ramp\" must be > 0");
            c.adaptiveSpan = a;
        }
        if (h.contains("selective_attention")) {
            const json& s = section("selective_attention");
            const std::string w = "headlight.selective_attention";
            checkKnownKeys(s, {"selector_head"}, "\"" + w + "\"", source);
            SelectiveAttentionConfig sa;
            if (s.contains("selector_head")) sa.selectorHead = jsonutil::requireInt(s, "selector_head", source, w);
            if (sa.selectorHead < 0 || sa.selectorHead >= c.nHead)
                throw Error(source, "\"" + w + ".selector_head\" = " + std::to_string(sa.selectorHead) +
                                        " is not a head (n_head = " + std::to_string(c.nHead) + ")");
            c.selectiveAttention = sa;
        }
        if (h.contains("persistent_memory")) {
            const json& s = section("persistent_memory");
            const std::string w = "headlight.persistent_memory";
            checkKnownKeys(s, {"slots", "replace_mlp"}, "\"" + w + "\"", source);
            PersistentMemoryConfig m;
            m.slotCount = jsonutil::requirePositiveInt(s, "slots", source, w);
            if (s.contains("replace_mlp")) m.replaceMlp = jsonutil::requireBool(s, "replace_mlp", source, w);
            c.persistentMemory = m;
        }
    }
    return c;
}

ModelConfig ModelConfig::fromFile(const std::string& path) {
    return fromJson(jsonutil::readTextFile(path), path);
}

std::string ModelConfig::toJson() const {
    json j;
    j["model_type"] = modelType;
    j["vocab_size"] = vocabSize;
    j["n_layer"] = nLayer;
    j["n_head"] = nHead;
    j["n_embd"] = nEmbd;
    j["n_positions"] = nPositions;
    j["layer_norm_epsilon"] = layerNormEpsilon;
    j["activation_function"] = activationFunction;
    json h = json::object();
    if (headGates) h["head_gates"] = {{"temperature", headGates->temperature}, {"gamma", headGates->gamma}, {"zeta", headGates->zeta}};
    if (adaptiveSpan) h["adaptive_span"] = {{"max_span", adaptiveSpan->maxSpan}, {"ramp", adaptiveSpan->ramp}};
    if (selectiveAttention) h["selective_attention"] = {{"selector_head", selectiveAttention->selectorHead}};
    if (persistentMemory) h["persistent_memory"] = {{"slots", persistentMemory->slotCount}, {"replace_mlp", persistentMemory->replaceMlp}};
    if (modelType == "headlight") j["headlight"] = h;
    return j.dump(2);
}

} // namespace headlight
