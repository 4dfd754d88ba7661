// headlight: the desktop app. All logic lives in headlight_gui and headlight_widgets.
#include "main_window.h"
#include "settings.h"
#include "theme.h"

#include "headlight/runtime.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>
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
    if (parser.isSet(screenshot)) {
        // For docs/screenshots: let the views settle after the first run, then grab the window and quit.
        QObject::connect(&window, &headlight::MainWindow::snapshotShown, &window, [&] {
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
