// `headlight-cli figure`: renders one of the app's views to PNG, SVG or PDF, headless (for papers and scripts).
#include "cli_args.h"
#include "commands.h"
#include "figure_support.h"
#include "head_selection.h"
#include "model_session.h"
#include "run_snapshot.h"
#include "trace_view.h"
#include "figure_export.h"
#include "view_registry.h"

#include "headlight/engine.h"
#include "headlight/error.h"
#include "headlight/output_files.h"
#include "headlight/what_if.h"

#include <QApplication>
#include <QFileInfo>
#include <climits>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

namespace headlight::cli {
namespace {

int indexOption(const Args& a, const std::string& option, int count, const std::string& what) {
    const long long v = a.integer(option, 0);
    if (v < 0 || v >= count)
        throw Error(option, std::to_string(v) + " is not a " + what + " of this model (it has " + std::to_string(count) + ")");
    return static_cast<int>(v);
}

} // namespace

int figureCommand(const std::vector<std::string>& argv) {
    const Args a(argv, {"--text", "--view", "--layer", "--head", "--position", "--prune", "--budget", "--device",
                        "--size", "--width", "--height", "--dpi", "--out"},
                 {"--screen-style"});
    if (a.positional().size() != 1) throw UsageError{"expects exactly one MODEL_DIR"};
    const std::string out = a.required("--out");
    const std::string viewId = a.required("--view");
    if (!a.has("--text") || a.value("--text").empty()) throw UsageError{"needs --text with at least one character"};

    ensureFigureApplication("figure");
    if (!viewIds().contains(QString::fromStdString(viewId)))
        throw UsageError{"--view " + viewId + " is not a view; use one of " + viewIds().join(QStringLiteral(", ")).toStdString()};
    checkFigurePath(out);
    OutputFiles outputs({{"--out", out}}, filesInFolder(a.positional()[0]));   // never onto the model's own files

    const Engine engine = Engine::load(a.positional()[0], a.value("--device", "cpu"));
    RunRequest req;
    try {
        req.tokenIds = engine.encode(a.value("--text"));
    } catch (const Error& e) {
        throw Error("--text", e.problem());
    }
    if (a.has("--prune")) req.headMask = parsePruneList(a.value("--prune"), engine.config(), "--prune");
    if (a.has("--budget"))
        for (long long k : parseIntList(a.value("--budget"), "--budget")) {
            if (k < 0 || k > INT_MAX) throw Error("--budget", std::to_string(k) + " is not a budget (tokens per layer, 0 = unlimited)");
            req.contextBudget.push_back(static_cast<int>(k));
        }
    Trace trace;
    try {
        trace = engine.run(req);
    } catch (const Error& e) {
        if (e.where() == "input") throw Error("--text", e.problem());
        if (e.where() == "context budget") throw Error("--budget", e.problem());
        throw;
    }

    RunSnapshot snapshot;
    snapshot.model = describeModel(engine, QFileInfo(QString::fromStdString(engine.modelDir())).absoluteFilePath());
    snapshot.text = QString::fromStdString(a.value("--text"));
    snapshot.trace = std::make_shared<const Trace>(std::move(trace));
    if (prunedHeadCount(req.headMask) > 0) {
        // As in the app: the unpruned run of the same text, and what pruning changed (the whatif view).
        RunRequest unpruned = req;
        unpruned.headMask.clear();
        snapshot.baseline = std::make_shared<const Trace>(engine.run(unpruned));
        snapshot.comparison = std::make_shared<const RunComparison>(compareRuns(*snapshot.baseline, *snapshot.trace));
    }
    const ModelConfig& c = engine.config();
    HeadSelection selection;
    selection.setCurrent({indexOption(a, "--layer", c.nLayer, "layer"), indexOption(a, "--head", c.nHead, "head")});
    selection.setPosition(a.has("--position") ? indexOption(a, "--position", snapshot.tokens(), "token position") : -1);

    std::unique_ptr<TraceView> view(createView(QString::fromStdString(viewId), &selection));
    // A journal column by default (--size single|double); --width/--height for a free size.
    const std::string sizeId = a.value("--size", "single");
    const QSize preset = figureSizeFor(QString::fromStdString(sizeId));
    if (preset.isEmpty()) throw Error("--size", sizeId + " is not a size; use single (3.3 in) or double (6.9 in), or --width/--height");
    const int width = static_cast<int>(a.integer("--width", preset.width())), height = static_cast<int>(a.integer("--height", preset.height()));
    if (width < 100 || height < 100 || width > 10000 || height > 10000)
        throw Error("--width/--height", "must be between 100 and 10000 points");
    view->resize(width, height);
    view->setSnapshot(snapshot);
    if (!view->unavailableReason().isEmpty()) throw Error("--view " + viewId, view->unavailableReason().toStdString());
    ExportOptions options;
    options.dpi = static_cast<int>(a.integer("--dpi", 300));
    if (options.dpi < 36 || options.dpi > 2400) throw Error("--dpi", "must be between 36 and 2400");
    options.publication = !a.has("--screen-style");
    options.size = QSize(width, height);
    outputs.write(out, [&](const std::string& temp) { view->exportFigure(QString::fromStdString(temp), options); });
    outputs.commit();

    nlohmann::json s;
    s["figure"] = out;
    s["view"] = viewId;
    s["layer"] = selection.current().layer;
    s["head"] = selection.current().head;
    s["tokens"] = snapshot.tokens();
    const QSize written = view->figurePoints(options.size);   // stacked views take the height their panels need
    s["size_points"] = {written.width(), written.height()};
    std::cout << jsonText(s) << "\n";
    return 0;
}

} // namespace headlight::cli
