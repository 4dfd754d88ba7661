// The app as a desktop citizen: --help and --version without a display, the icon in the window and the About
// box, the sample models found from the executable's folder (build tree and install prefix alike), and a real
// `cmake --install` into a temporary prefix whose programs run from there.
#include "app_options.h"
#include "main_window.h"
#include "sample_catalog.h"
#include "settings.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QMessageBox>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

using namespace headlight;

namespace {

struct Run {
    int exitCode = -1;
    QString out, err;
};

Run run(const QString& program, const QStringList& args, const QProcessEnvironment& env, int timeoutMs = 60000) {
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(program, args);
    if (!p.waitForFinished(timeoutMs)) p.kill();
    p.waitForFinished();
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
}

// A machine without a display: no X, no Wayland, no platform plugin chosen (ctest sets offscreen).
QProcessEnvironment headless() {
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const char* name : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "HEADLIGHT_SAMPLES_DIR"})
        env.remove(QString::fromLatin1(name));
    return env;
}

// Share of opaque pixels: an icon that renders is mostly opaque (its rounded square).
double opaqueShare(const QImage& image) {
    int opaque = 0;
    for (int y = 0; y < image.height(); ++y)
        for (int x = 0; x < image.width(); ++x) opaque += qAlpha(image.pixel(x, y)) == 255;
    return double(opaque) / (image.width() * image.height());
}

QString canonical(const QString& path) { return QFileInfo(path).canonicalFilePath(); }

} // namespace

class TestInstall : public QObject {
    Q_OBJECT

private slots:
    void helpAndVersionNeedNoDisplay() {
        const Run help = run(HEADLIGHT_APP, {QStringLiteral("--help")}, headless());
        QVERIFY2(help.exitCode == 0, qPrintable(help.err));
        // "headlight", not the path it ran from: the man page is made from this text.
        QVERIFY2(help.out.startsWith(QLatin1String("Usage: headlight [options] model")) &&
                     help.out.contains(QLatin1String("--screenshot")),
                 qPrintable(help.out));
        const Run version = run(HEADLIGHT_APP, {QStringLiteral("--version")}, headless());
        QCOMPARE(version.exitCode, 0);
        QCOMPARE(version.out.trimmed(), QStringLiteral("Headlight " HEADLIGHT_VERSION));
        const Run cli = run(HEADLIGHT_CLI, {QStringLiteral("--version")}, headless());
        QCOMPARE(cli.exitCode, 0);
        QCOMPARE(cli.out.trimmed(), QStringLiteral("headlight-cli " HEADLIGHT_VERSION));
    }

    void iconInWindowAndAboutBox() {
        const QIcon icon = appIcon();
        QVERIFY(!icon.isNull());
        for (int size : {16, 64, 256}) {
            const QImage image = icon.pixmap(size, size).toImage();
            QCOMPARE(image.size(), QSize(size, size));
            QVERIFY2(opaqueShare(image) > 0.6, qPrintable(QString::number(size)));
        }
        QTemporaryDir dir;
        Settings settings(dir.filePath(QStringLiteral("settings.ini")));
        MainWindow window(settings);
        QVERIFY(!window.windowIcon().isNull());
        QMessageBox* about = createAboutBox(&window);
        QVERIFY(!about->iconPixmap().isNull());
        QVERIFY2(about->text().contains(QStringLiteral("Headlight " HEADLIGHT_VERSION)), qPrintable(about->text()));
        delete about;
    }

