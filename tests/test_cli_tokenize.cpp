// headlight-cli tokenize: --text and --jsonl against the Hugging Face oracle lines, --no-special, and every bad
// input (one-line error naming the folder, file, line or argument; exit 1, or 2 for wrong usage).
#include "cli_test_support.h"
#include "test_support.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>
#include <nlohmann/json.hpp>

using namespace headlight;
using namespace headlight::cli_test;
using nlohmann::json;

namespace {

QString sharedData(const QString& relative) { return QString::fromUtf8(HEADLIGHT_SHARED_DIR "/data/") + relative; }

// The first `n` lines of an oracle file.
std::vector<json> oracleLines(const QString& name, int n) {
    std::vector<json> out;
    const QList<QByteArray> lines = readAll(sharedData("hf-reference/tokenizers/" + name)).split('\n');
    for (const QByteArray& l : lines) {
        if (l.trimmed().isEmpty()) continue;
        out.push_back(json::parse(l.toStdString()));
        if (static_cast<int>(out.size()) == n) break;
    }
    return out;
}

// `n` lines spread evenly over the whole oracle (its texts go from plain English to scripts, emoji and controls).
std::vector<json> spreadLines(const QString& name, size_t n) {
    const std::vector<json> all = oracleLines(name, 1 << 20);
    std::vector<json> out;
    for (size_t i = 0; i < n && !all.empty(); ++i) out.push_back(all[i * all.size() / n]);
    return out;
}

// The fields the CLI prints, from an oracle line.
json expectedOf(const json& oracle) { return {{"ids", oracle.at("ids")}, {"tokens", oracle.at("tokens")}, {"decoded", oracle.at("decoded")}}; }

} // namespace

