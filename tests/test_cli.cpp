// headlight-cli end to end (init, info, run, context-prune, examples), and every bad input: one-line error naming
// the file or argument, non-zero exit, no output file and no temporary left behind. The figure commands and the
// pruning outputs are in test_cli_figures.cpp.
#include "cli_test_support.h"
#include "headlight/engine.h"
#include "headlight/trace_hdf5.h"
#include "test_support.h"

#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>
#include <functional>
#include <nlohmann/json.hpp>

using namespace headlight;
using namespace headlight::cli_test;
using nlohmann::json;

namespace {

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
    if (what == "no selective") return config([](json& j) { j["headlight"].erase("selective_attention"); });
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

} // namespace

class TestCli : public QObject {
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
        QCOMPARE(s["tokens"].get<int>(), 12);   // the char tokenizer's '^' + 11 characters
        QCOMPARE(s["text"].get<std::string>(), std::string("^hello world"));
        QVERIFY(s["mean_loss"].is_number());
        const double meanLoss = s["mean_loss"].get<double>();
        QVERIFY(std::isfinite(meanLoss) && meanLoss > 0);
        QCOMPARE(s["pruned_heads"].get<int>(), 0);
        QCOMPARE(s["captured_layers"].get<int>(), 2);

        const LoadedTrace t = readTraceHdf5(out.toStdString());
        QCOMPARE(t.trace.tokenIds.size(), size_t(12));
        QCOMPARE(t.trace.tokens.size(), size_t(12));
        QCOMPARE(t.trace.tokens[0], std::string("^"));
        QCOMPARE(t.trace.tokens[5], std::string("o"));
        QCOMPARE(t.trace.tokens[6], std::string(" "));
        QCOMPARE(t.trace.loss.shape(), (std::vector<int64_t>{11}));
        double sum = 0;
        for (float x : t.trace.loss) sum += x;
        QVERIFY2(std::fabs(sum / 11 - meanLoss) < 1e-4, "trace loss does not average to the summary's mean_loss");
        QCOMPARE(t.trace.logits.shape(), (std::vector<int64_t>{12, 40}));
        QCOMPARE(t.trace.headMask.shape(), (std::vector<int64_t>{2, 2}));
        for (float m : t.trace.headMask) QCOMPARE(m, 1.0f);
        QCOMPARE(t.trace.layers.size(), size_t(2));
        for (int l = 0; l < 2; ++l) {
            QCOMPARE(t.trace.layers[l].layer, l);
            QCOMPARE(t.trace.layers[l].heads, (std::vector<int>{0, 1}));
            QCOMPARE(t.trace.layers[l].attention.shape(), (std::vector<int64_t>{2, 12, 12}));
            QCOMPARE(t.trace.layers[l]["memory_attention"].shape(), (std::vector<int64_t>{2, 12, 2}));
            QCOMPARE(t.trace.layers[l]["selection_cumulative"].shape(), (std::vector<int64_t>{12, 12}));
            QCOMPARE(t.trace.layers[l]["gate"].shape(), (std::vector<int64_t>{2}));
            QCOMPARE(t.trace.layers[l]["span"].shape(), (std::vector<int64_t>{2}));
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
        for (float step : t.trace.layers[0]["evicted_at"]) evicted += step >= 0;
        QCOMPARE(evicted, 9 - 3);   // '^' + 8 characters, 3 kept
        QVERIFY(t.trace.layers[1]["evicted_at"].empty());

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
        QCOMPARE(t.trace.tokenIds, (std::vector<int64_t>{0, 1, 2, 3, 4, 5}));   // '^' (id 0) + "abcde"
        QCOMPARE(t.trace.layers.size(), size_t(1));
        QCOMPARE(t.trace.layers[0].layer, 1);
        QCOMPARE(t.trace.layers[0].heads, (std::vector<int>{0}));
        QCOMPARE(t.trace.layers[0].attention.shape(), (std::vector<int64_t>{1, 6, 6}));
        QCOMPARE(t.trace.layers[0]["memory_attention"].shape(), (std::vector<int64_t>{1, 6, 3}));
    }

