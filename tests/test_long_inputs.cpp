// Long inputs: the blocked attention against the explicit one, the views of a captured head against the
// full matrix, streamed HDF5 traces against whole ones, and the FLOP count against the hand count.
#include "attention/attention.h"
#include "attention/attention_digest.h"
#include "attention/fast_log.h"
#include "headlight/attention_view.h"
#include "headlight/engine.h"
#include "headlight/flops.h"
#include "headlight/head_metrics.h"
#include "headlight/trace_hdf5.h"
#include "headlight/trace_hdf5_stream.h"
#include "nn/torch_bridge.h"
#include "test_support.h"

#include <QTemporaryDir>
#include <QtTest>
#include <algorithm>
#include <cmath>
#include <cstring>

using namespace headlight;

namespace {

double maxDiff(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }

// A [T,T] attention of `heads` heads with rows summing to 1 (causal), as a captured layer.
LayerTrace syntheticLayer(int64_t T, std::vector<int> heads, uint64_t seed) {
    torch::manual_seed(seed);
    auto logits = torch::randn({static_cast<int64_t>(heads.size()), T, T}) * 3;
    logits.masked_fill_(torch::ones({T, T}, torch::kBool).triu(1), -INFINITY);
    LayerTrace lt;
    lt.layer = 2;
    lt.heads = std::move(heads);
    lt.attention = toArray(torch::softmax(logits, -1));
    return lt;
}

// The span and memory tensors of a 4-head layer whose config has them (spans z = 1.2 .. 6 tokens, 3 slots).
MechanismTensors spanAndMemoryTensors(const ModelConfig& c, int64_t H, int64_t d) {
    MechanismTensors tensors;
    if (c.mechanism<AdaptiveSpanConfig>()) tensors.slot(adaptive_span::kFraction) = torch::tensor({0.2f, 0.5f, 0.9f, 1.0f});
    if (c.mechanism<PersistentMemoryConfig>()) {
        tensors.slot(persistent_memory::kKeys) = torch::randn({H, 3, d}) * 2;
        tensors.slot(persistent_memory::kValues) = torch::randn({H, 3, d});
    }
    return tensors;
}

} // namespace

