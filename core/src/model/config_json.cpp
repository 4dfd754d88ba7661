// config.json parsing: strict, because a silently ignored key is a silently wrong model.
#include "headlight/model_config.h"

#include "headlight/error.h"
#include "families/family.h"
#include "io/json_util.h"
#include "mechanisms/mechanism.h"
#include "checkpoint/config_reader.h"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace headlight {

using nlohmann::json;

ModelConfig ModelConfig::fromJson(const std::string& jsonText, const std::string& source) {
    const json j = jsonutil::parse(jsonText, source);
    if (!j.is_object()) throw Error(source, "expected a JSON object at the top level");

    ModelConfig c;
    c.modelType = jsonutil::requireString(j, "model_type", source);
    const Family* family = findFamily(c.modelType);
    if (!family) {
        std::string list;
        for (const auto& t : supportedModelTypes()) list += (list.empty() ? "" : ", ") + t;
        throw Error(source, "\"model_type\" \"" + c.modelType.substr(0, 60) + "\" is not supported (supported: " + list + ")");
    }
    ConfigReader r(j, source);
    family->readConfig(r, c);
    readMechanisms(r, c);
    r.finish();
    if (!c.isNative()) {
        json copy = j;
        copy.erase("headlight");
        c.familyJson = copy.dump();
    }
    return c;
}

ModelConfig ModelConfig::fromFile(const std::string& path) {
    return fromJson(jsonutil::readTextFile(path), path);
}

std::string ModelConfig::toJson() const {
    json j;
    if (isNative()) {
        j["model_type"] = modelType;
        j["vocab_size"] = vocabSize;
        j["n_layer"] = nLayer;
        j["n_head"] = nHead;
        j["n_embd"] = nEmbd;
        j["n_positions"] = nPositions;
        j["layer_norm_epsilon"] = layerNormEpsilon;
        j["activation_function"] = activationFunction;
        if (intermediateSize > 0) j["n_inner"] = intermediateSize;
        if (!tieWordEmbeddings) j["tie_word_embeddings"] = false;
    } else {
        j = json::parse(familyJson);
    }
    const json h = mechanismsJson(*this);
    const char* withMechanisms = familyOf(*this).traits.typeWithMechanisms;   // "headlight" always has the object
    if (!h.empty() || (withMechanisms && modelType == withMechanisms)) j["headlight"] = h;
    return j.dump(2);
}

} // namespace headlight
