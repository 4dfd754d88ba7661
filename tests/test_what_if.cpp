// Pruning what-ifs in the app: incremental recomputation bit-identical to a full run, the run comparison
// against hand-computed numbers, and the head-mask presets.
#include "headlight/engine.h"
#include "headlight/tasks.h"
#include "headlight/training.h"
#include "headlight/what_if.h"
#include "test_support.h"

#include <QTemporaryDir>
#include <QtTest>
#include <atomic>
#include <cmath>
#include <thread>

using namespace headlight;

namespace {

const std::string kAllMechanisms = test::sourcePath("sample_models/random-all-mechanisms");
const std::string kGates = test::sourcePath("sample_models/induction-gates");

// Empty when the two traces agree bit for bit on logits, loss and every captured array; else what differs.
QString traceBitDiff(const Trace& a, const Trace& b) {
    QString d = test::bitDiff(a.logits, b.logits);
    if (!d.isEmpty()) return "logits: " + d;
    if (!(d = test::bitDiff(a.loss, b.loss)).isEmpty()) return "loss: " + d;
    if (a.layers.size() != b.layers.size()) return QString("%1 vs %2 layers").arg(a.layers.size()).arg(b.layers.size());
    for (size_t i = 0; i < a.layers.size(); ++i) {
        if (a.layers[i].layer != b.layers[i].layer || a.layers[i].heads != b.layers[i].heads) return "layer indices differ";
        const auto na = a.layers[i].named(), nb = b.layers[i].named();
        for (size_t k = 0; k < na.size(); ++k)
            if (!(d = test::bitDiff(*na[k].second, *nb[k].second)).isEmpty())
                return QString("layer %1 %2: %3").arg(a.layers[i].layer).arg(QString::fromStdString(na[k].first)).arg(d);
    }
    return {};
}

std::vector<int64_t> someIds(const ModelConfig& c, int T, int salt = 0) {
    std::vector<int64_t> ids;
    for (int t = 0; t < T; ++t) ids.push_back((t * 7 + 3 + salt) % c.vocabSize);
    return ids;
}

// A mixed mask (kept, pruned and scaled heads) whose rows all differ from all ones.
std::vector<float> mixedMask(const ModelConfig& c) {
    std::vector<float> m(static_cast<size_t>(c.nLayer * c.nHead), 1.0f);
    for (int l = 0; l < c.nLayer; ++l) m[static_cast<size_t>(l * c.nHead + (l % c.nHead))] = l % 2 ? 0.5f : 0.0f;
    return m;
}

// `m` changed at layer `first` and at the last layer (so the change is not only in one row).
std::vector<float> changedFrom(std::vector<float> m, const ModelConfig& c, int first) {
    const auto at = [&](int l, int h) -> float& { return m[static_cast<size_t>(l * c.nHead + h)]; };
    at(first, (first + 1) % c.nHead) = at(first, (first + 1) % c.nHead) == 0.0f ? 1.0f : 0.0f;
    at(c.nLayer - 1, 0) = 0.25f;
    return m;
}

// Values [T,V] = [2,3] chosen by hand; `loss` [1] as given.
Trace handTrace(std::vector<float> logits, float loss) {
    Trace t;
    t.tokenIds = {2, 0};
    t.logits = test::values({2, 3}, std::move(logits));
    t.loss = test::values({1}, {loss});
    return t;
}

std::vector<double> softmax(const std::vector<double>& x) {
    double z = 0;
    for (double v : x) z += std::exp(v);
    std::vector<double> p;
    for (double v : x) p.push_back(std::exp(v) / z);
    return p;
}

} // namespace

class TestWhatIf : public QObject {
    Q_OBJECT

    QTemporaryDir tmp_;
    std::string tiny_;

private slots:
    void initTestCase() {
        QVERIFY(tmp_.isValid());
        tiny_ = tmp_.filePath("tiny").toStdString();
        const ModelConfig c = test::tinyConfig({"gates", "span", "selective", "memory"}, 4, 3, 12, 13, 32);
        test::writeModel(tiny_, c, test::randomWeights(c, 21));
    }