class TestLongInputs : public QObject {
    Q_OBJECT
private slots:
    // Every family setting the blocked path handles, at block sizes that split T unevenly, against the
    // explicit path: the same probabilities and outputs within float rounding.
    void blockedMatchesExplicit_data() {
        QTest::addColumn<bool>("causal");
        QTest::addColumn<int>("window");
        QTest::addColumn<double>("softcap");
        QTest::addColumn<int>("kvHeads");
        QTest::addColumn<bool>("gates");
        QTest::addColumn<int>("blockRows");
        QTest::addColumn<QString>("mechanism");   // besides gates: "span", "memory", "span+memory"
        QTest::newRow("causal, one row per block") << true << 0 << 0.0 << 4 << false << 1 << QString();
        QTest::newRow("causal, blocks of 7") << true << 0 << 0.0 << 4 << false << 7 << QString();
        QTest::newRow("causal, default blocks") << true << 0 << 0.0 << 4 << false << 0 << QString();
        QTest::newRow("bidirectional") << false << 0 << 0.0 << 4 << false << 5 << QString();
        QTest::newRow("sliding window 6") << true << 6 << 0.0 << 4 << false << 4 << QString();
        QTest::newRow("window wider than a block") << true << 9 << 0.0 << 4 << false << 3 << QString();
        QTest::newRow("bidirectional window") << false << 6 << 0.0 << 4 << false << 4 << QString();
        QTest::newRow("soft-capped, grouped query") << true << 0 << 5.0 << 2 << false << 6 << QString();
        QTest::newRow("head gates") << true << 0 << 0.0 << 4 << true << 8 << QString();
        QTest::newRow("adaptive span, reach inside T") << true << 0 << 0.0 << 4 << false << 5 << QStringLiteral("span");
        QTest::newRow("adaptive span, bidirectional") << false << 0 << 0.0 << 4 << false << 4 << QStringLiteral("span");
        QTest::newRow("persistent memory") << true << 0 << 0.0 << 2 << false << 6 << QStringLiteral("memory");
        QTest::newRow("span, memory and gates, window") << true << 7 << 0.0 << 4 << true << 3 << QStringLiteral("span+memory");
    }
    void blockedMatchesExplicit() {
        QFETCH(bool, causal);
        QFETCH(int, window);
        QFETCH(double, softcap);
        QFETCH(int, kvHeads);
        QFETCH(bool, gates);
        QFETCH(int, blockRows);
        QFETCH(QString, mechanism);
        torch::NoGradGuard noGrad;
        std::vector<std::string> mechanisms;
        if (gates) mechanisms.push_back("gates");
        if (mechanism.contains("span")) mechanisms.push_back("span");
        if (mechanism.contains("memory")) mechanisms.push_back("memory");
        ModelConfig c = test::tinyConfig(mechanisms, 1, 4, 16);
        c.causal = causal;
        QVERIFY(canAttendBlocked(c, 0));
        const int64_t B = 2, H = 4, T = 23, d = 4;
        torch::manual_seed(3);
        auto q = torch::randn({B, H, T, d}) * 2, k = torch::randn({B, kvHeads, T, d}) * 2, v = torch::randn({B, kvHeads, T, d});
        const MechanismTensors tensors = spanAndMemoryTensors(c, H, d);
        torch::Tensor g;
        if (gates) g = torch::tensor({1.0f, 0.0f, 0.5f, 0.25f});
        const auto headMask = torch::tensor({{1.0f, 1.0f, 0.0f, 1.0f}, {0.0f, 1.0f, 1.0f, 1.0f}});   // [B,H]
        AttentionSpec spec{causal, window, 0.0, softcap};
        const auto ref = attendExplicit(c, spec, tensors, q, k, v, g, headMask, 0, KeepAttention{});
        const auto got = attendBlocked(c, spec, tensors, q, k, v, g, headMask, KeepAttention{}, blockRows);
        QCOMPARE(got.capture.attention.sizes(), ref.capture.attention.sizes());
        QVERIFY2(maxDiff(got.capture.attention, ref.capture.attention) < 1e-6, qPrintable(QString::number(maxDiff(got.capture.attention, ref.capture.attention))));
        QVERIFY2(maxDiff(got.output, ref.output) < 1e-5, qPrintable(QString::number(maxDiff(got.output, ref.output))));
        QCOMPARE(got.capture.named.count("memory_attention"), ref.capture.named.count("memory_attention"));
        if (ref.capture.named.count("memory_attention"))
            QVERIFY(maxDiff(got.capture.named.at("memory_attention"), ref.capture.named.at("memory_attention")) < 1e-6);
        // Hidden keys are exactly 0 in both.
        QCOMPARE(got.capture.attention.eq(0).sum().item<int64_t>(), ref.capture.attention.eq(0).sum().item<int64_t>());

        // Keeping one head or none changes nothing computed: the same bits.
        const auto one = attendBlocked(c, spec, tensors, q, k, v, g, headMask, KeepAttention{true, {2}}, blockRows);
        const auto none = attendBlocked(c, spec, tensors, q, k, v, g, headMask, KeepAttention::none(), blockRows);
        QCOMPARE(one.capture.attention.size(1), int64_t(1));
        QVERIFY(torch::equal(one.capture.attention.select(1, 0), got.capture.attention.select(1, 2)));
        QVERIFY(!none.capture.attention.defined());
        QVERIFY(torch::equal(none.output, got.output) && torch::equal(one.output, got.output));
        const auto refOne = attendExplicit(c, spec, tensors, q, k, v, g, headMask, 0, KeepAttention{true, {2}});
        QVERIFY(torch::equal(refOne.capture.attention.select(1, 0), ref.capture.attention.select(1, 2)));
    }

