// The training loop: task batches, the mechanisms' regularizers, AdamW with warm-up and cosine decay,
// gradient clipping, checkpoints that resume exactly, and a clean stop on request. Everything a run needs is
// checked before its folder is written (the first checkpoint creates it), and a run that fails before its first
// checkpoint takes the folder away again.
#include "checkpoint/checkpoint.h"
#include "headlight/input_file.h"
#include "headlight/mechanisms/adaptive_span.h"
#include "model/initial_model.h"
#include "model/transformer.h"
#include "headlight/error.h"
#include "headlight/output_folder.h"
#include "headlight/training.h"
#include "io/json_util.h"
#include "nn/torch_bridge.h"
#include "training/batches.h"
#include "training/example_encoder.h"
#include "training/run_folder.h"
#include "training/span_start.h"
#include "training/training_losses.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <set>
#include <nlohmann/json.hpp>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>

namespace headlight {
namespace {

using Clock = std::chrono::steady_clock;

// The device for TRAIN.json's "device" (or --device), checked before anything is written. On CUDA, LibTorch's
// deterministic algorithms (warning, not failing, on an operation that has none), so a seed gives the same run
// twice on one GPU. Float32 products stay float32 by LibTorch's default (no TF32); the TF32 switches are left
// alone, since LibTorch 2.9 replaced them and complains when old and new ones are mixed. cuBLAS needs its
// workspace setting in the environment before its first use (an explicit CUBLAS_WORKSPACE_CONFIG is kept).
torch::Device trainingDevice(const TrainConfig& tc) {
    const torch::Device device = parseDevice(tc.device, "TRAIN.json \"device\"");
    if (device.is_cuda()) {
        setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", 0);
        at::globalContext().setDeterministicAlgorithms(true, /*warn_only=*/true);
    }
    return device;
}

// The model config: the TRAIN.json "model" object (any family) with vocab_size and the positions filled from
// the task, or
// the init_from model's config with the mechanisms "model" adds.
ModelConfig resolveConfig(const TrainConfig& tc, const Task* task, const std::string& source) {
    nlohmann::json j;
    if (!tc.initFrom.empty()) {
        const ModelConfig start = ModelConfig::fromFile(tc.initFrom + "/config.json");
        j = nlohmann::json::parse(start.toJson());   // our own output
        if (!tc.modelJson.empty()) {
            const auto extra = jsonutil::parse(tc.modelJson, source, "model");
            for (const auto& item : extra.items())
                if (item.key() != "headlight" && item.key() != "model_type")
                    throw Error(source, "with \"init_from\", \"model\" may only add mechanisms (\"headlight\"), not \"" + item.key() + "\"");
            // GPT-2 with mechanisms is saved as "headlight" (FamilyTraits::typeWithMechanisms).
            if (const char* renamed = familyOf(start).traits.typeWithMechanisms) j["model_type"] = renamed;
            if (extra.contains("headlight")) j["headlight"].merge_patch(extra["headlight"]);
        }
    } else {
        j = jsonutil::parse(tc.modelJson, source, "model");
        const int alphabet = static_cast<int>(splitUtf8(task->alphabet(), "task").size());
        if (!j.contains("vocab_size")) j["vocab_size"] = alphabet;
        // Without a model_type, Headlight's own layout: GPT-2's, saved as "headlight" when it has mechanisms.
        const Family& own = gpt2Family();
        if (!j.contains("model_type")) j["model_type"] = j.contains("headlight") ? own.traits.typeWithMechanisms : own.modelTypes.front();
        const Family* family = j["model_type"].is_string() ? findFamily(j["model_type"].get<std::string>()) : nullptr;
        const char* positions = family ? family->traits.positionsKey : own.traits.positionsKey;   // unknown: fromJson says so
        if (!j.contains(positions)) j[positions] = task->maxLength();
        if (j["vocab_size"] != alphabet)
            throw Error(source, "\"model.vocab_size\" must equal the task's alphabet size " + std::to_string(alphabet) + " (or be left out)");
    }
    ModelConfig c = ModelConfig::fromJson(j.dump(), source + " (model)");
    // Character models read one position per character; other tokenizers are checked per passage.
    const auto startTokenizer = tc.initFrom.empty() ? nullptr : loadTokenizer(tc.initFrom);
    const bool characters = !startTokenizer || startTokenizer->kind() == "char";
    if (task && characters && c.nPositions < task->maxLength())
        throw Error(source, "n_positions " + std::to_string(c.nPositions) + " is shorter than the task's longest example (" +
                                std::to_string(task->maxLength()) + ")");
    return c;
}

double learningRate(const TrainConfig& c, int step) {
    if (step < c.warmupSteps) return c.learningRate * (step + 1) / c.warmupSteps;
    const double progress = c.steps > c.warmupSteps ? double(step - c.warmupSteps) / (c.steps - c.warmupSteps) : 1.0;
    return c.minLearningRate + 0.5 * (c.learningRate - c.minLearningRate) * (1.0 + std::cos(M_PI * std::min(1.0, progress)));
}

// train_only and mechanism_start name tensors by the end of their names ("gate_log_alpha").
bool endsWith(const std::string& name, const std::string& suffix) {
    return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool trains(const TrainConfig& c, const std::string& name) {
    if (c.trainOnly.empty()) return true;
    for (const auto& suffix : c.trainOnly)
        if (endsWith(name, suffix)) return true;
    return false;
}

// The weights a run starts from, on `device`: a new model drawn as init draws it, the init_from model (the
// mechanisms it lacks initialised as init would), or the checkpoint it resumes. Copies: a file's tensors stay
// mapped.
NamedTensors startingWeights(const TrainConfig& tc, const ModelConfig& config, bool resume, const std::string& checkpointDir,
                             const torch::Device& device) {
    torch::NoGradGuard noGrad;
    NamedTensors tensors;
    auto take = [&](const std::string& name, const torch::Tensor& t) { tensors[name] = device.is_cpu() ? t.clone() : t.to(device); };
    if (resume) {
        for (auto& [name, t] : readTensors(SafetensorsFile::open(checkpointDir + "/model.safetensors"), torch::kCPU)) take(name, t);
    } else if (tc.initFrom.empty()) {
        for (const auto& [name, t] : initialModel(config, tc.seed).named()) take(name, t);
    } else {
        NamedTensors file = readModelWeights(config, tc.initFrom, torch::kCPU);
        std::set<std::string> inFile;
        for (const auto& item : file) inFile.insert(item.first);
        const Transformer start(config, std::move(file), tc.initFrom, &tc.seed);
        for (const auto& [name, t] : start.named()) {
            take(name, t);
            if (inFile.count(name)) continue;
            for (const auto& [suffix, value] : tc.mechanismStart)   // a mechanism the start model lacked
                if (endsWith(name, suffix)) tensors[name].fill_(value);
        }
    }
    return tensors;
}

// A new run needs a new or empty folder, which may not be, hold or lie inside the model it starts from; a resumed
// one needs its checkpoint. All checked before anything is written.
void checkOutputFolder(const TrainConfig& tc, const std::string& outDir, bool resume) {
    std::vector<ModelInput> inputs;
    if (!tc.initFrom.empty()) inputs.push_back({"init_from", tc.initFrom});
    checkModelOutputFolder(outDir, inputs, /*resuming=*/true);
    const std::string ckpt = outDir + "/checkpoint";
    const bool haveCheckpoint = pathExists(ckpt + "/state.json");
    if (resume && !haveCheckpoint) throw Error(ckpt, "no checkpoint to resume from");
    if (!resume && haveCheckpoint) throw Error(outDir, "holds a checkpoint; pass --resume to continue it, or choose another --out");
    if (!resume) checkModelOutputFolder(outDir, {});
}

// The tokenizer the examples are encoded with: the run's own (resuming), init_from's (copied beside the new
// model by the first checkpoint), or a character vocabulary of the task's alphabet (written there too).
std::unique_ptr<ExampleEncoder> exampleEncoder(const TrainConfig& tc, const Task& task, const ModelConfig& config,
                                               const std::string& outDir, bool resume, RunTokenizer& tokenizer) {
    if (resume) return std::make_unique<ExampleEncoder>(outDir, task, config);
    if (!tc.initFrom.empty()) {
        tokenizer.copyFrom = tc.initFrom;
        return std::make_unique<ExampleEncoder>(tc.initFrom, task, config);
    }
    tokenizer.characters = initialVocabulary(config, task.alphabet());
    return std::make_unique<ExampleEncoder>(tokenizer.characters, task, config);
}

// AdamW over the parameters train_only selects: weight decay on matrices, none on vectors; with
// mechanism_learning_rate, the mechanisms' tensors in a group of their own at that rate (no decay).
struct Optimizer {
    std::vector<torch::Tensor> decay, noDecay, mechanism;
    std::unique_ptr<torch::optim::AdamW> adamw;
    std::vector<double> rateScale;   // per group: its learning rate over learning_rate's

    std::vector<torch::Tensor> all() const {
        std::vector<torch::Tensor> out = decay;
        out.insert(out.end(), noDecay.begin(), noDecay.end());
        out.insert(out.end(), mechanism.begin(), mechanism.end());
        return out;
    }
};

// The tensors the mechanisms add (by their storage), so the optimizer can give them their own rate.
std::set<const void*> mechanismTensors(const Transformer& model) {
    std::set<const void*> out;
    for (int l = 0; l < model.config().nLayer; ++l)
        for (const auto& item : model.mechanisms(l).byName)
            if (item.second.defined()) out.insert(item.second.unsafeGetTensorImpl());
    return out;
}

Optimizer makeOptimizer(const TrainConfig& tc, Transformer& model) {
    Optimizer o;
    const std::set<const void*> ownRate = tc.mechanismLearningRate > 0 ? mechanismTensors(model) : std::set<const void*>{};
    for (auto& [name, t] : model.named()) {
        const bool learns = trains(tc, name);
        t.set_requires_grad(learns);
        if (!learns) continue;
        if (ownRate.count(t.unsafeGetTensorImpl())) o.mechanism.push_back(t);
        else (t.dim() >= 2 ? o.decay : o.noDecay).push_back(t);
    }
    if (o.all().empty()) throw Error("TRAIN.json", "\"train_only\" matches no parameter");
    auto options = [&](double weightDecay) {
        return std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(tc.learningRate).betas({0.9, 0.95}).weight_decay(weightDecay));
    };
    std::vector<torch::optim::OptimizerParamGroup> groups;
    if (!o.decay.empty()) {
        groups.emplace_back(o.decay, options(tc.weightDecay));
        o.rateScale.push_back(1.0);
    }
    if (!o.noDecay.empty()) {
        groups.emplace_back(o.noDecay, options(0.0));
        o.rateScale.push_back(1.0);
    }
    if (!o.mechanism.empty()) {
        groups.emplace_back(o.mechanism, options(0.0));
        o.rateScale.push_back(tc.mechanismLearningRate / tc.learningRate);
    }
    o.adamw = std::make_unique<torch::optim::AdamW>(groups, torch::optim::AdamWOptions(tc.learningRate));
    return o;
}

// The mechanisms' regularisers with a weight above 0 (TRAIN.json's coefficients, else their defaults), and what
// the forward pass must provide for them.
struct Regularisers {
    std::vector<std::pair<const Mechanism*, double>> weighted;
    bool gateNoise = false;   // Hard Concrete gates sample their noise
    bool capture = false;     // a regulariser reads the layers' captures
};

Regularisers regularisersOf(const ModelConfig& config, const TrainConfig& tc) {
    Regularisers r;
    for (const Mechanism* m : mechanismsOf(config)) {
        r.gateNoise = r.gateNoise || m->needsGateNoise();
        if (!m->regulariserKey()) continue;
        const auto it = tc.regularisers.find(m->regulariserKey());
        const double weight = it != tc.regularisers.end() ? it->second : m->regulariserDefault();
        if (!(weight > 0)) continue;
        r.weighted.emplace_back(m, weight);
        r.capture = r.capture || m->regulariserNeedsCapture();
    }
    return r;
}

// One optimizer step on one batch: the task loss plus the regularisers, clipped, then each mechanism's projection
// of its parameters back into range.
struct StepOutcome {
    torch::Tensor loss, taskLoss, logits, targets;
};

StepOutcome trainStep(const TrainConfig& tc, Transformer& model, Optimizer& optimizer, const Regularisers& reg,
                      const Batch& batch, torch::Generator& gateNoise, const torch::Device& device, double lr) {
    auto& groups = optimizer.adamw->param_groups();
    for (size_t i = 0; i < groups.size(); ++i)
        static_cast<torch::optim::AdamWOptions&>(groups[i].options()).lr(lr * optimizer.rateScale[i]);
    StepOutcome s;
    const auto ids = batch.ids.to(device);
    s.targets = batch.targets.to(device);
    ForwardOptions options;
    options.capture.enabled = reg.capture;
    options.gateNoise = reg.gateNoise ? &gateNoise : nullptr;
    auto out = model.forward(ids, options);
    s.logits = out.logits;
    s.taskLoss = scoredCrossEntropy(out.logits, s.targets);
    s.loss = s.taskLoss;
    for (const auto& [m, weight] : reg.weighted)
        if (auto penalty = m->regulariser(model.mechanismHost(), out.layers, weight); penalty.defined()) s.loss = s.loss + penalty;
    optimizer.adamw->zero_grad();
    s.loss.backward();
    if (tc.gradClip > 0) torch::nn::utils::clip_grad_norm_(optimizer.all(), tc.gradClip);
    optimizer.adamw->step();
    for (const Mechanism* m : mechanismsOf(model.config())) m->projectParameters(model.mechanismHost());
    return s;
}

// A span fit's start (training/span_start.h), with the span_lambda the run uses.
void searchSpanStarts(const TrainConfig& tc, Transformer& model, const ExampleSource& examples, const Regularisers& regularisers,
                      const torch::Device& device) {
    if (!model.config().mechanisms.has(AdaptiveSpanConfig::kKey)) throw Error("TRAIN.json", "\"span_start_search\" needs adaptive_span");
    double lambda = 0;
    for (const auto& [m, weight] : regularisers.weighted)
        if (m->key() == std::string(AdaptiveSpanConfig::kKey)) lambda = weight;
    searchSpanStarts(model, examples, tc.seed, tc.batchSize, lambda, device);
}

// With a dtype other than float32, the frozen matrices are stored and multiplied in it; the float32 tensors they
// were are kept for saving, so a saved model holds the weights it started from, bit for bit.
NamedTensors storeFrozenMatrices(const TrainConfig& tc, Transformer& model) {
    NamedTensors originals;
    if (tc.dtype == "float32") return originals;
    if (tc.trainOnly.empty()) throw Error("TRAIN.json", "\"dtype\" " + tc.dtype + " needs frozen weights (\"train_only\")");
    for (const auto& [name, t] : model.named()) {
        if (t.dim() >= 2 && t.requires_grad())
            throw Error("TRAIN.json", "\"dtype\" " + tc.dtype + " needs every matrix frozen, but " + name + " learns");
        if (t.dim() >= 2) originals[name] = t;
    }
    model.storeMatricesAs(tc.dtype == "bfloat16" ? torch::kBFloat16 : torch::kHalf);
    return originals;
}

// The timeline a run continues: its folder's, up to the checkpoint it resumes from (none: a new one).
Timeline startingTimeline(const std::string& outDir, bool resume, int step, const Regularisers& regularisers) {
    Timeline t;
    const std::string path = outDir + "/timeline.h5";
    if (resume && pathExists(path)) {
        t = Timeline::read(path);
        t.truncateAfter(step);
    }
    t.lambdaKey = regularisers.weighted.empty() ? "" : regularisers.weighted.front().first->regulariserKey();
    return t;
}

} // namespace

TrainResult train(const TrainConfig& tc, const std::string& outDir, bool resume,
                  const std::function<void(const TrainProgress&)>& progress, const std::atomic<bool>* stop) {
    // 1. Everything checked before the folder exists: output folder, device, task, model, tokenizer, examples.
    checkOutputFolder(tc, outDir, resume);
    const torch::Device device = trainingDevice(tc);
    ExampleSource examples;
    if (tc.textFile.empty()) examples.task = makeTask(tc.task);
    const ModelConfig config = resolveConfig(tc, examples.task.get(), "TRAIN.json");
    if (!config.causal && examples.task)
        throw Error("TRAIN.json", "a task scores next-token predictions; " + config.modelType +
                                      " is a masked-token model (fit it on a text file: \"text_file\")");
    const std::string ckpt = outDir + "/checkpoint";
    RunTokenizer tokenizer;   // what the first checkpoint writes beside a new model
    if (examples.task) {
        examples.encoder = exampleEncoder(tc, *examples.task, config, outDir, resume, tokenizer);
    } else {
        examples.windows = std::make_unique<TokenWindows>(resume ? outDir : tc.initFrom, tc.textFile, tc.context, config);
        if (!resume) tokenizer.copyFrom = tc.initFrom;
    }

    // 2. The model, its optimizer and the random streams, from the checkpoint when resuming.
    torch::manual_seed(tc.seed);
    Transformer model(config, startingWeights(tc, config, resume, ckpt, device),
                      resume ? ckpt + "/model.safetensors" : tc.initFrom.empty() ? "the new model" : tc.initFrom);
    const Regularisers regularisers = regularisersOf(config, tc);
    if (tc.spanStartSearch && !resume) searchSpanStarts(tc, model, examples, regularisers, device);
    Optimizer optimizer = makeOptimizer(tc, model);
    const NamedTensors originals = storeFrozenMatrices(tc, model);
    std::mt19937_64 dataRng(tc.seed * 2654435761ULL + 1);
    torch::Generator gateNoise = at::make_generator<at::CPUGeneratorImpl>(tc.seed + 1);
    int step = 0;
    double elapsedBefore = 0;
    if (resume) {
        const ResumeState state = readCheckpointState(ckpt, tc, dataRng, gateNoise, *optimizer.adamw, device);
        step = state.step;
        elapsedBefore = state.seconds;
    }
    if (examples.encoder && examples.encoder->lengthKnownOnlyByEncoding())
        checkEveryExample(examples, dataRng, static_cast<int64_t>(tc.steps - step) * tc.batchSize);
    Timeline timeline = startingTimeline(outDir, resume, step, regularisers);
    // The run after `doneSteps` steps: its losses, the regulariser's coefficient and every head's state.
    auto stateAt = [&](int doneSteps, double loss, double taskLoss, double lr) {
        TimelineStep t;
        t.step = doneSteps;
        t.loss = loss;
        t.taskLoss = taskLoss;
        t.lambda = regularisers.weighted.empty() ? 0.0 : regularisers.weighted.front().second;
        t.learningRate = lr;
        for (const Mechanism* m : mechanismsOf(config)) m->timelineHeads(model.mechanismHost(), t.heads);
        return t;
    };
    if (timeline.steps.empty()) {   // where a new run starts
        const double nan = std::numeric_limits<double>::quiet_NaN();
        timeline.steps.push_back(stateAt(step, nan, nan, learningRate(tc, step)));
    }

    // 3. The folder, created by the first checkpoint and taken away again should the run fail before that
    //    checkpoint is whole.
    ModelOutputFolder folder(outDir);
    auto checkpoint = [&](int doneSteps, double seconds) {
        const bool first = !folder.created();
        if (first) folder.create();
        CheckpointContents contents;
        contents.config = &tc;
        contents.model = &model;
        contents.optimizer = optimizer.adamw.get();
        contents.device = device;
        contents.dataRng = &dataRng;
        contents.gateNoise = &gateNoise;
        contents.step = doneSteps;
        contents.seconds = seconds;
        contents.originals = originals.empty() ? nullptr : &originals;
        writeCheckpoint(outDir, contents, first && !resume ? &tokenizer : nullptr);
        timeline.write(outDir + "/timeline.h5");
        folder.keep();   // a usable model from here on: a later failure leaves this checkpoint
    };

    // 4. The steps, reported (and put on the timeline) every log_every, checkpointed every checkpoint_every
    //    (and when stopped).
    TrainResult result;
    const auto start = Clock::now();
    auto secondsSinceStart = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
    int64_t tokens = 0;
    const int firstStep = step;
    for (; step < tc.steps; ++step) {
        const double lr = learningRate(tc, step);
        const Batch batch = makeBatch(examples, dataRng, tc.batchSize);   // drawn on the CPU, the same on every device
        const StepOutcome s = trainStep(tc, model, optimizer, regularisers, batch, gateNoise, device, lr);
        tokens += batch.tokens;

        const bool last = step + 1 == tc.steps;
        if ((step + 1) % tc.logEvery == 0 || last || step == firstStep || (stop && stop->load())) {
            const double seconds = secondsSinceStart();
            TrainProgress p;
            p.step = step + 1;
            p.steps = tc.steps;
            p.loss = s.loss.item<double>();
            p.taskLoss = s.taskLoss.item<double>();
            p.metric = scoredAccuracy(s.logits, s.targets);
            p.learningRate = lr;
            p.tokensPerSecond = seconds > 0 ? tokens / seconds : 0;
            p.etaSeconds = seconds / (step + 1 - firstStep) * (tc.steps - step - 1);
            // The timeline keeps the steps an uninterrupted run logs, and the one a stop checkpoints at (a resumed
            // run's first report is not on it).
            const TimelineStep t = stateAt(p.step, p.loss, p.taskLoss, lr);
            if ((step + 1) % tc.logEvery == 0 || last || step == 0 || (stop && stop->load())) timeline.steps.push_back(t);
            p.lambda = t.lambda;
            p.heads = t.heads;
            result.last = p;
            if (progress) progress(p);
        }
        const bool stopping = stop && stop->load();   // read after the report, which may have asked to stop
        if ((step + 1) % tc.checkpointEvery == 0 || last || stopping) checkpoint(step + 1, elapsedBefore + secondsSinceStart());
        if (stopping) {
            result.interrupted = !last;
            ++step;
            break;
        }
    }
    result.steps = step;
    result.seconds = elapsedBefore + secondsSinceStart();
    return result;
}

} // namespace headlight
