// Hostile input at the core's boundaries (issue 14), one test per root cause: JSON nesting and duplicate keys,
// file kinds and size caps, bounded task sizes and linear text handling, output files committed together,
// non-finite weights, escaped messages, model output folders, capture sizes. The CLI's side of the same causes is
// in test_hostile_cli.cpp.
#include "headlight/capture_size.h"
#include "headlight/engine.h"
#include "headlight/input_file.h"
#include "headlight/model_config.h"
#include "headlight/output_files.h"
#include "headlight/output_folder.h"
#include "headlight/safetensors.h"
#include "headlight/tasks.h"
#include "headlight/tokenizer.h"
#include "headlight/training.h"
#include "checkpoint/checkpoint.h"
#include "io/json_util.h"
#include "test_support.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

using namespace headlight;
using namespace headlight::test;

namespace {

std::string nested(int depth, const std::string& inner = "1") {
    return std::string(static_cast<size_t>(depth), '[') + inner + std::string(static_cast<size_t>(depth), ']');
}

// A tiny model folder in `dir` whose weights have `value` at element 3 of tensor `name`.
void writeModelWith(const QString& dir, const std::string& name, float value) {
    const ModelConfig c = tinyConfig();
    auto weights = randomWeights(c, 5);
    weights.at(name) = withValue(weights.at(name), 3, value);
    writeModel(dir.toStdString(), c, weights);
}

} // namespace

class HostileInputTest : public QObject {
    Q_OBJECT

private slots:
    // printableText: control characters, C1 controls and invalid UTF-8 escaped; valid UTF-8 kept; cut.
    void printableTextEscapes_data() {
        QTest::addColumn<QByteArray>("in");
        QTest::addColumn<int>("max");
        QTest::addColumn<QByteArray>("out");
        QTest::newRow("plain") << QByteArray("abc") << 0 << QByteArray("abc");
        QTest::newRow("newline tab CR") << QByteArray("a\nb\tc\rd") << 0 << QByteArray("a\\nb\\tc\\rd");
        QTest::newRow("escape sequence") << QByteArray("\x1b[31mred") << 0 << QByteArray("\\x1b[31mred");
        QTest::newRow("NUL and DEL") << QByteArray("a\0b\x7f", 4) << 0 << QByteArray("a\\x00b\\x7f");
        QTest::newRow("C1 CSI") << QByteArray("a\xc2\x9b" "b") << 0 << QByteArray("a\\xc2\\x9bb");
        QTest::newRow("invalid byte") << QByteArray("a\xff" "b") << 0 << QByteArray("a\\xffb");
        QTest::newRow("UTF-8 kept") << QByteArray("\xc3\xa9t\xc3\xa9 \xe2\x96\x81") << 0 << QByteArray("\xc3\xa9t\xc3\xa9 \xe2\x96\x81");
        QTest::newRow("cut") << QByteArray("abcdefgh") << 3 << QByteArray("abc...");
    }
    void printableTextEscapes() {
        QFETCH(QByteArray, in);
        QFETCH(int, max);
        QFETCH(QByteArray, out);
        QCOMPARE(QByteArray::fromStdString(printableText(in.toStdString(), static_cast<size_t>(max))), out);
    }

    // Every Error is one line whatever text it echoes.
    void errorsAreOneLine() {
        const Error e("file\nname", "bad \"x\x1b\" here\r\n");
        QVERIFY(!QByteArray(e.what()).contains('\n'));
        QVERIFY(!QByteArray(e.what()).contains('\x1b'));
        QCOMPARE(QByteArray(e.what()), QByteArray("file\\nname: bad \"x\\x1b\" here\\r\\n"));
    }

    // Nesting is limited when parsing, so that nothing recursive (dump, copy, compare) can overflow the stack.
    void jsonDepthIsLimited() {
        QCOMPARE(jsonutil::parse(nested(jsonutil::kMaxDepth), "f").dump(), nested(jsonutil::kMaxDepth));
        QCOMPARE(errorOf([&] { jsonutil::parse(nested(jsonutil::kMaxDepth + 1), "f"); }), QString("f: nested deeper than 64 levels"));
        // 200 KB of nesting (the tester's crash) in each reader that takes JSON.
        const std::string deep = nested(100000);
        QVERIFY(errorOf([&] { ModelConfig::fromJson(R"({"model_type": "gpt2", "x": )" + deep + "}", "config.json"); })
                    .contains("config.json: nested deeper than 64 levels"));
        QVERIFY(errorOf([&] { TrainConfig::fromJson(R"({"model": {"a": )" + deep + R"(}, "task": {"name": "assign"}})", "T.json"); })
                    .contains("T.json: nested deeper than 64 levels"));
        QVERIFY(errorOf([&] { TaskParams::fromJson(R"({"name": )" + deep + "}", "--task"); }).contains("nested deeper"));
    }