    // Digests made block by block (keys before, on and after each block's rows) against the same digests of the
    // explicit path's whole matrix, on one sequence.
    void digestBlockedMatchesExplicit_data() {
        QTest::addColumn<bool>("causal");
        QTest::addColumn<int>("window");
        QTest::addColumn<int>("blockRows");
        QTest::addColumn<QString>("mechanism");
        QTest::newRow("causal, blocks of 5") << true << 0 << 5 << QString();
        QTest::newRow("bidirectional, blocks of 4") << false << 0 << 4 << QString();
        QTest::newRow("window 6, blocks of 3") << true << 6 << 3 << QString();
        QTest::newRow("bidirectional window, blocks of 7") << false << 6 << 7 << QString();
        QTest::newRow("span and memory, blocks of 3") << true << 0 << 3 << QStringLiteral("span+memory");
    }
    void digestBlockedMatchesExplicit() {
        QFETCH(bool, causal);
        QFETCH(int, window);
        QFETCH(int, blockRows);
        QFETCH(QString, mechanism);
        torch::NoGradGuard noGrad;
        std::vector<std::string> mechanisms;
        if (mechanism.contains("span")) mechanisms = {"span", "memory"};
        ModelConfig c = test::tinyConfig(mechanisms, 1, 4, 16);
        c.causal = causal;
        const int64_t H = 4, T = 29, d = 4;
        torch::manual_seed(11);
        auto q = torch::randn({1, H, T, d}) * 2, k = torch::randn({1, H, T, d}) * 2, v = torch::randn({1, H, T, d});
        const MechanismTensors tensors = spanAndMemoryTensors(c, H, d);
        KeepAttention keep = KeepAttention::none();
        keep.stats = true;
        keep.pooledSize = 6;   // cells of 5 tokens, the last of 4
        AttentionSpec spec{causal, window, 0.0, 0.0};
        const auto ref = attendExplicit(c, spec, tensors, q, k, v, {}, {}, 0, keep);
        const auto got = attendBlocked(c, spec, tensors, q, k, v, {}, {}, keep, blockRows);
        QCOMPARE(got.capture.pooledBin, int64_t(5));
        QVERIFY2(maxDiff(got.capture.statSums, ref.capture.statSums) < 1e-4, qPrintable(QString::number(maxDiff(got.capture.statSums, ref.capture.statSums))));
        QVERIFY(maxDiff(got.capture.pooledMax, ref.capture.pooledMax) < 1e-6);
        QVERIFY(maxDiff(got.capture.pooledMean, ref.capture.pooledMean) < 1e-6);
    }

    // The CPU's one pass over each block against the tensor operations used elsewhere, on the same blocks: rows of
    // 7, keys from the window's start to the last row (some blocks start past key 0).
    void digestOnePassMatchesTensors_data() {
        QTest::addColumn<int>("pooled");
        QTest::addColumn<int>("window");
        QTest::addColumn<bool>("causal");   // the one pass stops at each row's query
        QTest::newRow("cells of 5 tokens, the last of 4") << 6 << 0 << true;
        QTest::newRow("cells of 5, window 9") << 6 << 9 << true;
        QTest::newRow("one-token cells") << 32 << 0 << true;
        QTest::newRow("statistics only, window 4") << 0 << 4 << true;
        QTest::newRow("bidirectional, cells of 5") << 6 << 0 << false;
    }
    void digestOnePassMatchesTensors() {
        QFETCH(int, pooled);
        QFETCH(int, window);
        QFETCH(bool, causal);
        torch::NoGradGuard noGrad;
        const int64_t H = 3, T = 29, rows = 7;
        torch::manual_seed(5);
        auto logits = torch::randn({H, T, T}) * 3;
        auto hidden = causal ? torch::ones({T, T}, torch::kBool).triu(1) : torch::zeros({T, T}, torch::kBool);
        if (window > 0) hidden = hidden | torch::ones({T, T}, torch::kBool).tril(-window);
        const auto probs = torch::softmax(logits.masked_fill(hidden, -INFINITY), -1);
        KeepAttention keep = KeepAttention::none();
        keep.stats = true;
        keep.pooledSize = pooled;
        AttentionDigest onePass(keep, H, T, torch::kCPU, AttentionDigest::Path::OnePass, causal);
        AttentionDigest tensors(keep, H, T, torch::kCPU, AttentionDigest::Path::Tensors);
        for (int64_t i0 = 0; i0 < T; i0 += rows) {
            const int64_t n = std::min(rows, T - i0), col0 = window > 0 ? std::max<int64_t>(0, i0 - window + 1) : 0;
            const auto block = probs.narrow(1, i0, n).narrow(2, col0, (causal ? i0 + n : T) - col0);
            onePass.add(block, i0, col0);
            tensors.add(block, i0, col0);
        }
        LayerCapture got, want;
        onePass.finish(got);
        tensors.finish(want);
        QVERIFY2(maxDiff(got.statSums, want.statSums) < 1e-4, qPrintable(QString::number(maxDiff(got.statSums, want.statSums))));
        QCOMPARE(got.pooledBin, want.pooledBin);
        if (pooled == 0) return;
        QVERIFY(torch::equal(got.pooledMax, want.pooledMax));
        QVERIFY(maxDiff(got.pooledMean, want.pooledMean) < 1e-6);
    }

