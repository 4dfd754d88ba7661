// TRAIN.json: strict parsing, like config.json.
#include "headlight/error.h"
#include "headlight/training.h"
#include "io/json_util.h"
#include "mechanisms/mechanism.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <map>
#include <set>
#include <utility>

namespace headlight {
namespace {

constexpr double kMaxLearningRate = 10;
constexpr int kMaxBatchSize = 1 << 16;
constexpr double kMaxCoefficient = 1e6;

// "cpu", "cuda" or "cuda:N", checked for form only: a record written on a CUDA machine must still parse on a
// CPU-only one (evaluate reads the task from it); train() checks that the device exists.
void checkDeviceName(const std::string& device, const std::string& source) {
    const bool cuda = device.rfind("cuda", 0) == 0;
    const std::string index = cuda && device.size() > 4 ? device.substr(5) : "";
    const bool wellFormed = device == "cpu" || device == "cuda" ||
                            (cuda && device[4] == ':' && !index.empty() && index.find_first_not_of("0123456789") == std::string::npos);
    if (!wellFormed) throw Error(source, "\"device\" = \"" + printableText(device, 40) + "\" is not a device (use cpu, cuda or cuda:N)");
    if (index.size() > 4) throw Error(source, "\"device\" = \"" + printableText(device, 40) + "\": no such CUDA device");
}

} // namespace

TrainConfig TrainConfig::fromJson(const std::string& jsonText, const std::string& source) {
    const nlohmann::json j = jsonutil::parse(jsonText, source);
    if (!j.is_object()) throw Error(source, "expected a JSON object at the top level");
    std::set<std::string> known = {"model", "init_from", "task", "steps", "batch_size", "warmup_steps",
                                   "learning_rate", "min_learning_rate", "weight_decay", "grad_clip", "seed",
                                   "train_only", "checkpoint_every", "log_every", "device", "text_file", "context",
                                   "mechanism_start", "dtype", "mechanism_learning_rate", "span_start_search"};
    for (const Mechanism* m : allMechanisms())   // each mechanism's regulariser coefficient: "l0_lambda", ...
        if (m->regulariserKey()) known.insert(m->regulariserKey());
    for (const auto& item : j.items())
        if (!known.count(item.key())) throw Error(source, "unknown key \"" + item.key() + "\"");

    TrainConfig c;
    if (j.contains("model")) {
        if (!j.at("model").is_object()) throw Error(source, "\"model\" must be an object (a config.json)");
        c.modelJson = j.at("model").dump();   // bounded depth (jsonutil::parse)
    }
    if (j.contains("init_from")) c.initFrom = jsonutil::requireString(j, "init_from", source);
    if (c.modelJson.empty() && c.initFrom.empty()) throw Error(source, "needs \"model\" (a new model) or \"init_from\" (a model folder)");
    if (j.contains("text_file")) {
        c.textFile = jsonutil::requireString(j, "text_file", source);
        if (c.initFrom.empty()) throw Error(source, "\"text_file\" needs \"init_from\" (a model with its own tokenizer)");
        if (j.contains("task")) throw Error(source, "give \"task\" or \"text_file\", not both");
        if (j.contains("context")) c.context = jsonutil::requirePositiveInt(j, "context", source);
    } else {
        if (j.contains("context")) throw Error(source, "\"context\" applies to \"text_file\" only");
        if (!j.contains("task") || !j.at("task").is_object()) throw Error(source, "needs a \"task\" object, e.g. {\"name\": \"assign\"}");
        c.task = TaskParams::fromJson(j.at("task").dump(), source);
    }
    if (j.contains("mechanism_start")) {
        const auto& start = j.at("mechanism_start");
        if (!start.is_object()) throw Error(source, "\"mechanism_start\" must be an object of tensor name suffixes and numbers");
        for (const auto& item : start.items()) {
            if (!item.value().is_number() || !std::isfinite(item.value().get<double>()))
                throw Error(source, "\"mechanism_start." + item.key() + "\" must be a finite number");
            c.mechanismStart[item.key()] = item.value().get<double>();
        }
    }
    if (j.contains("span_start_search")) {
        if (!j.at("span_start_search").is_boolean()) throw Error(source, "\"span_start_search\" must be true or false");
        c.spanStartSearch = j.at("span_start_search").get<bool>();
    }
    if (j.contains("dtype")) {
        c.dtype = jsonutil::requireString(j, "dtype", source);
        if (c.dtype != "float32" && c.dtype != "bfloat16" && c.dtype != "float16")
            throw Error(source, "\"dtype\" = \"" + printableText(c.dtype, 40) + "\" is not float32, bfloat16 or float16");
    }

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
    number("mechanism_learning_rate", c.mechanismLearningRate, 0.0);
    if (c.mechanismLearningRate > kMaxLearningRate)
        throw Error(source, "\"mechanism_learning_rate\" must be at most " + std::to_string(static_cast<int>(kMaxLearningRate)));
    number("weight_decay", c.weightDecay, 0.0);
    number("grad_clip", c.gradClip, 0.0);
    for (const Mechanism* m : allMechanisms()) {
        if (!m->regulariserKey()) continue;
        double& weight = c.regularisers[m->regulariserKey()] = m->regulariserDefault();
        number(m->regulariserKey(), weight, 0.0);
    }
    if (!(c.learningRate > 0)) throw Error(source, "\"learning_rate\" must be > 0");
    // Finite but absurd values pass the checks above and only show up as a diverged run with a library error.
    if (c.learningRate > kMaxLearningRate)
        throw Error(source, "\"learning_rate\" must be at most " + std::to_string(static_cast<int>(kMaxLearningRate)));
    if (c.batchSize > kMaxBatchSize) throw Error(source, "\"batch_size\" must be at most " + std::to_string(kMaxBatchSize));
    std::map<std::string, double> coefficients = c.regularisers;
    coefficients["weight_decay"] = c.weightDecay;
    coefficients["grad_clip"] = c.gradClip;
    for (const auto& [key, value] : coefficients)
        if (value > kMaxCoefficient) throw Error(source, "\"" + key + "\" must be at most 1e6");
    if (c.minLearningRate > c.learningRate) throw Error(source, "\"min_learning_rate\" is above \"learning_rate\"");
    if (j.contains("seed")) {
        const int s = jsonutil::requireInt(j, "seed", source);
        if (s < 0) throw Error(source, "\"seed\" must be >= 0");
        c.seed = static_cast<uint64_t>(s);
    }
    if (j.contains("device")) {
        c.device = jsonutil::requireString(j, "device", source);
        checkDeviceName(c.device, source);
    }
    if (j.contains("train_only")) {
        if (!j.at("train_only").is_array()) throw Error(source, "\"train_only\" must be a list of parameter name suffixes");
        for (const auto& v : j.at("train_only")) {
            if (!v.is_string()) throw Error(source, "\"train_only\" must be a list of strings");
            c.trainOnly.push_back(v.get<std::string>());
        }
    }
    return c;
}

TrainConfig TrainConfig::fromFile(const std::string& path) { return fromJson(jsonutil::readTextFile(path), path); }

TrainConfig TrainConfig::fromTrainingRecord(const std::string& path) {
    const nlohmann::json record = jsonutil::parse(jsonutil::readTextFile(path), path);
    if (!record.is_object() || !record.contains("train_config") || !record.at("train_config").is_object())
        throw Error(path, "has no \"train_config\" object (not a training record?)");
    return fromJson(record.at("train_config").dump(), path);   // bounded depth (jsonutil::parse)
}

std::string TrainConfig::toJson() const {
    nlohmann::json j;
    if (!modelJson.empty()) j["model"] = nlohmann::json::parse(modelJson);
    if (!initFrom.empty()) j["init_from"] = initFrom;
    if (textFile.empty()) j["task"] = nlohmann::json::parse(task.toJson());
    else {
        j["text_file"] = textFile;
        j["context"] = context;
    }
    if (!mechanismStart.empty()) j["mechanism_start"] = mechanismStart;
    if (dtype != "float32") j["dtype"] = dtype;
    if (spanStartSearch) j["span_start_search"] = true;
    j["steps"] = steps;
    j["batch_size"] = batchSize;
    j["warmup_steps"] = warmupSteps;
    j["learning_rate"] = learningRate;
    j["min_learning_rate"] = minLearningRate;
    if (mechanismLearningRate > 0) j["mechanism_learning_rate"] = mechanismLearningRate;
    j["weight_decay"] = weightDecay;
    j["grad_clip"] = gradClip;
    j["seed"] = seed;
    for (const auto& [key, weight] : regularisers) j[key] = weight;
    j["train_only"] = trainOnly;
    j["checkpoint_every"] = checkpointEvery;
    j["log_every"] = logEvery;
    j["device"] = device;
    return j.dump(2);
}

} // namespace headlight
