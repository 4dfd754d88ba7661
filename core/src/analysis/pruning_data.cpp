// The examples pruning what-ifs are measured on (a text, a file of lines, a task), the order names, and
// context-budget what-ifs through the engine. No LibTorch here: everything goes through Engine::run.
#include "headlight/error.h"
#include "headlight/input_file.h"
#include "headlight/objective.h"
#include "headlight/pruning.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <random>

namespace headlight {
namespace {

// Token ids of one text, encoded as every command encodes text (the tokenizer's own special tokens: BOS,
// our character models' '^'), scored on the model's objective. Errors name `where`.
void addText(ExampleSet& set, const Engine& engine, const std::string& text, const std::string& where, const std::string& prefix) {
    if (engine.config().isEncoderDecoder())
        throw Error(where, prefix + "is only the source: an encoder-decoder model needs its target too (--target, or "
                                     "SOURCE<tab>TARGET lines)");
    std::vector<int64_t> ids;
    try {
        ids = engine.encode(text);
    } catch (const Error& e) {
        throw Error(where, prefix + e.problem());
    }
    const int64_t P = engine.config().nPositions;
    if (static_cast<int64_t>(ids.size()) > P)
        throw Error(where, prefix + std::to_string(ids.size()) + " tokens (with the tokenizer's special tokens), but the model allows at most " +
                               std::to_string(P) + " (n_positions)");
    if (objectiveOf(engine.config()) == Objective::MaskedToken) {
        if (!engine.tokenizer()) throw Error(where, prefix + "the model has no tokenizer to mask tokens with");
        for (auto& ex : maskedTokenExamples(ids, *engine.tokenizer(), where)) set.add(std::move(ex));
        return;
    }
    if (ids.size() < 2) throw Error(where, prefix + "needs at least two tokens (one to predict from, one to predict)");
    const std::vector<uint8_t> everyPosition(ids.size() - 1, 1);
    set.add(nextTokenExample(std::move(ids), everyPosition));
}

// A source and its target (teacher forcing: the decoder reads the start token, then the target's tokens, and
// predicts each next one). Errors name `where` (both sides of a file's line) or the option of the side at fault.
void addPair(ExampleSet& set, const Engine& engine, const std::string& source, const std::string& target,
             const std::string& sourceWhere, const std::string& targetWhere, const std::string& prefix) {
    const int64_t P = engine.config().nPositions;
    auto encoded = [&](const std::string& text, const std::string& where, const char* side, bool targetSide) {
        if (text.empty()) throw Error(where, prefix + "the " + side + " is empty");
        std::vector<int64_t> ids;
        try {
            ids = targetSide ? engine.encodeTarget(text) : engine.encode(text);
        } catch (const Error& e) {
            throw Error(where, prefix + e.problem());
        }
        if (static_cast<int64_t>(ids.size()) + (targetSide ? 1 : 0) > P)
            throw Error(where, prefix + "the " + side + " has " + std::to_string(ids.size()) + " tokens, but the model allows at most " +
                                   std::to_string(P) + " (n_positions" + (targetSide ? ", the start token included)" : ")"));
        return ids;
    };
    std::vector<int64_t> sourceIds = encoded(source, sourceWhere, "source", false);
    std::vector<int64_t> ids = {engine.config().encoderDecoder->decoderStartTokenId};
    for (int64_t id : encoded(target, targetWhere, "target", true)) ids.push_back(id);
    const std::vector<uint8_t> everyPosition(ids.size() - 1, 1);
    set.add(nextTokenExample(std::move(ids), everyPosition));
    set.sources.push_back(std::move(sourceIds));
}

} // namespace

ExampleSet ExampleSet::fromTranslation(const Engine& engine, const std::string& source, const std::string& target) {
    if (!engine.config().isEncoderDecoder()) throw Error("--target", "is for encoder-decoder models (" + engine.config().modelType + " has one stack)");
    ExampleSet set;
    addPair(set, engine, source, target, "--text", "--target", "");
    set.description = "translation: " + source + " -> " + target;
    return set;
}

void ExampleSet::add(ScoredExample example) {
    if (example.ids.size() != example.targets.size())
        throw Error("data", "an example has " + std::to_string(example.ids.size()) + " tokens but " +
                                std::to_string(example.targets.size()) + " targets");
    ids.push_back(std::move(example.ids));
    targets.push_back(std::move(example.targets));
}

ExampleSet ExampleSet::fromText(const Engine& engine, const std::string& text) {
    if (text.empty()) throw Error("--text", "is empty; give at least one character");
    ExampleSet set;
    addText(set, engine, text, "--text", "");
    set.description = "text: " + text;
    return set;
}

ExampleSet ExampleSet::fromFile(const Engine& engine, const std::string& path) {
    if (const std::string problem = regularFileProblem(path); !problem.empty()) throw Error(path, problem);
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(path, "cannot read the file");
    ExampleSet set;
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;   // blank lines (and the final newline) are not examples
        const std::string prefix = "line " + std::to_string(number) + ": ";
        if (engine.config().isEncoderDecoder()) {
            const size_t tab = line.find('\t');
            if (tab == std::string::npos) throw Error(path, prefix + "has no tab: an encoder-decoder model reads SOURCE<tab>TARGET lines");
            addPair(set, engine, line.substr(0, tab), line.substr(tab + 1), path, path, prefix);
            continue;
        }
        addText(set, engine, line, path, prefix);
    }
    if (set.ids.empty()) throw Error(path, "is empty: give one example per line");
    set.description = "file: " + path + " (" + std::to_string(set.ids.size()) + " lines)";
    return set;
}