    // The one pass's inline logarithm against std::log over every binade of normal floats, a few thousand
    // values each: within one unit in the last place of the correctly rounded result, and exact at 1.
    void inlineLogMatchesStdLog() {
        double worstUlps = 0;
        float worstAt = 0;
        for (uint32_t bits = 0x00800000u; bits < 0x7f800000u; bits += 4099u) {
            float x;
            std::memcpy(&x, &bits, sizeof x);
            const double want = std::log(static_cast<double>(x));
            const float rounded = static_cast<float>(want);
            const double ulp = std::nextafter(std::fabs(rounded), INFINITY) - std::fabs(rounded);
            const double ulps = std::fabs(static_cast<double>(logPositive(x)) - want) / ulp;
            if (ulps > worstUlps) {
                worstUlps = ulps;
                worstAt = x;
            }
        }
        QVERIFY2(worstUlps <= 1.0, qPrintable(QString("%1 ulp at %2").arg(worstUlps).arg(double(worstAt), 0, 'g', 9)));
        QCOMPARE(logPositive(1.0f), 0.0f);
        HL_SAME_FLOAT(logPositive(0.5f), -0.693147181f);
    }

    // The blocked path is taken only where it is exact and nothing needs the full tensors.
    void blockedOnlyWhereItApplies() {
        QVERIFY(canAttendBlocked(test::tinyConfig(), 0) == !torch::GradMode::is_enabled());
        torch::NoGradGuard noGrad;
        QVERIFY(canAttendBlocked(test::tinyConfig(), 0));
        QVERIFY(canAttendBlocked(test::tinyConfig({"gates"}), 0));
        QVERIFY(canAttendBlocked(test::tinyConfig({"span"}), 0));
        QVERIFY(canAttendBlocked(test::tinyConfig({"memory", "span", "gates"}), 0));
        QVERIFY(!canAttendBlocked(test::tinyConfig({"selective"}), 0));
        QVERIFY(!canAttendBlocked(test::tinyConfig({"selective"}), 4));
        torch::AutoGradMode grad(true);
        QVERIFY(!canAttendBlocked(test::tinyConfig(), 0));
    }

    void headAndWindowShareTheMatrix() {
        const LayerTrace lt = syntheticLayer(9, {1, 4}, 1);
        const FloatArray h4 = headAttention(lt, 4);
        QCOMPARE(h4.shape(), (std::vector<int64_t>{9, 9}));
        QCOMPARE(h4.data(), lt.attention.data() + 81);   // no copy
        for (int64_t i = 0; i < 9; ++i)
            for (int64_t j = 0; j < 9; ++j) HL_SAME_FLOAT(h4.at({i, j}), lt.attention.at({1, i, j}));
        const FloatArray w = attentionWindow(lt, 1, {3, 4, 2, 5});
        QCOMPARE(w.shape(), (std::vector<int64_t>{4, 5}));
        for (int64_t i = 0; i < 4; ++i)
            for (int64_t j = 0; j < 5; ++j) HL_SAME_FLOAT(w.at({i, j}), lt.attention.at({0, 3 + i, 2 + j}));
        QVERIFY(test::errorOf([&] { headAttention(lt, 0); }).contains("did not capture head 0"));
        QVERIFY(test::errorOf([&] { attentionWindow(lt, 1, {5, 5, 0, -1}); }).contains("do not lie in a 9 x 9"));
        QVERIFY(test::errorOf([&] { attentionWindow(lt, 1, {-1, 2, 0, 2}); }).contains("do not lie"));
    }

