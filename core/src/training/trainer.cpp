// The training loop: task batches, the mechanisms' regularizers, AdamW with warm-up and cosine decay,
// gradient clipping, checkpoints that resume exactly, and a clean stop on request. Everything a run needs is
// checked before its folder is written (the first checkpoint creates it), and a run that fails before its first
// checkpoint takes the folder away again.
#include "checkpoint/checkpoint.h"
#include "headlight/input_file.h"
#include "model/initial_model.h"
#include "model/transformer.h"
#include "headlight/error.h"
#include "headlight/output_folder.h"
#include "headlight/training.h"
#include "io/json_util.h"
#include "nn/torch_bridge.h"
#include "training/example_encoder.h"
#include "training/run_folder.h"
#include "training/training_losses.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>
#include <chrono>
#include <cmath>
#include <cstdlib>
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

struct Batch {
    torch::Tensor ids;       // [B,T] padded with the encoder's pad id
    torch::Tensor targets;   // [B,T] what each position predicts, -1 unscored (and on padding)
    int64_t tokens = 0;
};

Batch makeBatch(const Task& task, std::mt19937_64& rng, int size, const ExampleEncoder& encoder) {
    std::vector<ScoredExample> examples;
    size_t T = 0;
    for (int b = 0; b < size; ++b) {
        examples.push_back(encoder.encode(task.sample(rng)));
        T = std::max(T, examples.back().ids.size());
    }
    auto ids = torch::full({size, static_cast<int64_t>(T)}, encoder.padId(), torch::kLong);
    auto targets = torch::full({size, static_cast<int64_t>(T)}, -1, torch::kLong);
    auto idAcc = ids.accessor<int64_t, 2>();
    auto targetAcc = targets.accessor<int64_t, 2>();
    Batch batch;
    for (int b = 0; b < size; ++b) {
        const auto& ex = examples[static_cast<size_t>(b)];
        for (size_t t = 0; t < ex.ids.size(); ++t) {
            idAcc[b][static_cast<int64_t>(t)] = ex.ids[t];
            targetAcc[b][static_cast<int64_t>(t)] = ex.targets[t];
        }
        batch.tokens += static_cast<int64_t>(ex.ids.size());
    }
    batch.ids = ids;
    batch.targets = targets;
    return batch;
}

// The model config: the TRAIN.json "model" object (any family) with vocab_size and the positions filled from
// the task, or
// the init_from model's config with the mechanisms "model" adds.
ModelConfig resolveConfig(const TrainConfig& tc, const Task& task, const std::string& source) {
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
        const int alphabet = static_cast<int>(splitUtf8(task.alphabet(), "task").size());
        if (!j.contains("vocab_size")) j["vocab_size"] = alphabet;
        // Without a model_type, Headlight's own layout: GPT-2's, saved as "headlight" when it has mechanisms.
        const Family& own = gpt2Family();
        if (!j.contains("model_type")) j["model_type"] = j.contains("headlight") ? own.traits.typeWithMechanisms : own.modelTypes.front();
        const Family* family = j["model_type"].is_string() ? findFamily(j["model_type"].get<std::string>()) : nullptr;
        const char* positions = family ? family->traits.positionsKey : own.traits.positionsKey;   // unknown: fromJson says so
        if (!j.contains(positions)) j[positions] = task.maxLength();
        if (j["vocab_size"] != alphabet)
            throw Error(source, "\"model.vocab_size\" must equal the task's alphabet size " + std::to_string(alphabet) + " (or be left out)");
    }
    ModelConfig c = ModelConfig::fromJson(j.dump(), source + " (model)");
    // Character models read one position per character; other tokenizers are checked per passage.
    const auto startTokenizer = tc.initFrom.empty() ? nullptr : loadTokenizer(tc.initFrom);
    const bool characters = !startTokenizer || startTokenizer->kind() == "char";
    if (characters && c.nPositions < task.maxLength())
        throw Error(source, "n_positions " + std::to_string(c.nPositions) + " is shorter than the task's longest example (" +
                                std::to_string(task.maxLength()) + ")");
    return c;
}

double learningRate(const TrainConfig& c, int step) {
    if (step < c.warmupSteps) return c.learningRate * (step + 1) / c.warmupSteps;
    const double progress = c.steps > c.warmupSteps ? double(step - c.warmupSteps) / (c.steps - c.warmupSteps) : 1.0;
    return c.minLearningRate + 0.5 * (c.learningRate - c.minLearningRate) * (1.0 + std::cos(M_PI * std::min(1.0, progress)));
}

bool trains(const TrainConfig& c, const std::string& name) {
    if (c.trainOnly.empty()) return true;
    for (const auto& suffix : c.trainOnly)
        if (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) return true;
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
        const Transformer start(config, readModelWeights(config, tc.initFrom, torch::kCPU), tc.initFrom, &tc.seed);
        for (const auto& [name, t] : start.named()) take(name, t);
    }
    return tensors;
}

