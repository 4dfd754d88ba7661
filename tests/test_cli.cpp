// headlight-cli end to end, and every bad input: one-line error naming the file or argument, non-zero exit,
// no output file and no temporary left behind.
#include "headlight/engine.h"
#include "headlight/pruning.h"
#include "headlight/trace_hdf5.h"
#include "test_support.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QXmlStreamReader>
#include <QtTest>
#include <cmath>
#include <functional>
#include <nlohmann/json.hpp>

using namespace headlight;
using nlohmann::json;

namespace {

struct Result {
    int exitCode = -1;
    QString out, err;
};

Result cli(const QStringList& args) {
    QProcess p;
    p.start(HEADLIGHT_CLI, args);
    if (!p.waitForFinished(120000)) p.kill();
    p.waitForFinished();
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
}

QByteArray readAll(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}
bool writeAll(const QString& path, const QByteArray& data) {
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(data) == data.size();
}

QByteArray lengthField(uint64_t n) {
    QByteArray out(8, 0);
    for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
    return out;
}
uint64_t headerLength(const QByteArray& bytes) {
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = n << 8 | static_cast<uint8_t>(bytes[i]);
    return n;
}

// Rewrites the safetensors header through `edit`, keeping the data section and appending `extraData`.
bool rewriteHeader(const QString& file, const std::function<void(json&)>& edit, const QByteArray& extraData = {}) {
    const QByteArray bytes = readAll(file);
    const int n = static_cast<int>(headerLength(bytes));
    json header = json::parse(bytes.mid(8, n).toStdString());
    edit(header);
    const std::string text = header.dump();
    return writeAll(file, lengthField(text.size()) + QByteArray::fromStdString(text) + bytes.mid(8 + n) + extraData);
}

bool editConfig(const QString& file, const std::function<void(json&)>& edit) {
    json j = json::parse(readAll(file).toStdString());
    edit(j);
    return writeAll(file, QByteArray::fromStdString(j.dump()));
}

// Breaks the copy of the valid model in `m` the way `what` says; false if the breaking itself failed.
bool mutate(const QString& what, const QString& m) {
    const QString st = m + "/model.safetensors", conf = m + "/config.json";
    auto config = [&](const std::function<void(json&)>& e) { return editConfig(conf, e); };
    auto header = [&](const std::function<void(json&)>& e) { return rewriteHeader(st, e); };
    QByteArray b = readAll(st);
    const uint64_t dataStart = 8 + headerLength(b);
    if (what.isEmpty()) return true;
    if (what == "rm config") return QFile::remove(conf);
    if (what == "rm weights") return QFile::remove(st);
    if (what == "rm vocab") return QFile::remove(m + "/vocab.json");
    if (what == "config not json") return writeAll(conf, "{\"model_type\": \"headlight\", \"n_layer\": ");
    if (what == "no n_head") return config([](json& j) { j.erase("n_head"); });
    if (what == "n_layer string") return config([](json& j) { j["n_layer"] = "2"; });
    if (what == "n_layer 0") return config([](json& j) { j["n_layer"] = 0; });
    if (what == "vocab -5") return config([](json& j) { j["vocab_size"] = -5; });
    if (what == "n_head 3") return config([](json& j) { j["n_head"] = 3; });
    if (what == "headlight colour") return config([](json& j) { j["headlight"]["colour"] = 1; });
    if (what == "ramp 0") return config([](json& j) { j["headlight"]["adaptive_span"]["ramp"] = 0; });
    if (what == "selector 2") return config([](json& j) { j["headlight"]["selective_attention"]["selector_head"] = 2; });
    if (what == "gamma 0") return config([](json& j) { j["headlight"]["head_gates"]["gamma"] = 0.0; });
    if (what == "cut data") return writeAll(st, b.left(static_cast<int>(dataStart + (b.size() - dataStart) / 2)));
    if (what == "7 bytes") return writeAll(st, b.left(7));
    if (what == "header length") return writeAll(st, lengthField(static_cast<uint64_t>(b.size()) - 7) + b.mid(8));
    if (what == "header not json") { b[8] = '!'; return writeAll(st, b); }
    if (what == "overlap") return header([](json& h) { h["ln_f.bias"]["data_offsets"] = h["ln_f.weight"]["data_offsets"]; });
    if (what == "out of range")
        return header([&](json& h) {
            h["ln_f.bias"]["data_offsets"] = {b.size() - dataStart - 16, b.size() - dataStart + 16};
        });
    if (what == "dtype F8") return header([](json& h) { h["ln_f.bias"]["dtype"] = "F8"; });
    if (what == "missing tensor") return header([](json& h) { h.erase("h.1.ln_2.bias"); });
    if (what == "wrong shape") return header([](json& h) { h["ln_f.bias"]["shape"] = {2, 4}; });
    if (what == "extra tensor")
        return rewriteHeader(st, [&](json& h) {
            const uint64_t end = static_cast<uint64_t>(b.size()) - dataStart;
            h["h.2.ln_1.weight"] = {{"dtype", "F32"}, {"shape", {8}}, {"data_offsets", {end, end + 32}}};
        }, QByteArray(32, 0));
    qWarning("unknown mutation %s", qPrintable(what));
    return false;
}

// A big-endian 32-bit number in a PNG file (this suite links Qt Core only, so no QImage).
uint32_t pngNumber(const QByteArray& bytes, int at) {
    uint32_t n = 0;
    for (int i = 0; i < 4; ++i) n = n << 8 | static_cast<uint8_t>(bytes[at + i]);
    return n;
}

// The file at `path` is a figure in the format its suffix names: PNG and PDF signatures, SVG that parses.
void checkFigure(const QString& path) {
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

} // namespace

class TestCli : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    QString model_;   // a valid model with all four mechanisms: 2 layers x 2 heads, n_embd 8, vocab "^abcdefghij"

