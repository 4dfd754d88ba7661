// headlight-cli end to end, and every bad input: one-line error naming the file or argument, non-zero exit,
// no output file and no temporary left behind.
#include "headlight/trace_hdf5.h"
#include "test_support.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <functional>
#include <nlohmann/json.hpp>

using namespace headlight;

namespace {

struct Result {
    int exitCode = -1;
    QString out, err;
};

Result cli(const QStringList& args) {
    QProcess p;
    p.start(HEADLIGHT_CLI, args);
    p.waitForFinished(120000);
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
}

QByteArray readAll(const QString& path) {
    QFile f(path);
    f.open(QIODevice::ReadOnly);
    return f.readAll();
}
void writeAll(const QString& path, const QByteArray& data) {
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(data);
}

// Replaces the safetensors header (keeping the data) with `header`.
void rewriteHeader(const QString& file, const std::function<void(nlohmann::json&)>& edit) {
    QByteArray bytes = readAll(file);
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = n << 8 | static_cast<uint8_t>(bytes[i]);
    auto header = nlohmann::json::parse(bytes.mid(8, static_cast<int>(n)).toStdString());
    edit(header);
    const std::string text = header.dump();
    QByteArray out(8, 0);
    for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((text.size() >> (8 * i)) & 0xFF);
    writeAll(file, out + QByteArray::fromStdString(text) + bytes.mid(8 + static_cast<int>(n)));
}

void editConfig(const QString& dir, const std::function<void(nlohmann::json&)>& edit) {
    auto j = nlohmann::json::parse(readAll(dir + "/config.json").toStdString());
    edit(j);
    writeAll(dir + "/config.json", QByteArray::fromStdString(j.dump()));
}

using Mutation = std::function<void(const QString& dir)>;

} // namespace

class TestCli : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    QString model_;   // a valid model with all four mechanisms: 2 layers x 2 heads, 11 characters "^abcdefghij"

