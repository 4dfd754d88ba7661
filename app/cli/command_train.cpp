// `headlight-cli train` and `headlight-cli evaluate`.
#include "cli_args.h"
#include "commands.h"
#include "run_input.h"

#include <functional>
#include "headlight/error.h"
#include "headlight/input_file.h"
#include "headlight/mechanism_report.h"
#include "headlight/objective.h"
#include "headlight/pruning.h"
#include "headlight/session.h"
#include "headlight/training.h"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

namespace headlight::cli {
namespace {

std::atomic<bool> g_stop{false};

// The most examples evaluate and context-prune draw (each is a forward pass): far more than any measurement
// needs, and within an int.
constexpr long long kMaxExamples = 1000000;
extern "C" void onInterrupt(int) { g_stop.store(true); }

std::string duration(double seconds) {
    const int s = static_cast<int>(seconds + 0.5);
    char buf[32];
    if (s >= 3600) std::snprintf(buf, sizeof buf, "%dh%02dm", s / 3600, s / 60 % 60);
    else std::snprintf(buf, sizeof buf, "%dm%02ds", s / 60, s % 60);
    return buf;
}

// --task NAME, --task '{"name": ..., ...}', or (absent) the task the model was trained on (headlight/session.h).
TaskParams taskFromArgOrModel(const std::string& arg, const std::string& modelDir) {
    if (!arg.empty()) {
        const std::string json = arg.front() == '{' ? arg : jsonText({{"name", arg}});
        return TaskParams::fromJson(json, "--task");
    }
    return trainedTask(modelDir);
}

} // namespace

int trainCommand(const std::vector<std::string>& argv) {
    const Args a(argv, {"--config", "--out", "--device"}, {"--resume"});
    if (!a.positional().empty()) throw UsageError{"takes no positional arguments"};
    TrainConfig config = TrainConfig::fromFile(a.required("--config"));
    if (a.has("--device")) config.device = a.value("--device");
    const std::string out = a.required("--out");
    if (out.empty()) throw Error("--out", "is empty; give a folder name");
    // Ctrl-C finishes the current step and writes a checkpoint; a second Ctrl-C kills as usual.
    std::signal(SIGINT, onInterrupt);
    std::signal(SIGTERM, onInterrupt);
    auto report = [](const TrainProgress& p) {
        std::fprintf(stderr, "step %d/%d  loss %.4f  task loss %.4f  metric %.4f  lr %.2e  %.0f tok/s  ETA %s\n", p.step,
                     p.steps, p.loss, p.taskLoss, p.metric, p.learningRate, p.tokensPerSecond, duration(p.etaSeconds).c_str());
        if (g_stop.load()) std::signal(SIGINT, SIG_DFL);
    };
    // A device that came from the argument, not from TRAIN.json, is named as the user typed it.
    ArgumentNames names;
    if (a.has("--device")) names[ErrorInput::Device] = {"--device", ""};
    const TrainResult result = namingArguments(names, [&] { return train(config, out, a.has("--resume"), report, &g_stop); });
    nlohmann::json s = {{"out", out}, {"device", config.device}, {"steps", result.steps}, {"seconds", result.seconds}, {"interrupted", result.interrupted},
                        {"loss", result.last.loss}, {"task_loss", result.last.taskLoss}, {"metric", result.last.metric}};
    std::cout << jsonText(s) << std::endl;
    return result.interrupted ? 130 : 0;
}

// With --selective: `score` of the model as its folder has it, loaded after the selective one was scored and
// freed (one model in memory at a time), so the summary shows what the selection costs.
nlohmann::json withoutSelection(const Args& a, const std::string& dir,
                                const std::function<nlohmann::json(const Engine&)>& score) {
    LoadOptions plain = loadOptions(a);
    plain.selectorHead.reset();
    const Session session(dir, plain);
    return score(session.engine());
}

// `evaluate --text/--data`: the model's own objective on given text (BERT: every token masked once).
int evaluateText(const Args& a, const std::string& dir) {
    const auto scoreOf = [&](const Engine& engine) {
        const ExampleSet data = a.has("--target") ? ExampleSet::fromTranslation(engine, a.value("--text"), a.value("--target"))
                                : a.has("--text") ? ExampleSet::fromText(engine, a.value("--text"))
                                                  : ExampleSet::fromFile(engine, a.value("--data"));
        const MaskedScore score = scoreWithMask(engine, data);
        int64_t scored = 0;
        for (const auto& targets : data.targets)
            for (int64_t t : targets) scored += t >= 0;
        return nlohmann::json{{"data", data.description}, {"objective", objectiveName(objectiveOf(engine.config()))},
                              {"examples", data.size()}, {"scored_positions", scored}, {"accuracy", score.metric},
                              {"loss", score.loss}};
    };
    nlohmann::json s = {{"model", dir}};
    {
        const Session session(dir, loadOptions(a));
        s.update(scoreOf(session.engine()));
    }
    if (a.has("--selective")) {
        const nlohmann::json plain = withoutSelection(a, dir, scoreOf);
        s["without_selection"] = {{"accuracy", plain["accuracy"]}, {"loss", plain["loss"]}};
    }
    std::cout << s.dump(2) << std::endl;
    return 0;
}

int evaluateCommand(const std::vector<std::string>& argv) {
    const Args a(argv, withLoadOptions({"--task", "--text", "--target", "--data", "--n", "--seed"}, kLoadValued), kLoadFlags);
    if (a.positional().size() != 1) throw UsageError{"expects exactly one MODEL_DIR"};
    const std::string dir = a.positional()[0];
    if (a.has("--task") + a.has("--text") + a.has("--data") > 1) throw UsageError{"give at most one of --task, --text or --data"};
    if (a.has("--target") && !a.has("--text")) throw UsageError{"--target: goes with --text (the source)"};
    if (a.has("--text") || a.has("--data")) return evaluateText(a, dir);
    const long long n = a.integerIn("--n", 1000, 1, kMaxExamples), seed = a.integer("--seed", 1000003);
    if (seed < 0) throw UsageError{"--seed: must be >= 0"};
    const TaskParams params = taskFromArgOrModel(a.value("--task"), dir);
    const auto task = makeTask(params);
    nlohmann::json s;
    {
        const Session session(dir, loadOptions(a));
        const Engine& engine = session.engine();
        const Evaluation e = evaluate(engine, *task, static_cast<int>(n), static_cast<uint64_t>(seed));
        s = {{"model", dir}, {"task", nlohmann::json::parse(params.toJson())}, {"examples", e.examples}, {"seed", seed},
             {"scored_positions", e.scored}, {"accuracy", e.accuracy}, {"loss", e.loss},
             {"example_accuracy", e.exampleAccuracy}};
        const ModelConfig& c = engine.config();
        if (!c.mechanisms.empty())
            s["mechanisms"] = nlohmann::json::parse(reportMechanisms(engine, *task, static_cast<int>(n), static_cast<uint64_t>(seed)));
    }
    if (a.has("--selective"))
        s["without_selection"] = withoutSelection(a, dir, [&](const Engine& engine) {
            const Evaluation e = evaluate(engine, *task, static_cast<int>(n), static_cast<uint64_t>(seed));
            return nlohmann::json{{"accuracy", e.accuracy}, {"loss", e.loss}, {"example_accuracy", e.exampleAccuracy}};
        });
    std::cout << jsonText(s) << std::endl;
    return 0;
}

int contextPruneCommand(const std::vector<std::string>& argv) {
    const Args a(argv, withLoadOptions({"--task", "--text", "--n", "--seed", "--tolerance"}, kLoadValued), kLoadFlags);
    if (a.positional().size() != 1) throw UsageError{"expects exactly one MODEL_DIR"};
    if (a.has("--task") && a.has("--text")) throw UsageError{"give at most one of --task or --text"};
    const std::string dir = a.positional()[0];
    const long long seed = a.integer("--seed", 1000003);
    long long n = a.integerIn("--n", 200, 1, kMaxExamples);
    double tolerance = 0.005;
    if (a.has("--tolerance")) {
        try { tolerance = std::stod(a.value("--tolerance")); } catch (const std::exception&) { tolerance = -1; }
        if (!(tolerance >= 0)) throw UsageError{"--tolerance: must be a number >= 0 (accuracy, e.g. 0.005)"};
    }
    if (n < 1 || seed < 0) throw UsageError{"--n must be >= 1 and --seed >= 0"};
    const Session session(dir, loadOptions(a));
    const Engine& engine = session.engine();
    std::unique_ptr<Task> task;
    if (a.has("--text")) {
        task = makeFixedTextTask(a.value("--text"));
        n = 1;
    } else {
        task = makeTask(taskFromArgOrModel(a.value("--task"), dir));
    }
    std::printf("%-24s %16s %9s %9s\n", "budgets (per layer)", "memory", "accuracy", "loss");
    searchContextBudgets(engine, *task, static_cast<int>(n), static_cast<uint64_t>(seed), tolerance, [](const BudgetStep& s) {
        std::string budgets;
        for (int k : s.budget) budgets += (budgets.empty() ? "" : ",") + std::to_string(k);
        const std::string memory = std::to_string(s.memory) + "/" + std::to_string(s.fullMemory) + " (" +
                                   std::to_string(static_cast<int>(100.0 * s.memory / s.fullMemory + 0.5)) + "%)";
        std::printf("%-24s %16s %9.4f %9.4f\n", budgets.c_str(), memory.c_str(), s.evaluation.accuracy, s.evaluation.loss);
        std::fflush(stdout);
    });
    return 0;
}

} // namespace headlight::cli

namespace headlight::cli {

// `headlight-cli examples`: what a task's examples look like (and texts to type into the app).
int examplesCommand(const std::vector<std::string>& argv) {
    const Args a(argv, {"--task", "--n", "--seed"}, {});
    if (!a.positional().empty()) throw UsageError{"takes no positional arguments"};
    const long long n = a.integer("--n", 5), seed = a.integer("--seed", 1);
    if (n < 1 || n > 100000 || seed < 0) throw UsageError{"--n must be in 1..100000 and --seed >= 0"};
    const auto task = makeTask(taskFromArgOrModel(a.required("--task"), ""));
    std::mt19937_64 rng(static_cast<uint64_t>(seed));
    for (long long i = 0; i < n; ++i) std::printf("%s\n", task->sample(rng).text.c_str());
    return 0;
}

} // namespace headlight::cli