    void incrementalEqualsFullRun_data() {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("request");
        for (const char* request : {"full capture", "filtered capture", "context budget", "no capture"}) {
            QTest::newRow(qPrintable(QString("random-all-mechanisms, ") + request)) << "sample" << request;
            QTest::newRow(qPrintable(QString("tiny 4 layers, ") + request)) << "tiny" << request;
        }
        // Real families (grouped-query attention, rotary, sliding windows, parallel residual, sandwich norms).
        for (const char* family : {"llama", "qwen3", "gpt_neox", "gemma2"})
            for (const char* request : {"full capture", "filtered capture"})
                QTest::newRow(qPrintable(QString(family) + ", " + request)) << family << request;
    }
    // For each layer l: after a run under m1, a run under m2 (first differing at l) starts at l and equals,
    // bit for bit, a full run of m2; toggling back and forth stays exact.
    void incrementalEqualsFullRun() {
        QFETCH(QString, model);
        QFETCH(QString, request);
        const std::string dir = model == "sample" ? kAllMechanisms : model == "tiny" ? tiny_
                                : std::string(HEADLIGHT_SHARED_DIR) + "/data/hf-reference/models/" + model.toStdString();
        Engine e = Engine::load(dir), fresh = Engine::load(dir);
        fresh.setReuseActivations(false);
        QVERIFY(e.reuseActivations());
        QVERIFY(!fresh.reuseActivations());
        const ModelConfig& c = e.config();
        RunRequest r;
        r.tokenIds = someIds(c, 24);
        if (request == "filtered capture") {
            r.capture.layers = {0, c.nLayer - 1};
            r.capture.heads = {1, 2};
        }
        if (request == "context budget") {   // binding budgets: 24 tokens, layers keep 5, all, 3, ...
            for (int l = 0; l < c.nLayer; ++l) r.contextBudget.push_back(l % 2 ? 0 : 5 - 2 * (l % 4 == 2));
        }
        if (request == "no capture") r.capture = CaptureSpec::none();
        const std::vector<float> m1 = mixedMask(c);
        for (int l = 0; l < c.nLayer; ++l) {
            const std::vector<float> m2 = changedFrom(m1, c, l);
            RunRequest a = r, b = r;
            a.headMask = m1;
            b.headMask = m2;
            const Trace refA = fresh.run(a), refB = fresh.run(b);
            QCOMPARE(refB.timings.firstLayerRun, 0);
            QVERIFY(test::maxAbsDiff(refA.loss, refB.loss) > 0);   // the change matters
            e.run(a);
            for (int round = 0; round < 2; ++round) {   // m1 -> m2 -> m1 -> m2 -> m1
                const Trace gotB = e.run(b);
                QCOMPARE(gotB.timings.firstLayerRun, l);
                QVERIFY2(traceBitDiff(gotB, refB).isEmpty(), qPrintable(QString("layer %1: %2").arg(l).arg(traceBitDiff(gotB, refB))));
                const Trace gotA = e.run(a);
                QCOMPARE(gotA.timings.firstLayerRun, l);
                QVERIFY2(traceBitDiff(gotA, refA).isEmpty(), qPrintable(QString("layer %1 back: %2").arg(l).arg(traceBitDiff(gotA, refA))));
            }
            // The same request again: only the output head runs.
            const Trace again = e.run(a);
            QCOMPARE(again.timings.firstLayerRun, c.nLayer);
            QVERIFY(traceBitDiff(again, refA).isEmpty());
        }
        // An empty mask equals all ones: no row changes.
        RunRequest ones = r;
        ones.headMask.assign(m1.size(), 1.0f);
        e.run(ones);
        RunRequest none = r;
        const Trace unmasked = e.run(none);
        QCOMPARE(unmasked.timings.firstLayerRun, c.nLayer);
        QVERIFY(traceBitDiff(unmasked, fresh.run(none)).isEmpty());
    }