ExampleSet ExampleSet::fromTask(const Engine& engine, const TaskParams& params, int n, uint64_t seed) {
    if (n < 1) throw Error("--n", "must be >= 1");
    requireNextToken(engine.config(), "--task");   // the tasks score next-token predictions
    if (engine.config().isEncoderDecoder())
        throw Error("--task", "the synthetic tasks are texts for a model of one stack; an encoder-decoder model takes --text with "
                              "--target, or --data with SOURCE<tab>TARGET lines");
    const auto task = makeTask(params);
    std::mt19937_64 rng(seed);
    ExampleSet set;
    for (int k = 0; k < n; ++k) {
        const TaskExample ex = task->sample(rng);
        auto ids = engine.encode(ex.text);
        if (ids.size() != ex.chars.size())
            throw Error(engine.modelDir() + "/vocab.json", "does not encode the task one character per token");
        if (static_cast<int64_t>(ids.size()) > engine.config().nPositions)
            throw Error("--task", "examples reach " + std::to_string(ids.size()) + " tokens, but the model allows at most " +
                                      std::to_string(engine.config().nPositions) + " (n_positions)");
        set.add(nextTokenExample(std::move(ids), ex.scored));
    }
    set.description = "task: " + params.toJson() + " n=" + std::to_string(n) + " seed=" + std::to_string(seed);
    return set;
}

PruneOrder parsePruneOrder(const std::string& name, const std::string& argName) {
    for (PruneOrder o : {PruneOrder::Importance, PruneOrder::ImportanceOnce, PruneOrder::Gate, PruneOrder::Ablation, PruneOrder::Random})
        if (pruneOrderName(o) == name) return o;
    throw Error(argName, "\"" + name + "\" is not an order (importance, importance-once, gate, ablation, random)");
}

std::string pruneOrderName(PruneOrder order) {
    switch (order) {
    case PruneOrder::Importance: return "importance";
    case PruneOrder::ImportanceOnce: return "importance-once";
    case PruneOrder::Gate: return "gate";
    case PruneOrder::Ablation: return "ablation";
    case PruneOrder::Random: return "random";
    }
    return "?";
}

MaskedScore evaluateAtBudgets(const Engine& engine, const ExampleSet& data, const std::vector<int>& budgets) {
    if (data.ids.empty()) throw Error("data", "no examples");
    RunRequest req;
    req.reuseActivations = false;   // many examples: keep the engine's kept run for interactive what-ifs
    req.capture = CaptureSpec::none();
    req.capture.logits = true;
    req.contextBudget = budgets;
    double lossSum = 0, hits = 0, scored = 0;
    for (size_t k = 0; k < data.size(); ++k) {
        req.tokenIds = data.ids[k];
        const Trace t = engine.run(req);
        const int64_t V = t.logits.dim(1);
        double exampleLoss = 0, exampleScored = 0;
        for (size_t i = 0; i < data.targets[k].size(); ++i) {
            const int64_t target = data.targets[k][i];
            if (target < 0) continue;
            const float* row = t.logits.data() + static_cast<int64_t>(i) * V;
            const float* best = std::max_element(row, row + V);
            hits += (best - row) == target;
            double sum = 0;   // log-softmax in double: -log p(target) = logsumexp(row) - row[target]
            const float top = *best;
            for (int64_t v = 0; v < V; ++v) sum += std::exp(static_cast<double>(row[v]) - top);
            exampleLoss += std::log(sum) + top - row[target];
            ++exampleScored;
        }
        lossSum += exampleScored > 0 ? exampleLoss / exampleScored : 0.0;
        scored += exampleScored;
    }
    MaskedScore s;
    s.loss = lossSum / static_cast<double>(data.size());
    s.metric = scored > 0 ? hits / scored : NAN;
    return s;
}

std::vector<BudgetStep> contextMemoryCurve(const Engine& engine, const Task& task, int n, uint64_t seed,
                                           const AnalysisProgress& progress) {
    // An infinite tolerance accepts every greedy step, so the search runs until each layer keeps one token:
    // every step shrinks one layer's budget as searchContextBudgets does, so the step count is known up front.
    int shrinksPerLayer = 0;
    for (int k = task.maxLength(); k > 1; k = std::max(1, k - std::max(1, k / 8))) ++shrinksPerLayer;
    const double steps = 1.0 + static_cast<double>(engine.config().nLayer) * shrinksPerLayer;
    double done = 0, last = -1;
    auto report = [&](double fraction) {
        fraction = std::min(1.0, std::max(last, fraction));
        if (fraction == last) return;
        last = fraction;
        if (progress && !progress(fraction)) throw Cancelled{};
    };
    auto curve = searchContextBudgets(engine, task, n, seed, std::numeric_limits<double>::infinity(),
                                      [&](const BudgetStep&) { report(++done / steps); });
    report(1.0);
    return curve;
}

} // namespace headlight
