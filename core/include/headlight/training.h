#pragma once
// Training and evaluation on the synthetic tasks (docs/training.md). Torch-free API over core/src/trainer.cpp.
#include "headlight/engine.h"
#include "headlight/tasks.h"
#include "headlight/timeline.h"

#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace headlight {

struct TrainConfig {
    std::string modelJson;            // the model's config.json object; vocab_size and n_positions may be left out
    std::string initFrom;             // or: fine-tune this model folder (modelJson may then add mechanisms)
    TaskParams task;
    // Or (with initFrom): windows of `context` tokens of this text, encoded by initFrom's tokenizer, the last
    // tenth held out (headlight-cli fit --text-file; docs/fitting.md). Masked-token models (BERT) learn BERT's
    // masked-token objective on them.
    std::string textFile;
    int context = 128;
    // The start values of mechanism tensors that initFrom lacks, by tensor name suffix (e.g. "span_fraction":
    // 0), instead of their initialisation (docs/fitting.md says why spans start small).
    std::map<std::string, double> mechanismStart;
    // Adaptive spans fitted to a trained model: each head's start searched on a probe batch before the first
    // step (training/span_start.h; docs/fitting.md). Only for a run that adds spans to an init_from model.
    bool spanStartSearch = false;
    // Frozen matrices stored and multiplied in "bfloat16" or "float16" (Transformer::storeMatricesAs); only with
    // train_only, so every matrix is frozen. Saved models keep the float32 weights they started from.
    std::string dtype = "float32";
    int steps = 1000;
    int batchSize = 32;
    int warmupSteps = 100;
    double learningRate = 1e-3;
    // > 0: the mechanisms' own tensors learn at this rate (same schedule) while the other weights learn at
    // learningRate (fitting a mechanism with every weight: docs/fitting.md); 0: everything at learningRate.
    double mechanismLearningRate = 0;
    double minLearningRate = 1e-4;    // cosine decay ends here
    double weightDecay = 0.01;        // on matrices only
    double gradClip = 1.0;            // max global gradient norm; 0 = off
    uint64_t seed = 0;
    // Each mechanism's regulariser coefficient by its TRAIN.json key (docs/training.md): "l0_lambda" (head gates:
    // lambda * mean over layers of sum over heads of P(open)), "span_lambda" (adaptive span: lambda * max_span *
    // sum over layers of mean span_fraction), "selective_epsilon" (selective attention: epsilon / (L n) * sum
    // over layers of max_i M_i). fromJson fills in every key, with the mechanism's default when absent.
    std::map<std::string, double> regularisers;
    std::vector<std::string> trainOnly;   // parameter name suffixes that learn (e.g. "gate_log_alpha"); empty = all
    int checkpointEvery = 200;
    int logEvery = 50;
    // Where the model, optimizer state and batches live: "cpu", "cuda" or "cuda:N" (headlight-cli train
    // --device overrides it). Checkpoints are written as CPU tensors, so a run resumes on any device.
    std::string device = "cpu";

    // Parses TRAIN.json; throws headlight::Error naming `source` for bad or unknown keys.
    static TrainConfig fromJson(const std::string& jsonText, const std::string& source);
    static TrainConfig fromFile(const std::string& path);
    // The "train_config" of a trained model's training.json; Error naming the file when it is damaged.
    static TrainConfig fromTrainingRecord(const std::string& trainingJsonPath);
    std::string toJson() const;
};

struct TrainProgress {
    int step = 0, steps = 0;
    double loss = 0;                  // total loss, regularizers included
    double taskLoss = 0;              // cross-entropy on the scored positions
    double metric = 0;                // accuracy on the scored positions of the batch
    double learningRate = 0;
    double tokensPerSecond = 0;
    double etaSeconds = 0;
    double lambda = 0;                // the regulariser's coefficient (Timeline::lambdaKey)
    // Each head's mechanism state after the step, [L,H] by trace name (TimelineStep::heads).
    std::map<std::string, FloatArray> heads;
};

struct TrainResult {
    int steps = 0;
    double seconds = 0;
    bool interrupted = false;
    TrainProgress last;
};

// Trains a model into `outDir` (a model folder, rewritten at every checkpoint, plus outDir/checkpoint/ and
// outDir/timeline.h5, which holds every reported step).
// With `resume`, continues from outDir/checkpoint exactly where it stopped. `stop` is polled once per step:
// when set, the current step finishes, a checkpoint is written and train() returns. Deterministic per device for
// a seed (on CUDA, LibTorch's deterministic algorithms are switched on; docs/training.md says what differs
// between devices). An unusable config.device is an Error naming "device" before anything is written.
TrainResult train(const TrainConfig& config, const std::string& outDir, bool resume,
                  const std::function<void(const TrainProgress&)>& progress = {},
                  const std::atomic<bool>* stop = nullptr);

struct Evaluation {
    int examples = 0;
    int64_t scored = 0;               // scored positions
    double accuracy = 0;              // argmax next token == target, over scored positions
    double loss = 0;                  // mean cross-entropy over scored positions
    double exampleAccuracy = 0;       // share of examples with every scored position right
};

// Runs `n` fresh examples (generator seeded with `seed`) through the engine. Throws headlight::Error when the
// model's vocabulary lacks a character of the task.
// `contextBudget` (per layer, selective models) evaluates under context pruning.
Evaluation evaluate(const Engine& engine, const Task& task, int n, uint64_t seed,
                    const std::vector<int>& contextBudget = {});

struct BudgetStep {
    std::vector<int> budget;          // per layer
    int64_t memory = 0;               // sum of the budgets, each capped at the longest example
    int64_t fullMemory = 0;           // n_layer x longest example
    Evaluation evaluation;
};

// Greedy context-pruning search (Leviathan et al.): start from budgets that never bind, then repeatedly
// shrink the one layer whose reduction costs the least accuracy, while accuracy stays within `tolerance`
// (absolute, e.g. 0.005) of the unpruned model. Returns every accepted step, the unpruned one first.
std::vector<BudgetStep> searchContextBudgets(const Engine& engine, const Task& task, int n, uint64_t seed,
                                             double tolerance, const std::function<void(const BudgetStep&)>& onStep = {});

} // namespace headlight
