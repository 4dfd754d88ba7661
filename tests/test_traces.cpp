// Tokenizers and HDF5 traces: round trips, invalid UTF-8, bad vocabularies, atomic trace writes.
#include "headlight/error.h"
#include "headlight/model_config.h"
#include "headlight/safetensors.h"
#include "headlight/tokenizer.h"
#include "headlight/trace_hdf5.h"
#include "test_support.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

using namespace headlight;
using nlohmann::json;

namespace {

using namespace headlight::test;


// Distinct, non-trivial floats: exact round trips must keep every bit.
FloatArray seq(std::vector<int64_t> shape, float start) {
    std::vector<float> v(static_cast<size_t>(FloatArray::countOf(shape)));
    for (size_t i = 0; i < v.size(); ++i) v[i] = (start + static_cast<float>(i)) / 7.0f;
    return FloatArray(shape, v);
}

LayerTrace fullLayer(int layer, std::vector<int> heads, float start) {
    const int64_t h = static_cast<int64_t>(heads.size()), T = 3, N = 2, H = 3;
    LayerTrace l;
    l.layer = layer;
    l.heads = std::move(heads);
    l.attention = seq({h, T, T}, start);
    l["memory_attention"] = seq({h, T, N}, start + 100);
    l["gate"] = seq({H}, start + 200);
    l["gate_open_probability"] = seq({H}, start + 300);
    l["span"] = seq({H}, start + 400);
    l["selection"] = seq({T, T}, start + 500);
    l["selection_cumulative"] = seq({T, T}, start + 600);
    return l;
}

Trace makeTrace(const QString& variant) {
    Trace t;
    if (variant == "single token") {
        t.tokenIds = {7};
        t.tokens = {"x"};
        t.loss = FloatArray({0}, std::vector<float>{});
        t.headMask = test::values({1, 1}, {1});
        return t;
    }
    const float inf = std::numeric_limits<float>::infinity();
    t.tokenIds = {3, 0, 12};
    t.tokens = {"The", " café", "→\n"};
    t.logits = test::values({3, 4}, {0.1f, -0.0f, inf, -inf, 1e-45f, 3.4e38f, -7.25f, 1.0f / 3, 2, 3, 4, 5});
    t.loss = test::values({2}, {0.25f, 1.0f / 3});
    t.headMask = test::values({2, 3}, {1, 0, 1, 1, 1, 0});
    t.layers = {fullLayer(2, {0, 2}, 1), fullLayer(10, {1}, 1000)};   // "10" sorts before "2" by name
    return t;
}

} // namespace

class TestTraces : public QObject {
    Q_OBJECT
private slots:
    // ---------------------------------------------------------------- tokenizers
    void charTokenizer() {
        QTemporaryDir dir;
        writeFile(dir.filePath("vocab.json"), R"({"a": 0, "b": 1, "é": 2, "→": 3, " ": 4, "😀": 5, "\n": 6})");
        const auto tok = loadTokenizer(dir.path().toStdString());
        QCOMPARE(tok->kind(), std::string("char"));
        QCOMPARE(tok->vocabSize(), int64_t(7));
        QVERIFY(tok->canEncode());
        const std::string text = "a é→b😀\nba";
        const auto ids = tok->encode(text);
        QCOMPARE(ids, (std::vector<int64_t>{0, 4, 2, 3, 1, 5, 6, 1, 0}));
        QCOMPARE(tok->decode(ids), text);
        QCOMPARE(tok->tokenText(3), std::string("→"));
        QVERIFY(tok->encode("").empty());
        const QString vocab = dir.filePath("vocab.json");
        QCOMPARE(errorOf([&] { tok->tokenText(7); }), vocab + ": token id 7 is out of range");
        QCOMPARE(errorOf([&] { tok->tokenText(-1); }), vocab + ": token id -1 is out of range");
        QCOMPARE(errorOf([&] { tok->encode("axü\tyxü\tb"); }),
                 "text: has characters not in the vocabulary of " + vocab + ": 'x', 'ü', '\\t', 'y'");
    }

