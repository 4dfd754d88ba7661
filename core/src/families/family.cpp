#include "families/family.h"

#include "checkpoint/config_reader.h"
#include "io/json_util.h"

#include <climits>
#include <set>

namespace headlight {

Architecture::Architecture(ModelConfig config) : c_(std::move(config)), mech_(static_cast<size_t>(c_.nLayer)) {}

void Architecture::visitMechanisms(int l, const std::string& prefix, const TensorVisitor& v) {
    for (const Mechanism* m : mechanismsOf(c_)) m->declareTensors(c_, mech_.at(static_cast<size_t>(l)), prefix, v);
}

torch::Tensor Architecture::splitHeads(const torch::Tensor& x, int64_t heads) const {
    return x.view({x.size(0), x.size(1), heads, c_.headDim()}).transpose(1, 2);
}

namespace {

// One entry of the rope_parameters / rope_scaling object, named "rope_scaling.factor" in messages.
struct ScalingEntries {
    ConfigReader& r;
    const nlohmann::json& object;
    std::string where;

    std::string name(const char* key) const { return where + "." + key; }
    bool has(const char* key) const { return object.contains(key) && !object.at(key).is_null(); }
    double number(const char* key) const {
        const auto& v = object.at(key);
        if (!v.is_number()) r.fail(name(key) + " must be a number, got " + jsonutil::excerpt(v));
        return v.get<double>();
    }
    // Refused when absent, as transformers refuses a scaling type without the keys it requires.
    void require(const char* key, const std::string& type) const {
        if (!has(key)) r.fail(where + " of type \"" + type + "\" needs \"" + key + "\" (transformers requires it)");
    }
    int positiveInteger(const char* key) const {
        const auto& v = object.at(key);
        if (!v.is_number_integer()) r.fail(name(key) + " must be an integer, got " + jsonutil::excerpt(v));
        const bool tooLarge = v.is_number_unsigned() ? v.get<uint64_t>() > uint64_t(INT_MAX) : v.get<int64_t>() > INT_MAX;
        if (tooLarge || v.get<int64_t>() <= 0) r.fail(name(key) + " must be a positive integer, got " + jsonutil::excerpt(v));
        return static_cast<int>(v.get<int64_t>());
    }
};

void requirePositive(ConfigReader& r, double value, const std::string& key) {
    if (!(value > 0)) r.fail(key + " must be > 0, got " + jsonutil::excerpt(value));
}

} // namespace

void readRotary(ConfigReader& r, ModelConfig& c, int headDim, const RotaryKeys& keys) {
    RotaryConfig rot;
    nlohmann::json object = nlohmann::json::object();
    std::string where = "\"rope_scaling\"";
    if (r.has("rope_parameters")) {          // transformers 5: everything in one object
        object = r.json().at("rope_parameters");
        where = "\"rope_parameters\"";
        if (!object.is_object()) r.fail(where + " must be an object");
    } else if (r.has("rope_scaling")) {
        object = r.json().at("rope_scaling");
        if (!object.is_object()) r.fail(where + " must be an object or null");
    }
    // Top-level keys first, each validated under its own name; the object's entries then win.
    std::string thetaKey = std::string("\"") + keys.theta + "\"", partialKey = std::string("\"") + keys.partial + "\"";
    rot.theta = r.number(keys.theta, rot.theta);
    requirePositive(r, rot.theta, thetaKey);
    if (keys.thetaAlias) r.agrees(keys.thetaAlias, rot.theta, thetaKey);
    double partial = r.number(keys.partial, keys.partialDefault);
    if (keys.partialAlias) r.agrees(keys.partialAlias, partial, partialKey);
    if (!(partial > 0 && partial <= 1)) r.fail(partialKey + " must lie in (0, 1], got " + jsonutil::excerpt(partial));

    const ScalingEntries e{r, object, where};
    std::string type = "default";
    for (const char* k : {"type", "rope_type"})   // transformers: rope_type, else the older type
        if (e.has(k)) {
            if (!object.at(k).is_string()) r.fail(e.name(k) + " must be a string");
            type = object.at(k).get<std::string>();
        }
    if (type != "default" && type != "linear" && type != "llama3")
        r.fail("rope type \"" + printableText(type, 40) + "\" is not supported (supported: default, linear, llama3)");
    static const std::set<std::string> known = {"rope_type", "type", "rope_theta", "partial_rotary_factor", "factor",
                                                "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"};
    for (const auto& item : object.items())
        if (!known.count(item.key())) r.fail(where + " key \"" + printableText(item.key(), 40) + "\" is not supported");
    if (e.has("rope_theta")) {
        rot.theta = e.number("rope_theta");
        requirePositive(r, rot.theta, e.name("rope_theta"));
    }
    if (e.has("partial_rotary_factor")) {
        partial = e.number("partial_rotary_factor");
        if (!(partial > 0 && partial <= 1)) r.fail(e.name("partial_rotary_factor") + " must lie in (0, 1], got " + jsonutil::excerpt(partial));
    }
    if (type != "default") e.require("factor", type);
    if (e.has("factor")) {
        rot.factor = e.number("factor");
        requirePositive(r, rot.factor, e.name("factor"));
    }
    if (type == "llama3") {
        for (const char* k : {"low_freq_factor", "high_freq_factor", "original_max_position_embeddings"}) e.require(k, type);
        rot.lowFreqFactor = e.number("low_freq_factor");
        rot.highFreqFactor = e.number("high_freq_factor");
        rot.originalMaxPositions = e.positiveInteger("original_max_position_embeddings");
        if (!(rot.lowFreqFactor > 0)) r.fail(e.name("low_freq_factor") + " must be > 0, got " + jsonutil::excerpt(rot.lowFreqFactor));
        if (!(rot.highFreqFactor > rot.lowFreqFactor))
            r.fail(e.name("high_freq_factor") + " must be greater than low_freq_factor (" + jsonutil::excerpt(rot.lowFreqFactor) +
                   "), got " + jsonutil::excerpt(rot.highFreqFactor));
    }
    rot.scaling = type;
    // transformers 5 keeps `dtype` when a file has both spellings (PreTrainedConfig.__post_init__).
    const auto& j = r.json();
    const char* dtypeKey = j.contains("dtype") && !j.at("dtype").is_null() ? "dtype" : "torch_dtype";
    if (j.contains(dtypeKey) && j.at(dtypeKey).is_string() && (j.at(dtypeKey) == "bfloat16" || j.at(dtypeKey) == "float16"))
        rot.frequencyDtype = j.at(dtypeKey).get<std::string>();
    rot.dims = static_cast<int>(headDim * partial);   // transformers: int(head_dim * partial_rotary_factor)
    if (rot.dims < 2 || rot.dims % 2 != 0) r.fail("rotary dimensions per head (" + std::to_string(rot.dims) + ") must be even and >= 2");
    c.rotary = rot;
}

void readLayerTypes(ConfigReader& r, ModelConfig& c, int window, const std::function<bool(int)>& slidingByDefault) {
    c.slidingWindow.assign(static_cast<size_t>(c.nLayer), 0);
    if (r.has("layer_types")) {
        const auto& types = r.json().at("layer_types");
        if (!types.is_array() || static_cast<int>(types.size()) != c.nLayer)
            r.fail("\"layer_types\" must list one type per layer (" + std::to_string(c.nLayer) + ")");
        for (int l = 0; l < c.nLayer; ++l) {
            const auto& t = types[static_cast<size_t>(l)];
            if (t == "sliding_attention") c.slidingWindow[static_cast<size_t>(l)] = window;
            else if (t != "full_attention")
                r.fail("\"layer_types\"[" + std::to_string(l) + "] = " + t.dump().substr(0, 40) + " is not supported (full_attention or sliding_attention)");
        }
    } else {
        for (int l = 0; l < c.nLayer; ++l)
            if (slidingByDefault(l)) c.slidingWindow[static_cast<size_t>(l)] = window;
    }
    bool anySliding = false;
    if (r.has("layer_types"))
        for (const auto& t : r.json().at("layer_types")) anySliding = anySliding || t == "sliding_attention";
    if (anySliding && window <= 0) r.fail("\"layer_types\" names sliding layers but \"sliding_window\" is not set");
}

} // namespace headlight