class TestCliTokenize : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        if (!QFile::exists(sharedData("hf-reference/tokenizers/gpt2.jsonl")))
            QSKIP("the shared Hugging Face reference data is not there");
    }

    void text_data() {
        QTest::addColumn<QString>("folder");
        QTest::addColumn<QString>("oracle");
        QTest::newRow("gpt2") << sharedData("gpt2-tokenizer") << "gpt2.jsonl";
        QTest::newRow("bert") << sharedData("hf-reference/tokenizer-files/bert-uncased-tokenizer-json") << "bert-uncased-tokenizer-json.jsonl";
        QTest::newRow("sp-bpe") << sharedData("hf-reference/tokenizer-files/sp-bpe-legacy") << "sp-bpe-legacy.jsonl";
    }
    void text() {
        QFETCH(QString, folder);
        QFETCH(QString, oracle);
        // Each text through argv (the jsonl round trip below checks every line): a process per text, so a few.
        for (const json& o : spreadLines(oracle, 6)) {
            const std::string text = o.at("text");
            if (text.empty()) continue;   // an empty --text argument is tested below
            const json got = runOk({"tokenize", folder, "--text", QString::fromStdString(text)});
            if (QTest::currentTestFailed()) return;
            QVERIFY2(got == expectedOf(o), qPrintable(QString::fromStdString("text " + o.at("text").dump() + ": got " + got.dump())));
        }
    }

    void emptyText() {
        const json got = runOk({"tokenize", sharedData("hf-reference/tokenizer-files/bert-uncased-tokenizer-json"), "--text", ""});
        QCOMPARE(got, json::parse(R"({"ids": [101, 102], "tokens": ["[CLS]", "[SEP]"], "decoded": ""})"));
    }

    void noSpecial() {
        const QString bert = sharedData("hf-reference/tokenizer-files/bert-uncased-tokenizer-json");
        const json with = runOk({"tokenize", bert, "--text", "Hello there"});
        const json without = runOk({"tokenize", bert, "--text", "Hello there", "--no-special"});
        QCOMPARE(with.at("tokens").front().get<std::string>(), std::string("[CLS]"));
        json trimmed = with.at("ids");
        trimmed.erase(trimmed.begin());
        trimmed.erase(trimmed.end() - 1);
        QCOMPARE(without.at("ids"), trimmed);
        QCOMPARE(without.at("decoded"), with.at("decoded"));
    }

    // Every line of a JSON-lines file, in order, one output line each (blank lines skipped).
    void jsonlRoundTrip() {
        QTemporaryDir dir;
        const std::vector<json> lines = oracleLines("qwen3.jsonl", 300);
        QCOMPARE(lines.size(), size_t(300));
        QByteArray input;
        for (size_t i = 0; i < lines.size(); ++i) {
            input += QByteArray::fromStdString(json{{"text", lines[i].at("text")}, {"n", i}}.dump()) + "\n";
            if (i == 5) input += "\n";
        }
        QVERIFY(writeAll(dir.filePath("in.jsonl"), input));
        const Result r = cli({"tokenize", sharedData("qwen3-tokenizer"), "--jsonl", dir.filePath("in.jsonl")});
        QVERIFY2(r.exitCode == 0 && r.err.isEmpty(), qPrintable(r.err));
        QStringList out = r.out.split('\n');
        QCOMPARE(out.takeLast(), QString());
        QCOMPARE(out.size(), 300);
        for (int i = 0; i < out.size(); ++i)
            QVERIFY2(json::parse(out[i].toStdString()) == expectedOf(lines[static_cast<size_t>(i)]), qPrintable(QString("line %1: %2").arg(i + 1).arg(out[i])));
    }

    void charModelFolder() {
        QTemporaryDir dir;
        writeCliModel(dir.path());   // a model folder whose vocab.json is "^abcdefghij"
        QCOMPARE(runOk({"tokenize", dir.path(), "--text", "abc"}), json::parse(R"({"ids": [0, 1, 2, 3], "tokens": ["^", "a", "b", "c"], "decoded": "^abc"})"));
        QCOMPARE(runOk({"tokenize", dir.path(), "--text", "abc", "--no-special"}).at("ids"), json::parse("[1, 2, 3]"));
    }

    void badInput_data() {
        // DIR = the test's temporary folder; GPT2 = the GPT-2 tokenizer folder.
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("message");   // stderr contains it (after "headlight-cli tokenize: ")
        QTest::newRow("missing folder") << QStringList{"tokenize", "DIR/nowhere", "--text", "a"} << 1 << "DIR/nowhere: folder not found";
        QTest::newRow("a file as folder") << QStringList{"tokenize", "DIR/in.jsonl", "--text", "a"} << 1 << "DIR/in.jsonl: is a file, expected a folder";
        QTest::newRow("no tokenizer files") << QStringList{"tokenize", "DIR/empty", "--text", "a"} << 1 << "DIR/empty: has no tokenizer files";
        QTest::newRow("broken tokenizer.json") << QStringList{"tokenize", "DIR/broken", "--text", "a"} << 1 << "DIR/broken/tokenizer.json: not valid JSON";
        QTest::newRow("bad jsonl line") << QStringList{"tokenize", "GPT2", "--jsonl", "DIR/bad.jsonl"} << 1 << "DIR/bad.jsonl: line 3: not valid JSON";
        QTest::newRow("jsonl without text") << QStringList{"tokenize", "GPT2", "--jsonl", "DIR/notext.jsonl"} << 1
                                            << "DIR/notext.jsonl: line 2: expected an object with a \"text\" string";
        QTest::newRow("missing jsonl") << QStringList{"tokenize", "GPT2", "--jsonl", "DIR/none.jsonl"} << 1 << "DIR/none.jsonl: file not found";
        // Each line is parsed as strictly as every JSON file: a key twice is not taken silently.
        QTest::newRow("jsonl duplicate key") << QStringList{"tokenize", "GPT2", "--jsonl", "DIR/dup.jsonl"} << 1
                                             << "DIR/dup.jsonl: line 2: duplicate key \"text\"";
        // A tokenizer.json that grows the text without bound is named, with the component, not the text.
        QTest::newRow("growing normalizer") << QStringList{"tokenize", "DIR/grow", "--text", "a"} << 1
                                            << "DIR/grow/tokenizer.json: normalizer #17 \"Replace\" grows the text beyond 65600 bytes";
        QTest::newRow("invalid UTF-8 text") << QStringList{"tokenize", "GPT2", "--text", "BAD"} << 1 << "--text: invalid UTF-8 at byte 1";
        QTest::newRow("both --text and --jsonl") << QStringList{"tokenize", "GPT2", "--text", "a", "--jsonl", "DIR/in.jsonl"} << 2
                                                 << "give exactly one of --text TEXT and --jsonl FILE";
        QTest::newRow("neither") << QStringList{"tokenize", "GPT2"} << 2 << "give exactly one of --text TEXT and --jsonl FILE";
        QTest::newRow("no folder") << QStringList{"tokenize", "--text", "a"} << 2 << "expects exactly one DIR";
        QTest::newRow("unknown option") << QStringList{"tokenize", "GPT2", "--text", "a", "--special"} << 2 << "--special";
    }
    void badInput() {
        QFETCH(QStringList, args);
        QFETCH(int, exitCode);
        QFETCH(QString, message);
        QTemporaryDir dir;
        QVERIFY(QDir(dir.path()).mkdir("empty"));
        QVERIFY(QDir(dir.path()).mkdir("broken"));
        QVERIFY(writeAll(dir.filePath("broken/tokenizer.json"), "{\"model\": "));
        QVERIFY(writeAll(dir.filePath("in.jsonl"), "{\"text\": \"a\"}\n"));
        QVERIFY(writeAll(dir.filePath("bad.jsonl"), "{\"text\": \"a\"}\n{\"text\": \"b\"}\n{\"text\": \n"));
        QVERIFY(writeAll(dir.filePath("notext.jsonl"), "{\"text\": \"a\"}\n{\"txt\": \"b\"}\n"));
        QVERIFY(writeAll(dir.filePath("dup.jsonl"), "{\"text\": \"a\"}\n{\"text\": \"b\", \"text\": \"c\"}\n"));
        QVERIFY(QDir(dir.path()).mkdir("grow"));
        json grow = {{"model", {{"type", "BPE"}, {"vocab", {{"a", 0}}}, {"merges", json::array()}}},
                     {"normalizer", {{"type", "Sequence"}, {"normalizers", json::array()}}}};
        for (int i = 0; i < 40; ++i) grow["normalizer"]["normalizers"].push_back({{"type", "Replace"}, {"pattern", {{"String", "a"}}}, {"content", "aa"}});
        QVERIFY(writeAll(dir.filePath("grow/tokenizer.json"), QByteArray::fromStdString(grow.dump())));
        message.replace("DIR/", dir.path() + "/");
        for (QString& a : args) {
            if (a == "GPT2") a = sharedData("gpt2-tokenizer");
            else if (a.startsWith("DIR/")) a = dir.path() + a.mid(3);
        }
        Result r;
        if (args.contains("BAD")) {
            // QProcess passes arguments as UTF-8; a shell hands the CLI the raw bytes "a\xC3".
            QProcess p;
            QStringList shellArgs{"-c", "exec \"$0\" tokenize \"$1\" --text \"$(printf 'a\\303')\"", HEADLIGHT_CLI, args[1]};
            p.start("/bin/sh", shellArgs);
            p.waitForFinished(120000);
            r = {p.exitCode(), QString::fromUtf8(p.readAllStandardOutput()), QString::fromUtf8(p.readAllStandardError())};
        } else {
            r = cli(args);
        }
        const QString context = "\nstderr: " + r.err;
        QVERIFY2(r.exitCode == exitCode, qPrintable(QString("exit %1, expected %2").arg(r.exitCode).arg(exitCode) + context));
        QVERIFY2(r.err.endsWith('\n') && r.err.count('\n') == 1, qPrintable("not exactly one line" + context));
        QVERIFY2(r.err.startsWith("headlight-cli tokenize: ") && r.err.contains(message), qPrintable("expected: " + message + context));
        QVERIFY2(r.out.isEmpty(), qPrintable("stdout on failure: " + r.out));
    }
};

QTEST_MAIN(TestCliTokenize)
#include "test_cli_tokenize.moc"