    void jsonDuplicateKeysAreRefused() {
        QCOMPARE(errorOf([&] { jsonutil::parse(R"({"a": 1, "b": {"c": 1, "c": 2}})", "f"); }), QString("f: duplicate key \"c\""));
        QCOMPARE(jsonutil::parse(R"([{"c": 1}, {"c": 2}])", "f").size(), size_t(2));   // same key in two objects is fine
        QVERIFY(errorOf([&] { ModelConfig::fromJson(R"({"model_type": "gpt2", "n_layer": 2, "n_layer": 12})", "config.json"); })
                    .contains("duplicate key \"n_layer\""));
    }

    // A value in a message: short and escaped, never the whole value.
    void excerptsAreShort() {
        QCOMPARE(QString::fromStdString(jsonutil::excerpt(jsonutil::parse(nested(60), "f"))), QString("a list of 1 items"));
        QCOMPARE(QString::fromStdString(jsonutil::excerpt(nlohmann::json(std::string(1000, 'x')))), "\"" + QString(40, 'x') + "...\"");
        QCOMPARE(QString::fromStdString(jsonutil::excerpt(nlohmann::json("a\nb"))), QString("\"a\\nb\""));
        const auto j = jsonutil::parse(R"({"n": {"deep": [1, 2]}, "big": 18446744073709551615})", "f");
        QCOMPARE(errorOf([&] { jsonutil::requireInt(j, "n", "f"); }), QString("f: \"n\" must be an integer, got an object"));
        QCOMPARE(errorOf([&] { jsonutil::requireInt(j, "big", "f"); }), QString("f: \"big\" is out of range: 18446744073709551615"));
    }

    // Every file we read: regular files only, capped, with a message saying what the path is.
    void filesMustBeRegular() {
        QTemporaryDir dir;
        const std::string fifo = dir.filePath("fifo").toStdString();
        QCOMPARE(mkfifo(fifo.c_str(), 0600), 0);
        QCOMPARE(QString::fromStdString(regularFileProblem(fifo)), QString("is not a regular file (a FIFO)"));
        QCOMPARE(QString::fromStdString(regularFileProblem("/dev/zero")), QString("is not a regular file (a device)"));
        QCOMPARE(QString::fromStdString(regularFileProblem(dir.path().toStdString())), QString("is a folder, expected a file"));
        QCOMPARE(QString::fromStdString(regularFileProblem(dir.filePath("none").toStdString())), QString("file not found"));
        // Each reader refuses them at once (a FIFO used to block forever, /dev/zero to read until bad_alloc).
        QElapsedTimer t;
        t.start();
        QVERIFY(errorOf([&] { ModelConfig::fromFile(fifo); }).endsWith("fifo: is not a regular file (a FIFO)"));
        QVERIFY(errorOf([&] { TrainConfig::fromFile("/dev/zero"); }).endsWith("/dev/zero: is not a regular file (a device)"));
        QVERIFY(errorOf([&] { makeTask(TaskParams::fromJson(R"({"name": "text", "file": ")" + fifo + R"("})", "--task")); })
                    .contains("is not a regular file (a FIFO)"));
        QVERIFY(errorOf([&] { TrainConfig::fromTrainingRecord(fifo); }).contains("is not a regular file (a FIFO)"));
        QDir(dir.path()).mkdir("tok");
        QCOMPARE(mkfifo(dir.filePath("tok/vocab.json").toUtf8().constData(), 0600), 0);   // not skipped: refused
        QVERIFY(errorOf([&] { loadTokenizer(dir.filePath("tok").toStdString()); }).endsWith("vocab.json: is not a regular file (a FIFO)"));
        QVERIFY(t.elapsed() < 5000);
        // Size caps: reported in MiB, before reading.
        writeFile(dir.filePath("big.json"), QByteArray(2048, ' '));
        QCOMPARE(errorOf([&] { readRegularFile(dir.filePath("big.json").toStdString(), 1024); }),
                 dir.filePath("big.json") + ": is larger than 1024 bytes (2048 bytes)");
        // The model loader says what is wrong with config.json instead of "file not found".
        writeModelWith(dir.filePath("m"), "wte.weight", 0.5f);
        QVERIFY(QFile::remove(dir.filePath("m/config.json")) && QDir().mkdir(dir.filePath("m/config.json")));
        QVERIFY(errorOf([&] { Engine::load(dir.filePath("m").toStdString()); }).endsWith("config.json: is a folder, expected a file"));
    }

