// Reduced precision (Engine::load's dtype): bfloat16, and float16 where LibTorch can, against float32 on every
// Hugging Face reference checkpoint in ../shared/data/hf-reference (the float32 runs match transformers,
// test_families). Each row prints the agreement measured; docs/model-format.md (Precision) quotes them.
#include "cli_test_support.h"
#include "headlight/engine.h"
#include "headlight/error.h"
#include "headlight/safetensors.h"
#include "headlight/trace_hdf5.h"
#include "test_support.h"

#include <QTemporaryDir>
#include <QtTest>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

using namespace headlight;

namespace {

const std::string kModels = std::string(HEADLIGHT_SHARED_DIR) + "/data/hf-reference/models/";

struct Agreement {
    double maxAbsLogit = 0, maxLogit = 0;   // max |low - float32| and max |float32| over every logit
    int64_t positions = 0, top1Same = 0;
    double klSum = 0, klMax = 0;            // KL(float32 || low) of the next-token distributions, nats
    double maxAbsAttention = 0;             // over every layer, head, query and key
    double relative() const { return maxAbsLogit / maxLogit; }
    double top1() const { return double(top1Same) / double(positions); }
    double klMean() const { return klSum / double(positions); }
};

// log-softmax of one row in double.
std::vector<double> logSoftmax(const float* row, int64_t V) {
    const double top = *std::max_element(row, row + V);
    double sum = 0;
    for (int64_t v = 0; v < V; ++v) sum += std::exp(double(row[v]) - top);
    std::vector<double> out(static_cast<size_t>(V));
    for (int64_t v = 0; v < V; ++v) out[size_t(v)] = double(row[v]) - top - std::log(sum);
    return out;
}

void compare(const Trace& exact, const Trace& low, Agreement& a) {
    const int64_t T = exact.logits.dim(0), V = exact.logits.dim(1);
    for (int64_t t = 0; t < T; ++t) {
        const float* p = exact.logits.data() + t * V;
        const float* q = low.logits.data() + t * V;
        for (int64_t v = 0; v < V; ++v) {
            a.maxAbsLogit = std::max(a.maxAbsLogit, std::abs(double(q[v]) - p[v]));
            a.maxLogit = std::max(a.maxLogit, std::abs(double(p[v])));
        }
        a.top1Same += std::max_element(p, p + V) - p == std::max_element(q, q + V) - q;
        const auto lp = logSoftmax(p, V), lq = logSoftmax(q, V);
        double kl = 0;
        for (int64_t v = 0; v < V; ++v) kl += std::exp(lp[size_t(v)]) * (lp[size_t(v)] - lq[size_t(v)]);
        a.klSum += kl;
        a.klMax = std::max(a.klMax, kl);
        ++a.positions;
    }
    for (size_t l = 0; l < exact.layers.size(); ++l) {
        const FloatArray& x = exact.layers[l].attention;
        const FloatArray& y = low.layers[l].attention;
        for (int64_t i = 0; i < x.size(); ++i) a.maxAbsAttention = std::max(a.maxAbsAttention, std::abs(double(y.data()[i]) - x.data()[i]));
    }
}

// Both reference sequences of `model` through float32 and `dtype`.
Agreement measure(const std::string& model, const std::string& dtype) {
    const std::string dir = kModels + model;
    const Engine exact = Engine::load(dir, "cpu", "float32");
    const Engine low = Engine::load(dir, "cpu", dtype);
    const auto ref = SafetensorsFile::open(dir + "/reference/reference.safetensors");
    Agreement a;
    for (int k = 0; k < 2; ++k) {
        RunRequest r;
        r.tokenIds = test::readIds(ref, "input_ids." + std::to_string(k));
        const Trace x = exact.run(r), y = low.run(r);
        if (y.logits.shape() != x.logits.shape() || y.layers.size() != x.layers.size()) throw Error(model, "traces differ in shape");
        compare(x, y, a);
    }
    qInfo("| %s | %s | %.3g | %.3g | %.4f | %.2g | %.2g | %.3g |", model.c_str(), dtype.c_str(), a.maxAbsLogit, a.relative(),
          a.top1(), a.klMean(), a.klMax, a.maxAbsAttention);
    return a;
}

const char* const kFolders[] = {"gpt2", "gpt2-f16", "bert", "llama", "llama-bf16", "llama-sharded",
                                "qwen2", "qwen3", "mistral", "gpt_neox", "gemma2"};

// The unit roundoff of a dtype with `bits` significant bits: every rounding is off by at most u relative.
constexpr double unitRoundoff(int bits) { return 1.0 / double(1 << bits); }

// Tolerances in units of u (bfloat16: 8 significant bits, u = 2^-8 = 0.0039; float16: 11, u = 4.9e-4).
// A logit passes through a few dozen roundings (each product's inputs and output, in every layer), mostly with
// independent signs: its error stays within 16 u of the logits' scale S (the largest |float32 logit|;
// measured: at most 9 u). The attention logits carry errors of the same relative size, and a softmax
// output moves by at most half its inputs' largest error (sum over j of |dp_i/da_j| = 2 p_i (1 - p_i)); with
// attention logits of a few units that is again about 16 u (measured: at most 12 u). KL(float32 || low) of
// logits off by e is about var(e) / 2: with a typical (rms) error of 4 u S, (4 u S)^2 / 2 on average per
// position. The argmax flips only where float32's two best logits lie closer than the error; the random
// checkpoints have such near-ties at a few of their 53 positions, so 90% must agree.
struct Tolerance {
    double relative, attention, top1;
    double klMean(double scale) const { return 0.5 * (relative / 4 * scale) * (relative / 4 * scale); }
};
Tolerance toleranceFor(int bits) {
    const double u = unitRoundoff(bits);
    return {16 * u, 16 * u, 0.9};
}

void expectAgreement(const std::string& model, const std::string& dtype, int bits) {
    const Agreement a = measure(model, dtype);
    const Tolerance tol = toleranceFor(bits);
    const std::string what = model + " " + dtype + ": ";
    QVERIFY2(a.positions > 0 && a.maxLogit > 0, (what + "nothing compared").c_str());
    QVERIFY2(a.relative() < tol.relative, (what + "logits off by " + std::to_string(a.relative()) + " relative").c_str());
    QVERIFY2(a.maxAbsAttention < tol.attention, (what + "attention off by " + std::to_string(a.maxAbsAttention)).c_str());
    QVERIFY2(a.klMean() < tol.klMean(a.maxLogit), (what + "mean KL " + std::to_string(a.klMean())).c_str());
    QVERIFY2(a.top1() >= tol.top1, (what + "top-1 agreement " + std::to_string(a.top1())).c_str());
    // Not trivially equal either: the low-precision run really rounded.
    QVERIFY2(a.maxAbsLogit > 0, (what + "identical to float32").c_str());
}

} // namespace

