#include "figure_support.h"

#include "figure_export.h"
#include "head_score_plot.h"
#include "head_selection.h"
#include "trace_view.h"
#include "view_registry.h"
#include "views/mechanisms/fit_view.h"
#include "plot_style.h"
#include "pruning_curve_plot.h"

#include "headlight/error.h"
#include "headlight/trace_hdf5.h"

#include <QApplication>
#include <QFileInfo>
#include <QFontMetricsF>
#include <algorithm>
#include <cstdio>
#include <memory>

namespace headlight::cli {
namespace {

std::string commandName;

ExportOptions exportOptions(const FigureRequest& figure, int defaultWidth, int defaultHeight) {
    ExportOptions options;
    options.dpi = figure.dpi;
    options.size = QSize(figure.width > 0 ? figure.width : defaultWidth, figure.height > 0 ? figure.height : defaultHeight);
    return options;
}

// Each line of `title` cut with an ellipsis to the figure's width (task descriptions are long JSON), measured in
// the bold publication font the plots give their titles.
QString fitTitle(const std::string& title, int widthPoints) {
    QFont font = PlotStyle::publication().font;
    font.setBold(true);
    const QFontMetricsF metrics(font);
    QStringList lines = QString::fromStdString(title).split('\n');
    for (QString& line : lines) line = metrics.elidedText(line, Qt::ElideRight, widthPoints - 16);
    return lines.join('\n');
}

} // namespace

void ensureFigureApplication(const char* command) {
    if (QApplication::instance()) return;
    commandName = command;
    // Views are widgets: the offscreen platform draws them without a display, and Qt's platform chatter
    // (no XDG_RUNTIME_DIR, offscreen size hints) is not for a command line's stderr.
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    qInstallMessageHandler([](QtMsgType type, const QMessageLogContext&, const QString& message) {
        if (type == QtCriticalMsg || type == QtFatalMsg)
            std::fprintf(stderr, "headlight-cli %s: %s\n", commandName.c_str(), qPrintable(message));
    });
    static int argc = 1;
    static char name[] = "headlight-cli";
    static char* argv[] = {name, nullptr};
    static std::unique_ptr<QApplication> app = std::make_unique<QApplication>(argc, argv);
}

void checkFigurePath(const std::string& path) {
    const QString suffix = QFileInfo(QString::fromStdString(path)).suffix().toLower();
    if (!exportSuffixes().contains(suffix))
        throw Error(path, "unknown figure format \"" + suffix.toStdString() + "\" (use .png, .svg or .pdf)");
    checkTraceOutputPath(path);   // the same writability check as every output file
}

FigureRequest figureRequest(const Args& args) {
    FigureRequest f;
    if (!args.has("--figure")) {
        for (const char* option : {"--width", "--height", "--dpi"})
            if (args.has(option)) throw UsageError{std::string(option) + ": applies to --figure only"};
        return f;
    }
    f.path = args.value("--figure");
    checkFigurePath(f.path);
    // The limits of `headlight-cli figure`.
    auto points = [&](const char* option) {
        if (!args.has(option)) return 0;
        const long long v = args.integer(option, 0);
        if (v < 100 || v > 10000) throw Error(option, "must be between 100 and 10000 points");
        return static_cast<int>(v);
    };
    f.width = points("--width");
    f.height = points("--height");
    const long long dpi = args.integer("--dpi", 300);
    if (dpi < 36 || dpi > 2400) throw Error("--dpi", "must be between 36 and 2400");
    f.dpi = static_cast<int>(dpi);
    return f;
}

void writePruningCurveFigure(const FigureRequest& figure, const std::string& title, const std::vector<CurveData>& curves) {
    ensureFigureApplication("prune-curve");
    const ExportOptions options = exportOptions(figure, 480, 420);
    PruningCurvePlot plot;
    plot.resize(options.size);
    std::vector<CurveSeries> series;
    for (const CurveData& c : curves)
        series.push_back({QString::fromStdString(c.order), {c.fraction.begin(), c.fraction.end()},
                          {c.metric.begin(), c.metric.end()}, {c.loss.begin(), c.loss.end()}});
    plot.setCurves(series, fitTitle(title, options.size.width()));
    plot.exportFigure(QString::fromStdString(figure.path), options);
}

void writeHeadScoreFigure(const FigureRequest& figure, const char* command, const FloatArray& values, bool ablation,
                          const std::vector<float>& headMask, const std::string& title, const std::vector<std::string>& rowNames) {
    ensureFigureApplication(command);
    // Room for a value in every cell (about 48 x 26 points per head) besides the axes, title and colour scale,
    // and at least room for the colour scale's label.
    const int L = static_cast<int>(values.dim(0)), H = static_cast<int>(values.dim(1));
    const ExportOptions options =
        exportOptions(figure, std::clamp(200 + 48 * H, 420, 1400), std::clamp(130 + 26 * L, 300, 1200));
    std::vector<bool> pruned;
    for (float m : headMask) pruned.push_back(m == 0.0f);
    HeadScorePlot plot;
    plot.resize(options.size);
    QStringList rows;
    for (const std::string& name : rowNames) rows << QString::fromStdString(name);
    plot.setScores(values, ablation ? HeadScoreKind::AblationDeltaLoss : HeadScoreKind::Importance, pruned,
                   fitTitle(title, options.size.width()), rows);
    plot.exportFigure(QString::fromStdString(figure.path), options);
}

void writeHeadStateFigure(const FigureRequest& figure, const char* command, const char* viewId, const ModelConfig& config,
                          const std::string& modelName, const std::map<std::string, FloatArray>& heads) {
    ensureFigureApplication(command);
    auto info = std::make_shared<ModelInfo>();
    info->config = config;
    info->name = QString::fromStdString(modelName);
    HeadSelection selection;
    std::unique_ptr<TraceView> view(createView(QString::fromLatin1(viewId), &selection));
    const QSize size = figureSizeFor(QStringLiteral("single"));
    ExportOptions options;
    options.dpi = figure.dpi;
    options.size = QSize(figure.width > 0 ? figure.width : size.width(), figure.height > 0 ? figure.height : size.height());
    view->resize(options.size);
    view->setSnapshot(headStateSnapshot(info, heads));
    if (!view->unavailableReason().isEmpty()) throw Error(figure.path, view->unavailableReason().toStdString());
    view->exportFigure(QString::fromStdString(figure.path), options);
}

} // namespace headlight::cli