// With a tokenizer whose tokens are not characters, only encoding a passage tells whether it fits the model's
// positions and vocabulary. So every example the run will draw is drawn and encoded once before anything is
// written, from a copy of the data generator (training then draws the same ones); an error names the task or
// the tokenizer. The cost is one more encoding of the run's text, small beside its forward and backward passes.
void checkEveryExample(const Task& task, std::mt19937_64 rng, int64_t examples, const ExampleEncoder& encoder) {
    for (int64_t i = 0; i < examples; ++i) encoder.encode(task.sample(rng));
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

// AdamW over the parameters train_only selects: weight decay on matrices, none on vectors.
struct Optimizer {
    std::vector<torch::Tensor> decay, noDecay;
    std::unique_ptr<torch::optim::AdamW> adamw;

    std::vector<torch::Tensor> all() const {
        std::vector<torch::Tensor> out = decay;
        out.insert(out.end(), noDecay.begin(), noDecay.end());
        return out;
    }
};

Optimizer makeOptimizer(const TrainConfig& tc, Transformer& model) {
    Optimizer o;
    for (auto& [name, t] : model.named()) {
        const bool learns = trains(tc, name);
        t.set_requires_grad(learns);
        if (learns) (t.dim() >= 2 ? o.decay : o.noDecay).push_back(t);
    }
    if (o.decay.empty() && o.noDecay.empty()) throw Error("TRAIN.json", "\"train_only\" matches no parameter");
    auto options = [&](double weightDecay) {
        return std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(tc.learningRate).betas({0.9, 0.95}).weight_decay(weightDecay));
    };
    std::vector<torch::optim::OptimizerParamGroup> groups;
    if (!o.decay.empty()) groups.emplace_back(o.decay, options(tc.weightDecay));
    if (!o.noDecay.empty()) groups.emplace_back(o.noDecay, options(0.0));
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
    for (auto& g : optimizer.adamw->param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
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

} // namespace

TrainResult train(const TrainConfig& tc, const std::string& outDir, bool resume,
                  const std::function<void(const TrainProgress&)>& progress, const std::atomic<bool>* stop) {
    // 1. Everything checked before the folder exists: output folder, device, task, model, tokenizer, examples.
    checkOutputFolder(tc, outDir, resume);
    const torch::Device device = trainingDevice(tc);
    const auto task = makeTask(tc.task);
    const ModelConfig config = resolveConfig(tc, *task, "TRAIN.json");
    if (!config.causal)
        throw Error("TRAIN.json", "training scores next-token predictions; " + config.modelType + " is a masked-token model");
    const std::string ckpt = outDir + "/checkpoint";
    RunTokenizer tokenizer;   // what the first checkpoint writes beside a new model
    const auto encoder = exampleEncoder(tc, *task, config, outDir, resume, tokenizer);

    // 2. The model, its optimizer and the random streams, from the checkpoint when resuming.
    torch::manual_seed(tc.seed);
    Transformer model(config, startingWeights(tc, config, resume, ckpt, device),
                      resume ? ckpt + "/model.safetensors" : tc.initFrom.empty() ? "the new model" : tc.initFrom);
    Optimizer optimizer = makeOptimizer(tc, model);
    std::mt19937_64 dataRng(tc.seed * 2654435761ULL + 1);
    torch::Generator gateNoise = at::make_generator<at::CPUGeneratorImpl>(tc.seed + 1);
    int step = 0;
    double elapsedBefore = 0;
    if (resume) {
        const ResumeState state = readCheckpointState(ckpt, tc, dataRng, gateNoise, *optimizer.adamw, device);
        step = state.step;
        elapsedBefore = state.seconds;
    }
    if (encoder->lengthKnownOnlyByEncoding())
        checkEveryExample(*task, dataRng, static_cast<int64_t>(tc.steps - step) * tc.batchSize, *encoder);

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
        writeCheckpoint(outDir, contents, first && !resume ? &tokenizer : nullptr);
        folder.keep();   // a usable model from here on: a later failure leaves this checkpoint
    };

    // 4. The steps, reported every log_every and checkpointed every checkpoint_every (and when stopped).
    const Regularisers regularisers = regularisersOf(config, tc);
    TrainResult result;
    const auto start = Clock::now();
    auto secondsSinceStart = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
    int64_t tokens = 0;
    const int firstStep = step;
    for (; step < tc.steps; ++step) {
        const double lr = learningRate(tc, step);
        const Batch batch = makeBatch(*task, dataRng, tc.batchSize, *encoder);   // drawn on the CPU, the same on every device
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
