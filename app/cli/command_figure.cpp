// `headlight-cli figure`: renders one of the app's views to PNG, SVG or PDF, headless (for papers and scripts).
#include "cli_args.h"
#include "commands.h"
#include "figure_support.h"
#include "head_selection.h"
#include "model_session.h"
#include "run_input.h"
#include "run_snapshot.h"
#include "trace_view.h"
#include "view_preset.h"
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
    const Args a(argv, withLoadOptions({"--text", "--target", "--decoder-ids", "--view", "--layer", "--head", "--position", "--prune", "--budget",
                                        "--size", "--width", "--height", "--dpi", "--out"}, kLoadValued),
                 withLoadOptions({"--screen-style"}, kLoadFlags));
    if (a.positional().size() != 1) throw UsageError{"expects exactly one MODEL_DIR"};
    const std::string out = a.required("--out");
    const std::string viewId = a.required("--view");
    if (!a.has("--text") || a.value("--text").empty()) throw UsageError{"needs --text with at least one character"};

    ensureFigureApplication("figure");
    if (!viewIds().contains(QString::fromStdString(viewId)))
        throw UsageError{"--view " + viewId + " is not a view; use one of " + viewIds().join(QStringLiteral(", ")).toStdString()};
    checkFigurePath(out);
    OutputFiles outputs({{"--out", out}}, filesInFolder(a.positional()[0]));   // never onto the model's own files

    // The run as the app makes it (headlight/session.h): cut to the model's length, every head captured while
    // they fit (else the --layer/--head one and every head's digest), a pruned run beside the unpruned one.
    Session session(a.positional()[0], loadOptions(a));
    const Engine& engine = session.engine();
    RunArguments args = runArguments(a, session, false);
    const ModelConfig config = stackedConfig(engine.config());   // an encoder-decoder model's layers: its stack's rows
    // Without --layer and --head, the head the model's view.json points at (as the app opens it).
    const ViewPreset look = readViewPreset(QString::fromStdString(a.positional()[0]));
    const bool lookHead = !a.has("--layer") && !a.has("--head") && look.hasHeadIn(config.nLayer, config.nHead);
    args.input.focusLayer = lookHead ? look.layer : indexOption(a, "--layer", config.nLayer, "layer");
    args.input.focusHead = lookHead ? look.head : indexOption(a, "--head", config.nHead, "head");
    const SessionRun run = namingArguments(args.names, [&] { return session.run(args.input); });

    RunSnapshot snapshot;
    snapshot.model = describeModel(engine, QFileInfo(QString::fromStdString(engine.modelDir())).absoluteFilePath());
    snapshot.text = QString::fromStdString(run.droppedTokens > 0 ? run.text : a.value("--text"));
    snapshot.droppedTokens = run.droppedTokens;
    snapshot.trace = run.trace;
    snapshot.baseline = run.baseline;
    snapshot.comparison = run.comparison;
    HeadSelection selection;
    selection.setCurrent({args.input.focusLayer, args.input.focusHead});
    selection.setPosition(a.has("--position") ? indexOption(a, "--position", snapshot.tokens(), "token position")
                                              : look.positionIn(snapshot.tokens()));

    summarize(snapshot);   // the head summaries, role labels and rollout, as the app's worker makes them
    // The lens and the attribution, which the app computes when their views are shown.
    if (viewId == "lens" || viewId == "attribution") {
        const int position = selection.position() >= 0 ? selection.position() : snapshot.tokens() - 1;
        const InspectResult inspected = inspectRun(engine, snapshot, viewId == "lens", viewId == "attribution" ? position : -1);
        snapshot.lens = inspected.lens;
        snapshot.attribution = inspected.attribution;
    }

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
    options.exactHeight = a.has("--height");   // else a stacked view takes the height its panels need
    outputs.write(out, [&](const std::string& temp) { view->exportFigure(QString::fromStdString(temp), options); });
    outputs.commit();

    nlohmann::json s;
    s["figure"] = out;
    s["view"] = viewId;
    s["layer"] = selection.current().layer;
    s["head"] = selection.current().head;
    s["tokens"] = snapshot.tokens();
    const QSize written = view->figurePoints(options.size, options.exactHeight);
    s["size_points"] = {written.width(), written.height()};
    std::cout << jsonText(s) << "\n";
    return 0;
}

} // namespace headlight::cli