    // Runs and checks the common success contract: exit 0, nothing on stderr, a JSON summary on stdout.
    json runOk(const QStringList& args) {
        const Result r = cli(args);
        [&] {
            QVERIFY2(r.exitCode == 0, qPrintable(QString("exit %1: %2").arg(r.exitCode).arg(r.err)));
            QVERIFY2(r.err.isEmpty(), qPrintable("stderr on success: " + r.err));
        }();
        try {
            return json::parse(r.out.toStdString());
        } catch (const std::exception&) {
            return json();
        }
    }

private slots:
    void initTestCase() {
        QVERIFY(tmp_.isValid());
        QVERIFY2(QFile::exists(HEADLIGHT_CLI), HEADLIGHT_CLI);
        model_ = tmp_.filePath("model");
        const ModelConfig c = test::tinyConfig({"gates", "span", "selective", "memory"});
        test::writeModel(model_.toStdString(), c, test::randomWeights(c, 11));
    }

    void initInfoRunEndToEnd() {
        const QString config = tmp_.filePath("init.json");
        QVERIFY(writeAll(config, R"({"model_type": "headlight", "vocab_size": 40, "n_layer": 2, "n_head": 2, "n_embd": 16,
            "n_positions": 32, "headlight": {"head_gates": {}, "adaptive_span": {"max_span": 8, "ramp": 2},
            "selective_attention": {"selector_head": 1}, "persistent_memory": {"slots": 2, "replace_mlp": true}}})"));
        const QString dir = tmp_.filePath("initialised");
        const json made = runOk({"init", "--config", config, "--seed", "3", "--out", dir});
        if (QTest::currentTestFailed()) return;
        // wte 40*16 + wpe 32*16 + 2 layers * (ln_1 32 + c_attn 816 + c_proj 272 + gates 2 + spans 2 + memory 64) + ln_f 32
        const int64_t expectedParameters = 640 + 512 + 2 * (32 + 816 + 272 + 2 + 2 + 64) + 32;
        QCOMPARE(made.value("parameters", int64_t(-1)), expectedParameters);
        for (const char* f : {"config.json", "model.safetensors", "vocab.json"}) QVERIFY2(QFile::exists(dir + "/" + f), f);

        const json info = runOk({"info", dir});
        if (QTest::currentTestFailed()) return;
        QCOMPARE(info["parameters"].get<int64_t>(), expectedParameters);
        QCOMPARE(info["sizes"]["n_layer"].get<int>(), 2);
        QCOMPARE(info["sizes"]["n_head"].get<int>(), 2);
        QCOMPARE(info["sizes"]["mlp"].get<bool>(), false);
        for (const char* m : {"head_gates", "adaptive_span", "selective_attention", "persistent_memory"})
            QVERIFY2(info["mechanisms"].contains(m), m);
        QCOMPARE(info["mechanisms"]["adaptive_span"]["max_span"].get<int>(), 8);
        QCOMPARE(info["mechanisms"]["selective_attention"]["selector_head"].get<int>(), 1);
        QCOMPARE(info["mechanisms"]["persistent_memory"]["slots"].get<int>(), 2);

        const QString out = tmp_.filePath("run.h5");
        const json s = runOk({"run", dir, "--text", "hello world", "--out", out});
        if (QTest::currentTestFailed()) return;
        QCOMPARE(s["tokens"].get<int>(), 11);
        QCOMPARE(s["text"].get<std::string>(), std::string("hello world"));
        QVERIFY(s["mean_loss"].is_number());
        const double meanLoss = s["mean_loss"].get<double>();
        QVERIFY(std::isfinite(meanLoss) && meanLoss > 0);
        QCOMPARE(s["pruned_heads"].get<int>(), 0);
        QCOMPARE(s["captured_layers"].get<int>(), 2);

        const LoadedTrace t = readTraceHdf5(out.toStdString());
        QCOMPARE(t.trace.tokenIds.size(), size_t(11));
        QCOMPARE(t.trace.tokens.size(), size_t(11));
        QCOMPARE(t.trace.tokens[4], std::string("o"));
        QCOMPARE(t.trace.tokens[5], std::string(" "));
        QCOMPARE(t.trace.loss.shape(), (std::vector<int64_t>{10}));
        double sum = 0;
        for (float x : t.trace.loss) sum += x;
        QVERIFY2(std::fabs(sum / 10 - meanLoss) < 1e-4, "trace loss does not average to the summary's mean_loss");
        QCOMPARE(t.trace.logits.shape(), (std::vector<int64_t>{11, 40}));
        QCOMPARE(t.trace.headMask.shape(), (std::vector<int64_t>{2, 2}));
        for (float m : t.trace.headMask) QCOMPARE(m, 1.0f);
        QCOMPARE(t.trace.layers.size(), size_t(2));
        for (int l = 0; l < 2; ++l) {
            QCOMPARE(t.trace.layers[l].layer, l);
            QCOMPARE(t.trace.layers[l].heads, (std::vector<int>{0, 1}));
            QCOMPARE(t.trace.layers[l].attention.shape(), (std::vector<int64_t>{2, 11, 11}));
            QCOMPARE(t.trace.layers[l].memoryAttention.shape(), (std::vector<int64_t>{2, 11, 2}));
            QCOMPARE(t.trace.layers[l].selectionCumulative.shape(), (std::vector<int64_t>{11, 11}));
            QCOMPARE(t.trace.layers[l].gate.shape(), (std::vector<int64_t>{2}));
            QCOMPARE(t.trace.layers[l].span.shape(), (std::vector<int64_t>{2}));
        }
        for (const char* key : {"model_path", "config_json", "text", "device", "tool_version", "created_utc"})
            QVERIFY2(t.provenance.count(key) && !t.provenance.at(key).empty(), key);
        QCOMPARE(t.provenance.at("model_path"), QDir(dir).canonicalPath().toStdString());
        QCOMPARE(t.provenance.at("text"), std::string("hello world"));
        QCOMPARE(t.provenance.at("input"), std::string("text"));
        QCOMPARE(t.provenance.at("device"), std::string("cpu"));
        QVERIFY(QString::fromStdString(t.provenance.at("created_utc")).contains(QRegularExpression("^\\d{4}-\\d\\d-\\d\\dT")));
        const json cfg = json::parse(t.provenance.at("config_json"));
        QCOMPARE(cfg["headlight"]["persistent_memory"]["replace_mlp"].get<bool>(), true);
        QVERIFY(QDir(tmp_.path()).entryList({"*.tmp-*"}).isEmpty());
    }

