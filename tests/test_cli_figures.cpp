// headlight-cli's figures end to end: `figure` renders the app's views headless; importance, ablate and
// prune-curve draw their results with --figure; prune-curve's outputs for several orders; bad figure options.
#include "cli_test_support.h"
#include "headlight/pruning.h"
#include "test_support.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

using namespace headlight;
using namespace headlight::cli_test;
using nlohmann::json;

namespace {

// A big-endian 32-bit number in a PNG file (this suite links Qt Core only, so no QImage).
uint32_t pngNumber(const QByteArray& bytes, int at) {
    uint32_t n = 0;
    for (int i = 0; i < 4; ++i) n = n << 8 | static_cast<uint8_t>(bytes[at + i]);
    return n;
}

} // namespace

class TestCliFigures : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    QString model_;   // a valid model with all four mechanisms: 2 layers x 2 heads, n_embd 8, vocab "^abcdefghij"

private slots:
    void initTestCase() {
        QVERIFY(tmp_.isValid());
        QVERIFY2(QFile::exists(HEADLIGHT_CLI), HEADLIGHT_CLI);
        model_ = tmp_.filePath("model");
        writeCliModel(model_);
    }

    // `figure` renders the app's views headless; bad views, formats, heads and paths fail cleanly.
    void figureCommand() {
        QTemporaryDir dir;
        for (const char* suffix : {"png", "svg", "pdf"}) {
            const QString out = dir.filePath(QString("matrix.") + suffix);
            const json s = runOk({"figure", model_, "--text", "abcdef", "--view", "attention", "--layer", "1", "--head", "1",
                                  "--width", "400", "--height", "300", "--out", out});
            if (QTest::currentTestFailed()) return;
            QCOMPARE(s["layer"].get<int>(), 1);
            QCOMPARE(s["tokens"].get<int>(), 7);   // '^' + "abcdef"
            const QByteArray bytes = readAll(out);
            if (QByteArray(suffix) == "png") QVERIFY(bytes.startsWith("\x89PNG"));
            if (QByteArray(suffix) == "pdf") QVERIFY(bytes.startsWith("%PDF"));
            if (QByteArray(suffix) == "svg") QVERIFY(bytes.contains("<svg"));
        }
        // The what-if comparison: with --prune the figure compares against the unpruned run (its caption says so).
        const QString whatIf = dir.filePath("whatif.svg");
        runOk({"figure", model_, "--text", "abcdef", "--view", "whatif", "--prune", "0.1", "--layer", "1", "--out", whatIf});
        const QByteArray whatIfSvg = readAll(whatIf);
        QVERIFY2(whatIfSvg.contains("Pruned 1 of") && whatIfSvg.contains("Loss ") && whatIfSvg.contains("Perplexity"), whatIfSvg.left(200).constData());
        struct Bad { QStringList args; int exit; const char* says; };
        const QString png = dir.filePath("bad.png");
        const Bad bad[] = {
            {{"--view", "nope", "--out", png}, 2, "--view nope is not a view"},
            {{"--view", "attention", "--out", dir.filePath("bad.bmp")}, 1, "unknown figure format"},
            {{"--view", "attention", "--layer", "2", "--out", png}, 1, "--layer: 2 is not a layer"},
            {{"--view", "attention", "--out", dir.filePath("missing/bad.png")}, 1, "missing/bad.png: cannot write"},
            {{"--view", "attention", "--text", "xyz!", "--out", png}, 1, "--text: "},
        };
        for (const Bad& b : bad) {
            QStringList args = {"figure", model_};
            if (!b.args.contains("--text")) args << "--text" << "abc";
            const Result r = cli(args + b.args);
            QVERIFY2(r.exitCode == b.exit && r.err.contains(b.says) && r.err.count('\n') == 1, qPrintable(r.err));
        }
        QVERIFY(QDir(dir.path()).entryList({"bad*"}).isEmpty());

        // prune-curve draws its curve when asked; a figure it cannot write stops it before any output.
        const QString h5 = dir.filePath("curve.h5"), svg = dir.filePath("curve.svg");
        runOk({"prune-curve", model_, "--text", "abcdefgh", "--order", "random", "--out", h5, "--figure", svg});
        if (QTest::currentTestFailed()) return;
        QVERIFY(readAll(svg).contains("<svg"));
        const QString h5b = dir.filePath("bad-curve.h5");
        const Result rc = cli({"prune-curve", model_, "--text", "abcdefgh", "--order", "random", "--out", h5b, "--figure",
                               dir.filePath("bad-curve.bmp")});
        QVERIFY2(rc.exitCode == 1 && rc.err.contains("unknown figure format"), qPrintable(rc.err));
        QVERIFY(!QFile::exists(h5b));
    }

    // importance and ablate --figure: a heatmap in each format, sized by --width/--height/--dpi.
    void headScoreFigures() {
        QTemporaryDir dir;
        for (const QString command : {"importance", "ablate"})
            for (const QString suffix : {"png", "svg", "pdf"}) {
                const QString out = dir.filePath(command + "-" + suffix + ".h5"), figure = dir.filePath(command + "." + suffix);
                const json s = runOk({command, model_, "--text", "abcdefgh", "--prune", "1.0", "--out", out, "--figure", figure});
                if (QTest::currentTestFailed()) return;
                QVERIFY(QFile::exists(out));
                checkFigure(figure);
                if (QTest::currentTestFailed()) return;
                if (suffix != "svg") continue;
                // Each cell's value is text in the vector figure (head 0.1 here), every cell with the decimals that
                // give the largest value 3 significant digits.
                const json& scores = s[command == "importance" ? "importance" : "delta_loss"];
                double largest = 0;
                for (const json& row : scores)
                    for (const json& x : row) largest = std::max(largest, std::abs(x.get<double>()));
                const int decimals = largest > 0 ? std::clamp(2 - int(std::floor(std::log10(largest))), 0, 6) : 1;
                const double v = scores[0][1].get<double>();
                const QString cell = ">" + QString::number(std::abs(v) < 0.5 * std::pow(10.0, -decimals) ? 0.0 : v, 'f', decimals) + "<";
                QVERIFY2(readAll(figure).contains(cell.toUtf8()), qPrintable(cell + " not in " + figure));
            }
        // 200 x 150 points at 144 dpi = 400 x 300 pixels.
        const QString png = dir.filePath("sized.png");
        runOk({"importance", model_, "--text", "abcdefgh", "--out", dir.filePath("sized.h5"), "--figure", png, "--width", "200",
               "--height", "150", "--dpi", "144"});
        if (QTest::currentTestFailed()) return;
        const QByteArray bytes = readAll(png);
        QVERIFY(bytes.size() > 33 && bytes.mid(12, 4) == "IHDR");
        QCOMPARE(pngNumber(bytes, 16), 400u);   // IHDR: width, height
        QCOMPARE(pngNumber(bytes, 20), 300u);
        const int phys = bytes.indexOf("pHYs");   // pixels per metre: 144 dpi
        QVERIFY(phys > 0);
        QCOMPARE(pngNumber(bytes, phys + 4), uint32_t(144 / 0.0254 + 0.5));
    }

    // A figure the command cannot write stops it before any work: one line, exit code, no file at all.
    void badFigureOptions_data() {
        QTest::addColumn<QStringList>("args");   // FIG = DIR/figure path as given, OUT = DIR/out.h5
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("says");
        QTest::newRow("importance .bmp") << QStringList{"importance", "--figure", "FIG.bmp"} << 1 << "unknown figure format \"bmp\"";
        QTest::newRow("ablate no suffix") << QStringList{"ablate", "--figure", "FIG"} << 1 << "unknown figure format";
        QTest::newRow("prune-curve .jpg") << QStringList{"prune-curve", "--order", "random", "--figure", "FIG.jpg"} << 1
                                          << "unknown figure format \"jpg\"";
        QTest::newRow("figure folder missing") << QStringList{"ablate", "--figure", "DIR/missing/f.png"} << 1 << "cannot write";
        QTest::newRow("width without figure") << QStringList{"importance", "--width", "300"} << 2 << "--width: applies to --figure only";
        QTest::newRow("width too small") << QStringList{"importance", "--figure", "FIG.png", "--width", "50"} << 1
                                         << "--width: must be between 100 and 10000 points";
        QTest::newRow("dpi too small") << QStringList{"ablate", "--figure", "FIG.svg", "--dpi", "10"} << 1
                                       << "--dpi: must be between 36 and 2400";
    }

    void badFigureOptions() {
        QFETCH(QStringList, args);
        QFETCH(int, exitCode);
        QFETCH(QString, says);
        QTemporaryDir dir;
        for (QString& a : args) {
            if (a.startsWith("FIG")) a = dir.filePath("figure") + a.mid(3);
            else if (a.startsWith("DIR/")) a = dir.path() + a.mid(3);
        }
        args.insert(1, model_);
        const Result r = cli(args + QStringList{"--text", "abcdefgh", "--out", dir.filePath("out.h5")});
        QVERIFY2(r.exitCode == exitCode, qPrintable(QString("exit %1: %2").arg(r.exitCode).arg(r.err)));
        QVERIFY2(r.err.count('\n') == 1 && r.err.endsWith('\n'), qPrintable("not one line: " + r.err));
        QVERIFY2(r.err.contains(says), qPrintable(r.err));
        QVERIFY2(r.out.isEmpty(), qPrintable(r.out));
        const QStringList left = QDir(dir.path()).entryList(QDir::NoDotAndDotDot | QDir::AllEntries);
        QVERIFY2(left.isEmpty(), qPrintable("left behind: " + left.join(", ")));
    }

    // prune-curve --order a,b: one curve per order in one file, one CSV and one figure; each curve is the one
    // that order gives alone.
    void pruneCurveSeveralOrders() {
        QTemporaryDir dir;
        const QString h5 = dir.filePath("curves.h5"), csv = dir.filePath("curves.csv"), svg = dir.filePath("curves.svg");
        const json s = runOk({"prune-curve", model_, "--text", "abcdefgh", "--order", "random, importance-once", "--seed", "7",
                              "--out", h5, "--csv", csv, "--figure", svg});
        if (QTest::currentTestFailed()) return;
        // 2 layers x 2 heads, 10% steps: max(1, round(0.4)) = 1 head per step, so steps 0..4.
        const ResultFile f = readResultHdf5(h5.toStdString());
        QCOMPARE(f.attributes.at("order"), std::string("random,importance-once"));
        QVERIFY(!f.floats.count("fraction_pruned") && !f.ints.count("order"));   // only suffixed names
        QCOMPARE(f.floats.size(), size_t(6));
        QCOMPARE(f.ints.size(), size_t(4));
        for (const std::string order : {"random", "importance-once"}) {
            for (const char* name : {"fraction_pruned.", "loss.", "metric."})
                QCOMPARE(f.floats.at(name + order).shape(), (std::vector<int64_t>{5}));
            QCOMPARE(f.ints.at("heads_pruned." + order).toVector(), (std::vector<int32_t>{0, 1, 2, 3, 4}));
            QCOMPARE(f.floats.at("fraction_pruned." + order).toVector(), (std::vector<float>{0, 0.25f, 0.5f, 0.75f, 1}));
            QCOMPARE(f.ints.at("order." + order).shape(), (std::vector<int64_t>{4, 2}));
        }
        const QString single = dir.filePath("random.h5");
        runOk({"prune-curve", model_, "--text", "abcdefgh", "--order", "random", "--seed", "7", "--out", single});
        if (QTest::currentTestFailed()) return;
        const ResultFile g = readResultHdf5(single.toStdString());
        HL_COMPARE_ARRAYS(f.floats.at("loss.random"), g.floats.at("loss"), 0.0);
        HL_COMPARE_ARRAYS(f.floats.at("metric.random"), g.floats.at("metric"), 0.0);
        QCOMPARE(f.ints.at("order.random").toVector(), g.ints.at("order").toVector());

        // CSV: an order column in front, the steps of each order in turn, matching the HDF5 losses.
        const QStringList lines = QString::fromUtf8(readAll(csv)).trimmed().split('\n');
        QCOMPARE(lines.size(), 1 + 2 * 5);
        QCOMPARE(lines[0], QString("order,step,fraction_pruned,heads_pruned,loss,metric"));
        for (int i = 0; i < 10; ++i) {
            const QStringList cells = lines[i + 1].split(',');
            QCOMPARE(cells.size(), 6);
            const std::string order = i < 5 ? "random" : "importance-once";
            QCOMPARE(cells[0].toStdString(), order);
            QCOMPARE(cells[1].toInt(), i % 5);
            QCOMPARE(cells[4].toFloat(), f.floats.at("loss." + order).data()[i % 5]);
        }
        QCOMPARE(s["order"].get<std::string>(), std::string("random,importance-once"));
        QCOMPARE(s["curves"].size(), size_t(2));
        QCOMPARE(s["curves"][1]["order"].get<std::string>(), std::string("importance-once"));
        // The figure: one legend entry per order.
        checkFigure(svg);
        const QByteArray figure = readAll(svg);
        QVERIFY(figure.contains(">random<") && figure.contains(">importance-once<"));

        // An order listed twice is an error naming --order, before any output.
        const QString twice = dir.filePath("twice.h5");
        const Result r = cli({"prune-curve", model_, "--text", "abcdefgh", "--order", "random,gate,random", "--out", twice});
        QVERIFY2(r.exitCode == 1 && r.err.contains("--order") && r.err.contains("listed twice"), qPrintable(r.err));
        QVERIFY(!QFile::exists(twice));
    }
};

QTEST_MAIN(TestCliFigures)
#include "test_cli_figures.moc"
