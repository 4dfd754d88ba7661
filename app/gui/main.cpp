// headlight: the desktop app. All logic lives in headlight_gui and headlight_widgets.
#include "head_selection.h"
#include "main_window.h"
#include "trace_view.h"
#include "settings.h"
#include "theme.h"

#include "headlight/engine.h"
#include "headlight/error.h"
#include "headlight/runtime.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDockWidget>
#include <QTimer>
#include <algorithm>
#include <cstdio>

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Headlight"));
    QApplication::setApplicationName(QStringLiteral("Headlight"));
    QApplication::setApplicationVersion(QStringLiteral(HEADLIGHT_VERSION));
    headlight::tuneAllocatorForRepeatedRuns();

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Headlight: see what every attention head does."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("model"), QStringLiteral("A model folder to open (default: the last one, or a sample)."));
    QCommandLineOption text(QStringLiteral("text"), QStringLiteral("The text to run."), QStringLiteral("TEXT"));
    parser.addOption(text);
    QCommandLineOption screenshot(QStringLiteral("screenshot"),
                                  QStringLiteral("Save a picture of the window after the first run, then quit."),
                                  QStringLiteral("FILE.png"));
    parser.addOption(screenshot);
    QCommandLineOption prune(QStringLiteral("prune"), QStringLiteral("Heads to prune after the first run, e.g. 0.1,1.3."),
                             QStringLiteral("L.H,..."));
    parser.addOption(prune);
    QCommandLineOption select(QStringLiteral("head"), QStringLiteral("The head to select after the first run, e.g. 1.0."),
                              QStringLiteral("L.H"));
    parser.addOption(select);
    QCommandLineOption show(QStringLiteral("show"), QStringLiteral("Bring a view's dock to the front, e.g. analysis."),
                            QStringLiteral("VIEW"));
    parser.addOption(show);
    QCommandLineOption size(QStringLiteral("size"), QStringLiteral("Window size, e.g. 1600x1000."), QStringLiteral("WxH"));
    parser.addOption(size);
    parser.process(app);

    headlight::Settings settings;
    headlight::applyTheme(app, settings.darkTheme());
    headlight::MainWindow window(settings);
    if (parser.isSet(size)) {
        const QStringList wh = parser.value(size).split(QLatin1Char('x'));
        if (wh.size() == 2) window.resize(wh[0].toInt(), wh[1].toInt());
    }
    window.show();
    if (parser.isSet(show)) {   // after the first run, which raises a mechanism the model has
        headlight::TraceView* v = window.view(parser.value(show));
        auto* dock = v ? qobject_cast<QDockWidget*>(v->parentWidget()) : nullptr;
        if (!dock) std::fprintf(stderr, "headlight: --show %s: no such docked view\n", qPrintable(parser.value(show)));
        else QObject::connect(&window, &headlight::MainWindow::snapshotShown, dock, [dock] { dock->show(); dock->raise(); }, Qt::SingleShotConnection);
    }
    // --prune: once the first run is on screen (the model's size is known then), prune those heads.
    // --head: select a head the same way (parsed like --prune, one head).
    bool pruneApplied = !parser.isSet(prune) && !parser.isSet(select);
    QObject::connect(&window, &headlight::MainWindow::snapshotShown, &window, [&](const headlight::RunSnapshot& s) {
        if (pruneApplied) return;
        pruneApplied = true;
        try {
            if (parser.isSet(select)) {
                const auto m = headlight::parsePruneList(parser.value(select).toStdString(), s.model->config, "--head");
                const auto at = static_cast<int>(std::find(m.begin(), m.end(), 0.0f) - m.begin());
                window.selection()->setCurrent({at / s.heads(), at % s.heads()});
            }
            if (parser.isSet(prune))
                window.setHeadMask(headlight::parsePruneList(parser.value(prune).toStdString(), s.model->config, "--prune"));
        } catch (const headlight::Error& e) {
            std::fprintf(stderr, "headlight: %s\n", e.what());
            QApplication::exit(1);
        }
    });
    if (parser.isSet(screenshot)) {
        // For docs/screenshots: let the views settle after the first run (the pruned one with --prune), then grab
        // the window and quit.
        QObject::connect(&window, &headlight::MainWindow::snapshotShown, &window, [&](const headlight::RunSnapshot& s) {
            if (parser.isSet(prune) && !s.pruned()) return;   // wait for the pruned run
            QTimer::singleShot(800, &window, [&] {
                const bool ok = window.grab().save(parser.value(screenshot));
                if (!ok) std::fprintf(stderr, "headlight: %s: cannot write the screenshot\n", qPrintable(parser.value(screenshot)));
                QApplication::exit(ok ? 0 : 1);
            });
        });
        QObject::connect(&window, &headlight::MainWindow::problemShown, &window, [](const QString& message) {
            std::fprintf(stderr, "headlight: %s\n", qPrintable(message));
            QApplication::exit(1);
        });
    }
    const QStringList models = parser.positionalArguments();
    if (!models.isEmpty()) window.openModel(models.front(), parser.value(text));
    else window.openInitialModel();
    return app.exec();
}
