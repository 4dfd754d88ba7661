#pragma once
// The desktop app's command line, the app's icon and its About box: what main() and the tests share.
#include <QCommandLineOption>
#include <QIcon>
#include <QString>

class QCommandLineParser;
class QMessageBox;
class QWidget;

namespace headlight {

// Every option of `headlight`, added to `parser` (with --help, --version and the model argument) on
// construction. One definition, so that the help printed without a display is the app's real help.
struct AppOptions {
    explicit AppOptions(QCommandLineParser& parser);
    QCommandLineOption text, target, screenshot, prune, head, layer, position, show, size, selective, selectorHead;
};

// The application icon from the embedded resources (the SVG, rendered at any size).
QIcon appIcon();
// The About box's text: the version and what Headlight is (from the embedded about.html).
QString aboutText();
// The About box, with the app's icon; the caller shows it.
QMessageBox* createAboutBox(QWidget* parent);
// Help's pages (resources/tour.html, resources/shortcuts.html) as a box over `parent` that deletes itself.
QString helpPageText(const QString& name);
QMessageBox* createHelpBox(QWidget* parent, const QString& title, const QString& name);

} // namespace headlight
