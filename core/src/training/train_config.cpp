// TRAIN.json: strict parsing, like config.json.
#include "headlight/error.h"
#include "headlight/training.h"
#include "io/json_util.h"

#include <nlohmann/json.hpp>
#include <set>

namespace headlight {

TrainConfig TrainConfig::fromJson(const std::string& jsonText, const std::string& source) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(jsonText);
    } catch (const nlohmann::json::parse_error& e) {
        throw Error(source, "not valid JSON (" + jsonutil::shortParseError(e) + ")");
    }
    if (!j.is_object()) throw Error(source, "expected a JSON object at the top level");
    const std::set<std::string> known = {"model", "init_from", "task", "steps", "batch_size", "warmup_steps",
                                         "learning_rate", "min_learning_rate", "weight_decay", "grad_clip", "seed",
                                         "l0_lambda", "span_lambda", "selective_epsilon", "train_only",
                                         "checkpoint_every", "log_every"};
    for (const auto& item : j.items())
        if (!known.count(item.key())) throw Error(source, "unknown key \"" + item.key() + "\"");

    TrainConfig c;
    if (j.contains("model")) {
        if (!j["model"].is_object()) throw Error(source, "\"model\" must be an object (a config.json)");
        c.modelJson = j["model"].dump();
    }
    if (j.contains("init_from")) c.initFrom = jsonutil::requireString(j, "init_from", source);
    if (c.modelJson.empty() && c.initFrom.empty()) throw Error(source, "needs \"model\" (a new model) or \"init_from\" (a model folder)");
    if (!j.contains("task") || !j["task"].is_object()) throw Error(source, "needs a \"task\" object, e.g. {\"name\": \"assign\"}");
    c.task = TaskParams::fromJson(j["task"].dump(), source);

    auto positive = [&](const char* key, int& field) { if (j.contains(key)) field = jsonutil::requirePositiveInt(j, key, source); };
    auto number = [&](const char* key, double& field, double lowest) {
        if (!j.contains(key)) return;
        field = jsonutil::requireNumber(j, key, source);
        if (!(field >= lowest)) throw Error(source, std::string("\"") + key + "\" must be >= " + std::to_string(lowest));
    };
    positive("steps", c.steps);
    positive("batch_size", c.batchSize);
    positive("checkpoint_every", c.checkpointEvery);
    positive("log_every", c.logEvery);
    if (j.contains("warmup_steps")) {
        c.warmupSteps = jsonutil::requireInt(j, "warmup_steps", source);
        if (c.warmupSteps < 0) throw Error(source, "\"warmup_steps\" must be >= 0");
    }
    number("learning_rate", c.learningRate, 0.0);
    number("min_learning_rate", c.minLearningRate, 0.0);
    number("weight_decay", c.weightDecay, 0.0);
    number("grad_clip", c.gradClip, 0.0);
    number("l0_lambda", c.l0Lambda, 0.0);
    number("span_lambda", c.spanLambda, 0.0);
    number("selective_epsilon", c.selectiveEpsilon, 0.0);
    if (!(c.learningRate > 0)) throw Error(source, "\"learning_rate\" must be > 0");
    if (c.minLearningRate > c.learningRate) throw Error(source, "\"min_learning_rate\" is above \"learning_rate\"");
    if (j.contains("seed")) {
        const int s = jsonutil::requireInt(j, "seed", source);
        if (s < 0) throw Error(source, "\"seed\" must be >= 0");
        c.seed = static_cast<uint64_t>(s);
    }
    if (j.contains("train_only")) {
        if (!j["train_only"].is_array()) throw Error(source, "\"train_only\" must be a list of parameter name suffixes");
        for (const auto& v : j["train_only"]) {
            if (!v.is_string()) throw Error(source, "\"train_only\" must be a list of strings");
            c.trainOnly.push_back(v.get<std::string>());
        }
    }
    return c;
}

TrainConfig TrainConfig::fromFile(const std::string& path) { return fromJson(jsonutil::readTextFile(path), path); }

std::string TrainConfig::toJson() const {
    nlohmann::json j;
    if (!modelJson.empty()) j["model"] = nlohmann::json::parse(modelJson);
    if (!initFrom.empty()) j["init_from"] = initFrom;
    j["task"] = nlohmann::json::parse(task.toJson());
    j["steps"] = steps;
    j["batch_size"] = batchSize;
    j["warmup_steps"] = warmupSteps;
    j["learning_rate"] = learningRate;
    j["min_learning_rate"] = minLearningRate;
    j["weight_decay"] = weightDecay;
    j["grad_clip"] = gradClip;
    j["seed"] = seed;
    j["l0_lambda"] = l0Lambda;
    j["span_lambda"] = spanLambda;
    j["selective_epsilon"] = selectiveEpsilon;
    j["train_only"] = trainOnly;
    j["checkpoint_every"] = checkpointEvery;
    j["log_every"] = logEvery;
    return j.dump(2);
}

} // namespace headlight