    // Pooled cells against a scatter over the full matrix: every value goes to the cell whose bin holds it.
    void pooledAgainstScatter_data() {
        QTest::addColumn<int>("T");
        QTest::addColumn<int>("out");
        QTest::newRow("37 -> 8") << 37 << 8;
        QTest::newRow("64 -> 16") << 64 << 16;
        QTest::newRow("50 -> 49") << 50 << 49;
    }
    void pooledAgainstScatter() {
        QFETCH(int, T);
        QFETCH(int, out);
        const LayerTrace lt = syntheticLayer(T, {0}, 7);
        const FloatArray mean = pooledAttention(lt, 0, {}, out, out, Pooling::Mean);
        const FloatArray max = pooledAttention(lt, 0, {}, out, out, Pooling::Max);
        QCOMPARE(mean.shape(), (std::vector<int64_t>{out, out}));
        auto binOf = [&](int64_t i) {   // the last bin whose start is at or before i
            int64_t b = 0;
            while (b + 1 < out && (b + 1) * T / out <= i) ++b;
            return b;
        };
        std::vector<double> sum(static_cast<size_t>(out * out), 0.0), top(static_cast<size_t>(out * out), -1.0);
        std::vector<int> count(static_cast<size_t>(out * out), 0);
        for (int64_t i = 0; i < T; ++i)
            for (int64_t j = 0; j < T; ++j) {
                const size_t cell = static_cast<size_t>(binOf(i) * out + binOf(j));
                const double p = lt.attention.at({0, i, j});
                sum[cell] += p;
                top[cell] = std::max(top[cell], p);
                ++count[cell];
            }
        double total = 0;
        for (int64_t r = 0; r < out; ++r)
            for (int64_t cIdx = 0; cIdx < out; ++cIdx) {
                const size_t cell = static_cast<size_t>(r * out + cIdx);
                QVERIFY(std::fabs(mean.at({r, cIdx}) - sum[cell] / count[cell]) < 1e-6);
                HL_SAME_FLOAT(max.at({r, cIdx}), static_cast<float>(top[cell]));
                total += mean.at({r, cIdx}) * count[cell];
            }
        QVERIFY(std::fabs(total - T) < 1e-3);   // every row sums to 1
    }

    // Zooming in ends on exact values: a window no larger than the image is returned as it is.
    void pooledSmallWindowIsExact() {
        const LayerTrace lt = syntheticLayer(40, {3}, 2);
        const AttentionWindow w{10, 12, 5, 9};
        const FloatArray pooled = pooledAttention(lt, 3, w, 12, 16, Pooling::Max);
        QVERIFY(test::bitDiff(pooled, attentionWindow(lt, 3, w)).isEmpty());
        const FloatArray wide = pooledAttention(lt, 3, {0, 40, 0, 40}, 20, 40, Pooling::Mean);   // rows pooled in pairs only
        QCOMPARE(wide.shape(), (std::vector<int64_t>{20, 40}));
        QVERIFY(std::fabs(wide.at({7, 3}) - (lt.attention.at({0, 14, 3}) + lt.attention.at({0, 15, 3})) / 2) < 1e-7);
        QVERIFY(test::errorOf([&] { pooledAttention(lt, 3, {}, 0, 4, Pooling::Max); }).contains("at least one row"));
    }

    // One head captured: the same bits as that head of a full capture; a streamed run hands out each layer
    // once, the same as a whole run's, and keeps none.
    void engineCapturesAndStreams() {
        QTemporaryDir dir;
        const ModelConfig c = test::tinyConfig({"gates"}, 3, 4, 16, 11, 40);
        test::writeModel(dir.path().toStdString() + "/m", c, test::randomWeights(c, 5));
        const Engine e = Engine::load(dir.path().toStdString() + "/m");
        RunRequest req;
        for (int t = 0; t < 33; ++t) req.tokenIds.push_back((t * 7) % 11);
        req.reuseActivations = false;
        const Trace full = e.run(req);
        RunRequest oneHead = req;
        oneHead.capture.layers = {1};
        oneHead.capture.heads = {2};
        const Trace one = e.run(oneHead);
        QCOMPARE(one.layers.size(), size_t(1));
        const FloatArray expected({1, 33, 33}, headAttention(*full.layer(1), 2).toVector());
        QVERIFY(test::bitDiff(one.layers[0].attention, expected).isEmpty());
        QVERIFY(test::bitDiff(one.loss, full.loss).isEmpty());

        std::vector<LayerTrace> streamed;
        const Trace rest = e.run(req, [&](LayerTrace&& lt) { streamed.push_back(std::move(lt)); });
        QVERIFY(rest.layers.empty());
        QCOMPARE(streamed.size(), full.layers.size());
        for (size_t l = 0; l < streamed.size(); ++l) {
            QCOMPARE(streamed[l].layer, full.layers[l].layer);
            QVERIFY(test::bitDiff(streamed[l].attention, full.layers[l].attention).isEmpty());
            QVERIFY(test::bitDiff(streamed[l]["gate"], full.layers[l]["gate"]).isEmpty());
        }
        QVERIFY(test::bitDiff(rest.logits, full.logits).isEmpty());
    }