    void idsAndPrune() {
        const QString out = tmp_.filePath("pruned.h5");
        const json s = runOk({"run", model_, "--ids", "1,2,3", "--prune", "0.1", "--out", out});
        if (QTest::currentTestFailed()) return;
        QCOMPARE(s["tokens"].get<int>(), 3);
        QCOMPARE(s["text"].get<std::string>(), std::string("abc"));
        QCOMPARE(s["pruned_heads"].get<int>(), 1);
        const LoadedTrace t = readTraceHdf5(out.toStdString());
        QCOMPARE(t.trace.tokenIds, (std::vector<int64_t>{1, 2, 3}));
        QCOMPARE(t.trace.loss.shape(), (std::vector<int64_t>{2}));
        QCOMPARE(t.trace.headMask.shape(), (std::vector<int64_t>{2, 2}));
        QCOMPARE(t.trace.headMask.at({0, 0}), 1.0f);
        QCOMPARE(t.trace.headMask.at({0, 1}), 0.0f);
        QCOMPARE(t.trace.headMask.at({1, 0}), 1.0f);
        QCOMPARE(t.trace.headMask.at({1, 1}), 1.0f);
        QCOMPARE(t.provenance.at("input"), std::string("ids"));
        QCOMPARE(t.provenance.at("pruned_heads"), std::string("0.1"));
        // Pruning scales head 0.1's output: layer 0's attention is unchanged, what comes after is not.
        const QString keptOut = tmp_.filePath("kept.h5");
        runOk({"run", model_, "--ids", "1,2,3", "--out", keptOut});
        if (QTest::currentTestFailed()) return;
        const LoadedTrace kept = readTraceHdf5(keptOut.toStdString());
        HL_COMPARE_ARRAYS(t.trace.layers.at(0).attention, kept.trace.layers.at(0).attention, 0.0);
        QVERIFY(test::maxAbsDiff(t.trace.layers.at(1).attention, kept.trace.layers.at(1).attention) > 1e-6);
        QVERIFY(test::maxAbsDiff(t.trace.loss, kept.trace.loss) > 1e-6);
    }

