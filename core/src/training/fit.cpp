// Fitting a mechanism to a trained model: the training run it is (FitConfig::trainConfig), and the held-out
// score of the result against the model it started from.
#include "headlight/fitting.h"

#include "headlight/error.h"
#include "headlight/input_file.h"
#include "headlight/mechanisms/head_gates.h"
#include "headlight/mechanisms/persistent_memory.h"
#include "headlight/mechanisms/selective_attention.h"
#include "headlight/session.h"
#include "io/atomic_file.h"
#include "io/json_util.h"
#include "families/family.h"
#include "mechanisms/adaptive_span.h"
#include "mechanisms/mechanism.h"
#include "training/token_windows.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

namespace headlight {
namespace {

// What a fit uses where the user gives nothing (docs/fitting.md, "Choosing lambda"). Measured on the sample
// models and GPT-2-sized models: see the docs for the numbers.
struct FitDefaults {
    double lambda;
    int steps;
    double learningRate;   // of the mechanism's parameters
};

FitDefaults defaultsFor(const std::string& mechanism) {
    if (mechanism == HeadGatesConfig::kKey) return {0.05, 300, 0.05};
    if (mechanism == AdaptiveSpanConfig::kKey) return {0.002, 400, 0.02};
    return {0.1, 300, 0.0};   // selective attention: epsilon; it has no parameters of its own
}

constexpr double kMaxLambda = 1e6;
// Held-out task examples come from a seed no fit draws its batches from.
constexpr int kHeldOutTaskExamples = 200;
constexpr uint64_t kHeldOutTaskSeed = 1000003;


// The span mechanism's settings for a fit: max_span the longest input the fit sees (at most the positions),
// a ramp of a sixteenth of it (2..32 tokens; mixed-range-span was trained with 64 and 4).
nlohmann::json spanSettings(const FitConfig& f, const ModelConfig& start) {
    const int64_t longest = f.textFile.empty() ? makeTask(*f.task)->maxLength() : f.context;
    const int64_t maxSpan = std::max<int64_t>(1, std::min<int64_t>(longest, start.nPositions));
    const double ramp = std::clamp(std::round(static_cast<double>(maxSpan) / 16.0), 2.0, 32.0);
    return {{"max_span", maxSpan}, {"ramp", ramp}};
}

// The names (without a layer prefix) of the tensors `m` adds to a layer: what learns when weights are frozen.
std::vector<std::string> tensorNames(const Mechanism& m, const ModelConfig& c) {
    MechanismTensors tensors;
    std::vector<std::string> names;
    m.declareTensors(c, tensors, "", [&](const TensorSlot& s) { names.push_back(s.name); });
    return names;
}

} // namespace

double FitConfig::lambdaUsed() const { return lambda ? *lambda : defaultsFor(mechanism).lambda; }

TrainConfig FitConfig::trainConfig() const {
    const Mechanism* m = findMechanism(mechanism);
    if (!m || mechanism == PersistentMemoryConfig::kKey)
        throw Error("--mechanism", "\"" + printableText(mechanism, 40) + "\" cannot be fitted (head_gates, adaptive_span, selective_attention)");
    if (task.has_value() == !textFile.empty()) throw Error("--task", "give a task or a --text-file (one of them)");
    if (lambda && (!std::isfinite(*lambda) || *lambda < 0 || *lambda > kMaxLambda))
        throw Error("--lambda", "must be a number between 0 and 1e6");
    if (learningRate && (!std::isfinite(*learningRate) || *learningRate <= 0 || *learningRate > 10))
        throw Error("--learning-rate", "must be a number above 0 and at most 10");
    if (!(weightLearningRate > 0) || weightLearningRate > 10) throw Error("--weight-learning-rate", "must be above 0 and at most 10");
    if (steps < 0) throw Error("--steps", "must be >= 1");
    if (batchSize < 1) throw Error("--batch-size", "must be >= 1");
    if (context < 2) throw Error("--context", "must be at least 2 tokens");
    const std::string configPath = modelDir + "/config.json";
    const ModelConfig start = ModelConfig::fromFile(configPath);
    if (start.mechanisms.has(mechanism))
        throw Error(configPath, "the model already has " + mechanism + "; fit it on a model without it");
    const bool selective = mechanism == SelectiveAttentionConfig::kKey;
    if (selective && !start.causal)
        throw Error(configPath, "selective_attention needs a causal model; " + start.modelType + " is a masked-token model");
    if (selective && !trainAll)
        throw Error("--mechanism", "selective_attention has no parameters of its own: fine-tune the model to use it with "
                                   "--train-all, or run it zero-shot with --selective");
    if (trainAll && dtype != "float32") throw Error("--dtype", dtype + " needs frozen weights (leave out --train-all)");

    const FitDefaults d = defaultsFor(mechanism);
    TrainConfig tc;
    tc.initFrom = modelDir;
    nlohmann::json settings = nlohmann::json::object();
    if (mechanism == AdaptiveSpanConfig::kKey) settings = spanSettings(*this, start);
    tc.modelJson = nlohmann::json{{"headlight", {{mechanism, settings}}}}.dump();
    if (textFile.empty()) tc.task = *task;
    else {
        tc.textFile = textFile;
        tc.context = context;
    }
    tc.steps = steps > 0 ? steps : d.steps;
    tc.batchSize = batchSize;
    tc.warmupSteps = std::min(50, tc.steps / 10);
    const double mechanismRate = learningRate ? *learningRate : d.learningRate;
    if (trainAll) {
        tc.learningRate = weightLearningRate;
        tc.mechanismLearningRate = selective ? 0.0 : mechanismRate;
        tc.weightDecay = 0.01;
    } else {
        tc.learningRate = mechanismRate;
        tc.weightDecay = 0;
        tc.trainOnly = tensorNames(*m, start);
    }
    tc.minLearningRate = tc.learningRate / 10;
    tc.seed = seed;
    for (const Mechanism* each : allMechanisms())
        if (each->regulariserKey()) tc.regularisers[each->regulariserKey()] = 0.0;
    tc.regularisers[m->regulariserKey()] = lambdaUsed();
    tc.spanStartSearch = mechanism == AdaptiveSpanConfig::kKey;
    tc.checkpointEvery = checkpointEvery;
    tc.logEvery = logEvery;
    tc.device = device;
    tc.dtype = dtype;
    return tc;
}

ModelConfig FitConfig::fittedConfig() const {
    const TrainConfig tc = trainConfig();
    const ModelConfig start = ModelConfig::fromFile(modelDir + "/config.json");
    nlohmann::json j = nlohmann::json::parse(start.toJson());
    // GPT-2 with mechanisms is saved as "headlight" (FamilyTraits::typeWithMechanisms), as training saves it.
    if (const char* renamed = familyOf(start).traits.typeWithMechanisms) j["model_type"] = renamed;
    j["headlight"].merge_patch(nlohmann::json::parse(tc.modelJson)["headlight"]);
    return ModelConfig::fromJson(j.dump(), modelDir + "/config.json");
}

ExampleSet heldOutExamples(const FitConfig& f, const Engine& engine) {
    if (f.textFile.empty()) return ExampleSet::fromTask(engine, *f.task, kHeldOutTaskExamples, kHeldOutTaskSeed);
    const TokenWindows windows(f.modelDir, f.textFile, f.context, engine.config());
    ExampleSet data;
    for (auto& example : windows.heldOut()) data.add(std::move(example));
    data.description = "file: " + f.textFile + " (held-out last tenth, " + std::to_string(windows.heldOutTokens()) + " tokens)";
    return data;
}

FitScore scoreFit(const FitConfig& f, const std::string& fittedDir) {
    FitScore s;
    const LoadOptions options{f.device, f.dtype, std::nullopt};
    ExampleSet data;
    {
        const Session fitted(fittedDir, options);
        const Engine& engine = fitted.engine();
        const ModelConfig& c = engine.config();
        data = heldOutExamples(f, engine);
        s.fitted = scoreWithMask(engine, data);
        s.examples = static_cast<int>(data.size());
        s.heads = c.nLayer * c.nHead;
        if (const FloatArray gates = headGateValues(engine); !gates.empty())
            s.headsKept = static_cast<int>(std::count_if(gates.begin(), gates.end(), [](float g) { return g > 0.0f; }));
        if (c.mechanisms.has(AdaptiveSpanConfig::kKey)) {
            const Timeline timeline = Timeline::read(fittedDir + "/timeline.h5");
            if (timeline.steps.empty() || !timeline.steps.back().heads.count(adaptive_span::kSpan))
                throw Error(fittedDir + "/timeline.h5", "holds no spans");
            s.spans = timeline.steps.back().heads.at(adaptive_span::kSpan);
            s.flopsLength = f.textFile.empty() ? makeTask(*f.task)->maxLength() : f.context;
            const SpanTrim trim = spanTrim(c, s.spans.toVector(), s.flopsLength);
            s.trimWindows = trim.windows;
            s.meanSpan = trim.meanSpan;
            s.flopsSaved = trim.flopsSaved;
        }
    }
    const Session original(f.modelDir, options);
    s.original = scoreWithMask(original.engine(), data);
    return s;
}

FitResult fit(const FitConfig& f, const std::string& outDir, bool resume, const std::function<void(const TrainProgress&)>& progress,
              const std::atomic<bool>* stop) {
    FitResult r;
    r.training = train(f.trainConfig(), outDir, resume, progress, stop);
    // The example text the app opens a model on, when the original has one (the tokenizer is the same).
    const std::string example = f.modelDir + "/example.txt";
    if (pathExists(example) && !pathExists(outDir + "/example.txt"))
        writeFileAtomically(outDir + "/example.txt", jsonutil::readTextFile(example));
    if (!r.training.interrupted) r.score = scoreFit(f, outDir);
    return r;
}

} // namespace headlight