    void samplesFoundFromTheExecutablesFolder() {
        QTemporaryDir prefix;
        const QString samples = prefix.filePath(QStringLiteral("share/headlight/sample_models"));
        QVERIFY(QDir().mkpath(samples) && QDir().mkpath(prefix.filePath(QStringLiteral("bin"))));
        const QString rel = QStringLiteral("../share/headlight/sample_models");
        QCOMPARE(canonical(findSamplesDir({}, prefix.filePath(QStringLiteral("bin")), rel)), canonical(samples));
        QCOMPARE(findSamplesDir(QStringLiteral("/elsewhere"), prefix.filePath(QStringLiteral("bin")), rel),
                 QStringLiteral("/elsewhere"));   // HEADLIGHT_SAMPLES_DIR wins
        QVERIFY(findSamplesDir({}, prefix.filePath(QStringLiteral("nowhere")), rel).isEmpty());
        // This test runs from the build tree's bin/: its samples are the source tree's.
        QCOMPARE(canonical(samplesDir()), canonical(QStringLiteral(HEADLIGHT_SOURCE_DIR "/sample_models")));
        QVERIFY(!defaultSample().dir.isEmpty());
    }

    // cmake --install into a temporary prefix: the layout, no build path inside the programs, and the installed
    // app opening its default sample from that prefix (nothing else tells it where the samples are).
    void installedTreeRunsFromItsPrefix() {
        QTemporaryDir prefix;
        const Run install = run(HEADLIGHT_CMAKE, {QStringLiteral("--install"), QStringLiteral(HEADLIGHT_BUILD_DIR),
                                                  QStringLiteral("--prefix"), prefix.path()},
                                QProcessEnvironment::systemEnvironment(), 300000);
        QVERIFY2(install.exitCode == 0, qPrintable(install.err));
        QStringList expected = {
            "bin/headlight", "bin/headlight-cli", "share/headlight/sample_models/induction-gates/config.json",
            "share/applications/" HEADLIGHT_APP_ID ".desktop", "share/metainfo/" HEADLIGHT_APP_ID ".metainfo.xml",
            "share/icons/hicolor/scalable/apps/headlight.svg", "share/doc/headlight/copyright",
            "share/doc/headlight/changelog.gz", "share/doc/headlight/README.md"};
        if (HEADLIGHT_HAS_MAN_PAGES) expected << "share/man/man1/headlight.1.gz" << "share/man/man1/headlight-cli.1.gz";
        if (HEADLIGHT_HAS_PNG_ICONS) expected << "share/icons/hicolor/16x16/apps/headlight.png"
                                             << "share/icons/hicolor/512x512/apps/headlight.png";
        for (const QString& file : expected) QVERIFY2(QFileInfo::exists(prefix.filePath(file)), qPrintable(file));

        for (const QString& program : {QStringLiteral("bin/headlight"), QStringLiteral("bin/headlight-cli")}) {
            QFile f(prefix.filePath(program));
            QVERIFY(f.open(QIODevice::ReadOnly));
            QVERIFY2(!f.readAll().contains(HEADLIGHT_SOURCE_DIR), qPrintable(program + " names the source tree"));
        }

        QProcessEnvironment env = headless();
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        env.insert(QStringLiteral("HOME"), prefix.path());   // no settings: no last model to reopen
        env.remove(QStringLiteral("XDG_CONFIG_HOME"));
        const QString shot = prefix.filePath(QStringLiteral("shot.png"));
        const Run app = run(prefix.filePath(QStringLiteral("bin/headlight")),
                            {QStringLiteral("--size"), QStringLiteral("900x600"), QStringLiteral("--screenshot"), shot},
                            env, 120000);
        QVERIFY2(app.exitCode == 0, qPrintable(app.err));
        const QImage picture(shot);   // at least the asked size (the window may not shrink that far)
        QVERIFY2(picture.width() >= 900 && picture.height() >= 600, qPrintable(shot));

        const Run info = run(prefix.filePath(QStringLiteral("bin/headlight-cli")),
                             {QStringLiteral("info"), prefix.filePath(QStringLiteral("share/headlight/sample_models/induction-gates"))},
                             env);
        QVERIFY2(info.exitCode == 0, qPrintable(info.err));
    }
};

QTEST_MAIN(TestInstall)
#include "test_install.moc"
