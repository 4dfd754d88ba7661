// headlight: the desktop app. All logic lives in headlight_gui and headlight_widgets.
#include "head_selection.h"
#include "app_options.h"
#include "main_window.h"
#include "trace_view.h"
#include "settings.h"
#include "startup_selection.h"
#include "theme.h"
#include "workspace.h"

#include "headlight/error.h"
#include "headlight/runtime.h"

#include <QApplication>
#include <QByteArray>
#include <QCommandLineParser>
#include <QDockWidget>
#include <QTimer>
#include <cstdio>
#include <vector>

namespace {

constexpr int kMinWindowSide = 200;
constexpr int kMaxWindowSide = 16384;

void setIdentity() {
    QCoreApplication::setOrganizationName(QStringLiteral("Headlight"));
    QCoreApplication::setApplicationName(QStringLiteral("Headlight"));
    QCoreApplication::setApplicationVersion(QStringLiteral(HEADLIGHT_VERSION));
}

// --help and --version are answered before any QApplication exists: they must work without a display (the
// man pages are generated from them, and a package check runs them on a headless machine).
bool asksForHelpOrVersion(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const QByteArray a(argv[i]);
        if (a == "--") break;
        if (a == "-h" || a == "--help" || a == "-?" || a == "--help-all" || a == "-v" || a == "--version") return true;
    }
    return false;
}

} // namespace

int main(int argc, char** argv) {
    if (asksForHelpOrVersion(argc, argv)) {
        // The usage line names the program, not the path it was started by: help2man copies it into the
        // man page, which must not carry a build folder.
        std::vector<char*> args(argv, argv + argc);
        char name[] = "headlight";
        args[0] = name;
        QCoreApplication core(argc, args.data());
        setIdentity();
        QCommandLineParser parser;
        const headlight::AppOptions options(parser);
        parser.process(core);   // prints the help or the version and exits
        return 0;
    }
    QApplication app(argc, argv);
    setIdentity();
    QApplication::setWindowIcon(headlight::appIcon());
    QGuiApplication::setDesktopFileName(QStringLiteral("headlight"));   // matches the installed headlight.desktop
    headlight::tuneAllocatorForRepeatedRuns();

    QCommandLineParser parser;
    const headlight::AppOptions o(parser);
    const QCommandLineOption &text = o.text, &screenshot = o.screenshot, &prune = o.prune, &select = o.head,
                             &show = o.show, &size = o.size;
    parser.process(app);
    // --head, --layer, --position, --prune: checked as far as they can be now, applied once the first run is on
    // screen (the model's size and the text's length are known then).
    const headlight::StartupSelection startup{parser.value(select), parser.value(o.layer), parser.value(o.position),
                                              parser.value(prune)};
    try {
        startup.checkSyntax();
    } catch (const headlight::Error& e) {
        std::fprintf(stderr, "headlight: %s\n", e.what());
        return 2;
    }

    int selectorHead = -1;   // --selective: checked against the model when it loads
    if (parser.isSet(o.selectorHead) && !parser.isSet(o.selective)) {
        std::fprintf(stderr, "headlight: --selector-head: applies with --selective only\n");
        return 2;
    }
    if (parser.isSet(o.selective)) {
        bool ok = !parser.isSet(o.selectorHead);
        selectorHead = ok ? 0 : parser.value(o.selectorHead).toInt(&ok);
        if (!ok || selectorHead < 0) {
            std::fprintf(stderr, "headlight: --selector-head %s: expected a head number, 0 or more\n",
                         headlight::printableText(parser.value(o.selectorHead).toStdString(), 40).c_str());
            return 2;
        }
    }

    headlight::Settings settings;
    headlight::applyTheme(app, settings.darkTheme());
    headlight::MainWindow window(settings);
    if (parser.isSet(size)) {
        // Bounded: a 100000x100000 window asks the window system for tens of gigabytes of back buffer.
        const QStringList wh = parser.value(size).split(QLatin1Char('x'));
        bool okW = false, okH = false;
        const int w = wh.size() == 2 ? wh[0].toInt(&okW) : 0, h = wh.size() == 2 ? wh[1].toInt(&okH) : 0;
        if (!okW || !okH || w < kMinWindowSide || h < kMinWindowSide || w > kMaxWindowSide || h > kMaxWindowSide) {
            std::fprintf(stderr, "headlight: --size %s: expected WxH with each side %d..%d, e.g. 1600x1000\n",
                         headlight::printableText(parser.value(size).toStdString(), 40).c_str(), kMinWindowSide, kMaxWindowSide);
            return 2;
        }
        window.resize(w, h);
    }
    window.show();
    if (parser.isSet(show)) {   // after the first run, which raises a mechanism the model has
        headlight::TraceView* v = window.view(parser.value(show));
        auto* dock = v ? qobject_cast<QDockWidget*>(v->parentWidget()) : nullptr;
        if (!dock) std::fprintf(stderr, "headlight: --show %s: no such docked view\n", qPrintable(parser.value(show)));
        else QObject::connect(&window, &headlight::MainWindow::snapshotShown, dock, [dock] { dock->show(); dock->raise(); }, Qt::SingleShotConnection);
    }
    bool startupApplied = startup.empty();
    QObject::connect(&window, &headlight::MainWindow::snapshotShown, &window, [&](const headlight::RunSnapshot& s) {
        if (startupApplied) return;
        startupApplied = true;
        try {
            startup.apply(s, *window.selection(), *window.workspace());
        } catch (const headlight::Error& e) {
            std::fprintf(stderr, "headlight: %s\n", e.what());
            QApplication::exit(1);
        }
    });
    if (parser.isSet(screenshot)) {
        // For docs/screenshots: let the views settle after the first run (the pruned one with --prune), then grab
        // the window and quit.
        const auto grabSoon = [&] {
            QTimer::singleShot(800, &window, [&] {
                const bool ok = window.grab().save(parser.value(screenshot));
                if (!ok) std::fprintf(stderr, "headlight: %s: cannot write the screenshot\n", qPrintable(parser.value(screenshot)));
                QApplication::exit(ok ? 0 : 1);
            });
        };
        // The Lens and Attribution views compute their numbers after the run, when shown: wait for them.
        const bool inspected = parser.value(show) == QLatin1String("lens") || parser.value(show) == QLatin1String("attribution");
        QObject::connect(&window, &headlight::MainWindow::snapshotShown, &window, [&, grabSoon, inspected](const headlight::RunSnapshot& s) {
            if (parser.isSet(prune) && !s.pruned()) return;   // wait for the pruned run
            if (!inspected) grabSoon();
        });
        if (inspected)
            QObject::connect(window.workspace(), &headlight::Workspace::inspectionShown, &window, [grabSoon] { grabSoon(); });
        QObject::connect(&window, &headlight::MainWindow::problemShown, &window, [](const QString& message) {
            std::fprintf(stderr, "headlight: %s\n", qPrintable(message));
            QApplication::exit(1);
        });
    }
    if (selectorHead >= 0) window.setZeroShotSelective(selectorHead);
    const QStringList models = parser.positionalArguments();
    if (parser.isSet(o.target)) window.setTarget(parser.value(o.target));
    if (!models.isEmpty()) window.openModel(models.front(), parser.value(text));
    else window.openInitialModel();
    return app.exec();
}