    // Budgets reach the trace; context-prune prints a table that starts unpruned and only shrinks memory.
    void contextPruning() {
        const QString out = tmp_.filePath("budget.h5");
        Result r = cli({"run", model_, "--text", "abcdefgh", "--budget", "3,0", "--out", out});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const LoadedTrace t = readTraceHdf5(out.toStdString());
        int evicted = 0;
        for (float step : t.trace.layers[0].evictedAt) evicted += step >= 0;
        QCOMPARE(evicted, 8 - 3);
        QVERIFY(t.trace.layers[1].evictedAt.empty());

        r = cli({"run", model_, "--text", "abc", "--budget", "3"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("--budget") && r.err.contains("one per layer"), qPrintable(r.err));

        r = cli({"context-prune", model_, "--text", "abcdefghij", "--tolerance", "1"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QStringList lines = r.out.trimmed().split('\n');
        QVERIFY(lines.size() >= 3);
        QVERIFY(lines[0].contains("budgets") && lines[0].contains("memory"));
        QVERIFY2(lines[1].startsWith("11,11 ") && lines[1].contains("22/22 (100%)"), qPrintable(lines[1]));
        QVERIFY2(lines.last().contains("(") && !lines.last().contains("100%"), qPrintable(lines.last()));
    }

    void captureFilters() {
        const QString out = tmp_.filePath("filtered.h5");
        const json s = runOk({"run", model_, "--text", "abcde", "--layers", "1", "--heads", "0", "--out", out});
        if (QTest::currentTestFailed()) return;
        QCOMPARE(s["captured_layers"].get<int>(), 1);
        const LoadedTrace t = readTraceHdf5(out.toStdString());
        QCOMPARE(t.trace.tokenIds, (std::vector<int64_t>{1, 2, 3, 4, 5}));
        QCOMPARE(t.trace.layers.size(), size_t(1));
        QCOMPARE(t.trace.layers[0].layer, 1);
        QCOMPARE(t.trace.layers[0].heads, (std::vector<int>{0}));
        QCOMPARE(t.trace.layers[0].attention.shape(), (std::vector<int64_t>{1, 5, 5}));
        QCOMPARE(t.trace.layers[0].memoryAttention.shape(), (std::vector<int64_t>{1, 5, 3}));
    }

    // `figure` renders the app's views headless; bad views, formats, heads and paths fail cleanly.
    void figureAndExamples() {
        QTemporaryDir dir;
        for (const char* suffix : {"png", "svg", "pdf"}) {
            const QString out = dir.filePath(QString("matrix.") + suffix);
            const json s = runOk({"figure", model_, "--text", "abcdef", "--view", "attention", "--layer", "1", "--head", "1",
                                  "--width", "400", "--height", "300", "--out", out});
            if (QTest::currentTestFailed()) return;
            QCOMPARE(s["layer"].get<int>(), 1);
            QCOMPARE(s["tokens"].get<int>(), 6);
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

        // `examples` prints a task's examples, one per line: induction repeats its string.
        const Result r = cli({"examples", "--task", "induction", "--n", "3", "--seed", "4"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QStringList lines = r.out.trimmed().split('\n');
        QCOMPARE(lines.size(), 3);
        for (const QString& line : lines) {
            const QString body = line.mid(1);
            QVERIFY(line.startsWith('^') && body.size() % 2 == 0);
            QCOMPARE(body.left(body.size() / 2), body.mid(body.size() / 2));
        }
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
                // Each cell's value is text in the vector figure, to 3 significant digits (head 0.1 here).
                const double v = s[command == "importance" ? "importance" : "delta_loss"][0][1].get<double>();
                const QString cell = ">" + QString::number(v, 'g', 3) + "<";
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

    void cudaWithoutCuda() {
        if (Engine::cudaAvailable()) QSKIP("this LibTorch can run on CUDA here");
        QTemporaryDir dir;
        const QString out = dir.filePath("t.h5");
        const Result r = cli({"run", model_, "--text", "abc", "--device", "cuda", "--out", out});
        QVERIFY2(r.exitCode != 0, qPrintable(r.out));
        QCOMPARE(r.exitCode, 1);
        QCOMPARE(r.err.count('\n'), 1);
        QVERIFY(r.err.endsWith('\n'));
        QVERIFY2(r.err.startsWith("headlight-cli run: error: --device: ") && r.err.contains("cuda"), qPrintable(r.err));
        QVERIFY(!QFile::exists(out));
        QVERIFY(QDir(dir.path()).entryList(QDir::NoDotAndDotDot | QDir::AllEntries).isEmpty());
    }

    void badInput_data() {
        // In args: MODEL = a copy of the valid model broken by `mutation`, OUT = DIR/out.h5 (must not appear),
        // CONFIG = a valid config.json outside the model, DIR/ = the test's temporary folder (DIR/file is a file).
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("mutation");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("where");
        QTest::addColumn<QString>("problem");
        const QStringList run = {"run", "MODEL", "--text", "abc", "--out", "OUT"};
        auto row = [](const char* name, const QStringList& args, const char* mutation, int exit, const char* where,
                      const char* problem) {
            QTest::newRow(name) << args << QString(mutation) << exit << QString(where) << QString(problem);
        };
        const QStringList noFolder = {"run", "DIR/nowhere", "--text", "abc", "--out", "OUT"};
        row("missing model folder", noFolder, "", 1, "nowhere", "model folder not found");
        row("missing config.json", run, "rm config", 1, "config.json", "file not found");
        row("missing model.safetensors", run, "rm weights", 1, "model.safetensors", "file not found");
        row("config not JSON", run, "config not json", 1, "config.json", "not valid JSON");
        row("config missing n_head", run, "no n_head", 1, "config.json", "missing key \"n_head\"");
        row("config wrong type", run, "n_layer string", 1, "config.json", "\"n_layer\" must be an integer");
        row("config zero size", run, "n_layer 0", 1, "config.json", "\"n_layer\" must be positive, got 0");
        row("config negative size", run, "vocab -5", 1, "config.json", "\"vocab_size\" must be positive, got -5");
        row("n_embd not divisible", run, "n_head 3", 1, "config.json", "n_embd (8) is not divisible by n_head (3)");
        row("unknown headlight key", run, "headlight colour", 1, "config.json", "unknown key \"colour\"");
        row("ramp zero", run, "ramp 0", 1, "config.json", "ramp\" must be > 0");
        row("selector out of range", run, "selector 2", 1, "config.json", "selector_head\" = 2 is not a head");
        row("gamma not negative", run, "gamma 0", 1, "config.json", "gamma\" must be < 0");
        row("safetensors truncated", run, "cut data", 1, "model.safetensors", "outside the data section");
        row("safetensors under 8 bytes", run, "7 bytes", 1, "model.safetensors", "shorter than the 8-byte header length");
        row("header length beyond file", run, "header length", 1, "model.safetensors", "beyond the end of the file");
        row("header not JSON", run, "header not json", 1, "model.safetensors", "header is not valid JSON");
        row("offsets overlap", run, "overlap", 1, "model.safetensors", "overlap");
        row("offsets out of range", run, "out of range", 1, "model.safetensors", "outside the data section");
        row("unknown dtype", run, "dtype F8", 1, "model.safetensors", "unknown dtype \"F8\"");
        row("tensor missing", run, "missing tensor", 1, "model.safetensors", "\"h.1.ln_2.bias\" is missing");
        row("tensor wrong shape", run, "wrong shape", 1, "model.safetensors", "\"ln_f.bias\" has shape [2,4], expected [8]");
        row("unexpected tensor", run, "extra tensor", 1, "model.safetensors", "unexpected tensor \"h.2.ln_1.weight\"");
        row("text outside vocabulary", {"run", "MODEL", "--text", "abz!a", "--out", "OUT"}, "", 1, "vocab.json",
            "not in the vocabulary: 'z', '!'");
        row("text without vocab.json", run, "rm vocab", 1, "vocab.json", "token ids only");
        row("empty text", {"run", "MODEL", "--text", "", "--out", "OUT"}, "", 1, "--text", "is empty");
        row("empty ids", {"run", "MODEL", "--ids", "", "--out", "OUT"}, "", 1, "--ids", "is empty");
        row("id out of range", {"run", "MODEL", "--ids", "1,11", "--out", "OUT"}, "", 1, "--ids", "token id 11 is out of range");
        row("negative id", {"run", "MODEL", "--ids", "-1,2", "--out", "OUT"}, "", 1, "--ids", "token id -1 is out of range");
        row("ids not numbers", {"run", "MODEL", "--ids", "1,x", "--out", "OUT"}, "", 1, "--ids", "\"x\" is not an integer");
        row("too many tokens", {"run", "MODEL", "--text", QString(17, 'a'), "--out", "OUT"}, "", 1, "--text",
            "17 tokens, but the model allows at most 16");
        row("too many ids", {"run", "MODEL", "--ids", "1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1", "--out", "OUT"}, "", 1, "--ids",
            "17 tokens, but the model allows at most 16");
        row("out folder missing", {"run", "MODEL", "--text", "abc", "--out", "DIR/missing/t.h5"}, "", 1, "missing/t.h5",
            "cannot write");
        row("out under a file", {"run", "MODEL", "--text", "abc", "--out", "DIR/file/t.h5"}, "", 1, "file/t.h5", "cannot write");
        row("out is a folder", {"run", "MODEL", "--text", "abc", "--out", "DIR"}, "", 1, "DIR", "cannot write: is a folder");
        row("prune layer too big", {"run", "MODEL", "--text", "abc", "--prune", "2.0", "--out", "OUT"}, "", 1, "--prune",
            "head 2.0 does not exist");
        row("prune head too big", {"run", "MODEL", "--text", "abc", "--prune", "0.0,1.2", "--out", "OUT"}, "", 1,
            "--prune", "head 1.2 does not exist");
        row("prune malformed", {"run", "MODEL", "--text", "abc", "--prune", "3", "--out", "OUT"}, "", 1, "--prune",
            "\"3\" is not a head");
        row("capture layer too big", {"run", "MODEL", "--text", "abc", "--layers", "2", "--out", "OUT"}, "", 1, "--layers",
            "layer 2 does not exist");
        row("capture head too big", {"run", "MODEL", "--text", "abc", "--heads", "0,2", "--out", "OUT"}, "", 1, "--heads",
            "head 2 does not exist");
        row("unknown option", {"run", "MODEL", "--text", "abc", "--colour", "red", "--out", "OUT"}, "", 2, "--colour",
            "unknown option");
        row("option without value", {"run", "MODEL", "--out", "OUT", "--text"}, "", 2, "--text", "needs a value");
        row("no MODEL_DIR", {"run", "--text", "abc", "--out", "OUT"}, "", 2, "run", "MODEL_DIR");
        row("both text and ids", {"run", "MODEL", "--text", "abc", "--ids", "1", "--out", "OUT"}, "", 2, "--ids",
            "exactly one of --text or --ids");
        row("info missing folder", {"info", "DIR/nowhere"}, "", 1, "nowhere", "model folder not found");
        row("init missing config", {"init", "--config", "DIR/nowhere.json", "--out", "OUT"}, "", 1, "nowhere.json",
            "file not found");
        row("init bad config", {"init", "--config", "MODEL/config.json", "--out", "OUT"}, "n_head 3", 1, "config.json",
            "is not divisible");
        row("init out under a file", {"init", "--config", "CONFIG", "--out", "DIR/file/m"}, "", 1, "file/m", "is a file");
        row("init alphabet length", {"init", "--config", "CONFIG", "--out", "OUT", "--alphabet", "abc"}, "", 1,
            "--alphabet", "has 3 characters but vocab_size = 11");
        row("init negative seed", {"init", "--config", "CONFIG", "--out", "OUT", "--seed", "-1"}, "", 2, "--seed", ">= 0");
    }

    void badInput() {
        QFETCH(QStringList, args);
        QFETCH(QString, mutation);
        QFETCH(int, exitCode);
        QFETCH(QString, where);
        QFETCH(QString, problem);

        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        if (where == "DIR") where = dir.path();
        const QString model = dir.filePath("m");
        QVERIFY(QDir().mkpath(model));
        for (const char* f : {"config.json", "model.safetensors", "vocab.json"})
            QVERIFY(QFile::copy(model_ + "/" + f, model + "/" + f));
        QVERIFY(writeAll(dir.filePath("config.json"), readAll(model_ + "/config.json")));
        QVERIFY(writeAll(dir.filePath("file"), "a regular file, not a folder"));
        QVERIFY2(mutate(mutation, model), qPrintable(mutation));

        const QString out = dir.filePath("out.h5");
        for (QString& a : args) {
            if (a == "MODEL") a = model;
            else if (a == "OUT") a = out;
            else if (a == "CONFIG") a = dir.filePath("config.json");
            else if (a == "DIR") a = dir.path();
            else if (a.startsWith("MODEL/")) a = model + a.mid(5);
            else if (a.startsWith("DIR/")) a = dir.path() + a.mid(3);
        }
        const Result r = cli(args);
        const QString context = "\nstderr: " + r.err;
        QVERIFY2(r.exitCode == exitCode, qPrintable(QString("exit %1, expected %2").arg(r.exitCode).arg(exitCode) + context));
        QVERIFY2(r.err.endsWith('\n') && r.err.count('\n') == 1, qPrintable("not exactly one line" + context));
        QVERIFY2(r.err.startsWith("headlight-cli "), qPrintable(context));
        if (exitCode == 1) QVERIFY2(r.err.contains(": error: "), qPrintable(context));
        QVERIFY2(r.err.contains(where), qPrintable("does not name " + where + context));
        QVERIFY2(r.err.contains(problem), qPrintable("does not say " + problem + context));
        QVERIFY2(r.out.isEmpty(), qPrintable("printed on stdout: " + r.out));
        QVERIFY2(!QFileInfo::exists(out), "an output was left behind");
        const QStringList leftovers = QDir(dir.path()).entryList({"*.tmp-*"}) + QDir(model).entryList({"*.tmp-*"});
        QVERIFY2(leftovers.isEmpty(), qPrintable("temporary files left: " + leftovers.join(", ")));
    }
};

QTEST_MAIN(TestCli)
#include "test_cli.moc"
