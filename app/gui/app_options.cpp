#include "app_options.h"

#include <QCommandLineParser>
#include <QFile>
#include <QMessageBox>

// The resources live in this static library: a plain reference keeps the linker from dropping them.
static void initResources() { Q_INIT_RESOURCE(headlight); }

namespace headlight {

AppOptions::AppOptions(QCommandLineParser& parser)
    : text(QStringLiteral("text"), QStringLiteral("The text to run (an encoder-decoder model's source)."), QStringLiteral("TEXT")),
      target(QStringLiteral("target"), QStringLiteral("An encoder-decoder model's target text (teacher forcing)."), QStringLiteral("TEXT")),
      screenshot(QStringLiteral("screenshot"), QStringLiteral("Save a picture of the window after the first run, then quit."),
                 QStringLiteral("FILE.png")),
      prune(QStringLiteral("prune"), QStringLiteral("Heads to prune after the first run, e.g. 0.1,1.3 (an encoder-decoder model's also by kind: E0.1, D1.3, X0.2)."),
            QStringLiteral("L.H,...")),
      head(QStringLiteral("head"), QStringLiteral("The head to select after the first run, e.g. 1.0 (or X0.1: cross-attention layer 0, head 1)."),
           QStringLiteral("L.H")),
      layer(QStringLiteral("layer"), QStringLiteral("The layer to select after the first run (the head number kept), e.g. 1."),
            QStringLiteral("L")),
      position(QStringLiteral("position"),
               QStringLiteral("The token position (query) to select after the first run, 0 = the first token."),
               QStringLiteral("P")),
      show(QStringLiteral("show"), QStringLiteral("Bring a view's dock to the front, e.g. analysis."),
           QStringLiteral("VIEW")),
      size(QStringLiteral("size"), QStringLiteral("Window size, e.g. 1600x1000."), QStringLiteral("WxH")),
      selective(QStringLiteral("selective"),
                QStringLiteral("Run the model with selective attention, zero-shot (a causal model trained without it).")),
      selectorHead(QStringLiteral("selector-head"), QStringLiteral("With --selective: the head that selects in every layer (default 0)."),
                   QStringLiteral("H")) {
    parser.setApplicationDescription(QStringLiteral("Headlight: see what every attention head does."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("model"),
                                 QStringLiteral("A model folder to open (default: the last one, or a sample)."));
    for (const QCommandLineOption* o : {&text, &target, &screenshot, &prune, &head, &layer, &position, &show, &size, &selective, &selectorHead})
        parser.addOption(*o);
}

QIcon appIcon() {
    initResources();
    return QIcon(QStringLiteral(":/headlight/headlight.svg"));
}

QString aboutText() {
    initResources();
    QFile f(QStringLiteral(":/headlight/about.html"));
    const QString html = f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
    return html.arg(QStringLiteral(HEADLIGHT_VERSION));
}

QMessageBox* createAboutBox(QWidget* parent) {
    auto* box = new QMessageBox(parent);
    box->setWindowTitle(QMessageBox::tr("About Headlight"));
    box->setTextFormat(Qt::RichText);
    box->setText(aboutText());
    box->setIconPixmap(appIcon().pixmap(64, 64));
    box->setAttribute(Qt::WA_DeleteOnClose);
    return box;
}

QString helpPageText(const QString& name) {
    initResources();
    QFile f(QStringLiteral(":/headlight/") + name + QStringLiteral(".html"));
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
}

QMessageBox* createHelpBox(QWidget* parent, const QString& title, const QString& name) {
    auto* box = new QMessageBox(parent);
    box->setWindowTitle(title);
    box->setTextFormat(Qt::RichText);
    box->setText(helpPageText(name));
    box->setIconPixmap(appIcon().pixmap(48, 48));
    box->setWindowModality(Qt::NonModal);
    box->setAttribute(Qt::WA_DeleteOnClose);
    return box;
}

} // namespace headlight
