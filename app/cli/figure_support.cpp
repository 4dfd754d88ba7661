#include "figure_support.h"

#include "figure_export.h"
#include "pruning_curve_plot.h"

#include "headlight/error.h"
#include "headlight/trace_hdf5.h"

#include <QApplication>
#include <QFileInfo>
#include <cstdio>
#include <memory>

namespace headlight::cli {
namespace {

std::string commandName;

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

void writePruningCurveFigure(const std::string& path, const std::string& order, const std::string& title,
                             const std::vector<float>& fraction, const std::vector<float>& metric,
                             const std::vector<float>& loss) {
    ensureFigureApplication("prune-curve");
    PruningCurvePlot plot;
    plot.resize(480, 420);
    CurveSeries series{QString::fromStdString(order), {fraction.begin(), fraction.end()},
                       {metric.begin(), metric.end()}, {loss.begin(), loss.end()}};
    plot.setCurves({series}, QString::fromStdString(title));
    ExportOptions options;
    options.dpi = 300;
    options.size = QSize(480, 420);
    plot.exportFigure(QString::fromStdString(path), options);
}

} // namespace headlight::cli
