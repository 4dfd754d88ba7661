#include "families/family.h"

#include "checkpoint/config_reader.h"

namespace headlight {

Architecture::Architecture(ModelConfig config) : c_(std::move(config)), mech_(static_cast<size_t>(c_.nLayer)) {}

void Architecture::visitMechanisms(int l, const std::string& prefix, const TensorVisitor& v) {
    for (const Mechanism* m : mechanismsOf(c_)) m->declareTensors(c_, mech_.at(static_cast<size_t>(l)), prefix, v);
}

torch::Tensor Architecture::splitHeads(const torch::Tensor& x, int64_t heads) const {
    return x.view({x.size(0), x.size(1), heads, c_.headDim()}).transpose(1, 2);
}

const Family* findFamily(const std::string& modelType) {
    for (const Family* f : {&gpt2Family(), &bertFamily(), &llamaFamily(), &gptNeoxFamily(), &gemma2Family()})
        for (const auto& t : f->modelTypes)
            if (t == modelType) return f;
    return nullptr;
}

const std::vector<std::string>& supportedModelTypes() {
    static const std::vector<std::string> types = [] {
        std::vector<std::string> all;
        for (const Family* f : {&gpt2Family(), &bertFamily(), &llamaFamily(), &gptNeoxFamily(), &gemma2Family()})
            all.insert(all.end(), f->modelTypes.begin(), f->modelTypes.end());
        return all;
    }();
    return types;
}

void readRotary(ConfigReader& r, ModelConfig& c, int headDim, double partialFactor) {
    RotaryConfig rot;
    nlohmann::json scaling = nlohmann::json::object();
    std::string where = "\"rope_scaling\"";
    if (r.has("rope_parameters")) {          // transformers 5: everything in one object
        scaling = r.json().at("rope_parameters");
        where = "\"rope_parameters\"";
        if (!scaling.is_object()) r.fail(where + " must be an object");
    } else if (r.has("rope_scaling")) {
        scaling = r.json().at("rope_scaling");
        if (!scaling.is_object()) r.fail(where + " must be an object or null");
    }
    if (const char* k = r.firstOf({"rope_theta", "rotary_emb_base"})) rot.theta = r.positiveNumber(k, rot.theta);
    partialFactor = r.positiveNumber("partial_rotary_factor", partialFactor);
    std::string type = "default";
    for (const auto& item : scaling.items()) {
        const std::string& k = item.key();
        const auto& v = item.value();
        auto num = [&] {
            if (!v.is_number()) r.fail(where + "." + k + " must be a number");
            return v.get<double>();
        };
        if (k == "rope_type" || k == "type") {
            if (!v.is_string()) r.fail(where + "." + k + " must be a string");
            type = v.get<std::string>();
        } else if (k == "rope_theta") rot.theta = num();
        else if (k == "partial_rotary_factor") partialFactor = num();
        else if (k == "factor") rot.factor = num();
        else if (k == "low_freq_factor") rot.lowFreqFactor = num();
        else if (k == "high_freq_factor") rot.highFreqFactor = num();
        else if (k == "original_max_position_embeddings") rot.originalMaxPositions = static_cast<int>(num());
        else r.fail(where + " key \"" + k + "\" is not supported");
    }
    if (type != "default" && type != "linear" && type != "llama3")
        r.fail("rope type \"" + type + "\" is not supported (supported: default, linear, llama3)");
    if (!(rot.theta > 0) || !(rot.factor > 0) || !(partialFactor > 0 && partialFactor <= 1))
        r.fail(where + ": theta and factor must be > 0, the partial rotary factor in (0, 1]");
    if (type == "llama3" && !(rot.highFreqFactor > rot.lowFreqFactor && rot.lowFreqFactor > 0 && rot.originalMaxPositions > 0))
        r.fail(where + ": llama3 needs high_freq_factor > low_freq_factor > 0 and original_max_position_embeddings");
    rot.scaling = type;
    for (const char* key : {"dtype", "torch_dtype"}) {
        const auto& j = r.json();
        if (j.contains(key) && j.at(key).is_string() && (j.at(key) == "bfloat16" || j.at(key) == "float16"))
            rot.frequencyDtype = j.at(key).get<std::string>();
    }
    rot.dims = static_cast<int>(headDim * partialFactor);
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
    c.nLayer = r.positiveInt("num_hidden_layers");
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

void readDecoderSizes(ConfigReader& r, ModelConfig& c, const char* epsKey) {
    readSizes(r, c, epsKey, 1e-6, {"hidden_activation", "hidden_act"}, "silu");
    c.nKvHead = r.positiveInt("num_key_value_heads", c.nHead);
    if (c.nHead % c.nKvHead != 0)
        r.fail("num_attention_heads (" + std::to_string(c.nHead) + ") is not divisible by num_key_value_heads (" +
               std::to_string(c.nKvHead) + ")");
    c.headDimension = r.positiveInt("head_dim", 0);
    if (c.headDimension == 0) {
        requireHeadsDivideHidden(r, c);
        c.headDimension = c.nEmbd / c.nHead;
    }
}

} // namespace headlight