    void invalidUtf8_data() {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<int>("byte");
        QTest::newRow("truncated 2-byte") << QByteArray("a\xC3") << 1;
        QTest::newRow("lone continuation") << QByteArray("\x80") << 0;
        QTest::newRow("bad continuation") << QByteArray("ab\xE2\x82x") << 4;
        QTest::newRow("0xFF") << QByteArray("\xFF") << 0;
        QTest::newRow("5-byte lead") << QByteArray("\xF8\x88\x80\x80\x80") << 0;
        QTest::newRow("truncated 4-byte") << QByteArray("\xF0\x9F\x98") << 0;
        QTest::newRow("overlong '/'") << QByteArray("\xC0\xAF") << 0;
        QTest::newRow("surrogate U+D800") << QByteArray("\xED\xA0\x80") << 0;
        QTest::newRow("above U+10FFFF") << QByteArray("\xF4\x90\x80\x80") << 0;
    }
    void invalidUtf8() {
        QFETCH(QByteArray, text);
        QFETCH(int, byte);
        QTemporaryDir dir;
        writeFile(dir.filePath("vocab.json"), R"({"a": 0, "b": 1})");
        const auto tok = loadTokenizer(dir.path().toStdString());
        const QString expected = QString("invalid UTF-8 at byte %1").arg(byte);
        const QString err = errorOf([&] { tok->encode(text.toStdString()); });
        QVERIFY2(err.contains(expected), qPrintable("got: " + err));
        QCOMPARE(errorOf([&] { splitUtf8(text.toStdString(), "--text"); }), "--text: " + expected);
    }

    void badVocabulary_data() {
        QTest::addColumn<QString>("kind");   // "file", "missing" or "folder"
        QTest::addColumn<QByteArray>("vocab");
        QTest::addColumn<QString>("message");
        QTest::newRow("not JSON") << "file" << QByteArray("{\"a\": ") << "not valid JSON (parse error at byte";
        QTest::newRow("number overflow") << "file" << QByteArray(R"({"a": 1e999})") << "not valid JSON";
        QTest::newRow("a list") << "file" << QByteArray(R"(["a", "b"])") << "expected a non-empty object mapping tokens to ids";
        QTest::newRow("empty") << "file" << QByteArray("{}") << "expected a non-empty object";
        QTest::newRow("gap in ids") << "file" << QByteArray(R"({"a": 0, "b": 2})") << "id 2 of \"b\" is outside 0..1 (ids must be dense)";
        QTest::newRow("negative id") << "file" << QByteArray(R"({"a": -1})") << "id -1 of \"a\" is outside 0..0";
        QTest::newRow("repeated id") << "file" << QByteArray(R"({"a": 0, "b": 0, "c": 1})") << "id 0 is used twice";
        QTest::newRow("string id") << "file" << QByteArray(R"({"a": "0"})") << "the id of \"a\" is not an integer";
        QTest::newRow("float id") << "file" << QByteArray(R"({"a": 0.0})") << "the id of \"a\" is not an integer";
        QTest::newRow("two characters") << "file" << QByteArray(R"({"c": 1, "ab": 0})") << "key \"ab\" is not a single character";
        QTest::newRow("empty key") << "file" << QByteArray(R"({"": 0})") << "key \"\" is not a single character";
    }
    void badVocabulary() {
        QFETCH(QString, kind);
        QFETCH(QByteArray, vocab);
        QFETCH(QString, message);
        QTemporaryDir dir;
        const QString path = dir.filePath("vocab.json");
        if (kind == "file") writeFile(path, vocab);
        if (kind == "folder") QVERIFY(QDir(dir.path()).mkdir("vocab.json"));
        const QString err = errorOf([&] { loadTokenizer(dir.path().toStdString()); });
        QVERIFY2(err.startsWith(path + ": ") && err.contains(message), qPrintable("got: " + err));
    }

    // No vocabulary file (or a folder in its place): no tokenizer, which callers report themselves.
    void noVocabulary() {
        QTemporaryDir dir;
        QVERIFY(loadTokenizer(dir.path().toStdString()) == nullptr);
        QVERIFY(QDir(dir.path()).mkdir("vocab.json"));
        QVERIFY(loadTokenizer(dir.path().toStdString()) == nullptr);
    }

