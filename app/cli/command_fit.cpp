// `headlight-cli fit`: a mechanism fitted to a trained model (docs/fitting.md), one lambda or a sweep.
#include "cli_args.h"
#include "commands.h"
#ifdef HEADLIGHT_HAS_FIGURE
#include "figure_support.h"
#include "fit_job.h"
#endif

#include "headlight/error.h"
#include "headlight/fitting.h"
#include "headlight/session.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace headlight::cli {
namespace {

std::atomic<bool> g_stop{false};
extern "C" void onFitInterrupt(int) { g_stop.store(true); }

double parseNumber(const std::string& text, const std::string& option) {
    size_t used = 0;
    double v = 0;
    try {
        v = std::stod(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used == 0 || used != text.size() || !std::isfinite(v)) throw Error(option, "\"" + printableText(text, 40) + "\" is not a finite number");
    return v;
}

std::vector<double> parseLambdas(const std::string& list) {
    std::vector<double> out;
    std::stringstream in(list);
    std::string item;
    while (std::getline(in, item, ',')) out.push_back(parseNumber(item, "--lambda-sweep"));
    if (out.empty()) throw Error("--lambda-sweep", "lists no lambda (e.g. 0.01,0.03,0.1)");
    for (double v : out)
        if (v < 0) throw Error("--lambda-sweep", "must list numbers >= 0");
    return out;
}

FitConfig fitConfig(const Args& a) {
    FitConfig f;
    f.modelDir = a.positional()[0];
    f.mechanism = a.required("--mechanism");
    if (a.has("--task") && a.has("--text-file")) throw UsageError{"give --task NAME|JSON or --text-file FILE, not both"};
    if (a.has("--task")) {
        const std::string arg = a.value("--task");
        f.task = TaskParams::fromJson(!arg.empty() && arg.front() == '{' ? arg : jsonText({{"name", arg}}), "--task");
    } else if (!a.has("--text-file")) {
        f.task = trainedTask(f.modelDir);   // the task the model was trained on (its training.json)
    } else {
        f.textFile = a.value("--text-file");
        f.context = static_cast<int>(a.integerIn("--context", 128, 2, 1 << 20));
    }
    if (!a.has("--text-file") && a.has("--context")) throw UsageError{"--context applies to --text-file only"};
    if (a.has("--lambda")) {
        f.lambda = parseNumber(a.value("--lambda"), "--lambda");
        if (*f.lambda < 0) throw Error("--lambda", "must be >= 0");
    }
    if (a.has("--steps")) f.steps = static_cast<int>(a.integerIn("--steps", 0, 1, 10000000));   // else the mechanism's default
    f.batchSize = static_cast<int>(a.integerIn("--batch-size", 8, 1, 1 << 16));
    if (a.has("--learning-rate")) f.learningRate = parseNumber(a.value("--learning-rate"), "--learning-rate");
    if (a.has("--weight-learning-rate")) f.weightLearningRate = parseNumber(a.value("--weight-learning-rate"), "--weight-learning-rate");
    f.seed = static_cast<uint64_t>(a.integerIn("--seed", 0, 0, 1LL << 40));
    f.device = a.value("--device", "cpu");
    f.dtype = a.value("--dtype", "float32");
    f.trainAll = a.has("--train-all");
    f.logEvery = static_cast<int>(a.integerIn("--log-every", 10, 1, 1000000));
    f.checkpointEvery = static_cast<int>(a.integerIn("--checkpoint-every", 100, 1, 1000000));
    return f;
}

nlohmann::json scoreJson(const FitScore& s) {
    nlohmann::json j = {{"examples", s.examples},
                        {"held_out_loss", s.fitted.loss}, {"held_out_accuracy", s.fitted.metric},
                        {"original_loss", s.original.loss}, {"original_accuracy", s.original.metric}};
    if (s.headsKept >= 0) {
        j["heads_kept"] = s.headsKept;
        j["heads"] = s.heads;
    }
    if (!s.spans.empty()) {
        nlohmann::json spans = nlohmann::json::array();
        for (int64_t l = 0; l < s.spans.dim(0); ++l)
            spans.push_back(std::vector<float>(s.spans.data() + l * s.spans.dim(1), s.spans.data() + (l + 1) * s.spans.dim(1)));
        j["spans"] = spans;
        j["mean_span"] = s.meanSpan;
        j["trim_window"] = s.trimWindows;
        j["flops_length"] = s.flopsLength;
        j["flops_saved"] = s.flopsSaved;
    }
    return j;
}

void report(const TrainProgress& p, const std::string& prefix) {
    std::fprintf(stderr, "%sstep %d/%d  loss %.4f  task loss %.4f  metric %.4f  lambda %g\n", prefix.c_str(), p.step, p.steps, p.loss,
                 p.taskLoss, p.metric, p.lambda);
    if (g_stop.load()) std::signal(SIGINT, SIG_DFL);
}

#ifdef HEADLIGHT_HAS_FIGURE
// The sweep beside the pruning curve on one figure: fitted gates (one point per lambda) and heads pruned in
// importance order, both against the fraction of heads removed.
void writeSweepFigure(const std::string& path, const FitSweep& sweep, const FitConfig& f) {
    std::vector<CurveData> curves;
    for (const CurveSeries& c : sweepCurves(sweep)) {
        CurveData d{c.name.toStdString(), {}, {}, {}};
        for (size_t i = 0; i < c.fractionPruned.size(); ++i) {
            d.fraction.push_back(static_cast<float>(c.fractionPruned[i]));
            d.metric.push_back(static_cast<float>(c.metric[i]));
            d.loss.push_back(static_cast<float>(c.loss[i]));
        }
        curves.push_back(d);
    }
    FigureRequest figure;
    figure.path = path;
    figure.dpi = 200;
    std::string model = f.modelDir;
    while (model.size() > 1 && model.back() == '/') model.pop_back();
    model = model.substr(model.find_last_of('/') == std::string::npos ? 0 : model.find_last_of('/') + 1);
    writePruningCurveFigure(figure, model + ": head gates fitted vs heads pruned by importance\nheld-out " +
                                        (f.textFile.empty() ? "task examples" : "text: " + f.textFile), curves);
}
#endif

} // namespace

int fitCommand(const std::vector<std::string>& argv) {
    const Args a(argv, {"--mechanism", "--task", "--text-file", "--context", "--lambda", "--lambda-sweep", "--steps", "--batch-size",
                        "--learning-rate", "--weight-learning-rate", "--seed", "--device", "--dtype", "--out", "--log-every",
                        "--checkpoint-every"},
                 {"--train-all", "--resume"});
    if (a.positional().size() != 1) throw UsageError{"expects exactly one MODEL_DIR"};
    if (a.has("--lambda") && a.has("--lambda-sweep")) throw UsageError{"give --lambda or --lambda-sweep, not both"};
    const std::string out = a.required("--out");
    if (out.empty()) throw Error("--out", "is empty; give a folder name");
    const FitConfig config = fitConfig(a);
    const bool resume = a.has("--resume");
    std::signal(SIGINT, onFitInterrupt);   // Ctrl-C: the step finishes, a checkpoint is written (--resume)
    std::signal(SIGTERM, onFitInterrupt);

    ArgumentNames names;   // the device is named as the user typed it
    names[ErrorInput::Device] = {"--device", ""};
    if (a.has("--lambda-sweep")) {
        const std::vector<double> lambdas = parseLambdas(a.value("--lambda-sweep"));
        const FitSweep sweep = namingArguments(names, [&] {
            return fitSweep(config, lambdas, out, resume, [&](size_t i, const TrainProgress& p) {
                char prefix[64];
                std::snprintf(prefix, sizeof prefix, "lambda %g: ", lambdas[i]);
                report(p, prefix);
            }, &g_stop);
        });
        nlohmann::json s = {{"out", out}, {"mechanism", config.mechanism}, {"interrupted", sweep.interrupted}};
        nlohmann::json points = nlohmann::json::array();
        for (const SweepPoint& p : sweep.points) {
            nlohmann::json j = scoreJson(p.score);
            j["lambda"] = p.lambda;
            j["model"] = p.modelDir;
            points.push_back(j);
        }
        s["fits"] = points;
        if (!sweep.interrupted) {
            s["csv"] = out + "/sweep.csv";
            s["hdf5"] = out + "/sweep.h5";
#ifdef HEADLIGHT_HAS_FIGURE
            if (config.mechanism == "head_gates") {
                writeSweepFigure(out + "/sweep.png", sweep, config);
                s["figure"] = out + "/sweep.png";
            }
#endif
        }
        std::cout << jsonText(s) << std::endl;
        return sweep.interrupted ? 130 : 0;
    }

    if (config.mechanism == "adaptive_span" && !resume)
        std::fprintf(stderr, "searching each head's starting span on a probe batch before the first step (docs/fitting.md)\n");
    const FitResult r = namingArguments(names, [&] { return fit(config, out, resume, [](const TrainProgress& p) { report(p, ""); }, &g_stop); });
#ifdef HEADLIGHT_HAS_FIGURE
    // The fitted heads as the gates or spans view draws them (spans: Sukhbaatar et al.'s Fig. 4).
    std::string figurePath;
    if (!r.training.interrupted && config.mechanism != "selective_attention") {
        const bool gates = config.mechanism == "head_gates";
        figurePath = out + (gates ? "/gates.png" : "/spans.png");
        FigureRequest figure;
        figure.path = figurePath;
        figure.dpi = 200;
        const Timeline timeline = Timeline::read(out + "/timeline.h5");
        writeHeadStateFigure(figure, "fit", gates ? "gates" : "spans", config.fittedConfig(), out, timeline.steps.back().heads);
    }
#endif
    nlohmann::json s = {{"out", out}, {"mechanism", config.mechanism}, {"lambda", config.lambdaUsed()},
                        {"steps", r.training.steps}, {"seconds", r.training.seconds}, {"interrupted", r.training.interrupted},
                        {"timeline", out + "/timeline.h5"}};
    if (!r.training.interrupted) s["held_out"] = scoreJson(r.score);
#ifdef HEADLIGHT_HAS_FIGURE
    if (!figurePath.empty()) s["figure"] = figurePath;
#endif
    std::cout << jsonText(s) << std::endl;
    return r.training.interrupted ? 130 : 0;
}

} // namespace headlight::cli