private slots:
    void initTestCase() {
        QVERIFY(tmp_.isValid());
        model_ = tmp_.filePath("model");
        const ModelConfig c = test::tinyConfig({"gates", "span", "selective", "memory"});
        test::writeModel(model_.toStdString(), c, test::randomWeights(c, 11));
    }

    void initInfoRunEndToEnd() {
        const QString config = tmp_.filePath("init.json");
        writeAll(config, R"({"model_type": "headlight", "vocab_size": 40, "n_layer": 2, "n_head": 2, "n_embd": 16,
            "n_positions": 32, "headlight": {"head_gates": {}, "adaptive_span": {"max_span": 8, "ramp": 2},
            "selective_attention": {"selector_head": 1}, "persistent_memory": {"slots": 2, "replace_mlp": true}}})");
        const QString dir = tmp_.filePath("initialised");
        Result r = cli({"init", "--config", config, "--seed", "3", "--out", dir});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(nlohmann::json::parse(r.out.toStdString())["parameters"].get<int64_t>() > 0);

        r = cli({"info", dir});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto info = nlohmann::json::parse(r.out.toStdString());
        QCOMPARE(info["sizes"]["n_layer"].get<int>(), 2);
        for (const char* m : {"head_gates", "adaptive_span", "selective_attention", "persistent_memory"})
            QVERIFY2(info["mechanisms"].contains(m), m);
        QCOMPARE(info["sizes"]["mlp"].get<bool>(), false);

        const QString out = tmp_.filePath("run.h5");
        r = cli({"run", dir, "--text", "hello world", "--out", out, "--prune", "1.0"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto summary = nlohmann::json::parse(r.out.toStdString());
        QCOMPARE(summary["tokens"].get<int>(), 11);
        QCOMPARE(summary["text"].get<std::string>(), std::string("hello world"));
        QVERIFY(std::isfinite(summary["mean_loss"].get<double>()));
        QCOMPARE(summary["pruned_heads"].get<int>(), 1);

        const LoadedTrace t = readTraceHdf5(out.toStdString());
        QCOMPARE(t.trace.tokenIds.size(), size_t(11));
        QCOMPARE(t.trace.tokens[4], std::string("o"));
        QCOMPARE(t.trace.loss.shape(), (std::vector<int64_t>{10}));
        QCOMPARE(t.trace.logits.shape(), (std::vector<int64_t>{11, 40}));
        QCOMPARE(t.trace.headMask.at({1, 0}), 0.0f);
        QCOMPARE(t.trace.headMask.at({0, 1}), 1.0f);
        QCOMPARE(t.trace.layers.size(), size_t(2));
        QCOMPARE(t.trace.layers[1].attention.shape(), (std::vector<int64_t>{2, 11, 11}));
        QCOMPARE(t.trace.layers[1].memoryAttention.shape(), (std::vector<int64_t>{2, 11, 2}));
        QCOMPARE(t.trace.layers[0].selectionCumulative.shape(), (std::vector<int64_t>{11, 11}));
        for (const char* key : {"model_path", "config_json", "text", "device", "tool_version", "created_utc"})
            QVERIFY2(t.provenance.count(key), key);
        QCOMPARE(t.provenance.at("text"), std::string("hello world"));
        QCOMPARE(t.provenance.at("device"), std::string("cpu"));
        QVERIFY(QString::fromStdString(t.provenance.at("config_json")).contains("persistent_memory"));
    }

    void idsAndCaptureFilters() {
        const QString out = tmp_.filePath("ids.h5");
        Result r = cli({"run", model_, "--ids", "1,2,3,4,5", "--layers", "1", "--heads", "0", "--out", out});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const LoadedTrace t = readTraceHdf5(out.toStdString());
        QCOMPARE(t.trace.tokenIds, (std::vector<int64_t>{1, 2, 3, 4, 5}));
        QCOMPARE(t.trace.layers.size(), size_t(1));
        QCOMPARE(t.trace.layers[0].layer, 1);
        QCOMPARE(t.trace.layers[0].heads, (std::vector<int>{0}));
        QCOMPARE(t.trace.layers[0].attention.shape(), (std::vector<int64_t>{1, 5, 5}));
        QCOMPARE(t.provenance.at("input"), std::string("ids"));
    }

    void badInput_data() {
        QTest::addColumn<QStringList>("args");        // MODEL is replaced by the mutated model folder, OUT by the output path
        QTest::addColumn<int>("mutation");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("where");
        QTest::addColumn<QString>("problem");
        const QStringList run = {"run", "MODEL", "--text", "abc", "--out", "OUT"};
        int m = 0;
        auto row = [&](const char* name, QStringList args, int exit, const char* where, const char* problem) {
            QTest::newRow(name) << args << m++ << exit << QString(where) << QString(problem);
        };
        row("missing folder", run, 1, "nowhere", "not found");
        row("missing config.json", run, 1, "config.json", "not found");
        row("missing model.safetensors", run, 1, "model.safetensors", "not found");
        row("config not JSON", run, 1, "config.json", "not valid JSON");
        row("config missing key", run, 1, "config.json", "missing key \"n_head\"");
        row("config wrong type", run, 1, "config.json", "must be an integer");
        row("config zero size", run, 1, "config.json", "must be positive");
        row("config negative size", run, 1, "config.json", "must be positive");
        row("n_embd not divisible", run, 1, "config.json", "not divisible");
        row("unknown headlight key", run, 1, "config.json", "unknown key");
        row("ramp zero", run, 1, "config.json", "ramp");
        row("selector out of range", run, 1, "config.json", "selector_head");
        row("gamma not negative", run, 1, "config.json", "gamma");
        row("safetensors truncated", run, 1, "model.safetensors", "outside the data section");
        row("safetensors under 8 bytes", run, 1, "model.safetensors", "truncated");
        row("header length beyond file", run, 1, "model.safetensors", "beyond the end");
        row("header not JSON", run, 1, "model.safetensors", "not valid JSON");
        row("offsets overlap", run, 1, "model.safetensors", "overlap");
        row("offsets out of range", run, 1, "model.safetensors", "outside the data section");
        row("unknown dtype", run, 1, "model.safetensors", "unknown dtype");
        row("tensor missing", run, 1, "model.safetensors", "\"h.1.ln_2.bias\" is missing");
        row("tensor wrong shape", run, 1, "model.safetensors", "expected [8]");
        row("unexpected tensor", run, 1, "model.safetensors", "unexpected tensor");
        row("text outside vocabulary", {"run", "MODEL", "--text", "abz!", "--out", "OUT"}, 1, "vocab.json", "'z', '!'");
        row("empty text", {"run", "MODEL", "--text", "", "--out", "OUT"}, 1, "--text", "empty");
        row("id out of range", {"run", "MODEL", "--ids", "1,11", "--out", "OUT"}, 1, "input", "out of range");
        row("ids not numbers", {"run", "MODEL", "--ids", "1,x", "--out", "OUT"}, 1, "--ids", "not an integer");
        row("too many tokens", {"run", "MODEL", "--text", QString(17, 'a'), "--out", "OUT"}, 1, "input", "n_positions");
        row("out folder missing", {"run", "MODEL", "--text", "abc", "--out", "MISSING/t.h5"}, 1, "t.h5", "does not exist");
        row("out under a file", {"run", "MODEL", "--text", "abc", "--out", "FILE/t.h5"}, 1, "t.h5", "cannot write");
        row("prune layer too big", {"run", "MODEL", "--text", "abc", "--prune", "2.0", "--out", "OUT"}, 1, "--prune", "does not exist");
        row("prune head too big", {"run", "MODEL", "--text", "abc", "--prune", "0.0,1.2", "--out", "OUT"}, 1, "--prune", "does not exist");
        row("prune malformed", {"run", "MODEL", "--text", "abc", "--prune", "3", "--out", "OUT"}, 1, "--prune", "not a head");
        row("unknown option", {"run", "MODEL", "--text", "abc", "--colour", "red"}, 2, "--colour", "unknown option");
        row("no model", {"run", "--text", "abc"}, 2, "run", "MODEL_DIR");
        row("text and ids", {"run", "MODEL", "--text", "abc", "--ids", "1"}, 2, "run", "exactly one of");
        row("init missing config", {"init", "--config", "NOWHERE.json", "--out", "OUT"}, 1, "NOWHERE.json", "not found");
        row("init out under a file", {"init", "--config", "CONFIG", "--out", "FILE/m"}, 1, "file/m", "is a file");
        row("init alphabet length", {"init", "--config", "CONFIG", "--out", "OUT", "--alphabet", "abc"}, 1, "--alphabet", "vocab_size");
        row("cuda without cuda", {"run", "MODEL", "--text", "abc", "--device", "cuda", "--out", "OUT"}, 1, "--device", "cuda");
    }

    void badInput() {
        QFETCH(QStringList, args);
        QFETCH(int, mutation);
        QFETCH(int, exitCode);
        QFETCH(QString, where);
        QFETCH(QString, problem);
        if (QString(QTest::currentDataTag()) == "cuda without cuda" && QFile::exists("/dev/nvidia0"))
            QSKIP("a CUDA device may be present");

        QTemporaryDir dir;
        const QString model = dir.filePath("m");
        QDir().mkpath(model);
        for (const char* f : {"config.json", "model.safetensors", "vocab.json"})
            QFile::copy(model_ + "/" + f, model + "/" + f);
        const QString st = model + "/model.safetensors";
        const QString conf = model + "/config.json";
        const std::vector<Mutation> mutations = {
            [&](const QString&) { QDir(model).removeRecursively(); },
            [&](const QString&) { QFile::remove(conf); },
            [&](const QString&) { QFile::remove(st); },
            [&](const QString&) { writeAll(conf, "{\"model_type\": \"headlight\", "); },
            [&](const QString&) { editConfig(model, [](auto& j) { j.erase("n_head"); }); },
            [&](const QString&) { editConfig(model, [](auto& j) { j["n_layer"] = "2"; }); },
            [&](const QString&) { editConfig(model, [](auto& j) { j["n_layer"] = 0; }); },
            [&](const QString&) { editConfig(model, [](auto& j) { j["vocab_size"] = -5; }); },
            [&](const QString&) { editConfig(model, [](auto& j) { j["n_head"] = 3; }); },
            [&](const QString&) { editConfig(model, [](auto& j) { j["headlight"]["colour"] = 1; }); },
            [&](const QString&) { editConfig(model, [](auto& j) { j["headlight"]["adaptive_span"]["ramp"] = 0; }); },
            [&](const QString&) { editConfig(model, [](auto& j) { j["headlight"]["selective_attention"]["selector_head"] = 2; }); },
            [&](const QString&) { editConfig(model, [](auto& j) { j["headlight"]["head_gates"]["gamma"] = 0.1; }); },
            [&](const QString&) { QByteArray b = readAll(st); writeAll(st, b.left(b.size() - 100)); },
            [&](const QString&) { writeAll(st, "abc"); },
            [&](const QString&) { QByteArray b = readAll(st); b[5] = 0x7F; writeAll(st, b); },
            [&](const QString&) { QByteArray b = readAll(st); b[8] = '!'; writeAll(st, b); },
            [&](const QString&) { rewriteHeader(st, [](auto& h) { h["ln_f.bias"]["data_offsets"] = h["ln_f.weight"]["data_offsets"]; }); },
            [&](const QString&) { rewriteHeader(st, [](auto& h) { h["wte.weight"]["data_offsets"] = {1000000, 1000000 + 11 * 8 * 4}; }); },
            [&](const QString&) { rewriteHeader(st, [](auto& h) { h["ln_f.bias"]["dtype"] = "F8"; }); },
            [&](const QString&) { rewriteHeader(st, [](auto& h) { h.erase("h.1.ln_2.bias"); }); },
            [&](const QString&) { rewriteHeader(st, [](auto& h) { h["ln_f.bias"]["shape"] = {2, 4}; h["ln_f.weight"]["shape"] = {2, 4}; }); },
            [&](const QString&) { rewriteHeader(st, [](auto& h) { h["extra.weight"] = {{"dtype", "F32"}, {"shape", {0}}, {"data_offsets", {0, 0}}}; }); },
        };
        if (mutation < static_cast<int>(mutations.size())) mutations[static_cast<size_t>(mutation)](model);
        if (QTest::currentTestFailed()) return;

        writeAll(dir.filePath("file"), "not a folder");
        writeAll(dir.filePath("config.json"), readAll(model_ + "/config.json"));
        const QString out = dir.filePath("out.h5");
        for (QString& a : args) {
            if (a == "MODEL") a = QString(QTest::currentDataTag()) == "missing folder" ? dir.filePath("nowhere") : model;
            else if (a == "OUT") a = out;
            else if (a == "CONFIG") a = dir.filePath("config.json");
            else if (a == "NOWHERE.json") a = dir.filePath("NOWHERE.json");
            else if (a.startsWith("MISSING/")) a = dir.filePath("missing/t.h5");
            else if (a.startsWith("FILE/")) a = dir.filePath("file/") + a.mid(5);
        }
        const Result r = cli(args);
        QVERIFY2(r.exitCode == exitCode, qPrintable(QString("exit %1, stderr: %2").arg(r.exitCode).arg(r.err)));
        QVERIFY2(r.err.endsWith('\n') && r.err.count('\n') == 1, qPrintable("not one line: " + r.err));
        QVERIFY2(r.err.contains(where), qPrintable("does not name " + where + ": " + r.err));
        QVERIFY2(r.err.contains(problem), qPrintable("does not say " + problem + ": " + r.err));
        QVERIFY2(r.out.isEmpty(), qPrintable("printed a summary: " + r.out));
        QVERIFY(!QFile::exists(out));
        const QStringList leftovers = QDir(dir.path()).entryList({"*.tmp-*"}) + QDir(model).entryList({"*.tmp-*"});
        QVERIFY2(leftovers.isEmpty(), qPrintable(leftovers.join(", ")));
    }
};

QTEST_MAIN(TestCli)
#include "test_cli.moc"