namespace headlight {

void readSizes(ConfigReader& r, ModelConfig& c, const char* epsKey, double epsDefault,
               std::initializer_list<const char*> activationKeys, const char* defaultActivation) {
    c.vocabSize = r.positiveInt("vocab_size");
    c.nEmbd = r.positiveInt("hidden_size");
    c.intermediateSize = r.positiveInt("intermediate_size");
    c.nLayer = r.layerCount("num_hidden_layers");
    c.nHead = r.positiveInt("num_attention_heads");
    c.nPositions = r.positiveInt("max_position_embeddings");
    c.layerNormEpsilon = r.positiveNumber(epsKey, epsDefault);
    const char* act = r.firstOf(activationKeys);
    c.activationFunction = act ? r.string(act, "") : defaultActivation;
    if (!isSupportedActivation(c.activationFunction))
        r.fail("\"" + std::string(act ? act : *activationKeys.begin()) + "\" = \"" + c.activationFunction +
               "\" is not supported (gelu, gelu_new, gelu_pytorch_tanh, silu, relu)");
}

void requireHeadsDivideHidden(ConfigReader& r, const ModelConfig& c) {
    if (c.nEmbd % c.nHead != 0)
        r.fail("hidden_size (" + std::to_string(c.nEmbd) + ") is not divisible by num_attention_heads (" + std::to_string(c.nHead) + ")");
}

void readDecoderSizes(ConfigReader& r, ModelConfig& c, const char* epsKey, const DecoderDefaults& d) {
    const char* other = std::string(d.activationKey) == "hidden_act" ? "hidden_activation" : "hidden_act";
    readSizes(r, c, epsKey, 1e-6, {d.activationKey}, d.defaultActivation);
    r.agrees(other, c.activationFunction, std::string("\"") + d.activationKey + "\"");
    // Absent takes the family's default; null means "as many as the query heads" (transformers' None).
    const bool kvAbsent = !r.json().contains("num_key_value_heads");
    c.nKvHead = r.positiveInt("num_key_value_heads", kvAbsent && d.kvHeads > 0 ? d.kvHeads : c.nHead);
    if (c.nHead % c.nKvHead != 0)
        r.fail("num_attention_heads (" + std::to_string(c.nHead) + ") is not divisible by num_key_value_heads (" +
               std::to_string(c.nKvHead) + ")" + (kvAbsent ? " (its default for " + c.modelType + "; give it)" : ""));
    c.headDimension = r.positiveInt("head_dim", r.json().contains("head_dim") ? 0 : d.headDim);
    if (c.headDimension == 0) {
        requireHeadsDivideHidden(r, c);
        c.headDimension = c.nEmbd / c.nHead;
    }
}

} // namespace headlight
