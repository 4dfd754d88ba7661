#pragma once
// Shared by the headlight-cli suites (test_cli, test_cli_figures): running the CLI, reading and writing files,
// the success contract of a command, checking a figure file, and the model they all run on.
#include "test_support.h"

#include <QFile>
#include <QProcess>
#include <QXmlStreamReader>
#include <QtTest>
#include <nlohmann/json.hpp>

namespace headlight::cli_test {

struct Result {
    int exitCode = -1;
    QString out, err;
};

inline Result cli(const QStringList& args) {
    QProcess p;
    p.start(HEADLIGHT_CLI, args);
    if (!p.waitForFinished(120000)) p.kill();
    p.waitForFinished();
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
}

inline QByteArray readAll(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}
inline bool writeAll(const QString& path, const QByteArray& data) {
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(data) == data.size();
}

// Runs and checks the common success contract: exit 0, nothing on stderr, a JSON summary on stdout.
// A failed check marks the test failed (callers test QTest::currentTestFailed()) and the result is null.
inline nlohmann::json runOk(const QStringList& args) {
    const Result r = cli(args);
    [&] {
        QVERIFY2(r.exitCode == 0, qPrintable(QString("exit %1: %2").arg(r.exitCode).arg(r.err)));
        QVERIFY2(r.err.isEmpty(), qPrintable("stderr on success: " + r.err));
    }();
    try {
        return nlohmann::json::parse(r.out.toStdString());
    } catch (const std::exception&) {
        return nlohmann::json();
    }
}

// The file at `path` is a figure in the format its suffix names: PNG and PDF signatures, SVG that parses.
inline void checkFigure(const QString& path) {
    const QByteArray bytes = readAll(path);
    QVERIFY2(!bytes.isEmpty(), qPrintable(path + " is missing or empty"));
    if (path.endsWith(".png")) QVERIFY2(bytes.startsWith("\x89PNG\r\n"), qPrintable(path));
    if (path.endsWith(".pdf")) QVERIFY2(bytes.startsWith("%PDF"), qPrintable(path));
    if (path.endsWith(".svg")) {
        QXmlStreamReader xml(bytes);
        while (!xml.atEnd()) xml.readNext();
        QVERIFY2(!xml.hasError(), qPrintable(path + ": " + xml.errorString()));
        QVERIFY2(bytes.contains("<svg"), qPrintable(path));
    }
}

// Writes the suites' model to `dir`: all four mechanisms, 2 layers x 2 heads, n_embd 8, vocab "^abcdefghij".
inline void writeCliModel(const QString& dir) {
    const ModelConfig c = test::tinyConfig({"gates", "span", "selective", "memory"});
    test::writeModel(dir.toStdString(), c, test::randomWeights(c, 11));
}

} // namespace headlight::cli_test