    // Anything but the mask changes the layers' inputs or what is kept: a full run.
    void otherChangesRunEverything() {
        Engine e = Engine::load(kAllMechanisms), fresh = Engine::load(kAllMechanisms);
        fresh.setReuseActivations(false);
        const ModelConfig& c = e.config();
        RunRequest r;
        r.tokenIds = someIds(c, 20);
        r.headMask = mixedMask(c);
        QCOMPARE(e.run(r).timings.firstLayerRun, 0);
        const auto lastLayerOnly = changedFrom(r.headMask, c, c.nLayer - 1);
        auto expectFull = [&](const RunRequest& changed, const char* what) {
            RunRequest masked = changed;
            masked.headMask = lastLayerOnly;   // would start at the last layer if reuse applied
            const Trace got = e.run(masked);
            QVERIFY2(got.timings.firstLayerRun == 0, what);
            QVERIFY2(traceBitDiff(got, fresh.run(masked)).isEmpty(), what);
            QCOMPARE(e.run(changed).timings.firstLayerRun, c.nLayer - 1);   // and the new input is kept
        };
        RunRequest tokens = r;
        tokens.tokenIds = someIds(c, 20, 1);
        expectFull(tokens, "other tokens");
        RunRequest shorter = tokens;
        shorter.tokenIds.pop_back();
        expectFull(shorter, "fewer tokens");
        RunRequest budget = shorter;
        budget.contextBudget = {4, 0};
        expectFull(budget, "context budget");
        RunRequest capture = budget;
        capture.capture.heads = {0};
        expectFull(capture, "capture heads");
        RunRequest logits = capture;
        logits.capture.logits = false;
        expectFull(logits, "capture logits");

        e.setReuseActivations(false);
        QCOMPARE(e.run(logits).timings.firstLayerRun, 0);
        QCOMPARE(e.run(logits).timings.firstLayerRun, 0);
        e.setReuseActivations(true);
        QCOMPARE(e.run(logits).timings.firstLayerRun, 0);   // nothing was kept while off
        QCOMPARE(e.run(logits).timings.firstLayerRun, c.nLayer);
    }

    // A run that opts out (batch evaluations) neither reuses nor replaces the kept run, so the interactive
    // what-if still starts at its changed layer afterwards; the evaluation helpers opt out.
    void optedOutRunsLeaveTheKeptRunAlone() {
        Engine e = Engine::load(kGates), fresh = Engine::load(kGates);
        fresh.setReuseActivations(false);
        const ModelConfig& c = e.config();
        RunRequest r;
        r.tokenIds = someIds(c, 20);
        QCOMPARE(e.run(r).timings.firstLayerRun, 0);
        RunRequest other = r;
        other.tokenIds = someIds(c, 20, 1);
        other.reuseActivations = false;
        QCOMPARE(e.run(other).timings.firstLayerRun, 0);
        QCOMPARE(e.run(other).timings.firstLayerRun, 0);   // not kept either
        // evaluate() runs many examples through the engine: they opt out too.
        evaluate(e, *makeTask(TaskParams::fromJson(R"({"name": "induction", "alphabet": "abcdef"})", "test")), 5, 7);
        RunRequest masked = r;
        masked.headMask = changedFrom(std::vector<float>(static_cast<size_t>(c.nLayer * c.nHead), 1.0f), c, c.nLayer - 1);
        const Trace got = e.run(masked);
        QCOMPARE(got.timings.firstLayerRun, c.nLayer - 1);
        QVERIFY(traceBitDiff(got, fresh.run(masked)).isEmpty());
    }

    // Two threads alternating masks on one engine: every result equals the full run of its own request.
    void concurrentRunsStayExact() {
        const Engine e = Engine::load(tiny_);
        Engine fresh = Engine::load(tiny_);
        fresh.setReuseActivations(false);
        const ModelConfig& c = e.config();
        std::vector<RunRequest> requests;
        std::vector<Trace> expected;
        for (int l = 0; l < c.nLayer; ++l) {
            RunRequest r;
            r.tokenIds = someIds(c, 16);
            r.headMask = changedFrom(mixedMask(c), c, l);
            requests.push_back(r);
            expected.push_back(fresh.run(r));
        }
        std::atomic<int> mismatches{0}, reused{0};
        auto work = [&](int offset) {
            for (int i = 0; i < 40; ++i) {
                const size_t k = static_cast<size_t>(i + offset) % requests.size();
                const Trace t = e.run(requests[k]);
                if (!traceBitDiff(t, expected[k]).isEmpty()) ++mismatches;
                if (t.timings.firstLayerRun > 0) ++reused;
            }
        };
        std::thread other(work, 1);
        work(0);
        other.join();
        QCOMPARE(mismatches.load(), 0);
        QVERIFY(reused.load() > 0);   // the kept run was used at all
    }