    // A vocabulary beside merges.txt is byte-level BPE: it encodes and labels tokens readably.
    void byteLevelBpeVocabulary() {
        QTemporaryDir dir;
        writeFile(dir.filePath("vocab.json"), R"({"Ġ": 0, "a": 1, "Ġa": 2, "b": 3, "Ċ": 4, "ĠĠ": 5, "Ã": 6, "©": 7})");
        writeFile(dir.filePath("merges.txt"), "#version: 0.2\nĠ a\nĠ Ġ\n");
        const auto tok = loadTokenizer(dir.path().toStdString());
        QCOMPARE(tok->kind(), std::string("bpe (vocab.json + merges.txt)"));
        QVERIFY(tok->canEncode());
        QCOMPARE(tok->vocabSize(), int64_t(8));
        QCOMPARE(tok->encode(" ab\né"), (std::vector<int64_t>{2, 3, 4, 6, 7}));
        QCOMPARE(tok->tokenText(2), std::string("␣a"));
        QCOMPARE(tok->tokenText(4), std::string("↵"));
        QCOMPARE(tok->tokenText(5), std::string("␣␣"));
        QCOMPARE(tok->tokenText(6), std::string("\\xc3"));
        QCOMPARE(tok->decode({2, 3, 4, 6, 7}), std::string(" ab\né"));
        QCOMPARE(errorOf([&] { tok->tokenText(8); }), dir.filePath("vocab.json") + ": token id 8 is out of range");
    }

    void gpt2Vocabulary() {
        const QString shared = QString::fromUtf8(HEADLIGHT_SHARED_DIR "/data/gpt2-tokenizer");
        // ../shared is beside every checkout CI makes: its absence is a failure, not a skip.
        QVERIFY2(QFile::exists(shared + "/vocab.json") && QFile::exists(shared + "/merges.txt"),
                 qPrintable("the GPT-2 tokenizer files are not in " + shared));
        QTemporaryDir dir;
        QVERIFY(QFile::link(shared + "/vocab.json", dir.filePath("vocab.json")));
        QVERIFY(QFile::link(shared + "/merges.txt", dir.filePath("merges.txt")));
        QFile raw(shared + "/vocab.json");
        QVERIFY(raw.open(QIODevice::ReadOnly));
        const json vocab = json::parse(raw.readAll().toStdString());
        const auto theId = vocab.at("Ġthe").get<int64_t>();
        QCOMPARE(theId, int64_t(262));
        const auto tok = loadTokenizer(dir.path().toStdString());
        QCOMPARE(tok->kind(), std::string("bpe (vocab.json + merges.txt)"));
        QCOMPARE(tok->vocabSize(), int64_t(50257));
        QVERIFY(tok->canEncode());
        QCOMPARE(tok->tokenText(theId), std::string("␣the"));
        QCOMPARE(tok->tokenPiece(theId), std::string("Ġthe"));
        QCOMPARE(tok->tokenText(vocab.at("Ċ").get<int64_t>()), std::string("↵"));
        QCOMPARE(tok->tokenText(50256), std::string("<|endoftext|>"));
        QVERIFY(tok->isSpecial(50256));
        QCOMPARE(tok->encode("the the"), (std::vector<int64_t>{1169, theId}));
        QCOMPARE(tok->encode("<|endoftext|>"), std::vector<int64_t>{50256});
    }

    // ---------------------------------------------------------------- HDF5 traces
    void hdf5RoundTrip_data() {
        QTest::addColumn<QString>("variant");
        QTest::newRow("two layers, every dataset") << "full";
        QTest::newRow("single token, nothing captured") << "single token";
    }
    void hdf5RoundTrip() {
        QFETCH(QString, variant);
        const Trace t = makeTrace(variant);
        const Provenance p = {{"model_path", "/models/tiny café"}, {"config_json", test::tinyConfig({"gates", "span"}).toJson()},
                              {"text", "The café→\n"}, {"device", "cpu"}, {"tool", "headlight-cli"}, {"pruned_heads", ""}};
        QVERIFY(p.at("config_json").find('\n') != std::string::npos);
        QTemporaryDir dir;
        const std::string path = dir.filePath("t.h5").toStdString();
        writeTraceHdf5(path, t, p);
        const LoadedTrace r = readTraceHdf5(path);
        QCOMPARE(r.trace.tokenIds, t.tokenIds);
        QCOMPARE(r.trace.tokens, t.tokens);
        QVERIFY2(bitDiff(r.trace.logits, t.logits).isEmpty(), qPrintable("logits: " + bitDiff(r.trace.logits, t.logits)));
        QVERIFY2(bitDiff(r.trace.loss, t.loss).isEmpty(), qPrintable("loss: " + bitDiff(r.trace.loss, t.loss)));
        QVERIFY2(bitDiff(r.trace.headMask, t.headMask).isEmpty(), "head_mask");
        QCOMPARE(r.trace.layers.size(), t.layers.size());
        for (size_t i = 0; i < t.layers.size(); ++i) {
            QCOMPARE(r.trace.layers[i].layer, t.layers[i].layer);
            QCOMPARE(r.trace.layers[i].heads, t.layers[i].heads);
            const auto got = r.trace.layers[i].named(), want = t.layers[i].named();
            for (size_t k = 0; k < want.size(); ++k) {
                const QString d = bitDiff(*got[k].second, *want[k].second);
                QVERIFY2(d.isEmpty(), qPrintable(QString("layer %1 %2: %3").arg(t.layers[i].layer).arg(QString::fromUtf8(want[k].first), d)));
            }
        }
        QCOMPARE(r.provenance, p);
        QCOMPARE(r.trace.device, std::string("cpu"));
        QCOMPARE(QDir(dir.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden), QStringList{"t.h5"});
    }

