#pragma once
// Pruning what-ifs (Michel et al. 2019, "Are Sixteen Heads Really Better than One?"): head importance from
// the gradient of the loss with respect to a head mask, single-head ablation, pruning curves, and context
// budgets for selective models. Definitions: docs/pruning.md. Torch-free API over core/src/pruning.cpp.
#include "headlight/array.h"
#include "headlight/engine.h"
#include "headlight/objective.h"
#include "headlight/result_file.h"
#include "headlight/tasks.h"
#include "headlight/training.h"

#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace headlight {

// Long analyses report progress between batches or steps, `fraction` in [0,1]. Returning false stops the work:
// the function then throws Cancelled (an empty function never stops it).
using AnalysisProgress = std::function<bool(double fraction)>;
struct Cancelled : std::runtime_error {
    Cancelled() : std::runtime_error("cancelled") {}
};

// The examples a what-if is measured on: the model's inputs and what each position is scored on.
struct ExampleSet {
    std::vector<std::vector<int64_t>> ids;       // per example, 1..n_positions tokens (the model's input)
    // Per example, one entry per token: the id that position must predict, or -1 where nothing is scored
    // (next token: targets[t] = ids[t+1]; masked token: the original token at a [MASK]). See objective.h.
    std::vector<std::vector<int64_t>> targets;
    // An encoder-decoder model's examples: per example the source the encoder reads (`ids` is then the decoder's
    // input: its start token and the target, scored on the target's next token). Empty for a model of one stack.
    std::vector<std::vector<int64_t>> sources;
    std::string description;                     // e.g. "text: ...", "file: PATH (12 lines)", "task: {...} n=200 seed=1"

    size_t size() const { return ids.size(); }
    void add(ScoredExample example);

    // A text encoded as every command encodes text (the tokenizer's special tokens). Next-token models: one
    // example, every position scored. Masked-token models (BERT): maskedTokenExamples(), so every token is
    // masked and predicted once. Throws headlight::Error naming "--text".
    static ExampleSet fromText(const Engine& engine, const std::string& text);
    // An encoder-decoder model's pair: the source encoded, the decoder's input its start token and the target's
    // tokens (teacher forcing, as `run --target`), every target token scored. Errors name `--text` or `--target`.
    static ExampleSet fromTranslation(const Engine& engine, const std::string& source, const std::string& target);
    // Each non-empty line as fromText does (an encoder-decoder model's: "SOURCE<tab>TARGET"). Throws
    // headlight::Error naming the file for a missing or empty file, and the line for unknown characters, a line
    // longer than the model's n_positions, or a translation line without its tab.
    static ExampleSet fromFile(const Engine& engine, const std::string& path);
    // `n` examples of a task generator seeded with `seed`; the task's own scored positions.
    static ExampleSet fromTask(const Engine& engine, const TaskParams& task, int n, uint64_t seed);
};

// Mean loss and accuracy of a model (under a head mask) on an ExampleSet.
struct MaskedScore {
    double loss = 0;     // mean over examples of L(x), the mean loss on x's scored positions (objective.h)
    double metric = 0;   // accuracy: argmax == target over all scored positions
};

// `headMask`: L*H row-major values in [0, 1] (1 = keep), or empty for all ones. Throws headlight::Error.
// Every analysis below takes an encoder-decoder model too: its heads are then the rows of its attention stack
// (headlight/attention_stack.h: encoder self-attention, decoder self-attention, cross-attention), and the masks
// and results are [Le + 2L, H].
MaskedScore scoreWithMask(const Engine& engine, const ExampleSet& data, const std::vector<float>& headMask = {});

// I_h = mean over examples x of |dL(x)/d xi_h|, the gradient taken at xi = headMask (so pruned heads stay
// pruned); heads whose mask is 0 get importance 0. `normalizeByLayer` divides each layer's row by its l2 norm.
// One forward and one backward pass per batch of examples. Returns [L,H].
FloatArray headImportance(const Engine& engine, const ExampleSet& data, const std::vector<float>& headMask = {},
                          bool normalizeByLayer = false, const AnalysisProgress& progress = {});

struct Ablation {
    MaskedScore baseline;   // under `headMask`
    FloatArray deltaLoss;   // [L,H] loss with head h also masked, minus baseline.loss (0 for already pruned heads)
    FloatArray deltaMetric; // [L,H] the same for the accuracy
};
// Every head ablated alone, in batches: heads ride on the batch axis (mask [B,L,H], one zero per row).
Ablation ablateHeads(const Engine& engine, const ExampleSet& data, const std::vector<float>& headMask = {},
                     const AnalysisProgress& progress = {});

enum class PruneOrder {
    Importance,       // headImportance recomputed after every step, least important first
    ImportanceOnce,   // headImportance computed once, least important first
    Gate,             // deterministic Hard Concrete gate value, lowest first (gated models only)
    Ablation,         // single-head ablation delta loss computed once, least harmful first
    Random            // a seeded shuffle
};
// "importance", "importance-once", "gate", "ablation", "random"; throws headlight::Error naming `argName`.
PruneOrder parsePruneOrder(const std::string& name, const std::string& argName);
std::string pruneOrderName(PruneOrder order);

struct CurveOptions {
    PruneOrder order = PruneOrder::Importance;
    double stepPercent = 10;           // heads removed per step, in percent of all L*H heads (at least one head)
    uint64_t seed = 0;                 // PruneOrder::Random
    bool normalizeByLayer = true;      // importance orders (Michel et al. normalize)
    std::vector<float> headMask;       // heads already pruned (0) stay pruned; empty = none
};

struct CurveStep {
    double fractionPruned = 0;         // heads pruned / (L*H), initially pruned heads included
    int headsPruned = 0;
    MaskedScore score;
};

struct PruningCurve {
    std::vector<CurveStep> steps;                  // step 0 = the starting mask; the last prunes every head
    std::vector<std::pair<int, int>> order;        // all L*H heads (layer, head): initially pruned first, then as removed
};
PruningCurve pruningCurve(const Engine& engine, const ExampleSet& data, const CurveOptions& options,
                          const AnalysisProgress& progress = {});

// Deterministic gate values [L,H] of a gated model; empty for a model without head gates.
FloatArray headGateValues(const Engine& engine);

// Context pruning (selective attention): loss and accuracy of `data` under per-layer budgets.
MaskedScore evaluateAtBudgets(const Engine& engine, const ExampleSet& data, const std::vector<int>& budgets);
// Loss versus memory: the greedy search of searchContextBudgets run without a tolerance, until every layer's
// budget is 1 token; each step's memory and evaluation (the unpruned model first).
std::vector<BudgetStep> contextMemoryCurve(const Engine& engine, const Task& task, int n, uint64_t seed,
                                           const AnalysisProgress& progress = {});

} // namespace headlight