    // FixedTextTask split the whole text once per position (quadratic); now once, and an absurd text is refused.
    void fixedTextIsLinear() {
        const std::string text(200000, 'a');
        QElapsedTimer t;
        t.start();
        const auto task = makeFixedTextTask(text);
        std::mt19937_64 rng(1);
        const TaskExample ex = task->sample(rng);
        QCOMPARE(ex.chars.size(), text.size() + 1);   // with '^'
        QCOMPARE(task->maxLength(), static_cast<int>(text.size()) + 1);
        QVERIFY2(t.elapsed() < 3000, qPrintable(QString::number(t.elapsed()) + " ms"));
        QVERIFY(errorOf([&] { makeFixedTextTask(std::string(2000000, 'a')); }).startsWith("--text: is 2000000 bytes long"));
    }

    // Sizes that would overflow or exhaust memory are refused by name.
    // Issue 20: 10,000 one-float shards failed with "0.0 GB do not fit in memory": each open file reserved its
    // size plus a 2 MiB huge-page slack (20 GB of address space). A file smaller than a huge page reserves what
    // it holds: 2,000 open one-float files grow the address space by far less than 2,000 x 2 MiB.
    void smallFilesReserveWhatTheyHold() {
        QTemporaryDir tmp;
        const std::string path = tmp.filePath("one.safetensors").toStdString();
        writeSafetensors(path, {{"x", FloatArray({1}, std::vector<float>{1.0f})}});
        auto addressSpace = [] {
            QFile status("/proc/self/status");
            if (!status.open(QIODevice::ReadOnly)) return -1.0;
            for (const QByteArray& line : status.readAll().split('\n'))
                if (line.startsWith("VmSize:")) return line.mid(7).trimmed().split(' ')[0].toDouble() * 1024;
            return -1.0;
        };
        const double before = addressSpace();
        QVERIFY(before > 0);
        std::vector<SafetensorsFile> open;
        for (int i = 0; i < 2000; ++i) open.push_back(SafetensorsFile::open(path));
        const double grown = addressSpace() - before;
        QVERIFY2(grown < 256.0 * 1024 * 1024, qPrintable(QString("address space grew by %1 MiB").arg(grown / 1048576)));
        QCOMPARE(open.back().readFloat("x").toVector(), std::vector<float>{1.0f});
    }

    void sizesAreBounded_data() {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("message");
        QTest::newRow("assignments") << R"({"name": "assign", "assignments": 1000000000})" << "assignments must be 1..262142";
        QTest::newRow("max_length") << R"({"name": "induction", "max_length": 2000000000})" << "max_length must be at most 524288";
        QTest::newRow("length") << R"({"name": "lookup", "length": 2000000000})" << "length must be even, >= 4 and < 1048576";
        QTest::newRow("context") << R"({"name": "text", "file": "x", "context": 2000000000})" << "context must be 1..1048575";
    }
    void sizesAreBounded() {
        QFETCH(QString, json);
        QFETCH(QString, message);
        const QString e = errorOf([&] { TaskParams::fromJson(json.toStdString(), "--task"); });
        QVERIFY2(e.contains(message), qPrintable(e));
    }

    void trainConfigIsBounded_data() {
        QTest::addColumn<QString>("extra");
        QTest::addColumn<QString>("message");
        QTest::newRow("batch_size") << R"("batch_size": 1000000000)" << "\"batch_size\" must be at most 65536";
        QTest::newRow("learning_rate 1e300") << R"("learning_rate": 1e300)" << "\"learning_rate\" must be at most 10";
        QTest::newRow("grad_clip") << R"("grad_clip": 1e300)" << "\"grad_clip\" must be at most 1e6";
        QTest::newRow("1e400") << R"("learning_rate": 1e400)" << "not valid JSON";
    }
    void trainConfigIsBounded() {
        QFETCH(QString, extra);
        QFETCH(QString, message);
        const std::string text = R"({"model": {"n_layer": 1, "n_head": 1, "n_embd": 8}, "task": {"name": "assign"}, )" + extra.toStdString() + "}";
        const QString e = errorOf([&] { TrainConfig::fromJson(text, "T.json"); });
        QVERIFY2(e.startsWith("T.json: ") && e.contains(message), qPrintable(e));
    }