    void compareRunsByHand() {
        // before: row 0 logits (1, 2, 3), row 1 (0, 0, 0); after: (1, 2, 1), (0.5, 0, -0.5).
        const Trace before = handTrace({1, 2, 3, 0, 0, 0}, 0.5f), after = handTrace({1, 2, 1, 0.5f, 0, -0.5f}, 1.25f);
        const RunComparison cmp = compareRuns(before, after, 2);
        QCOMPARE(cmp.lossBefore, 0.5);
        QCOMPARE(cmp.lossAfter, 1.25);
        QVERIFY(std::fabs(cmp.perplexityBefore - std::exp(0.5)) < 1e-12);
        QVERIFY(std::fabs(cmp.perplexityAfter - std::exp(1.25)) < 1e-12);
        const std::vector<std::vector<double>> lb = {{1, 2, 3}, {0, 0, 0}}, la = {{1, 2, 1}, {0.5, 0, -0.5}};
        QCOMPARE(cmp.kl.size(), size_t(2));
        for (size_t i = 0; i < 2; ++i) {
            const auto p = softmax(lb[i]), q = softmax(la[i]);
            double kl = 0;
            for (size_t v = 0; v < 3; ++v) kl += p[v] * std::log(p[v] / q[v]);
            QVERIFY2(std::fabs(cmp.kl[i] - kl) < 1e-6, qPrintable(QString("row %1: %2 vs %3").arg(i).arg(cmp.kl[i]).arg(kl)));
            QVERIFY(kl > 0.05);   // not a vacuous check
        }
        QVERIFY(std::fabs(cmp.maxAbsLogitChange - 2.0) < 1e-12);   // |1 - 3| at row 0, token 2
        // Top 2, most probable first: before row 0 = tokens 2, 1; after row 0 = 1 first (0 and 2 tie behind it).
        QCOMPARE(cmp.topBefore.size(), size_t(2));
        QCOMPARE(cmp.topBefore[0].size(), size_t(2));
        QCOMPARE(cmp.topBefore[0][0].id, int64_t(2));
        QCOMPARE(cmp.topBefore[0][1].id, int64_t(1));
        QVERIFY(std::fabs(cmp.topBefore[0][0].probability - softmax(lb[0])[2]) < 1e-6);
        QCOMPARE(cmp.topAfter[0][0].id, int64_t(1));
        QVERIFY(std::fabs(cmp.topAfter[0][0].probability - softmax(la[0])[1]) < 1e-6);
        QCOMPARE(cmp.topAfter[1][0].id, int64_t(0));
        QCOMPARE(cmp.topAfter[1][1].id, int64_t(1));
        QVERIFY(std::fabs(cmp.topAfter[1][1].probability - softmax(la[1])[1]) < 1e-6);

        // topK beyond the vocabulary: all three, and the uniform row's ties in id order.
        const RunComparison all = compareRuns(before, after, 10);
        QCOMPARE(all.topBefore[1].size(), size_t(3));
        for (int v = 0; v < 3; ++v) {
            QCOMPARE(all.topBefore[1][static_cast<size_t>(v)].id, int64_t(v));
            QVERIFY(std::fabs(all.topBefore[1][static_cast<size_t>(v)].probability - 1.0 / 3) < 1e-6);
        }
        QVERIFY(compareRuns(before, after, 0).topAfter[0].empty());

        const RunComparison same = compareRuns(before, before);
        for (float kl : same.kl) QCOMPARE(kl, 0.0f);
        QCOMPARE(same.maxAbsLogitChange, 0.0);
        QCOMPARE(same.lossAfter, same.lossBefore);
    }

    // attentionChange [L,H]: the mean over queries of 1/2 sum_j |after - before|, worked out here by hand for a
    // 2-token, 1-layer, 2-head run; NaN for a head only one run captured.
    void attentionChangeByHand() {
        Trace before = handTrace({1, 2, 3, 0, 0, 0}, 0.5f), after = handTrace({1, 2, 1, 0.5f, 0, -0.5f}, 1.25f);
        before.headMask = after.headMask = test::values({2, 2}, {1, 1, 0, 1});
        LayerTrace b0, a0;
        b0.layer = a0.layer = 0;
        b0.heads = a0.heads = {0, 1};
        // head 0: rows (1, 0), (0.5, 0.5) -> (1, 0), (0.9, 0.1); head 1 unchanged.
        b0.attention = test::values({2, 2, 2}, {1, 0, 0.5f, 0.5f, 1, 0, 0.2f, 0.8f});
        a0.attention = test::values({2, 2, 2}, {1, 0, 0.9f, 0.1f, 1, 0, 0.2f, 0.8f});
        LayerTrace b1 = b0, a1 = a0;
        b1.layer = a1.layer = 1;
        b1.heads = {1};   // layer 1: only head 1 captured in the unpruned run
        b1.attention = test::values({1, 2, 2}, {1, 0, 0.3f, 0.7f});
        a1.attention = test::values({2, 2, 2}, {1, 0, 1, 0, 1, 0, 0.6f, 0.4f});
        before.layers = {b0, b1};
        after.layers = {a0, a1};
        const RunComparison cmp = compareRuns(before, after);
        QCOMPARE(cmp.attentionChange.shape(), (std::vector<int64_t>{2, 2}));
        // (0 + 1/2 (0.4 + 0.4)) / 2 queries = 0.2; layer 1 head 1: (0 + 1/2 (0.3 + 0.3)) / 2 = 0.15.
        QVERIFY(std::fabs(cmp.attentionChange.at({0, 0}) - 0.2) < 1e-6);
        QCOMPARE(cmp.attentionChange.at({0, 1}), 0.0f);
        QVERIFY(std::isnan(cmp.attentionChange.at({1, 0})));
        QVERIFY(std::fabs(cmp.attentionChange.at({1, 1}) - 0.15) < 1e-6);
        // Runs that captured no layers and carry no mask: no heads, an empty array.
        const Trace bare = handTrace({1, 2, 3, 0, 0, 0}, 0.5f);
        QCOMPARE(compareRuns(bare, bare).attentionChange.size(), int64_t(0));
    }