    // Replacing a trace is atomic: a write that fails part-way leaves the previous file as it was.
    void hdf5FailedWriteKeepsOldTrace_data() {
        QTest::addColumn<QString>("fault");
        QTest::newRow("duplicate layer") << "layer";
        QTest::newRow("empty attribute name") << "attribute";
    }
    void hdf5FailedWriteKeepsOldTrace() {
        QFETCH(QString, fault);
        QTemporaryDir dir;
        const std::string path = dir.filePath("t.h5").toStdString();
        Trace old = makeTrace("single token");
        old.tokens = {"old"};
        writeTraceHdf5(path, old, {{"run", "1"}});
        const Trace replacement = makeTrace("full");
        writeTraceHdf5(path, replacement, {{"run", "2"}});   // over an existing file
        QCOMPARE(readTraceHdf5(path).trace.tokens, replacement.tokens);
        Trace bad = makeTrace("full");
        Provenance badProvenance = {{"run", "3"}};
        if (fault == "layer") bad.layers[1].layer = bad.layers[0].layer;
        else badProvenance[""] = "x";
        const QString err = errorOf([&] { writeTraceHdf5(path, bad, badProvenance); });
        QVERIFY2(err.startsWith(QString::fromStdString(path) + ": HDF5 error while creating " + (fault == "layer" ? "group /layers/2" : "attribute")),
                 qPrintable("got: " + err));
        const LoadedTrace r = readTraceHdf5(path);
        QCOMPARE(r.provenance.at("run"), std::string("2"));
        QCOMPARE(r.trace.tokens, replacement.tokens);
        QCOMPARE(QDir(dir.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden), QStringList{"t.h5"});
    }

    void hdf5BadPaths() {
        QTemporaryDir dir;
        const Trace t = makeTrace("full");
        const QString nowhere = dir.filePath("no/t.h5");
        QCOMPARE(errorOf([&] { writeTraceHdf5(nowhere.toStdString(), t, {}); }),
                 nowhere + ": cannot write: folder \"" + dir.filePath("no") + "\" does not exist");
        QCOMPARE(errorOf([&] { checkTraceOutputPath(nowhere.toStdString()); }),
                 nowhere + ": cannot write: folder \"" + dir.filePath("no") + "\" does not exist");
        QVERIFY(QDir(dir.path()).mkdir("sub"));
        QCOMPARE(errorOf([&] { writeTraceHdf5(dir.filePath("sub").toStdString(), t, {}); }), dir.filePath("sub") + ": cannot write: is a folder");
        checkTraceOutputPath(dir.filePath("ok.h5").toStdString());   // no throw, and nothing created
        writeFile(dir.filePath("x.h5"), "not hdf5 at all");
        QCOMPARE(errorOf([&] { readTraceHdf5(dir.filePath("x.h5").toStdString()); }), dir.filePath("x.h5") + ": not an HDF5 file");
        QCOMPARE(errorOf([&] { readTraceHdf5(dir.filePath("none.h5").toStdString()); }), dir.filePath("none.h5") + ": file not found");
        QCOMPARE(QDir(dir.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden, QDir::Name), (QStringList{"sub", "x.h5"}));
        QVERIFY(QDir(dir.filePath("sub")).isEmpty());
    }
};


QTEST_MAIN(TestTraces)
#include "test_traces.moc"