    // NaN or infinity in any weight is refused at load, naming the tensor and the count.
    void nonFiniteWeightsAreRefused_data() {
        QTest::addColumn<float>("value");
        QTest::newRow("NaN") << std::numeric_limits<float>::quiet_NaN();
        QTest::newRow("+Inf") << std::numeric_limits<float>::infinity();
        QTest::newRow("-Inf") << -std::numeric_limits<float>::infinity();
    }
    void nonFiniteWeightsAreRefused() {
        QFETCH(float, value);
        QTemporaryDir dir;
        writeModelWith(dir.filePath("m"), "h.1.attn.c_attn.weight", value);
        const QString e = errorOf([&] { Engine::load(dir.filePath("m").toStdString()); });
        QVERIFY2(e.contains("tensor \"h.1.attn.c_attn.weight\" holds 1 NaN or infinite value (of "), qPrintable(e));
        writeModelWith(dir.filePath("ok"), "h.1.attn.c_attn.weight", 1e30f);   // large but finite: loads
        QCOMPARE(Engine::load(dir.filePath("ok").toStdString()).config().nLayer, 2);
    }

    // Issue 21: loading reads a file in 2 MiB pieces on several threads and counts NaN and infinity in each piece as
    // it arrives. A value in the middle of a tensor of many pieces (wpe: 262144 x 64, 64 MiB of float32, 32 MiB of
    // float16 or bfloat16) is found and named as the file names the tensor.
    void nonFiniteValuesDeepInALargeTensorAreNamed_data() {
        QTest::addColumn<int>("dtype");
        QTest::addColumn<float>("value");
        QTest::newRow("F32 NaN") << int(DType::F32) << std::numeric_limits<float>::quiet_NaN();
        QTest::newRow("F16 -Inf") << int(DType::F16) << -std::numeric_limits<float>::infinity();
        QTest::newRow("BF16 NaN") << int(DType::BF16) << std::numeric_limits<float>::quiet_NaN();
    }
    void nonFiniteValuesDeepInALargeTensorAreNamed() {
        QFETCH(int, dtype);
        QFETCH(float, value);
        const ModelConfig c = tinyConfig({}, 1, 2, 64, 11, 262144);
        auto weights = randomWeights(c, 5);
        weights.at("wpe.weight") = withValue(weights.at("wpe.weight"), 8'388'609, value);
        QTemporaryDir dir;
        const std::string m = dir.filePath("m").toStdString();
        writeModel(m, c, weights, static_cast<DType>(dtype));
        QCOMPARE(errorOf([&] { Engine::load(m); }),
                 QString::fromStdString(m) + "/model.safetensors: tensor \"wpe.weight\" holds 1 NaN or infinite value (of 16777216)");
    }