class TestDtype : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        qInfo("| model | dtype | max abs logit diff | relative | top-1 agreement | mean KL | max KL | max abs attention diff |");
    }

    void bfloat16AgreesWithFloat32_data() {
        QTest::addColumn<QString>("model");
        for (const char* m : kFolders) QTest::newRow(m) << QString(m);
    }
    void bfloat16AgreesWithFloat32() {
        QFETCH(QString, model);
        expectAgreement(model.toStdString(), "bfloat16", 8);
    }

    // float16 where this LibTorch multiplies float16 on the CPU; otherwise refused by name before loading.
    void float16AgreesOrIsRefused_data() { bfloat16AgreesWithFloat32_data(); }
    void float16AgreesOrIsRefused() {
        QFETCH(QString, model);
        const std::string dir = kModels + model.toStdString();
        try {
            (void)Engine::load(dir, "cpu", "float16");
        } catch (const Error& e) {
            QCOMPARE(QString::fromStdString(e.where()), QString("--dtype"));
            QVERIFY2(QString(e.what()).contains("float16 is not available on the CPU") && !QString(e.what()).contains('\n'), e.what());
            QSKIP("this LibTorch has no float16 matrix products on the CPU; float16 is refused there");
        }
        expectAgreement(model.toStdString(), "float16", 11);
    }

    // The default is float32, bit for bit what Engine::load(dir) computes; names are checked.
    void float32IsTheDefault() {
        const std::string dir = kModels + "llama";
        const Engine plain = Engine::load(dir), named = Engine::load(dir, "cpu", "float32");
        QCOMPARE(QString::fromStdString(plain.dtype()), QString("float32"));
        RunRequest r;
        r.tokenIds = {1, 5, 9, 200, 31};
        const Trace a = plain.run(r), b = named.run(r);
        QCOMPARE(a.logits.shape(), b.logits.shape());
        QVERIFY(std::memcmp(a.logits.data(), b.logits.data(), sizeof(float) * size_t(a.logits.size())) == 0);
        const Engine low = Engine::load(dir, "cpu", "bfloat16");
        QCOMPARE(QString::fromStdString(low.dtype()), QString("bfloat16"));
        QVERIFY(QString::fromStdString(low.describeJson()).contains("\"dtype\": \"bfloat16\""));
        for (const char* bad : {"float64", "", "bf16", "FLOAT32"}) {
            const QString error = test::errorOf([&] { (void)Engine::load(dir, "cpu", bad); });
            QVERIFY2(error.startsWith("--dtype: ") && error.contains("is not a dtype (use float32, bfloat16 or float16)"), qPrintable(error));
        }
    }

    // headlight-cli run --dtype: the summary and the trace's provenance say so, and the loss moves no more than
    // the logits may (|change in a log-softmax| <= 2 max |change in a logit|, within the 16 u bound above).
    void cliRunInBfloat16() {
        QTemporaryDir tmp;
        const QString model = tmp.filePath("model"), exact = tmp.filePath("f32.h5"), low = tmp.filePath("bf16.h5");
        cli_test::writeCliModel(model);
        const nlohmann::json a = cli_test::runOk({"run", model, "--text", "abcabcab", "--out", exact});
        const nlohmann::json b = cli_test::runOk({"run", model, "--text", "abcabcab", "--dtype", "bfloat16", "--out", low});
        if (QTest::currentTestFailed()) return;
        QCOMPARE(QString::fromStdString(a["dtype"].get<std::string>()), QString("float32"));
        QCOMPARE(QString::fromStdString(b["dtype"].get<std::string>()), QString("bfloat16"));
        const LoadedTrace x = readTraceHdf5(exact.toStdString()), y = readTraceHdf5(low.toStdString());
        QCOMPARE(QString::fromStdString(y.provenance.at("dtype")), QString("bfloat16"));
        double scale = 0;
        for (float v : x.trace.logits) scale = std::max(scale, double(std::abs(v)));
        const double bound = 2 * toleranceFor(8).relative * scale;
        const double moved = std::abs(a["mean_loss"].get<double>() - b["mean_loss"].get<double>());
        QVERIFY2(moved < bound, qPrintable(QString("mean loss moved %1, bound %2").arg(moved).arg(bound)));
    }
};

QTEST_MAIN(TestDtype)
#include "test_dtype.moc"