    // meanLossOver: the mean of the listed predictions' losses; out-of-range indices ignored, NaN for none.
    void meanLossOverScoredPredictions() {
        Trace t;
        t.loss = test::values({4}, {1.0f, 2.0f, 4.0f, 8.0f});
        QCOMPARE(meanLossOver(t, {1, 3}), 5.0);
        QCOMPARE(meanLossOver(t, {0, 1, 2, 3}), t.meanLoss());
        QCOMPARE(meanLossOver(t, {3, 9, -1}), 8.0);
        QVERIFY(std::isnan(meanLossOver(t, {})));
        QVERIFY(std::isnan(meanLossOver(Trace{}, {0})));
    }

    void compareRunsRejectsMismatches() {
        const Trace a = handTrace({1, 2, 3, 0, 0, 0}, 0.5f);
        Trace otherTokens = a;
        otherTokens.tokenIds = {2, 1};
        QVERIFY(test::errorOf([&] { compareRuns(a, otherTokens); }).startsWith("run comparison: "));
        QVERIFY(test::errorOf([&] { compareRuns(a, otherTokens); }).contains("different tokens"));
        Trace noLogits = a;
        noLogits.logits = FloatArray();
        QVERIFY(test::errorOf([&] { compareRuns(a, noLogits); }).contains("no logits"));
        QVERIFY(test::errorOf([&] { compareRuns(noLogits, a); }).contains("no logits"));
        Trace otherVocab = a;
        otherVocab.logits = test::values({2, 2}, {1, 2, 3, 4});
        QVERIFY(test::errorOf([&] { compareRuns(a, otherVocab); }).startsWith("run comparison: "));
    }

    // A real model: the comparison's KL equals the definition computed here from the traces' logits.
    void compareRunsOnEngine() {
        const Engine e = Engine::load(kAllMechanisms);
        RunRequest r;
        r.tokenIds = someIds(e.config(), 12);
        const Trace before = e.run(r);
        r.headMask = mixedMask(e.config());
        const Trace after = e.run(r);
        const RunComparison cmp = compareRuns(before, after, 3);
        const int64_t T = before.logits.dim(0), V = before.logits.dim(1);
        QCOMPARE(cmp.kl.size(), size_t(T));
        double maxChange = 0;
        for (int64_t i = 0; i < T; ++i) {
            std::vector<double> lb, la;
            for (int64_t v = 0; v < V; ++v) {
                lb.push_back(before.logits.at({i, v}));
                la.push_back(after.logits.at({i, v}));
                maxChange = std::max(maxChange, std::fabs(lb.back() - la.back()));
            }
            const auto p = softmax(lb), q = softmax(la);
            double kl = 0;
            for (int64_t v = 0; v < V; ++v) kl += p[static_cast<size_t>(v)] * std::log(p[static_cast<size_t>(v)] / q[static_cast<size_t>(v)]);
            QVERIFY2(std::fabs(cmp.kl[static_cast<size_t>(i)] - kl) < 1e-5 + 1e-4 * kl, qPrintable(QString("%1 vs %2").arg(cmp.kl[static_cast<size_t>(i)]).arg(kl)));
        }
        QVERIFY(std::fabs(cmp.maxAbsLogitChange - maxChange) < 1e-6);
        QVERIFY(cmp.maxAbsLogitChange > 1e-3);
        QVERIFY(std::fabs(cmp.lossAfter - after.meanLoss()) < 1e-12);
    }

