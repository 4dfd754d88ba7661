// `headlight-cli importance`, `ablate` and `prune-curve`: pruning what-ifs (docs/pruning.md) written as HDF5
// (and optionally CSV), with a short JSON summary on stdout.
#include "cli_args.h"
#include "commands.h"
#ifdef HEADLIGHT_HAS_FIGURE
#include "figure_support.h"
#endif

#include <filesystem>
#include "headlight/error.h"
#include "headlight/pruning.h"
#include "headlight/trace_hdf5.h"

#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unistd.h>

namespace headlight::cli {
namespace {

const std::set<std::string> kDataOptions = {"--text", "--data", "--task", "--n", "--seed", "--prune", "--device", "--out", "--csv"};

std::set<std::string> withOptions(std::set<std::string> extra) {
    extra.insert(kDataOptions.begin(), kDataOptions.end());
    return extra;
}

struct Setup {
    std::string modelDir, out, csv;
    std::vector<float> mask;   // empty = every head kept
    ExampleSet data;
};

// The shared part after loading: the mask and exactly one data source.
Setup setUp(const Args& a, const Engine& engine) {
    Setup s;
    s.modelDir = a.positional()[0];
    s.out = a.value("--out");
    s.csv = a.value("--csv");
    if (a.has("--prune")) s.mask = parsePruneList(a.value("--prune"), engine.config(), "--prune");
    const long long n = a.integer("--n", 200), seed = a.integer("--seed", 1000003);
    if (n < 1 || n > 1000000) throw UsageError{"--n: must be in 1..1000000"};
    if (seed < 0) throw UsageError{"--seed: must be >= 0"};
    if (a.has("--text")) {
        s.data = ExampleSet::fromText(engine, a.value("--text"));
    } else if (a.has("--data")) {
        s.data = ExampleSet::fromFile(engine, a.value("--data"));
    } else {
        const std::string t = a.value("--task");
        const std::string json = !t.empty() && t.front() == '{' ? t : nlohmann::json({{"name", t}}).dump();
        s.data = ExampleSet::fromTask(engine, TaskParams::fromJson(json, "--task"), static_cast<int>(n), static_cast<uint64_t>(seed));
    }
    return s;
}

// Usage checks, then the output paths, so that a bad --out fails before any work.
Args parse(const std::vector<std::string>& argv, const std::set<std::string>& valued, const std::set<std::string>& flags) {
    Args a(argv, valued, flags);
    if (a.positional().size() != 1) throw UsageError{"expects exactly one MODEL_DIR"};
    if (a.has("--text") + a.has("--data") + a.has("--task") != 1) throw UsageError{"give exactly one of --text, --data or --task"};
    if (a.has("--n") && !a.has("--task")) throw UsageError{"--n: applies to --task only"};
    checkTraceOutputPath(a.required("--out"));
    if (a.has("--csv")) checkTraceOutputPath(a.value("--csv"));
    return a;
}

std::string pruneSpec(const Args& a) { return a.has("--prune") ? a.value("--prune") : ""; }

ResultFile baseFile(const Setup& s, const Engine& engine, const Args& a) {
    ResultFile f;
    char buf[PATH_MAX];
    const std::string model = realpath(s.modelDir.c_str(), buf) ? std::string(buf) : s.modelDir;   // absolute, like `run`
    f.attributes = {{"model", model}, {"data", s.data.description}, {"examples", std::to_string(s.data.size())},
                    {"pruned", pruneSpec(a)}, {"device", engine.device()}, {"headlight_version", HEADLIGHT_VERSION}};
    return f;
}

// CSV through a temporary file renamed on success, like the HDF5 output.
void writeCsv(const std::string& path, const std::string& text) {
    const std::string temp = path + ".tmp-" + std::to_string(getpid());
    {
        std::ofstream f(temp, std::ios::binary);
        f << text;
        f.flush();
        if (!f) {
            std::remove(temp.c_str());
            throw Error(path, "cannot write");
        }
    }
    if (std::rename(temp.c_str(), path.c_str()) != 0) {
        std::remove(temp.c_str());
        throw Error(path, "cannot write");
    }
}

// Per-head CSV: layer,head,<columns...>, one row per head.
std::string headCsv(const std::vector<std::string>& names, const std::vector<const FloatArray*>& columns) {
    std::ostringstream o;
    o.precision(9);
    o << "layer,head";
    for (const auto& n : names) o << "," << n;
    o << "\n";
    const int64_t L = columns[0]->dim(0), H = columns[0]->dim(1);
    for (int64_t l = 0; l < L; ++l)
        for (int64_t h = 0; h < H; ++h) {
            o << l << "," << h;
            for (const auto* c : columns) o << "," << c->at({l, h});
            o << "\n";
        }
    return o.str();
}

nlohmann::json rows(const FloatArray& a) {
    nlohmann::json out = nlohmann::json::array();
    for (int64_t l = 0; l < a.dim(0); ++l) {
        std::vector<float> row(a.data() + l * a.dim(1), a.data() + (l + 1) * a.dim(1));
        out.push_back(row);
    }
    return out;
}

double secondsSince(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

} // namespace

int importanceCommand(const std::vector<std::string>& argv) {
    const Args a = parse(argv, kDataOptions, {"--normalize-by-layer"});
    const Engine engine = Engine::load(a.positional()[0], a.value("--device", "cpu"));
    const Setup s = setUp(a, engine);
    const bool normalize = a.has("--normalize-by-layer");
    const auto t0 = std::chrono::steady_clock::now();
    const FloatArray importance = headImportance(engine, s.data, s.mask, normalize);
    const double seconds = secondsSince(t0);
    ResultFile f = baseFile(s, engine, a);
    f.floats["importance"] = importance;
    f.attributes["normalize_by_layer"] = normalize ? "true" : "false";
    writeResultHdf5(s.out, f);
    if (!s.csv.empty()) writeCsv(s.csv, headCsv({"importance"}, {&importance}));
    const nlohmann::json summary = {{"model", s.modelDir}, {"data", s.data.description}, {"examples", s.data.size()},
                                    {"normalize_by_layer", normalize}, {"importance", rows(importance)},
                                    {"seconds", seconds}, {"out", s.out}};
    std::cout << summary.dump(2) << std::endl;
    return 0;
}

int ablateCommand(const std::vector<std::string>& argv) {
    const Args a = parse(argv, kDataOptions, {});
    const Engine engine = Engine::load(a.positional()[0], a.value("--device", "cpu"));
    const Setup s = setUp(a, engine);
    const auto t0 = std::chrono::steady_clock::now();
    const Ablation ab = ablateHeads(engine, s.data, s.mask);
    const double seconds = secondsSince(t0);
    ResultFile f = baseFile(s, engine, a);
    f.floats["ablation_delta_loss"] = ab.deltaLoss;
    f.floats["ablation_delta_metric"] = ab.deltaMetric;
    f.floats["baseline_loss"] = FloatArray({}, std::vector<float>{static_cast<float>(ab.baseline.loss)});
    f.floats["baseline_metric"] = FloatArray({}, std::vector<float>{static_cast<float>(ab.baseline.metric)});
    writeResultHdf5(s.out, f);
    if (!s.csv.empty()) writeCsv(s.csv, headCsv({"delta_loss", "delta_metric"}, {&ab.deltaLoss, &ab.deltaMetric}));
    const nlohmann::json summary = {{"model", s.modelDir}, {"data", s.data.description}, {"examples", s.data.size()},
                                    {"baseline_loss", ab.baseline.loss}, {"baseline_metric", ab.baseline.metric},
                                    {"delta_loss", rows(ab.deltaLoss)}, {"seconds", seconds}, {"out", s.out}};
    std::cout << summary.dump(2) << std::endl;
    return 0;
}

int pruneCurveCommand(const std::vector<std::string>& argv) {
    const Args a = parse(argv, withOptions({"--order", "--step-percent", "--figure"}), {"--no-normalize"});
    const std::string figure = a.value("--figure");
#ifdef HEADLIGHT_HAS_FIGURE
    if (!figure.empty()) checkFigurePath(figure);   // fail before the work, not after
#else
    if (!figure.empty()) throw UsageError{"--figure needs a build with the GUI (HEADLIGHT_BUILD_GUI=ON)"};
#endif
    CurveOptions o;
    o.order = parsePruneOrder(a.required("--order"), "--order");
    if (a.has("--step-percent")) {
        try { o.stepPercent = std::stod(a.value("--step-percent")); } catch (const std::exception&) { o.stepPercent = -1; }
        if (!(o.stepPercent > 0 && o.stepPercent <= 100)) throw UsageError{"--step-percent: must be a number in (0, 100]"};
    }
    const long long seed = a.integer("--seed", 1000003);
    o.seed = static_cast<uint64_t>(seed < 0 ? 0 : seed);
    o.normalizeByLayer = !a.has("--no-normalize");
    const Engine engine = Engine::load(a.positional()[0], a.value("--device", "cpu"));
    const Setup s = setUp(a, engine);
    o.headMask = s.mask;
    const auto t0 = std::chrono::steady_clock::now();
    const PruningCurve curve = pruningCurve(engine, s.data, o);
    const double seconds = secondsSince(t0);

    std::vector<float> fraction, loss, metric;
    std::vector<int32_t> heads, order;
    for (const auto& st : curve.steps) {
        fraction.push_back(static_cast<float>(st.fractionPruned));
        loss.push_back(static_cast<float>(st.score.loss));
        metric.push_back(static_cast<float>(st.score.metric));
        heads.push_back(st.headsPruned);
    }
    for (const auto& [l, h] : curve.order) { order.push_back(l); order.push_back(h); }
    const auto steps = static_cast<int64_t>(curve.steps.size());
    ResultFile f = baseFile(s, engine, a);
    f.floats["fraction_pruned"] = FloatArray({steps}, fraction);
    f.floats["loss"] = FloatArray({steps}, loss);
    f.floats["metric"] = FloatArray({steps}, metric);
    f.ints["heads_pruned"] = NdArray<int32_t>({steps}, heads);
    f.ints["order"] = NdArray<int32_t>({static_cast<int64_t>(curve.order.size()), 2}, order);
    f.attributes["order"] = pruneOrderName(o.order);
    f.attributes["step_percent"] = std::to_string(o.stepPercent);
    f.attributes["seed"] = std::to_string(o.seed);
    f.attributes["normalize_by_layer"] = o.normalizeByLayer ? "true" : "false";
    writeResultHdf5(s.out, f);
    if (!s.csv.empty()) {
        std::ostringstream c;
        c.precision(9);
        c << "step,fraction_pruned,heads_pruned,loss,metric\n";
        for (size_t i = 0; i < curve.steps.size(); ++i)
            c << i << "," << fraction[i] << "," << heads[i] << "," << loss[i] << "," << metric[i] << "\n";
        writeCsv(s.csv, c.str());
    }
#ifdef HEADLIGHT_HAS_FIGURE
    if (!figure.empty()) {
        std::filesystem::path name = std::filesystem::path(s.modelDir).lexically_normal();
        if (name.filename().empty()) name = name.parent_path();   // "dir/" names "dir"
        writePruningCurveFigure(figure, pruneOrderName(o.order),
                                name.filename().string() + ": heads pruned by " + pruneOrderName(o.order), fraction,
                                metric, loss);
    }
#endif
    nlohmann::json orderJson = nlohmann::json::array();
    for (const auto& [l, h] : curve.order) orderJson.push_back(std::to_string(l) + "." + std::to_string(h));
    const nlohmann::json summary = {{"model", s.modelDir}, {"data", s.data.description}, {"examples", s.data.size()},
                                    {"order", pruneOrderName(o.order)}, {"fraction_pruned", fraction}, {"loss", loss},
                                    {"metric", metric}, {"pruned_heads", orderJson}, {"seconds", seconds}, {"out", s.out}};
    std::cout << summary.dump(2) << std::endl;
    return 0;
}

} // namespace headlight::cli