    // Every head digested in the pass against its full capture: the statistics against head_metrics.h's own
    // loop over the captured matrices, the pooled images against a scatter of every probability into its cell.
    // Blocked (gates, span, memory) and explicit (selective) paths, cells that do and do not divide T, no pooling.
    void digestMatchesFullCapture_data() {
        QTest::addColumn<QString>("mechanism");
        QTest::addColumn<bool>("causal");
        QTest::addColumn<int>("T");
        QTest::addColumn<int>("pooled");
        QTest::newRow("blocked, 8-token cells") << "gates" << true << 40 << 5;
        QTest::newRow("blocked, uneven cells") << "gates" << true << 37 << 6;
        QTest::newRow("bidirectional") << "" << false << 30 << 4;
        QTest::newRow("no pooling needed") << "gates" << true << 20 << 32;
        QTest::newRow("blocked with a span") << "span" << true << 33 << 5;
        QTest::newRow("blocked with memory") << "memory" << true << 29 << 7;
        QTest::newRow("explicit: selective attention") << "selective" << true << 31 << 6;
    }
    void digestMatchesFullCapture() {
        QFETCH(QString, mechanism);
        QFETCH(bool, causal);
        QFETCH(int, T);
        QFETCH(int, pooled);
        QTemporaryDir dir;
        std::vector<std::string> mechanisms;
        if (!mechanism.isEmpty()) mechanisms.push_back(mechanism.toStdString());
        ModelConfig c = test::tinyConfig(mechanisms, 2, 3, 12, 11, 48);
        c.causal = causal;
        test::writeModel(dir.path().toStdString() + "/m", c, test::randomWeights(c, 3));
        const Engine e = Engine::load(dir.path().toStdString() + "/m");
        RunRequest req;
        for (int t = 0; t < T; ++t) req.tokenIds.push_back((t * 5 + 1) % 11);
        req.capture.headStats = true;
        req.capture.pooledSize = pooled;
        const Trace full = e.run(req);
        QCOMPARE(full.digests.size(), size_t(2));
        Trace capturedOnly = full, digestOnly = full;
        capturedOnly.digests.clear();
        digestOnly.layers.clear();
        for (auto metric : {&attentionEntropy, &maxAttentionWeight, &meanAttentionDistance, &firstTokenShare}) {
            const FloatArray want = metric(capturedOnly, c), got = metric(digestOnly, c);
            for (int64_t i = 0; i < want.size(); ++i)
                QVERIFY2(std::fabs(want.data()[i] - got.data()[i]) <= 2e-5 * (1 + std::fabs(want.data()[i])),
                         qPrintable(QString("%1 vs %2").arg(got.data()[i]).arg(want.data()[i])));
        }
        const int64_t bin = pooledBin(T, pooled), C = (T + bin - 1) / bin;
        for (const LayerDigest& d : full.digests) {
            QCOMPARE(d.bin, bin);
            QCOMPARE(d.pooledMax.shape(), (std::vector<int64_t>{3, C, C}));
            const QString diff = test::pooledDiff(d, *full.layer(d.layer));
            QVERIFY2(diff.isEmpty(), qPrintable(diff));
        }
    }