    void presetsByHand() {
        // [2,3] scores with ties (0.1 three times) and a NaN.
        const FloatArray s = test::values({2, 3}, {0.5f, 0.1f, NAN, 0.1f, 0.7f, 0.1f});
        using M = std::vector<float>;
        QCOMPARE(pruneLeastImportant(s, 2), (M{1, 0, 1, 0, 1, 1}));               // ties: lower (layer, head) first
        QCOMPARE(pruneLeastImportant(s, 2, {1, 0, 1, 1, 1, 1}), (M{1, 0, 1, 0, 1, 0}));   // already pruned heads skipped
        QCOMPARE(pruneLeastImportant(s, 3, {1, 1, 1, 1, 0.5f, 1}), (M{1, 0, 1, 0, 0.5f, 0}));
        QCOMPARE(pruneLeastImportant(s, 100), (M{0, 0, 1, 0, 0, 0}));             // NaN is never chosen
        QCOMPARE(pruneLeastImportant(s, 0), (M{1, 1, 1, 1, 1, 1}));
        QCOMPARE(pruneLeastImportant(s, -3), (M{1, 1, 1, 1, 1, 1}));
        QVERIFY(test::errorOf([&] { pruneLeastImportant(s, 1, {1, 1}); }).startsWith("head mask: "));

        QCOMPARE(keepMostImportant(s, 2), (M{1, 0, 0, 0, 1, 0}));
        QCOMPARE(keepMostImportant(s, 3), (M{1, 1, 0, 0, 1, 0}));                 // of three tied 0.1s, the lowest
        QCOMPARE(keepMostImportant(s, 5), (M{1, 1, 0, 1, 1, 1}));                 // NaN counts as smallest
        QCOMPARE(keepMostImportant(s, 6), (M{1, 1, 1, 1, 1, 1}));
        QCOMPARE(keepMostImportant(s, 0), (M{0, 0, 0, 0, 0, 0}));

        QCOMPARE(closedGateMask(test::values({2, 2}, {0.0f, 0.3f, 1.0f, -0.0f})), (M{0, 1, 1, 0}));
        QCOMPARE(closedGateMask(test::values({1, 2}, {1e-30f, 1.0f})), (M{1, 1}));   // nearly closed is open
        QVERIFY(closedGateMask(FloatArray()).empty());                              // empty = every head kept

        QCOMPARE(prunedHeadCount({1, 0, 0.5f, 0}), 2);
        QCOMPARE(prunedHeadCount({}), 0);
    }

    // induction-gates has 4 closed gates of 8: the preset prunes exactly those, and no logit moves.
    void closedGatesOnRealModel() {
        const Engine e = Engine::load(kGates);
        const ModelConfig& c = e.config();
        RunRequest r;
        r.tokenIds = e.encode("^ujsbhxrnwhcxujsbhxrnwhcx");
        const Trace full = e.run(r);
        std::vector<float> gateValues;
        for (const auto& layer : full.layers) gateValues.insert(gateValues.end(), layer["gate"].begin(), layer["gate"].end());
        const FloatArray gates({c.nLayer, c.nHead}, gateValues);
        const auto mask = closedGateMask(gates);
        QCOMPARE(prunedHeadCount(mask), 4);
        int firstClosedLayer = c.nLayer;
        for (size_t j = 0; j < mask.size(); ++j) {
            QCOMPARE(mask[j] == 0.0f, gateValues[j] == 0.0f);
            if (gateValues[j] == 0.0f) firstClosedLayer = std::min(firstClosedLayer, static_cast<int>(j) / c.nHead);
        }
        r.headMask = mask;
        const Trace pruned = e.run(r);
        QCOMPARE(pruned.timings.firstLayerRun, firstClosedLayer);
        const RunComparison cmp = compareRuns(full, pruned);
        QVERIFY2(cmp.maxAbsLogitChange < 1e-5, qPrintable(QString::number(cmp.maxAbsLogitChange)));
        for (float kl : cmp.kl) QVERIFY(kl < 1e-6);
        // Pruning an open head instead does move the logits (the check above can fail).
        auto open = mask;
        open[static_cast<size_t>(std::find(mask.begin(), mask.end(), 1.0f) - mask.begin())] = 0.0f;
        r.headMask = open;
        QVERIFY(compareRuns(full, e.run(r)).maxAbsLogitChange > 1e-3);
    }
};

QTEST_GUILESS_MAIN(TestWhatIf)
#include "test_what_if.moc"
