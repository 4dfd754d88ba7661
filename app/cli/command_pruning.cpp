// `headlight-cli importance`, `ablate` and `prune-curve`: pruning what-ifs (docs/pruning.md) written as HDF5
// (and optionally CSV), with a short JSON summary on stdout.
#include "cli_args.h"
#include "commands.h"
#include "run_input.h"
#ifdef HEADLIGHT_HAS_FIGURE
#include "figure_support.h"
#endif

#include <filesystem>
#include "headlight/attention_stack.h"
#include "headlight/error.h"
#include "headlight/session.h"
#include "headlight/output_files.h"
#include "headlight/pruning.h"
#include "headlight/trace_hdf5.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <memory>

namespace headlight::cli {
namespace {

const std::set<std::string> kDataOptions = withLoadOptions({"--text", "--target", "--data", "--task", "--n", "--seed", "--prune", "--out", "--csv",
                                                             "--figure", "--width", "--height", "--dpi"}, kLoadValued);

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
    // An encoder-decoder model's heads are its attention stack's rows (encoder, decoder, cross-attention).
    if (a.has("--prune")) s.mask = parseStackedPruneList(a.value("--prune"), engine.config(), "--prune");
    const long long n = a.integer("--n", 200), seed = a.integer("--seed", 1000003);
    if (n < 1 || n > 1000000) throw UsageError{"--n: must be in 1..1000000"};
    if (seed < 0) throw UsageError{"--seed: must be >= 0"};
    if (a.has("--target")) {
        s.data = ExampleSet::fromTranslation(engine, a.value("--text"), a.value("--target"));
    } else if (a.has("--text")) {
        s.data = ExampleSet::fromText(engine, a.value("--text"));
    } else if (a.has("--data")) {
        s.data = ExampleSet::fromFile(engine, a.value("--data"));
    } else {
        const std::string t = a.value("--task");
        const std::string json = !t.empty() && t.front() == '{' ? t : jsonText({{"name", t}});
        s.data = ExampleSet::fromTask(engine, TaskParams::fromJson(json, "--task"), static_cast<int>(n), static_cast<uint64_t>(seed));
    }
    return s;
}

// Usage checks, then the output paths, so that a bad --out fails before any work.
Args parse(const std::vector<std::string>& argv, const std::set<std::string>& valued, const std::set<std::string>& flags) {
    Args a(argv, valued, withLoadOptions(flags, kLoadFlags));
    if (a.positional().size() != 1) throw UsageError{"expects exactly one MODEL_DIR"};
    if (a.has("--text") + a.has("--data") + a.has("--task") != 1) throw UsageError{"give exactly one of --text, --data or --task"};
    if (a.has("--n") && !a.has("--task")) throw UsageError{"--n: applies to --task only"};
    if (a.has("--target") && !a.has("--text")) throw UsageError{"--target: goes with --text (the source)"};
    a.required("--out");
    return a;
}

// --out, --csv and --figure, checked before any work (none may be an input or another output) and
// committed together at the end.
std::unique_ptr<OutputFiles> outputsOf(const Args& a) {
    std::vector<std::pair<std::string, std::string>> outputs = {{"--out", a.value("--out")}};
    for (const char* option : {"--csv", "--figure"})
        if (a.has(option)) outputs.emplace_back(option, a.value(option));
    std::vector<std::string> inputs = filesInFolder(a.positional()[0]);
    if (a.has("--data")) inputs.push_back(a.value("--data"));
    return std::make_unique<OutputFiles>(outputs, inputs);
}

std::string pruneSpec(const Args& a) { return a.has("--prune") ? a.value("--prune") : ""; }

#ifdef HEADLIGHT_HAS_FIGURE
using Figure = FigureRequest;
#else
struct Figure {
    std::string path;
};
#endif

// --figure and its size options, checked before any work.
Figure figureOptions(const Args& a) {
#ifdef HEADLIGHT_HAS_FIGURE
    return figureRequest(a);
#else
    for (const char* option : {"--figure", "--width", "--height", "--dpi"})
        if (a.has(option)) throw UsageError{std::string(option) + ": needs a build with the GUI (HEADLIGHT_BUILD_GUI=ON)"};
    return {};
#endif
}

#ifdef HEADLIGHT_HAS_FIGURE
// The model folder's name, for figure titles ("dir/" names "dir").
std::string modelName(const std::string& modelDir) {
    std::filesystem::path name = std::filesystem::path(modelDir).lexically_normal();
    if (name.filename().empty()) name = name.parent_path();
    return name.filename().string();
}

// The figure request with its path replaced by OutputFiles' temporary for it.
Figure staged(Figure figure, const std::string& temp) {
    figure.path = temp;
    return figure;
}

// The figures' row labels: an encoder-decoder model's "E0", "D0", "X0"; none (the layers' numbers) for one stack.
std::vector<std::string> rowNames(const ModelConfig& c) {
    std::vector<std::string> out;
    if (!c.isEncoderDecoder()) return out;
    const auto blocks = attentionBlocks(c);
    for (int row = 0; row < stackRows(c); ++row) out.push_back(rowName(blocks, row));
    return out;
}

// The second line of a figure title: the heads pruned beforehand and the data (the figure cuts it to fit).
std::string dataLine(const Setup& s, const Args& a) {
    return a.has("--prune") ? "pruned " + pruneSpec(a) + "; " + s.data.description : s.data.description;
}
#endif

// A block's kind as the result files write it: "encoder", "decoder", "cross".
const char* kindWord(const AttentionBlock& b) {
    return b.kind == AttentionKind::EncoderSelf ? "encoder" : b.kind == AttentionKind::DecoderSelf ? "decoder" : "cross";
}

// An encoder-decoder model's rows as the result files describe them: "encoder 0-1, decoder 2-3, cross 4-5".
std::string stackDescription(const ModelConfig& c) {
    std::string out;
    for (const AttentionBlock& b : attentionBlocks(c)) {
        out += (out.empty() ? "" : ", ") + std::string(kindWord(b)) + " " + std::to_string(b.first) + "-" + std::to_string(b.first + b.rows - 1);
    }
    return out;
}

ResultFile baseFile(const Setup& s, const Engine& engine, const Args& a) {
    ResultFile f;
    char buf[PATH_MAX];
    const std::string model = realpath(s.modelDir.c_str(), buf) ? std::string(buf) : s.modelDir;   // absolute, like `run`
    f.attributes = {{"model", model}, {"data", s.data.description}, {"examples", std::to_string(s.data.size())},
                    {"pruned", pruneSpec(a)}, {"device", engine.device()}, {"dtype", engine.dtype()}, {"headlight_version", HEADLIGHT_VERSION}};
    if (engine.config().isEncoderDecoder()) f.attributes["rows"] = stackDescription(engine.config());
    return f;
}

// CSV into OutputFiles' temporary for it; a failed write or close (a full disk) is an error.
void writeCsv(const std::string& path, const std::string& text) {
    std::ofstream f(path, std::ios::binary);
    f << text;
    f.close();
    if (!f) throw Error(path, "cannot write (disk full?)");
}

// Per-head CSV: layer,head,<columns...>, one row per head; an encoder-decoder model's rows start with their kind
// (kind,layer,head: "cross,0,3"), the layer counted within its kind.
std::string headCsv(const std::vector<std::string>& names, const std::vector<const FloatArray*>& columns, const ModelConfig& c) {
    std::ostringstream o;
    o.precision(9);
    const bool kinds = c.isEncoderDecoder();
    const auto blocks = attentionBlocks(c);
    o << (kinds ? "kind,layer,head" : "layer,head");
    for (const auto& n : names) o << "," << n;
    o << "\n";
    const int64_t L = columns[0]->dim(0), H = columns[0]->dim(1);
    for (int64_t l = 0; l < L; ++l)
        for (int64_t h = 0; h < H; ++h) {
            if (kinds) {
                const AttentionBlock& b = blockOfRow(blocks, static_cast<int>(l));
                o << kindWord(b) << "," << b.layerOf(static_cast<int>(l)) << "," << h;
            } else {
                o << l << "," << h;
            }
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
    [[maybe_unused]] const Figure figure = figureOptions(a);   // fail before the work, not after
    const auto outputs = outputsOf(a);
    const Session session(a.positional()[0], loadOptions(a));
    const Engine& engine = session.engine();
    const Setup s = setUp(a, engine);
    const bool normalize = a.has("--normalize-by-layer");
    const auto t0 = std::chrono::steady_clock::now();
    const FloatArray importance = headImportance(engine, s.data, s.mask, normalize);
    const double seconds = secondsSince(t0);
    ResultFile f = baseFile(s, engine, a);
    f.floats["importance"] = importance;
    f.attributes["normalize_by_layer"] = normalize ? "true" : "false";
    outputs->write(s.out, [&](const std::string& temp) { writeResultHdf5(temp, f); });
    if (!s.csv.empty()) outputs->write(s.csv, [&](const std::string& temp) { writeCsv(temp, headCsv({"importance"}, {&importance}, engine.config())); });
#ifdef HEADLIGHT_HAS_FIGURE
    if (!figure.path.empty())
        outputs->write(figure.path, [&](const std::string& temp) {
            writeHeadScoreFigure(staged(figure, temp), "importance", importance, false, s.mask,
                                 modelName(s.modelDir) + ": head importance" + (normalize ? " (normalized by layer)" : "") +
                                     "\n" + dataLine(s, a),
                                 rowNames(engine.config()));
        });
#endif
    outputs->commit();
    const nlohmann::json summary = {{"model", s.modelDir}, {"data", s.data.description}, {"examples", s.data.size()},
                                    {"normalize_by_layer", normalize}, {"importance", rows(importance)},
                                    {"seconds", seconds}, {"out", s.out}};
    std::cout << jsonText(summary) << std::endl;
    return 0;
}

int ablateCommand(const std::vector<std::string>& argv) {
    const Args a = parse(argv, kDataOptions, {});
    [[maybe_unused]] const Figure figure = figureOptions(a);   // fail before the work, not after
    const auto outputs = outputsOf(a);
    const Session session(a.positional()[0], loadOptions(a));
    const Engine& engine = session.engine();
    const Setup s = setUp(a, engine);
    const auto t0 = std::chrono::steady_clock::now();
    const Ablation ab = ablateHeads(engine, s.data, s.mask);
    const double seconds = secondsSince(t0);
    ResultFile f = baseFile(s, engine, a);
    f.floats["ablation_delta_loss"] = ab.deltaLoss;
    f.floats["ablation_delta_metric"] = ab.deltaMetric;
    f.floats["baseline_loss"] = FloatArray({}, std::vector<float>{static_cast<float>(ab.baseline.loss)});
    f.floats["baseline_metric"] = FloatArray({}, std::vector<float>{static_cast<float>(ab.baseline.metric)});
    outputs->write(s.out, [&](const std::string& temp) { writeResultHdf5(temp, f); });
    if (!s.csv.empty())
        outputs->write(s.csv, [&](const std::string& temp) { writeCsv(temp, headCsv({"delta_loss", "delta_metric"}, {&ab.deltaLoss, &ab.deltaMetric}, engine.config())); });
#ifdef HEADLIGHT_HAS_FIGURE
    if (!figure.path.empty())
        outputs->write(figure.path, [&](const std::string& temp) {
            writeHeadScoreFigure(staged(figure, temp), "ablate", ab.deltaLoss, true, s.mask,
                                 modelName(s.modelDir) + ": loss change, each head pruned alone\n" + dataLine(s, a),
                                 rowNames(engine.config()));
        });
#endif
    outputs->commit();
    const nlohmann::json summary = {{"model", s.modelDir}, {"data", s.data.description}, {"examples", s.data.size()},
                                    {"baseline_loss", ab.baseline.loss}, {"baseline_metric", ab.baseline.metric},
                                    {"delta_loss", rows(ab.deltaLoss)}, {"seconds", seconds}, {"out", s.out}};
    std::cout << jsonText(summary) << std::endl;
    return 0;
}

namespace {

// "importance,random" -> the orders, each at most once, as given.
std::vector<PruneOrder> parseOrders(const std::string& text) {
    std::vector<PruneOrder> orders;
    size_t start = 0;
    while (true) {
        const size_t comma = text.find(',', start);
        std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        while (!item.empty() && item.front() == ' ') item.erase(item.begin());
        while (!item.empty() && item.back() == ' ') item.pop_back();
        const PruneOrder order = parsePruneOrder(item, "--order");
        if (std::find(orders.begin(), orders.end(), order) != orders.end())
            throw Error("--order", "\"" + item + "\" is listed twice");
        orders.push_back(order);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return orders;
}

// One pruning curve as the columns the output files hold.
struct CurveColumns {
    std::string order;
    std::vector<float> fraction, loss, metric;   // [steps]
    std::vector<int32_t> heads;                  // [steps] heads pruned so far
    std::vector<int32_t> pruned;                 // [L*H,2] (layer, head) in pruning order, row-major
    nlohmann::json prunedNames;                  // the same as "L.H" strings
};

// `curve`'s columns; the heads' names "L.H" (an encoder-decoder model's "E0.1", "D0.1", "X0.1": kind and layer).
CurveColumns columnsOf(PruneOrder order, const PruningCurve& curve, const ModelConfig& config) {
    CurveColumns c;
    c.order = pruneOrderName(order);
    for (const auto& st : curve.steps) {
        c.fraction.push_back(static_cast<float>(st.fractionPruned));
        c.loss.push_back(static_cast<float>(st.score.loss));
        c.metric.push_back(static_cast<float>(st.score.metric));
        c.heads.push_back(st.headsPruned);
    }
    c.prunedNames = nlohmann::json::array();
    for (const auto& [l, h] : curve.order) {
        c.pruned.push_back(l);
        c.pruned.push_back(h);
        c.prunedNames.push_back((config.isEncoderDecoder() ? rowName(attentionBlocks(config), l) : std::to_string(l)) + "." +
                                std::to_string(h));
    }
    return c;
}

// One order keeps the plain dataset names (fraction_pruned, ...); several suffix each with ".ORDER"
// (fraction_pruned.importance, ...), since result files hold root datasets only (docs/pruning.md).
void addCurve(ResultFile& f, const CurveColumns& c, bool several) {
    const std::string suffix = several ? "." + c.order : "";
    const auto steps = static_cast<int64_t>(c.fraction.size());
    f.floats["fraction_pruned" + suffix] = FloatArray({steps}, c.fraction);
    f.floats["loss" + suffix] = FloatArray({steps}, c.loss);
    f.floats["metric" + suffix] = FloatArray({steps}, c.metric);
    f.ints["heads_pruned" + suffix] = NdArray<int32_t>({steps}, c.heads);
    f.ints["order" + suffix] = NdArray<int32_t>({static_cast<int64_t>(c.pruned.size() / 2), 2}, c.pruned);
}

// One row per step; several orders add an `order` column in front (one order keeps the original columns).
std::string curveCsv(const std::vector<CurveColumns>& curves) {
    const bool several = curves.size() > 1;
    std::ostringstream o;
    o.precision(9);
    o << (several ? "order," : "") << "step,fraction_pruned,heads_pruned,loss,metric\n";
    for (const CurveColumns& c : curves)
        for (size_t i = 0; i < c.fraction.size(); ++i)
            o << (several ? c.order + "," : "") << i << "," << c.fraction[i] << "," << c.heads[i] << "," << c.loss[i]
              << "," << c.metric[i] << "\n";
    return o.str();
}

} // namespace

int pruneCurveCommand(const std::vector<std::string>& argv) {
    const Args a = parse(argv, withOptions({"--order", "--step-percent"}), {"--no-normalize"});
    [[maybe_unused]] const Figure figure = figureOptions(a);   // fail before the work, not after
    const auto outputs = outputsOf(a);
    const std::vector<PruneOrder> orders = parseOrders(a.required("--order"));
    CurveOptions o;
    if (a.has("--step-percent")) {
        try { o.stepPercent = std::stod(a.value("--step-percent")); } catch (const std::exception&) { o.stepPercent = -1; }
        if (!(o.stepPercent > 0 && o.stepPercent <= 100)) throw UsageError{"--step-percent: must be a number in (0, 100]"};
    }
    const long long seed = a.integer("--seed", 1000003);
    o.seed = static_cast<uint64_t>(seed < 0 ? 0 : seed);
    o.normalizeByLayer = !a.has("--no-normalize");
    const Session session(a.positional()[0], loadOptions(a));
    const Engine& engine = session.engine();
    const Setup s = setUp(a, engine);
    o.headMask = s.mask;
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<CurveColumns> curves;
    for (PruneOrder order : orders) {
        o.order = order;
        curves.push_back(columnsOf(order, pruningCurve(engine, s.data, o), engine.config()));
    }
    const double seconds = secondsSince(t0);

    const bool several = curves.size() > 1;
    std::string names;
    for (const CurveColumns& c : curves) names += (names.empty() ? "" : ",") + c.order;
    ResultFile f = baseFile(s, engine, a);
    for (const CurveColumns& c : curves) addCurve(f, c, several);
    f.attributes["order"] = names;   // "importance" or, for several, "importance,random"
    f.attributes["step_percent"] = std::to_string(o.stepPercent);
    f.attributes["seed"] = std::to_string(o.seed);
    f.attributes["normalize_by_layer"] = o.normalizeByLayer ? "true" : "false";
    outputs->write(s.out, [&](const std::string& temp) { writeResultHdf5(temp, f); });
    if (!s.csv.empty()) outputs->write(s.csv, [&](const std::string& temp) { writeCsv(temp, curveCsv(curves)); });
#ifdef HEADLIGHT_HAS_FIGURE
    if (!figure.path.empty()) {
        std::vector<CurveData> data;
        for (const CurveColumns& c : curves) data.push_back({c.order, c.fraction, c.metric, c.loss});
        std::string listed;
        for (const CurveColumns& c : curves) listed += (listed.empty() ? "" : ", ") + c.order;
        outputs->write(figure.path, [&](const std::string& temp) {
            writePruningCurveFigure(staged(figure, temp), modelName(s.modelDir) + ": heads pruned by " + listed + "\n" + dataLine(s, a), data);
        });
    }
#endif
    outputs->commit();
    nlohmann::json summary = {{"model", s.modelDir}, {"data", s.data.description}, {"examples", s.data.size()},
                              {"order", names}, {"seconds", seconds}, {"out", s.out}};
    if (several) {
        summary["curves"] = nlohmann::json::array();
        for (const CurveColumns& c : curves)
            summary["curves"].push_back({{"order", c.order}, {"fraction_pruned", c.fraction}, {"loss", c.loss},
                                         {"metric", c.metric}, {"pruned_heads", c.prunedNames}});
    } else {
        const CurveColumns& c = curves.front();
        summary.update({{"fraction_pruned", c.fraction}, {"loss", c.loss}, {"metric", c.metric}, {"pruned_heads", c.prunedNames}});
    }
    std::cout << jsonText(summary) << std::endl;
    return 0;
}

} // namespace headlight::cli