    // The pieces, one by one: the data section starts at an odd offset, so every piece boundary within a tensor
    // cuts an element in two. Each non-finite value is counted once, by its dtype's exponent bits, wherever it
    // lies (first, last, across a boundary); bytes between tensors and integer tensors are never counted; every
    // byte lands where one plain read of the file puts it, and conversions see the same values.
    void piecesCountEachValueOnceAndKeepEveryByte() {
        struct Planned {
            const char* name;
            const char* dtype;
            int width;
            int64_t count;
            uint64_t largestFinite, infinite, nan;   // bit patterns
        };
        const Planned planned[] = {
            {"small", "F32", 4, 3, 0x7F7FFFFF, 0xFF800000, 0x7FC00000},
            {"ints", "I32", 4, 5, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF},   // all ones: NaN were it a float
            {"f32", "F32", 4, (9 << 20) / 4 + 3, 0x7F7FFFFF, 0x7F800000, 0xFFC00001},
            {"f16", "F16", 2, (5 << 20) / 2 + 1, 0x7BFF, 0xFC00, 0x7E01},
            {"bf16", "BF16", 2, (5 << 20) / 2 + 7, 0xFF7F, 0x7F80, 0xFFC1},
            {"f64", "F64", 8, (9 << 20) / 8 + 1, 0x7FEFFFFFFFFFFFFF, 0xFFF0000000000000, 0x7FF8000000000001},
            {"empty", "F32", 4, 0, 0, 0, 0}};
        constexpr uint64_t kGap = 14;       // unused bytes of all ones after "ints" (even: the next tensor starts odd too)
        constexpr uint64_t kPiece = 2 << 20;
        nlohmann::json header = nlohmann::json::object();
        uint64_t at = 0;
        for (const Planned& t : planned) {
            const uint64_t bytes = static_cast<uint64_t>(t.count) * static_cast<uint64_t>(t.width);
            header[t.name] = {{"dtype", t.dtype}, {"shape", {t.count}}, {"data_offsets", {at, at + bytes}}};
            at += bytes + (std::string(t.name) == "ints" ? kGap : 0);
        }
        std::string headerText = header.dump();
        headerText.append((8 + 3 - (8 + headerText.size()) % 8) % 8, ' ');   // data from an offset of 3 modulo 8
        const uint64_t dataStart = 8 + headerText.size();
        QCOMPARE(dataStart % 8, uint64_t(3));
        QByteArray file(static_cast<int>(dataStart + at), '\xff');
        for (int i = 0; i < 8; ++i) file[i] = static_cast<char>(static_cast<uint64_t>(headerText.size()) >> (8 * i));
        std::memcpy(file.data() + 8, headerText.data(), headerText.size());
        std::map<std::string, uint64_t> expected;
        for (const Planned& t : planned) {
            const auto& offsets = header[t.name]["data_offsets"];
            const uint64_t from = dataStart + offsets[0].get<uint64_t>(), to = dataStart + offsets[1].get<uint64_t>();
            auto put = [&](int64_t i, uint64_t bits) { std::memcpy(file.data() + from + static_cast<uint64_t>(i) * t.width, &bits, t.width); };
            for (int64_t i = 0; i < t.count; ++i) put(i, i % 3 ? t.largestFinite : t.largestFinite ^ (uint64_t(1) << 1));
            std::set<int64_t> bad;   // the first, the middle, the last, and every element a piece boundary cuts
            if (t.count > 0) bad = {0, t.count / 2, t.count - 1};
            for (uint64_t boundary = (from / kPiece + 1) * kPiece; boundary < to; boundary += kPiece) {
                QVERIFY((boundary - from) % t.width != 0);   // the boundary falls inside an element
                bad.insert(static_cast<int64_t>((boundary - from) / t.width));
            }
            int n = 0;
            for (const int64_t i : bad) put(i, n++ % 2 ? t.nan : t.infinite);
            expected[t.name] = std::string(t.dtype) == "I32" ? 0 : bad.size();
        }
        for (const char* name : {"f32", "f16", "bf16", "f64"}) QVERIFY(expected[name] >= 3 + 2);   // two boundaries at least
        QTemporaryDir dir;
        const QString path = dir.filePath("pieces.safetensors");
        writeFile(path, file);
        const SafetensorsFile f = SafetensorsFile::open(path.toStdString());
        for (const SafetensorsEntry& e : f.entries()) {
            QVERIFY2(e.nonFinite == expected.at(e.name), qPrintable(QString::fromStdString(e.name) + ": " + QString::number(e.nonFinite)));
            if (e.end > e.begin) QVERIFY(std::memcmp(f.rawData(e), file.constData() + dataStart + e.begin, e.end - e.begin) == 0);
        }
        for (const char* name : {"f16", "bf16", "f64"}) {
            const SafetensorsEntry& e = *f.find(name);
            const FloatArray converted = f.readFloat(name);
            const char* raw = file.constData() + dataStart + e.begin;
            for (int64_t i = 0; i < e.numel(); ++i) {
                float want;
                if (e.dtype == DType::F64) {
                    double d;
                    std::memcpy(&d, raw + 8 * i, 8);
                    want = static_cast<float>(d);
                } else {
                    uint16_t h;
                    std::memcpy(&h, raw + 2 * i, 2);
                    want = e.dtype == DType::F16 ? halfToFloat(h) : bfloat16ToFloat(h);
                }
                if (bitsOf(converted.data()[i]) != bitsOf(want)) QFAIL(qPrintable(QString("%1[%2] converted differently").arg(name).arg(i)));
            }
        }
    }

    // Float16 and bfloat16 tensors are converted in pieces of 2 MiB of float32 on several threads, into pages of
    // their own: every tensor holds exactly what one conversion of the whole tensor on one thread gives.
    void convertedPiecesMatchOneConversion_data() {
        QTest::addColumn<int>("dtype");
        QTest::newRow("F16") << int(DType::F16);
        QTest::newRow("BF16") << int(DType::BF16);
    }
    void convertedPiecesMatchOneConversion() {
        QFETCH(int, dtype);
        std::mt19937 rng(3);
        std::normal_distribution<float> normal(0.0f, 1.0f);
        std::vector<float> big(3'000'005), small(2100);   // 5.7 pieces, and less than one
        for (auto& x : big) x = normal(rng);
        for (auto& x : small) x = normal(rng);
        QTemporaryDir dir;
        const std::string path = dir.filePath("w.safetensors").toStdString();
        writeSafetensors(path, {{"big", FloatArray({3'000'005}, big)}, {"small", FloatArray({700, 3}, small)},
                                {"empty", FloatArray({0, 3}, std::vector<float>{})}}, static_cast<DType>(dtype));
        const SafetensorsFile f = SafetensorsFile::open(path);
        const NamedTensors tensors = readTensors(f, torch::kCPU);
        QCOMPARE(tensors.size(), size_t(3));
        for (const SafetensorsEntry& e : f.entries()) {
            const FloatArray once = f.readFloat(e.name);
            const torch::Tensor& t = tensors.at(e.name);
            QCOMPARE(t.sizes().vec(), e.shape);
            QVERIFY(t.scalar_type() == torch::kFloat && t.is_contiguous());
            if (once.size() > 0) QVERIFY(std::memcmp(t.data_ptr<float>(), once.data(), static_cast<size_t>(once.size()) * 4) == 0);
        }
    }

