// The training loop: task batches, the mechanisms' regularizers, AdamW with warm-up and cosine decay,
// gradient clipping, checkpoints that resume exactly, and a clean stop on request.
#include "io/atomic_file.h"
#include "checkpoint/checkpoint.h"
#include "model/transformer.h"
#include "headlight/error.h"
#include "headlight/model_init.h"
#include "headlight/training.h"
#include "headlight/input_file.h"
#include "io/json_util.h"
#include "nn/torch_bridge.h"
#include "training/example_encoder.h"
#include "training/training_losses.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <cstdlib>
#include <sstream>
#include <sys/stat.h>

namespace headlight {
namespace {

using Clock = std::chrono::steady_clock;

bool exists(const std::string& p) {
    struct stat st {};
    return stat(p.c_str(), &st) == 0;
}

void saveWeights(const Transformer& model, const std::string& path) {
    std::vector<NamedArray> arrays;
    for (const auto& [name, t] : model.named()) arrays.push_back({name, toArray(t.detach())});
    writeSafetensors(path, arrays);
}

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

// Moves AdamW's per-parameter moments: to the CPU for writing a checkpoint (which then loads on any device),
// and onto the training device after writing or reading one. Exact copies, so resuming stays bit-identical.
void moveOptimizerState(torch::optim::AdamW& optimizer, const torch::Device& device) {
    for (auto& item : optimizer.state()) {
        auto& s = static_cast<torch::optim::AdamWParamState&>(*item.second);
        if (s.exp_avg().defined()) s.exp_avg(s.exp_avg().to(device));
        if (s.exp_avg_sq().defined()) s.exp_avg_sq(s.exp_avg_sq().to(device));
        if (s.max_exp_avg_sq().defined()) s.max_exp_avg_sq(s.max_exp_avg_sq().to(device));
    }
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

// The tokenizer files a fine-tuned model keeps from the model it started from.
void copyTokenizerFiles(const std::string& from, const std::string& to) {
    bool any = false;
    for (const char* name : {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
                             "vocab.json", "merges.txt", "vocab.txt"}) {
        const std::string source = from + "/" + name;
        if (!exists(source)) continue;
        writeFileAtomically(to + "/" + name, jsonutil::readTextFile(source));
        any = true;
    }
    if (!any) throw Error(from, "has no tokenizer files to fine-tune with (vocab.json, tokenizer.json or vocab.txt)");
    // init writes a character vocab.json for small vocabularies; the starting model's own files replace it.
    if (!exists(from + "/vocab.json")) std::filesystem::remove(to + "/vocab.json");
}

// The model config: the TRAIN.json "model" object (any family) with vocab_size and the positions filled from
// the task, or
// the init_from model's config with the mechanisms "model" adds.
ModelConfig resolveConfig(const TrainConfig& tc, const Task& task, const std::string& source) {
    nlohmann::json j;
    if (!tc.initFrom.empty()) {
        j = nlohmann::json::parse(ModelConfig::fromFile(tc.initFrom + "/config.json").toJson());   // our own output
        if (!tc.modelJson.empty()) {
            const auto extra = jsonutil::parse(tc.modelJson, source, "model");
            for (const auto& item : extra.items())
                if (item.key() != "headlight" && item.key() != "model_type")
                    throw Error(source, "with \"init_from\", \"model\" may only add mechanisms (\"headlight\"), not \"" + item.key() + "\"");
            if (j["model_type"] == "gpt2") j["model_type"] = "headlight";   // the native name for GPT-2 with mechanisms
            if (extra.contains("headlight")) j["headlight"].merge_patch(extra["headlight"]);
        }
    } else {
        j = jsonutil::parse(tc.modelJson, source, "model");
        const int alphabet = static_cast<int>(splitUtf8(task.alphabet(), "task").size());
        if (!j.contains("vocab_size")) j["vocab_size"] = alphabet;
        if (!j.contains("model_type")) j["model_type"] = j.contains("headlight") ? "headlight" : "gpt2";
        const bool native = j["model_type"] == "gpt2" || j["model_type"] == "headlight";
        const char* positions = native ? "n_positions" : "max_position_embeddings";   // Hugging Face families
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

std::string generatorState(torch::Generator& gen) {
    std::lock_guard<std::mutex> lock(gen.mutex());
    auto state = gen.get_state();
    return std::string(reinterpret_cast<const char*>(state.data_ptr<uint8_t>()), static_cast<size_t>(state.numel()));
}

void setGeneratorState(torch::Generator& gen, const std::string& bytes) {
    auto state = torch::empty({static_cast<int64_t>(bytes.size())}, torch::kUInt8);
    std::memcpy(state.data_ptr<uint8_t>(), bytes.data(), bytes.size());
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(state);
}

std::string toHex(const std::string& bytes) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) { out += digits[c >> 4]; out += digits[c & 15]; }
    return out;
}
// Error naming `source` on an odd length or a character that is not a hex digit.
std::string fromHex(const std::string& hex, const std::string& source) {
    auto digit = [&](char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        throw Error(source, "\"gate_rng\" is not hexadecimal (checkpoint corrupted?)");
    };
    if (hex.size() % 2 != 0) throw Error(source, "\"gate_rng\" has an odd number of hex digits (checkpoint corrupted?)");
    std::string out;
    for (size_t i = 0; i < hex.size(); i += 2) out += static_cast<char>(digit(hex[i]) * 16 + digit(hex[i + 1]));
    return out;
}

// The resumable state of checkpoint/state.json, checked against the run it continues; every problem names
// the file.
struct ResumeState {
    int step = 0;
    double seconds = 0;
};
ResumeState readResumeState(const std::string& path, const TrainConfig& tc, std::mt19937_64& dataRng, torch::Generator& gateNoise) {
    const nlohmann::json state = jsonutil::parse(jsonutil::readTextFile(path), path);
    if (!state.is_object()) throw Error(path, "expected a JSON object (checkpoint corrupted?)");
    ResumeState r;
    r.step = jsonutil::requireInt(state, "step", path);
    r.seconds = jsonutil::requireNumber(state, "seconds", path);
    if (r.step < 0) throw Error(path, "\"step\" must be >= 0, got " + std::to_string(r.step));
    if (r.step > tc.steps)
        throw Error(path, "the checkpoint is at step " + std::to_string(r.step) + ", beyond the " + std::to_string(tc.steps) +
                              " steps of this TRAIN.json (raise \"steps\" to continue it)");
    std::istringstream rng(jsonutil::requireString(state, "data_rng", path));
    rng >> dataRng;
    if (rng.fail()) throw Error(path, "\"data_rng\" is not a random generator state (checkpoint corrupted?)");
    try {
        setGeneratorState(gateNoise, fromHex(jsonutil::requireString(state, "gate_rng", path), path));
    } catch (const c10::Error&) {
        throw Error(path, "\"gate_rng\" is not a random generator state (checkpoint corrupted?)");
    }
    return r;
}

} // namespace

TrainResult train(const TrainConfig& tc, const std::string& outDir, bool resume,
                  const std::function<void(const TrainProgress&)>& progress, const std::atomic<bool>* stop) {
    const torch::Device device = trainingDevice(tc);
    const auto task = makeTask(tc.task);
    const std::string source = outDir + "/training.json";
    const ModelConfig config = resolveConfig(tc, *task, "TRAIN.json");
    if (!config.causal)
        throw Error("TRAIN.json", "training scores next-token predictions; " + config.modelType + " is a masked-token model");
    if (!tc.initFrom.empty()) ExampleEncoder(tc.initFrom, *task, config);   // refuse a tokenizer before writing anything
    const std::string ckpt = outDir + "/checkpoint";
    const bool haveCheckpoint = exists(ckpt + "/state.json");
    if (resume && !haveCheckpoint) throw Error(ckpt, "no checkpoint to resume from");
    if (!resume && haveCheckpoint) throw Error(outDir, "holds a checkpoint; pass --resume to continue it, or choose another --out");

    // The starting weights: a fresh init, a model to fine-tune, or the checkpoint.
    torch::manual_seed(tc.seed);
    if (!resume) {
        if (tc.initFrom.empty()) {
            initRandomModel(config, tc.seed, outDir, task->alphabet());
        } else {
            // Mechanism tensors the model lacks start as init would start them.
            const Transformer start(config, readCheckpoint(tc.initFrom, torch::kCPU), tc.initFrom, &tc.seed);
            initRandomModel(config, tc.seed, outDir);   // creates the folder and a config; weights follow below
            std::vector<NamedArray> arrays;
            for (const auto& [name, t] : start.named()) arrays.push_back({name, toArray(t)});
            writeSafetensors(outDir + "/model.safetensors", arrays);
            copyTokenizerFiles(tc.initFrom, outDir);
        }
    }
    const std::string weightsPath = resume ? ckpt + "/model.safetensors" : outDir + "/model.safetensors";
    NamedTensors tensors;
    for (auto& [name, t] : readTensors(SafetensorsFile::open(weightsPath), torch::kCPU))
        tensors[name] = device.is_cpu() ? t.clone() : t.to(device);   // a copy either way: the file stays mapped
    Transformer model(config, std::move(tensors), weightsPath);
    const ExampleEncoder encoder(outDir, *task, config);

    std::vector<torch::Tensor> decay, noDecay;
    for (auto& [name, t] : model.named()) {
        const bool learns = trains(tc, name);
        t.set_requires_grad(learns);
        if (learns) (t.dim() >= 2 ? decay : noDecay).push_back(t);
    }
    if (decay.empty() && noDecay.empty()) throw Error("TRAIN.json", "\"train_only\" matches no parameter");
    std::vector<torch::optim::OptimizerParamGroup> groups;
    if (!decay.empty()) groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(tc.learningRate).betas({0.9, 0.95}).weight_decay(tc.weightDecay)));
    if (!noDecay.empty()) groups.emplace_back(noDecay, std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(tc.learningRate).betas({0.9, 0.95}).weight_decay(0.0)));
    torch::optim::AdamW optimizer(groups, torch::optim::AdamWOptions(tc.learningRate));

    std::mt19937_64 dataRng(tc.seed * 2654435761ULL + 1);
    torch::Generator gateNoise = at::make_generator<at::CPUGeneratorImpl>(tc.seed + 1);
    int step = 0;
    double elapsedBefore = 0;
    if (resume) {
        const ResumeState state = readResumeState(ckpt + "/state.json", tc, dataRng, gateNoise);
        step = state.step;
        elapsedBefore = state.seconds;
        const std::string optimizerPath = ckpt + "/optimizer.pt";
        requireRegularFile(optimizerPath);
        try {
            torch::load(optimizer, optimizerPath, torch::Device(torch::kCPU));   // written on the CPU (checkpoint below)
        } catch (const c10::Error&) {
            throw Error(optimizerPath, "cannot be read as this model's optimizer state (checkpoint corrupted?)");
        }
        moveOptimizerState(optimizer, device);
    }

    auto checkpoint = [&](int doneSteps, double seconds) {
        // New checkpoint beside the old one, then swapped in, so an interrupted write leaves the old one whole.
        const std::string fresh = ckpt + "-new", old = ckpt + "-old";
        std::filesystem::remove_all(fresh);
        std::filesystem::create_directories(fresh);
        saveWeights(model, fresh + "/model.safetensors");
        moveOptimizerState(optimizer, torch::kCPU);
        try {
            torch::save(optimizer, fresh + "/optimizer.pt");
        } catch (const c10::Error&) {
            throw Error(fresh + "/optimizer.pt", "cannot write the optimizer state (disk full?)");
        }
        moveOptimizerState(optimizer, device);
        std::ostringstream rng;
        rng << dataRng;
        nlohmann::json state = {{"step", doneSteps}, {"seconds", seconds}, {"data_rng", rng.str()},
                                {"gate_rng", toHex(generatorState(gateNoise))}};
        writeFileAtomically(fresh + "/state.json", state.dump());
        std::filesystem::remove_all(old);
        if (exists(ckpt)) std::filesystem::rename(ckpt, old);
        std::filesystem::rename(fresh, ckpt);
        std::filesystem::remove_all(old);
        // The folder itself stays a usable model at every checkpoint.
        saveWeights(model, outDir + "/model.safetensors");
        writeFileAtomically(outDir + "/config.json", config.toJson() + "\n");
        writeFileAtomically(source, nlohmann::json({{"train_config", nlohmann::json::parse(tc.toJson())},
                                                    {"steps_done", doneSteps}, {"seconds", seconds}}).dump(2) + "\n");
    };

    TrainResult result;
    const auto start = Clock::now();
    int64_t tokens = 0;
    const int firstStep = step;
    // The mechanisms' regularisers with a weight above 0 (TRAIN.json's coefficients, else their defaults).
    std::vector<std::pair<const Mechanism*, double>> regularised;
    bool gateNoiseNeeded = false, captureNeeded = false;
    for (const Mechanism* m : mechanismsOf(config)) {
        gateNoiseNeeded = gateNoiseNeeded || m->needsGateNoise();
        if (!m->regulariserKey()) continue;
        const auto it = tc.regularisers.find(m->regulariserKey());
        const double weight = it != tc.regularisers.end() ? it->second : m->regulariserDefault();
        if (!(weight > 0)) continue;
        regularised.emplace_back(m, weight);
        captureNeeded = captureNeeded || m->regulariserNeedsCapture();
    }
    const auto mechanisms = mechanismsOf(config);
    for (; step < tc.steps; ++step) {
        const double lr = learningRate(tc, step);
        for (auto& g : optimizer.param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);

        const Batch batch = makeBatch(*task, dataRng, tc.batchSize, encoder);   // drawn on the CPU, the same on every device
        const auto ids = batch.ids.to(device), targets = batch.targets.to(device);
        ForwardOptions options;
        options.capture.enabled = captureNeeded;
        options.gateNoise = gateNoiseNeeded ? &gateNoise : nullptr;
        auto out = model.forward(ids, options);
        auto taskLoss = scoredCrossEntropy(out.logits, targets);
        auto loss = taskLoss;
        for (const auto& [m, weight] : regularised)
            if (auto penalty = m->regulariser(model.mechanismHost(), out.layers, weight); penalty.defined()) loss = loss + penalty;
        optimizer.zero_grad();
        loss.backward();
        if (tc.gradClip > 0) {
            std::vector<torch::Tensor> all = decay;
            all.insert(all.end(), noDecay.begin(), noDecay.end());
            torch::nn::utils::clip_grad_norm_(all, tc.gradClip);
        }
        optimizer.step();
        for (const Mechanism* m : mechanisms) m->projectParameters(model.mechanismHost());
        tokens += batch.tokens;

        const bool last = step + 1 == tc.steps;
        if ((step + 1) % tc.logEvery == 0 || last || step == firstStep || (stop && stop->load())) {
            const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
            TrainProgress p;
            p.step = step + 1;
            p.steps = tc.steps;
            p.loss = loss.item<double>();
            p.taskLoss = taskLoss.item<double>();
            p.metric = scoredAccuracy(out.logits, targets);
            p.learningRate = lr;
            p.tokensPerSecond = seconds > 0 ? tokens / seconds : 0;
            p.etaSeconds = step + 1 > firstStep ? seconds / (step + 1 - firstStep) * (tc.steps - step - 1) : 0;
            result.last = p;
            if (progress) progress(p);
        }
        const bool stopping = stop && stop->load();   // read after the report, which may have asked to stop
        if ((step + 1) % tc.checkpointEvery == 0 || last || stopping)
            checkpoint(step + 1, elapsedBefore + std::chrono::duration<double>(Clock::now() - start).count());
        if (stopping) {
            result.interrupted = !last;
            ++step;
            break;
        }
    }
    result.steps = step;
    result.seconds = elapsedBefore + std::chrono::duration<double>(Clock::now() - start).count();
    return result;
}

} // namespace headlight