    // Switching heads on a long input: one layer captured again from its kept input has the bits of a run that
    // captured that head, pruned heads and the digests of an incremental run included.
    void recaptureMatchesRun() {
        QTemporaryDir dir;
        const ModelConfig c = test::tinyConfig({"gates"}, 3, 4, 16, 11, 40);
        test::writeModel(dir.path().toStdString() + "/m", c, test::randomWeights(c, 8));
        const Engine e = Engine::load(dir.path().toStdString() + "/m");
        RunRequest req;
        for (int t = 0; t < 35; ++t) req.tokenIds.push_back((t * 3) % 11);
        req.headMask = parsePruneList("0.1,2.3", c, "prune");
        req.capture.layers = {0};
        req.capture.heads = {0};
        req.capture.headStats = true;
        req.capture.pooledSize = 8;
        const Trace shown = e.run(req);
        const LayerTrace again = e.recaptureLayer(req, 2, {1, 3});
        RunRequest wide = req;
        wide.capture.layers = {2};
        wide.capture.heads = {1, 3};
        wide.reuseActivations = false;
        const Trace reference = e.run(wide);
        QCOMPARE(again.heads, (std::vector<int>{1, 3}));
        QVERIFY(test::bitDiff(again.attention, reference.layer(2)->attention).isEmpty());
        QVERIFY(test::bitDiff(again["gate"], (*reference.layer(2))["gate"]).isEmpty());
        // Pruning one more head in layer 1 recomputes layers 1 and 2 only; layer 0's digest is the kept one.
        RunRequest pruned = req;
        pruned.headMask = parsePruneList("0.1,1.0,2.3", c, "prune");
        const Trace incremental = e.run(pruned);
        QCOMPARE(incremental.timings.firstLayerRun, 1);
        pruned.reuseActivations = false;
        const Trace fresh = e.run(pruned);
        QCOMPARE(incremental.digests.size(), fresh.digests.size());
        for (size_t l = 0; l < fresh.digests.size(); ++l) {
            QVERIFY(test::bitDiff(incremental.digests[l].entropy, fresh.digests[l].entropy).isEmpty());
            QVERIFY(test::bitDiff(incremental.digests[l].pooledMean, fresh.digests[l].pooledMean).isEmpty());
        }
        // The kept run is now the one with three heads pruned: another mask or other tokens need a run first.
        QVERIFY(test::errorOf([&] { e.recaptureLayer(req, 0, {}); }).contains("keeps no run of these tokens"));
        RunRequest other = pruned;
        other.tokenIds = {1, 2, 3};
        QVERIFY(test::errorOf([&] { e.recaptureLayer(other, 0, {}); }).contains("keeps no run of these tokens"));
        RunRequest prunedLayer1 = pruned;
        prunedLayer1.capture.layers = {1};
        QVERIFY(test::bitDiff(e.recaptureLayer(pruned, 1, {0}).attention, e.run(prunedLayer1).layer(1)->attention).isEmpty());
        // Progress after every layer; throwing from it stops the run.
        std::vector<int> done;
        RunRequest watched = pruned;
        watched.progress = [&](int n, int layers) {
            QCOMPARE(layers, 3);
            done.push_back(n);
            if (n == 2) throw std::runtime_error("stop");
        };
        QVERIFY(test::errorOf([&] { e.run(watched); }).contains("stop"));
        QCOMPARE(done, (std::vector<int>{1, 2}));
        QVERIFY(test::errorOf([&] { e.recaptureLayer(pruned, 3, {}); }).contains("layer 3 does not exist"));
        QVERIFY(test::errorOf([&] { e.recaptureLayer(pruned, 0, {4}); }).contains("head 4 does not exist"));
    }