    // A finite float64 beyond float32's range (1e300) becomes infinite when converted: refused by name too.
    void float64BeyondFloat32IsRefused() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("f64.safetensors").toStdString();
        const std::string header = R"({"w": {"dtype": "F64", "shape": [3], "data_offsets": [0, 24]}})";
        const double values[3] = {1.0, 1e300, -2.0};
        std::string bytes(8, '\0');
        const uint64_t length = header.size();
        std::memcpy(bytes.data(), &length, 8);
        bytes += header;
        bytes.append(reinterpret_cast<const char*>(values), sizeof values);
        QFile out(QString::fromStdString(path));
        QVERIFY(out.open(QIODevice::WriteOnly) && out.write(bytes.data(), static_cast<qint64>(bytes.size())) == static_cast<qint64>(bytes.size()));
        out.close();
        const SafetensorsFile f = SafetensorsFile::open(path);
        QCOMPARE(f.entries().at(0).nonFinite, uint64_t(0));   // finite as stored
        QCOMPARE(errorOf([&] { readTensors(f, torch::kCPU); }),
                 QString::fromStdString(path) + ": tensor \"w\" holds 1 float64 value beyond float32's range");
    }

    // Outputs: checked before any work, none an input or another output, none a device; all or nothing.
    void outputFilesAreCheckedAndCommittedTogether() {
        QTemporaryDir dir;
        const std::string a = dir.filePath("a.h5").toStdString(), b = dir.filePath("b.csv").toStdString();
        writeFile(dir.filePath("input.safetensors"), "x");
        const std::string input = dir.filePath("input.safetensors").toStdString();
        QCOMPARE(errorOf([&] { OutputFiles({{"--out", ""}}, {}); }), QString("--out: is empty; give a file name"));
        QVERIFY(errorOf([&] { OutputFiles({{"--out", "/dev/null"}}, {}); }).contains("is not a regular file (a device)"));
        const std::string sameAsA = dir.path().toStdString() + "/./a.h5";
        QCOMPARE(errorOf([&] { OutputFiles({{"--out", a}, {"--csv", sameAsA}}, {}); }),
                 QString::fromStdString(sameAsA) + ": --csv names the same file as --out");
        QCOMPARE(errorOf([&] { OutputFiles({{"--out", input}}, {input}); }), QString::fromStdString(input) + ": --out names one of the command's input files");
        QCOMPARE(readAllOf(dir.filePath("input.safetensors")), QByteArray("x"));
        // A failure at the second output leaves neither (and no temporary).
        QVERIFY(errorOf([&] {
                    OutputFiles out({{"--out", a}, {"--csv", b}}, {});
                    out.write(a, [](const std::string& temp) { writeFile(QString::fromStdString(temp), "one"); });
                    out.write(b, [](const std::string& temp) { throw Error(temp, "cannot write (disk full?)"); });
                    out.commit();
                }) == QString::fromStdString(b) + ": cannot write (disk full?)");
        QVERIFY(!QFile::exists(dir.filePath("a.h5")) && !QFile::exists(dir.filePath("b.csv")));
        QVERIFY(leftovers(dir.path()).isEmpty());
        {
            OutputFiles out({{"--out", a}, {"--csv", b}}, {});
            out.write(a, [](const std::string& temp) { writeFile(QString::fromStdString(temp), "one"); });
            out.write(b, [](const std::string& temp) { writeFile(QString::fromStdString(temp), "two"); });
            QVERIFY(!QFile::exists(dir.filePath("a.h5")));   // nothing in place before commit
            out.commit();
        }
        QCOMPARE(readAllOf(dir.filePath("a.h5")), QByteArray("one"));
        QCOMPARE(readAllOf(dir.filePath("b.csv")), QByteArray("two"));
        QVERIFY(leftovers(dir.path()).isEmpty());
    }

    // Model output folders (issue 20): a command may not write into a model it reads (the same folder however
    // spelt, a folder inside it, a folder holding it or the real files behind it) nor over any model. Paths
    // are relative to a scratch folder holding: model/ (a model), link -> model, a Hugging Face cache
    // (hub/models--x/snapshots/abc/ whose files are symlinks into hub/models--x/blobs/, and snaplink -> the
    // snapshot), empty/, notes/ (an unrelated file), weights/ (a lone *.safetensors), tok/ (vocab.json) and
    // run/ (a training run with a checkpoint).
    void modelOutputFolderIsChecked_data() {
        QTest::addColumn<QString>("out");
        QTest::addColumn<QString>("input");      // the init_from model, "" for none
        QTest::addColumn<bool>("resuming");
        QTest::addColumn<QString>("problem");    // "" = accepted
        auto row = [](const char* name, const char* out, const char* input, bool resuming, const char* problem) {
            QTest::newRow(name) << QString(out) << QString(input) << resuming << QString(problem);
        };
        row("the input itself", "model", "model", false, "is the init_from model");
        row("trailing slash", "model/", "model", false, "is the init_from model");
        row("dot and dot-dot", "empty/.././model/.", "model", false, "is the init_from model");
        row("through a symlink", "link", "model", false, "is the init_from model");
        row("input through a symlink", "model", "link/", false, "is the init_from model");
        row("inside the input", "model/tuned", "model", false, "lies inside the init_from model");
        row("inside, through a symlink", "link/a/b", "model", false, "lies inside the init_from model");
        row("holding the input", ".", "model", false, "holds the init_from model");
        row("HF snapshot through a symlink", "snaplink", "hub/models--x/snapshots/abc", false, "is the init_from model");
        row("HF blobs behind the snapshot", "hub/models--x/blobs", "hub/models--x/snapshots/abc", false, "holds the file behind");
        row("HF repository folder", "hub/models--x", "hub/models--x/snapshots/abc", false, "holds the init_from model");
        row("resuming into the input", "model", "model", true, "is the init_from model");
        row("already a model", "model", "", false, "already holds a model (config.json)");
        row("a lone weights file", "weights", "", false, "already holds a model (shard-1.safetensors)");
        row("a tokenizer", "tok", "", false, "already holds a model (vocab.json)");
        row("a training run", "run", "", false, "already holds a model (checkpoint)");
        row("a file", "model/config.json", "", false, "is a file, not a folder");
        row("under a file", "model/config.json/m", "", false, "cannot create the model folder: ");
        row("a new folder", "new/deeper", "model", false, "");
        row("an empty folder", "empty", "model", false, "");
        row("a folder of other files", "notes", "model", false, "");
        row("a sibling sharing a prefix", "model2", "model", false, "");
        row("a new snapshot", "hub/models--x/snapshots/def", "hub/models--x/snapshots/abc", false, "");
        row("resuming a run in its folder", "run", "model", true, "");
    }
    void modelOutputFolderIsChecked() {
        QFETCH(QString, out);
        QFETCH(QString, input);
        QFETCH(bool, resuming);
        QFETCH(QString, problem);
        QTemporaryDir dir;
        const QString root = dir.path();
        writeModel((root + "/model").toStdString(), tinyConfig(), randomWeights(tinyConfig(), 1));
        QVERIFY(QFile::link(root + "/model", root + "/link"));
        const QString blobs = root + "/hub/models--x/blobs", snapshot = root + "/hub/models--x/snapshots/abc";
        QVERIFY(QDir().mkpath(blobs) && QDir().mkpath(snapshot));
        for (const char* f : {"config.json", "model.safetensors"}) {
            QVERIFY(QFile::copy(root + "/model/" + f, blobs + "/sha-" + f));
            QCOMPARE(symlink((QString("../../blobs/sha-") + f).toUtf8().constData(), (snapshot + "/" + f).toUtf8().constData()), 0);
        }
        QVERIFY(QFile::link(snapshot, root + "/snaplink"));
        for (const char* d : {"empty", "notes", "weights", "tok", "run/checkpoint"}) QVERIFY(QDir().mkpath(root + "/" + d));
        writeFile(root + "/notes/notes.txt", "not a model");
        writeFile(root + "/weights/shard-1.safetensors", "x");
        writeFile(root + "/tok/vocab.json", "{}");
        writeFile(root + "/run/checkpoint/state.json", "{}");

        const std::string outDir = (root + "/" + out).toStdString();
        std::vector<ModelInput> inputs;
        if (!input.isEmpty()) inputs.push_back({"init_from", (root + "/" + input).toStdString()});
        const QString error = errorOf([&] { checkModelOutputFolder(outDir, inputs, resuming); });
        if (problem.isEmpty()) {
            QVERIFY2(error == "nothing thrown", qPrintable(error));
        } else {
            QVERIFY2(error.startsWith(QString::fromStdString(outDir) + ": ") && error.contains(problem), qPrintable(error));
        }
    }

    // A failed write takes away what it added: a folder it made (with the parents it made), or the entries it
    // added to a folder that existed; kept, everything stays.
    void modelOutputFolderCleansUp() {
        QTemporaryDir dir;
        const QString made = dir.filePath("a/b/c");
        {
            ModelOutputFolder folder(made.toStdString());
            folder.create();
            writeFile(made + "/config.json", "{}");
        }
        QVERIFY(!QFile::exists(dir.filePath("a")));
        QVERIFY(QDir().mkpath(dir.filePath("existing")));
        writeFile(dir.filePath("existing/notes.txt"), "mine");
        {
            ModelOutputFolder folder(dir.filePath("existing").toStdString());
            folder.create();
            writeFile(dir.filePath("existing/model.safetensors"), "x");
            QVERIFY(QDir().mkpath(dir.filePath("existing/checkpoint-new")));
        }
        QCOMPARE(QDir(dir.filePath("existing")).entryList(QDir::NoDotAndDotDot | QDir::AllEntries), QStringList{"notes.txt"});
        QCOMPARE(readAllOf(dir.filePath("existing/notes.txt")), QByteArray("mine"));
        {
            ModelOutputFolder folder(made.toStdString());
            folder.create();
            writeFile(made + "/config.json", "{}");
            folder.keep();
        }
        QVERIFY(QFile::exists(made + "/config.json"));
    }

    // The bytes a capture keeps, by hand: L = 2 layers, H = 4 heads, D = 8, V = 11, T = 100 tokens.
    void captureBytesByHand() {
        const ModelConfig c = tinyConfig({}, 2, 4, 8, 11, 128);
        const int64_t T = 100;
        CaptureSpec full;
        CaptureBytes b = captureBytes(c, T, full);
        QCOMPARE(b.attention, 2.0 * 4 * 100 * 100 * 4);    // [H,T,T] float32 per layer
        QCOMPARE(b.logits, 100.0 * 11 * 4);                // [T,V]
        QCOMPARE(b.hiddenStates + b.digests + b.mechanisms, 0.0);
        QCOMPARE(b.total(), 320000.0 + 4400.0);
        QCOMPARE(b.streamed(), 160000.0 + 4400.0);         // one layer at a time
        CaptureSpec some;
        some.layers = {1, 7};                              // layer 7 does not exist: counts for nothing
        some.heads = {1, 3};
        some.logits = false;
        some.hiddenStates = true;
        some.pooledSize = 16;                              // bin ceil(100 / 16) = 7: 15 x 15 cells
        b = captureBytes(c, T, some);
        QCOMPARE(b.attention, 1.0 * 2 * 100 * 100 * 4);
        QCOMPARE(b.hiddenStates, 3.0 * 100 * 8 * 4);       // L + 1 arrays [T,D]
        QCOMPARE(b.digests, 2.0 * (4 * 4 * 4 + 2 * 4 * 15 * 15 * 4));
        QCOMPARE(captureBytes(c, T, CaptureSpec::none()).total(), 0.0);
        // Selective attention keeps S and F [T,T] and the eviction steps [T] with each captured layer.
        const ModelConfig s = tinyConfig({"selective"}, 2, 4, 8, 11, 128);
        QCOMPARE(captureBytes(s, T, full).mechanisms, 2.0 * (2 * 100 * 100 * 4 + 100 * 4));
        QVERIFY(usableMemoryBytes() > 0);
    }

    // Duplicate tokens in a tokenizer.json vocabulary would silently take one id.
    void duplicateVocabularyKeys() {
        QTemporaryDir dir;
        writeFile(dir.filePath("vocab.json"), R"({"a": 0, "b": 1, "a": 2})");
        QVERIFY(errorOf([&] { loadTokenizer(dir.path().toStdString()); }).contains("duplicate key \"a\""));
        writeFile(dir.filePath("tokenizer.json"),
                  R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "a": 2}, "merges": []}})");
        QVERIFY(errorOf([&] { loadTokenizer(dir.path().toStdString()); }).contains("duplicate token \"a\""));
        writeFile(dir.filePath("tokenizer.json"), QByteArray::fromStdString(R"({"model": {"type": "BPE", "x": )" + nested(1000) + "}}"));
        QVERIFY(errorOf([&] { loadTokenizer(dir.path().toStdString()); }).contains("nested deeper than 64 levels"));
    }

private:
    static QByteArray readAllOf(const QString& path) {
        QFile f(path);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }
};

QTEST_GUILESS_MAIN(HostileInputTest)
#include "test_hostile_input.moc"