    // `examples` prints a task's examples, one per line: induction repeats its string.
    void examples() {
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

    // Issue 21: `run` cuts a text or id list longer than the model's positions as the app does (the beginning is
    // kept), says how many tokens it dropped, and the trace holds the tokens that ran; commands that score a
    // text (importance, evaluate) still refuse one that does not fit.
    void longInputsAreCutAsTheAppCutsThem() {
        const QString out = tmp_.filePath("cut.h5");
        const Result r = cli({"run", model_, "--text", QString(17, 'a'), "--out", out});   // '^' + 17 = 18 tokens
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto j = nlohmann::json::parse(r.out.toStdString());
        QCOMPARE(j.at("tokens").get<int>(), 16);
        QCOMPARE(j.at("dropped_tokens").get<int>(), 2);
        QCOMPARE(QString::fromStdString(j.at("text").get<std::string>()), "^" + QString(15, 'a'));
        QCOMPARE(readTraceHdf5(out.toStdString()).trace.tokenIds.size(), size_t(16));
        const Result ids = cli({"run", model_, "--ids", "1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,2,3"});
        QVERIFY2(ids.exitCode == 0, qPrintable(ids.err));
        const auto k = nlohmann::json::parse(ids.out.toStdString());
        QCOMPARE(k.at("tokens").get<int>(), 16);
        QCOMPARE(k.at("dropped_tokens").get<int>(), 2);
        const Result scored = cli({"evaluate", model_, "--text", QString(17, 'a')});
        QCOMPARE(scored.exitCode, 1);
        QVERIFY2(scored.err.contains("--text") && scored.err.contains("at most 16"), qPrintable(scored.err));
    }

    // --selective adds selective attention to a model trained without it: run, evaluate and figure take it, and
    // it changes the loss (tests/test_families.cpp holds it to a model configured with it, on every family).
    void zeroShotSelective() {
        QTemporaryDir dir;
        const QString model = dir.filePath("m");
        QVERIFY(QDir().mkpath(model));
        for (const char* f : {"config.json", "model.safetensors", "vocab.json"}) QVERIFY(QFile::copy(model_ + "/" + f, model + "/" + f));
        QVERIFY(mutate("no selective", model));
        const QStringList evaluate = {"evaluate", model, "--text", "abcabcabca"};
        const json plain = runOk(evaluate), selective = runOk(evaluate + QStringList{"--selective", "--selector-head", "1"});
        QVERIFY(std::isfinite(selective["loss"].get<double>()));
        QVERIFY(std::abs(selective["loss"].get<double>() - plain["loss"].get<double>()) > 1e-7);
        // Beside it, the model as its folder has it, evaluated after: what the selection costs.
        QCOMPARE(selective["without_selection"]["loss"].get<double>(), plain["loss"].get<double>());
        QCOMPARE(selective["without_selection"]["accuracy"].get<double>(), plain["accuracy"].get<double>());
        QVERIFY(!plain.contains("without_selection"));
        const QString out = dir.filePath("run.h5");
        runOk({"run", model, "--text", "abcabc", "--selective", "--out", out});
        QVERIFY(QFileInfo(out).size() > 0);
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
        const QStringList zeroShot = {"run", "MODEL", "--text", "abc", "--selective", "--out", "OUT"};
        row("zero-shot selective on a selective model", zeroShot, "", 1, "--selective", "already has selective attention");
        row("zero-shot selector out of range", zeroShot + QStringList{"--selector-head", "2"}, "no selective", 1,
            "--selector-head", "2 is not a head of this model (n_head = 2)");
        row("selector head without --selective", {"run", "MODEL", "--text", "abc", "--selector-head", "1", "--out", "OUT"}, "",
            2, "--selector-head", "applies with --selective only");
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
        row("text outside vocabulary", {"run", "MODEL", "--text", "abz!a", "--out", "OUT"}, "", 1, "--text",
            "has characters not in the vocabulary of");
        row("text without vocab.json", run, "rm vocab", 1, "vocab.json", "token ids only");
        row("empty text", {"run", "MODEL", "--text", "", "--out", "OUT"}, "", 1, "--text", "is empty");
        row("empty ids", {"run", "MODEL", "--ids", "", "--out", "OUT"}, "", 1, "--ids", "is empty");
        row("id out of range", {"run", "MODEL", "--ids", "1,11", "--out", "OUT"}, "", 1, "--ids", "token id 11 is out of range");
        row("negative id", {"run", "MODEL", "--ids", "-1,2", "--out", "OUT"}, "", 1, "--ids", "token id -1 is out of range");
        row("ids not numbers", {"run", "MODEL", "--ids", "1,x", "--out", "OUT"}, "", 1, "--ids", "\"x\" is not an integer");
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
        row("init onto a model", {"init", "--config", "CONFIG", "--out", "MODEL"}, "", 1, "/m: ",
            "already holds a model (config.json); choose a new or empty folder");
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
