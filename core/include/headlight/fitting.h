#pragma once
// Fitting the papers' mechanisms to a trained model (docs/fitting.md): head gates (Voita et al. 2019), adaptive
// spans (Sukhbaatar et al. 2019) or selective attention (Leviathan et al. 2024) added to a copy of the model and
// learned with every weight frozen (or, with trainAll, everything), on a task or on windows of a text file. A
// fit is a training run (headlight/training.h) set up for it, with its held-out score measured at the end; a
// sweep fits one model per lambda from the same start and sets the result beside an importance-order pruning
// curve of the model on the same held-out examples.
#include "headlight/pruning.h"
#include "headlight/training.h"

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace headlight {

struct FitConfig {
    std::string modelDir;
    std::string mechanism;             // "head_gates", "adaptive_span" or "selective_attention"
    std::optional<TaskParams> task;    // the examples: a task ...
    std::string textFile;              // ... or windows of a text file (exactly one of the two)
    int context = 128;                 // tokens per text window
    std::optional<double> lambda;      // the regulariser's coefficient; absent: the mechanism's fitting default
    int steps = 0;                     // 0: the mechanism's fitting default
    int batchSize = 8;
    std::optional<double> learningRate;   // of the mechanism's parameters; absent: its fitting default
    uint64_t seed = 0;
    std::string device = "cpu";
    std::string dtype = "float32";     // frozen matrices' precision (not with trainAll)
    bool trainAll = false;             // every weight learns too (at weightLearningRate)
    double weightLearningRate = 1e-4;  // trainAll: the model's own weights
    int logEvery = 10;
    int checkpointEvery = 100;

    // The training run this fit is: Error naming the option (--mechanism, --lambda, ...) or the model's file for
    // a mechanism the family cannot host or the model already has, a bad lambda, both or neither of task and
    // text, selective attention without trainAll (it has no parameters of its own), a dtype with trainAll.
    TrainConfig trainConfig() const;
    // The coefficient used: lambda, or the mechanism's default.
    double lambdaUsed() const;
    // The config the fitted model will have: the model's with the mechanism added (trainConfig()'s checks).
    ModelConfig fittedConfig() const;
};

// What a fitted model does on examples it never learned from: the held-out text windows, or 200 fresh task
// examples from a seed the fit never draws.
struct FitScore {
    MaskedScore fitted;                // the fitted model
    MaskedScore original;              // the model it started from, on the same examples
    int examples = 0;
    int heads = 0;                     // L * H
    int headsKept = -1;                // head gates: heads whose deterministic gate is above 0; -1 otherwise
    FloatArray spans;                  // adaptive span: [L,H] in tokens; empty otherwise
    std::vector<int> trimWindows;      // per layer: keys beyond it have mask 0 for every head
    double meanSpan = 0;
    double flopsSaved = 0;             // share of attention FLOPs the trim saves at `context` tokens
    int64_t flopsLength = 0;
};

struct FitResult {
    TrainResult training;
    FitScore score;
};

// One fit into `outDir` (a model folder every command opens, with timeline.h5). `resume` continues an
// interrupted fit from its checkpoint; `stop` finishes the step, checkpoints and returns (score left empty).
FitResult fit(const FitConfig& config, const std::string& outDir, bool resume,
              const std::function<void(const TrainProgress&)>& progress = {}, const std::atomic<bool>* stop = nullptr);

// The held-out examples of a fit (as FitScore measures them), encoded for `engine`.
ExampleSet heldOutExamples(const FitConfig& config, const Engine& engine);
// Scores the fitted model in `fittedDir` against the original on the held-out examples.
FitScore scoreFit(const FitConfig& config, const std::string& fittedDir);

struct SweepPoint {
    double lambda = 0;
    std::string modelDir;              // outDir/lambda-<value>
    FitScore score;
};

struct FitSweep {
    std::vector<SweepPoint> points;    // in the order given
    PruningCurve pruning;              // the original model, heads pruned by importance, on the same examples
    bool interrupted = false;          // stopped during a fit: points holds the fits before it, no curve
};

// Fits one model per lambda (each from the same start and seed) into outDir/lambda-<value>/, then the
// importance-order pruning curve of the original model, and writes outDir/sweep.csv and outDir/sweep.h5
// (docs/fitting.md). `resume` continues fits that were stopped and skips finished ones. `progress` gets each
// fit's steps with the index of its lambda.
FitSweep fitSweep(const FitConfig& config, const std::vector<double>& lambdas, const std::string& outDir, bool resume,
                  const std::function<void(size_t point, const TrainProgress&)>& progress = {},
                  const std::atomic<bool>* stop = nullptr);

// The folder name of one lambda's fit: "lambda-0.05".
std::string sweepFolderName(double lambda);

} // namespace headlight