    // A streamed file reads back as the whole trace written at once.
    void streamedHdf5ReadsBack() {
        QTemporaryDir dir;
        const std::string root = dir.path().toStdString();
        const ModelConfig c = test::tinyConfig({"gates"}, 2, 2, 8, 11, 30);
        test::writeModel(root + "/m", c, test::randomWeights(c, 9));
        const Engine e = Engine::load(root + "/m");
        RunRequest req;
        req.tokenIds = e.encode("^abcabcab");
        req.capture.heads = {1};
        const Provenance p = {{"tool", "test"}, {"text", "abc"}};
        const Trace streamedRun = runToTraceHdf5(e, req, root + "/streamed.h5", p);
        QVERIFY(streamedRun.layers.empty());
        const Trace whole = e.run(req);
        writeTraceHdf5(root + "/whole.h5", whole, p);
        const LoadedTrace a = readTraceHdf5(root + "/streamed.h5"), b = readTraceHdf5(root + "/whole.h5");
        QVERIFY(a.provenance == b.provenance);
        QCOMPARE(a.trace.tokenIds, b.trace.tokenIds);
        QCOMPARE(a.trace.tokens, b.trace.tokens);
        QVERIFY(test::bitDiff(a.trace.logits, b.trace.logits).isEmpty());
        QVERIFY(test::bitDiff(a.trace.loss, b.trace.loss).isEmpty());
        QVERIFY(test::bitDiff(a.trace.headMask, b.trace.headMask).isEmpty());
        QCOMPARE(a.trace.layers.size(), size_t(2));
        for (size_t l = 0; l < 2; ++l) {
            QCOMPARE(a.trace.layers[l].heads, std::vector<int>{1});
            for (const auto& [name, array] : b.trace.layers[l].named()) {
                const FloatArray* mine = nullptr;
                for (const auto& [n2, a2] : a.trace.layers[l].named())
                    if (std::string(n2) == name) mine = a2;
                QVERIFY2(mine && test::bitDiff(*mine, *array).isEmpty(), name.c_str());
            }
        }
        QVERIFY(test::leftovers(dir.path()).isEmpty());
        // Bad input fails before a file appears.
        RunRequest bad = req;
        bad.capture.heads = {5};
        QVERIFY(test::errorOf([&] { runToTraceHdf5(e, bad, root + "/bad.h5", p); }).contains("head 5 does not exist"));
        QVERIFY(!QFile::exists(dir.path() + "/bad.h5"));
        QVERIFY(test::leftovers(dir.path()).isEmpty());
    }

    // GPT-2 small's shape at 2048 tokens, counted by hand: 12 D^2 weights per layer (q, k, v, output: 4 D^2;
    // MLP: 8 D^2), two products of d per head over the T (T + 1) / 2 causal pairs, and the output layer.
    void flopsByHand() {
        ModelConfig c = test::tinyConfig({}, 12, 12, 768, 96, 2048);
        const double T = 2048, D = 768;
        const double expected = 12 * (2 * T * 12 * D * D + 2 * 2 * D * T * (T + 1) / 2) + 2 * T * D * 96;
        QVERIFY(std::fabs(forwardFlops(c, 2048) - expected) / expected < 1e-12);
        QVERIFY(std::fabs(expected / 1e9 - 425.54) < 0.01);   // the 425 GFLOP the issue counts
        c.causal = false;   // every pair
        QVERIFY(std::fabs(forwardFlops(c, 2048) - (expected + 12 * 2 * 2 * D * (T * T - T * (T + 1) / 2))) / expected < 1e-12);
        c.causal = true;
        c.slidingWindow.assign(12, 16);   // at most 16 keys per query
        const double windowed = 12 * (2 * T * 12 * D * D + 2 * 2 * D * (16 * 17 / 2 + (T - 16) * 16)) + 2 * T * D * 96;
        QVERIFY(std::fabs(forwardFlops(c, 2048) - windowed) / windowed < 1e-12);
        QVERIFY(matmulFlopsPerSecond(128, 2) > 1e8);   // any CPU this runs on does 0.1 GFLOP/s
        // A gated MLP (Llama-style families: gate, up and down) has three matrices, asked of the family, not of
        // model_type; grouped-query k/v projections are Hkv*d wide. Llama-3.2-1B's shape at T = 16.
        const ModelConfig llama = ModelConfig::fromJson(R"({"model_type": "llama", "vocab_size": 128256, "hidden_size": 2048,
            "intermediate_size": 8192, "num_hidden_layers": 16, "num_attention_heads": 32, "num_key_value_heads": 8,
            "max_position_embeddings": 131072, "rms_norm_eps": 1e-5})", "llama config");
        const double t = 16, d = 64, projections = 2048.0 * 2048 + 2 * 2048.0 * 8 * d + 2048.0 * 2048, mlp = 3 * 2048.0 * 8192;
        const double llamaFlops = 16 * (2 * t * (projections + mlp) + 2 * 2 * d * 32 * (t * (t + 1) / 2)) + 2 * t * 2048 * 128256;
        QVERIFY(std::fabs(forwardFlops(llama, 16) - llamaFlops) / llamaFlops < 1e-12);
    }
};

QTEST_GUILESS_MAIN(TestLongInputs)
#include "test_long_inputs.moc"
