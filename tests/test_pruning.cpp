// Pruning what-ifs: importance against finite differences, batched against one-by-one ablation, masking
// invariants, pruning-curve orders, data errors, and the three CLI commands end to end.
#include "headlight/attention_stack.h"
#include "headlight/engine.h"
#include "headlight/pruning.h"
#include "test_support.h"

#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <algorithm>
#include <cmath>
#include <set>
#include <nlohmann/json.hpp>

using namespace headlight;

namespace {

const std::string kGates = test::sourcePath("sample_models/induction-gates");

// L(x) for every example through Engine::run: the mean next-token loss over x's scored positions.
std::vector<double> exampleLosses(const Engine& e, const ExampleSet& data, const std::vector<float>& mask) {
    std::vector<double> out;
    RunRequest req;
    req.capture = CaptureSpec::none();
    req.headMask = mask;
    for (size_t k = 0; k < data.size(); ++k) {
        req.tokenIds = data.ids[k];
        const Trace t = e.run(req);
        double sum = 0, n = 0;
        for (size_t i = 0; i + 1 < data.targets[k].size(); ++i)
            if (data.targets[k][i] >= 0) { sum += t.loss.data()[i]; ++n; }
        out.push_back(sum / n);
    }
    return out;
}

// Accuracy over all scored positions, one engine run per example.
double accuracy(const Engine& e, const ExampleSet& data, const std::vector<float>& mask) {
    RunRequest req;
    req.capture = CaptureSpec::none();
    req.capture.logits = true;
    req.headMask = mask;
    double hits = 0, n = 0;
    for (size_t k = 0; k < data.size(); ++k) {
        req.tokenIds = data.ids[k];
        const Trace t = e.run(req);
        const int64_t V = t.logits.dim(1);
        for (size_t i = 0; i + 1 < data.targets[k].size(); ++i) {
            if (data.targets[k][i] < 0) continue;
            if (data.targets[k][i] != data.ids[k][i + 1]) return -1.0;   // next-token targets, or a wrong accuracy
            const float* row = t.logits.data() + static_cast<int64_t>(i) * V;
            hits += (std::max_element(row, row + V) - row) == data.ids[k][i + 1];
            ++n;
        }
    }
    return hits / n;
}

double mean(const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return s / static_cast<double>(v.size());
}

struct CliResult {
    int exitCode = -1;
    QString out, err;
};

CliResult cli(const QStringList& args) {
    QProcess p;
    p.start(HEADLIGHT_CLI, args);
    if (!p.waitForFinished(300000)) p.kill();
    p.waitForFinished();
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
}

} // namespace

class TestPruning : public QObject {
    Q_OBJECT

    QTemporaryDir tmp_;
    std::string tiny_, lines_;

private slots:
    void initTestCase() {
        QVERIFY(tmp_.isValid());
        tiny_ = tmp_.filePath("tiny").toStdString();
        const ModelConfig c = test::tinyConfig({}, 2, 2, 8, 11, 16);
        test::writeModel(tiny_, c, test::randomWeights(c, 5));
        lines_ = tmp_.filePath("lines.txt").toStdString();
        test::writeFile(QString::fromStdString(lines_), "abcab\n\nhgfedcbaj\r\nbeef\n");
    }

    void importanceMatchesFiniteDifferences() {
        const Engine e = Engine::load(tiny_);
        const ExampleSet data = ExampleSet::fromFile(e, lines_);
        QCOMPARE(data.size(), size_t(3));
        // An interior mask (central differences need room both ways) with head 0.1 pruned.
        const std::vector<float> mask = {0.7f, 0.0f, 0.6f, 0.8f};
        const FloatArray I = headImportance(e, data, mask);
        QCOMPARE(I.shape(), (std::vector<int64_t>{2, 2}));
        QCOMPARE(I.at({0, 1}), 0.0f);   // pruned heads stay out
        const float eps = 1e-2f;
        for (int j : {0, 2, 3}) {
            auto up = mask, down = mask;
            up[j] += eps;
            down[j] -= eps;
            const auto lu = exampleLosses(e, data, up), ld = exampleLosses(e, data, down);
            double fd = 0;
            for (size_t x = 0; x < lu.size(); ++x) fd += std::fabs((lu[x] - ld[x]) / (2 * eps)) / lu.size();
            const double got = I.data()[j];
            QVERIFY2(std::fabs(got - fd) < 2e-3 + 1e-2 * std::fabs(fd), qPrintable(QString("head %1: %2 vs fd %3").arg(j).arg(got).arg(fd)));
            QVERIFY(fd > 1e-3);   // the check is not vacuous
        }
        // At the unpruned mask (1 is the upper end): second-order one-sided differences.
        const FloatArray I1 = headImportance(e, data);
        for (int j = 0; j < 4; ++j) {
            std::vector<float> m1(4, 1.0f), m2(4, 1.0f);
            m1[j] -= eps;
            m2[j] -= 2 * eps;
            const auto l0 = exampleLosses(e, data, std::vector<float>(4, 1.0f)), l1 = exampleLosses(e, data, m1), l2 = exampleLosses(e, data, m2);
            double fd = 0;
            for (size_t x = 0; x < l0.size(); ++x) fd += std::fabs((3 * l0[x] - 4 * l1[x] + l2[x]) / (2 * eps)) / l0.size();
            QVERIFY2(std::fabs(I1.data()[j] - fd) < 3e-3 + 2e-2 * std::fabs(fd), qPrintable(QString("head %1: %2 vs fd %3").arg(j).arg(I1.data()[j]).arg(fd)));
        }
    }

    void normalizeByLayer() {
        const Engine e = Engine::load(kGates);
        const ExampleSet data = ExampleSet::fromTask(e, TaskParams::fromJson(R"({"name": "induction"})", "test"), 16, 3);
        const FloatArray raw = headImportance(e, data), norm = headImportance(e, data, {}, true);
        for (int64_t l = 0; l < 2; ++l) {
            double sq = 0, rawSq = 0;
            for (int64_t h = 0; h < 4; ++h) { sq += norm.at({l, h}) * norm.at({l, h}); rawSq += raw.at({l, h}) * raw.at({l, h}); }
            QVERIFY2(std::fabs(std::sqrt(sq) - 1) < 1e-5, qPrintable(QString::number(std::sqrt(sq))));
            for (int64_t h = 0; h < 4; ++h) QVERIFY(std::fabs(norm.at({l, h}) - raw.at({l, h}) / std::sqrt(rawSq)) < 1e-5);
        }
    }

    void batchedAblationEqualsOneByOne_data() {
        QTest::addColumn<QString>("which");
        QTest::addColumn<QList<int>>("pruned");   // flat head indices l*H + h pruned in the base mask
        QTest::newRow("induction-gates, task") << "gates" << QList<int>{1};
        QTest::newRow("tiny, every mechanism, file") << "tiny" << QList<int>{1};
        // Masks of layer l run from the recorded input of layer l, which must already carry the heads pruned in
        // layers 0 and 2; 70 lines of mixed lengths make two batches with padding.
        QTest::newRow("4 layers x 3 heads, every mechanism, two batches") << "deep" << QList<int>{1, 7};
    }
    void batchedAblationEqualsOneByOne() {
        QFETCH(QString, which);
        QFETCH(QList<int>, pruned);
        std::string dir = kGates;
        QString linesFile = QString::fromStdString(lines_);
        if (which == "tiny" || which == "deep") {
            dir = tmp_.filePath(which == "tiny" ? "all" : "deep").toStdString();   // not tiny_, which other tests use
            const ModelConfig c = which == "tiny" ? test::tinyConfig({"gates", "span", "selective", "memory"})
                                                  : test::tinyConfig({"gates", "span", "selective", "memory"}, 4, 3, 12);
            test::writeModel(dir, c, test::randomWeights(c, 9));
        }
        if (which == "deep") {
            QByteArray text;
            for (int i = 0; i < 70; ++i) {
                for (int k = 0; k < 1 + (i * 7) % 14; ++k) text += static_cast<char>('a' + (i * 3 + k * 5) % 10);
                text += '\n';
            }
            linesFile = tmp_.filePath("seventy.txt");
            test::writeFile(linesFile, text);
        }
        const Engine e = Engine::load(dir);
        const ExampleSet data = which == "gates" ? ExampleSet::fromTask(e, TaskParams::fromJson(R"({"name": "induction"})", "test"), 12, 7)
                                                 : ExampleSet::fromFile(e, linesFile.toStdString());
        if (which == "deep") QCOMPARE(data.size(), size_t(70));
        const int LH = e.config().nLayer * e.config().nHead;
        std::vector<float> base(static_cast<size_t>(LH), 1.0f);
        for (int j : pruned) base[static_cast<size_t>(j)] = 0.0f;   // pruned heads: ablating them again changes nothing
        const Ablation ab = ablateHeads(e, data, base);
        const double baseLoss = mean(exampleLosses(e, data, base)), baseAcc = accuracy(e, data, base);
        QVERIFY(std::fabs(ab.baseline.loss - baseLoss) < 1e-5);
        QVERIFY(std::fabs(ab.baseline.metric - baseAcc) < 1e-9);
        double largest = 0;
        for (int j = 0; j < LH; ++j) {
            auto m = base;
            m[static_cast<size_t>(j)] = 0.0f;
            const double dLoss = mean(exampleLosses(e, data, m)) - baseLoss, dAcc = accuracy(e, data, m) - baseAcc;
            QVERIFY2(std::fabs(ab.deltaLoss.data()[j] - dLoss) < 1e-5, qPrintable(QString("head %1: %2 vs %3").arg(j).arg(ab.deltaLoss.data()[j]).arg(dLoss)));
            QVERIFY(std::fabs(ab.deltaMetric.data()[j] - dAcc) < 1e-6);
            largest = std::max(largest, std::fabs(dLoss));
        }
        QVERIFY(largest > 1e-3);   // the heads matter, so the comparison is not vacuous
        for (int j : pruned) QCOMPARE(ab.deltaLoss.data()[j], 0.0f);
    }

    // Every long analysis reports monotone fractions ending at 1, and stops with Cancelled when told to.
    void progressAndCancel_data() {
        QTest::addColumn<QString>("analysis");
        for (const char* a : {"importance", "ablation", "curve importance", "curve ablation", "context memory"}) QTest::newRow(a) << a;
    }
    void progressAndCancel() {
        QFETCH(QString, analysis);
        const bool selective = analysis == "context memory";
        std::string dir = kGates;
        if (selective) {
            dir = tmp_.filePath("selective-progress").toStdString();
            const ModelConfig c = test::tinyConfig({"selective"});
            test::writeModel(dir, c, test::randomWeights(c, 4));
        }
        const Engine e = Engine::load(dir);
        // 150 examples: more than one batch (at most 64 examples each), so there is progress to see.
        const ExampleSet data = selective ? ExampleSet() : ExampleSet::fromTask(e, TaskParams::fromJson(R"({"name": "induction"})", "test"), 150, 2);
        const auto task = makeFixedTextTask("abcabcabcab");
        auto runWith = [&](const AnalysisProgress& progress) {
            CurveOptions o;
            o.stepPercent = 25;
            if (analysis == "importance") headImportance(e, data, {}, false, progress);
            if (analysis == "ablation") ablateHeads(e, data, {}, progress);
            if (analysis == "curve importance") pruningCurve(e, data, o, progress);
            o.order = PruneOrder::Ablation;
            if (analysis == "curve ablation") pruningCurve(e, data, o, progress);
            if (selective) contextMemoryCurve(e, *task, 1, 1, progress);
        };
        std::vector<double> seen;
        runWith([&](double f) { seen.push_back(f); return true; });
        QVERIFY2(seen.size() >= 3, qPrintable(QString::number(seen.size())));
        QVERIFY(seen.front() > 0);
        for (size_t i = 1; i < seen.size(); ++i) QVERIFY2(seen[i] >= seen[i - 1], qPrintable(QString("%1 after %2").arg(seen[i]).arg(seen[i - 1])));
        QCOMPARE(seen.back(), 1.0);
        if (analysis.startsWith("curve") || selective) {
            // Spread over the whole analysis: no single report jumps more than half of it.
            for (size_t i = 1; i < seen.size(); ++i) QVERIFY2(seen[i] - seen[i - 1] <= 0.5, qPrintable(QString::number(seen[i])));
        }

        int calls = 0;
        bool threwCancelled = false;
        try {
            runWith([&](double) { return ++calls < 2; });   // stop at the second report
        } catch (const Cancelled&) {
            threwCancelled = true;
        }
        QVERIFY(threwCancelled);
        QCOMPARE(calls, 2);   // nothing reported after the answer "stop"
    }

    void closedGatesPruneToSameLogits() {
        const Engine e = Engine::load(kGates);
        const FloatArray gates = headGateValues(e);
        QCOMPARE(gates.shape(), (std::vector<int64_t>{2, 4}));
        std::vector<float> mask;
        for (float g : gates) mask.push_back(g == 0.0f ? 0.0f : 1.0f);
        QCOMPARE(std::count(mask.begin(), mask.end(), 0.0f), 4L);   // metrics.json: 4 closed heads
        RunRequest req;
        req.tokenIds = e.encode("^ujsbhxrnwhcxujsbhxrnwhcx");
        req.capture = CaptureSpec::none();
        req.capture.logits = true;
        const Trace full = e.run(req);
        req.headMask = mask;
        QVERIFY(test::maxAbsDiff(full.logits, e.run(req).logits) < 1e-5);
    }

    void maskedHeadWeightsAreUnused() {
        const ModelConfig c = test::tinyConfig({}, 2, 2, 8, 11, 16);
        auto w = test::randomWeights(c, 5);
        // Head 1 of layer 0: its q, k and v columns of c_attn [D,3D] get new values.
        const int64_t D = c.nEmbd, d = c.headDim();
        auto qkv = w["h.0.attn.c_attn.weight"].toVector();
        for (int64_t r = 0; r < D; ++r)
            for (int part = 0; part < 3; ++part)
                for (int64_t k = d; k < 2 * d; ++k) qkv[static_cast<size_t>(r * 3 * D + part * D + k)] += 0.5f;
        w["h.0.attn.c_attn.weight"] = FloatArray({D, 3 * D}, qkv);
        const std::string changed = tmp_.filePath("changed").toStdString();
        test::writeModel(changed, c, w);
        const Engine a = Engine::load(tiny_), b = Engine::load(changed);
        RunRequest req;
        req.tokenIds = a.encode("^abcdefgh");
        req.capture = CaptureSpec::none();
        req.capture.logits = true;
        QVERIFY(test::maxAbsDiff(a.run(req).logits, b.run(req).logits) > 1e-4);   // the change matters unmasked
        req.headMask = {1, 0, 1, 1};
        QVERIFY(test::maxAbsDiff(a.run(req).logits, b.run(req).logits) < 1e-6);
        const ExampleSet data = ExampleSet::fromFile(a, lines_);
        QVERIFY(std::fabs(scoreWithMask(a, data, req.headMask).loss - scoreWithMask(b, data, req.headMask).loss) < 1e-6);
    }

    void curveOrders() {
        const Engine e = Engine::load(kGates);
        const ExampleSet data = ExampleSet::fromTask(e, TaskParams::fromJson(R"({"name": "induction"})", "test"), 16, 1);
        CurveOptions o;
        o.order = PruneOrder::Gate;
        o.stepPercent = 25;
        const PruningCurve gate = pruningCurve(e, data, o);
        const FloatArray gates = headGateValues(e);
        QCOMPARE(gate.steps.size(), size_t(5));
        for (size_t i = 0; i < gate.steps.size(); ++i) {
            QCOMPARE(gate.steps[i].headsPruned, static_cast<int>(2 * i));
            QVERIFY(std::fabs(gate.steps[i].fractionPruned - 0.25 * static_cast<double>(i)) < 1e-12);
        }
        QCOMPARE(gate.order.size(), size_t(8));
        for (size_t i = 1; i < gate.order.size(); ++i)
            QVERIFY(gates.at({gate.order[i - 1].first, gate.order[i - 1].second}) <= gates.at({gate.order[i].first, gate.order[i].second}));
        // Closed gates first: pruning them leaves the loss as it was.
        QVERIFY(std::fabs(gate.steps[2].score.loss - gate.steps[0].score.loss) < 1e-5);

        o.order = PruneOrder::Random;
        o.seed = 5;
        o.stepPercent = 10;   // 0.8 heads: one head per step
        const PruningCurve r1 = pruningCurve(e, data, o), r2 = pruningCurve(e, data, o);
        QVERIFY(r1.order == r2.order);
        QCOMPARE(r1.steps.size(), size_t(9));
        QCOMPARE(r1.steps.back().headsPruned, 8);
        QCOMPARE(r1.steps.back().fractionPruned, 1.0);
        o.seed = 6;
        QVERIFY(pruningCurve(e, data, o).order != r1.order);

        for (PruneOrder order : {PruneOrder::Importance, PruneOrder::ImportanceOnce, PruneOrder::Ablation}) {
            o.order = order;
            o.stepPercent = 30;   // 2.4 -> 2 heads per step
            o.headMask = parsePruneList("1.2", e.config(), "test");
            const PruningCurve c = pruningCurve(e, data, o);
            QVERIFY(c.order.front() == std::make_pair(1, 2));   // the already pruned head comes first
            QCOMPARE(c.steps.front().headsPruned, 1);
            QCOMPARE(c.steps.back().headsPruned, 8);
            std::set<std::pair<int, int>> unique(c.order.begin(), c.order.end());
            QCOMPARE(unique.size(), size_t(8));
            for (const auto& s : c.steps) QVERIFY(std::isfinite(s.score.loss));
        }
        o.order = PruneOrder::Gate;
        QVERIFY(test::errorOf([&] { pruningCurve(Engine::load(tiny_), ExampleSet::fromFile(Engine::load(tiny_), lines_), o); }).contains("head gates"));
        QVERIFY(parsePruneOrder("importance-once", "--order") == PruneOrder::ImportanceOnce);
        QVERIFY(test::errorOf([] { parsePruneOrder("best", "--order"); }).startsWith("--order: "));
    }

    void contextBudgets() {
        const std::string dir = tmp_.filePath("selective").toStdString();
        const ModelConfig c = test::tinyConfig({"selective"});
        test::writeModel(dir, c, test::randomWeights(c, 4));
        const Engine e = Engine::load(dir);
        const ExampleSet data = ExampleSet::fromFile(e, lines_);
        const MaskedScore free = evaluateAtBudgets(e, data, {}), batched = scoreWithMask(e, data);
        QVERIFY(std::fabs(free.loss - batched.loss) < 1e-5);
        QCOMPARE(free.metric, batched.metric);
        QVERIFY(std::isfinite(evaluateAtBudgets(e, data, {2, 3}).loss));
        const auto task = makeFixedTextTask("abcabcabcab");
        const auto curve = contextMemoryCurve(e, *task, 1, 1);
        QVERIFY(curve.size() > 2);
        QVERIFY(curve.back().budget == (std::vector<int>{1, 1}));   // no tolerance: down to one token per layer
        for (size_t i = 1; i < curve.size(); ++i) QVERIFY(curve[i].memory < curve[i - 1].memory);
    }

    void badDataFiles() {
        const Engine e = Engine::load(tiny_);
        const QString dir = tmp_.path();
        auto fileError = [&](const QString& name, const QByteArray& content) {
            const QString path = dir + "/" + name;
            if (!content.isNull()) test::writeFile(path, content);
            return test::errorOf([&] { ExampleSet::fromFile(e, path.toStdString()); });
        };
        QVERIFY(fileError("missing.txt", QByteArray()).contains("missing.txt: file not found"));
        QVERIFY(fileError("empty.txt", "\n\n").contains("empty.txt: is empty"));
        QString err = fileError("unknown.txt", "abc\nab#c\n");
        QVERIFY2(err.contains("unknown.txt: line 2: ") && err.contains("#"), qPrintable(err));
        err = fileError("long.txt", "abc\nabc\nabcabcabcabcabcabc\n");   // 19 tokens > n_positions 16
        QVERIFY2(err.contains("long.txt: line 3: 19 tokens"), qPrintable(err));
        QVERIFY(test::errorOf([&] { ExampleSet::fromText(e, ""); }).startsWith("--text: "));
        QVERIFY(test::errorOf([&] { ExampleSet::fromTask(e, TaskParams::fromJson(R"({"name": "induction"})", "t"), 0, 1); }).startsWith("--n: "));
    }

    // An encoder-decoder model: the heads of its three kinds are the rows of its attention stack (E0 E1 D0 D1 X0
    // X1), and every analysis agrees with one engine run per example under the three kinds' own masks.
    void encoderDecoderHeads() {
#ifdef HEADLIGHT_SANITIZED
        QSKIP("marian-text's SentencePiece files cannot be read in a sanitizer build (docs/robustness.md)");
#endif
        const std::string dir = test::sourcePath("tests/fixtures/seq2seq/marian-text");
        const Engine e = Engine::load(dir);
        const ModelConfig& c = e.config();
        const int rows = stackRows(c), H = c.nHead, Le = c.encoderDecoder->layers, L = c.nLayer;
        QCOMPARE(rows, 6);
        const QString pairs = tmp_.filePath("pairs.tsv");
        test::writeFile(pairs, "The house.\tLa maison.\nA blue house is here.\tUne maison bleue.\nThe cat.\tLe chat est noir.\n");
        const ExampleSet data = ExampleSet::fromFile(e, pairs.toStdString());
        QCOMPARE(data.size(), size_t(3));
        QCOMPARE(data.sources.size(), size_t(3));
        QCOMPARE(data.ids[0].front(), int64_t(c.encoderDecoder->decoderStartTokenId));
        // L(x) of a stacked mask through Engine::run, the three kinds' masks set by hand.
        auto losses = [&](const std::vector<float>& mask) {
            std::vector<double> out;
            for (size_t k = 0; k < data.size(); ++k) {
                RunRequest r;
                r.capture = CaptureSpec::none();
                r.sourceIds = data.sources[k];
                r.tokenIds = data.ids[k];
                r.encoderHeadMask.assign(mask.begin(), mask.begin() + Le * H);
                r.headMask.assign(mask.begin() + Le * H, mask.begin() + (Le + L) * H);
                r.crossHeadMask.assign(mask.begin() + (Le + L) * H, mask.end());
                const Trace t = e.run(r);
                out.push_back(t.meanLoss());
            }
            return out;
        };
        const std::vector<float> ones(size_t(rows * H), 1.0f);
        const MaskedScore base = scoreWithMask(e, data);
        QVERIFY2(std::fabs(base.loss - mean(losses(ones))) < 1e-5, qPrintable(QString::number(base.loss)));

        // Ablation: each head of each kind against a run with that head's kind masked.
        const Ablation ab = ablateHeads(e, data);
        QCOMPARE(ab.deltaLoss.shape(), (std::vector<int64_t>{rows, H}));
        for (int j : {1, (Le + 1) * H + 2, (Le + L) * H + 3}) {   // E0 H1, D1 H2, X0 H3
            std::vector<float> m = ones;
            m[size_t(j)] = 0;
            const double expected = mean(losses(m)) - base.loss;
            QVERIFY2(std::fabs(ab.deltaLoss.data()[j] - expected) < 1e-5,
                     qPrintable(QString("head %1: %2 vs %3").arg(j).arg(ab.deltaLoss.data()[j]).arg(expected)));
            QVERIFY(std::fabs(expected) > 1e-6);   // the head matters: the check is not vacuous
        }

        // Importance: |dL/dxi| against one-sided second-order differences at the unpruned mask.
        const FloatArray I = headImportance(e, data);
        QCOMPARE(I.shape(), (std::vector<int64_t>{rows, H}));
        const float eps = 1e-2f;
        const auto l0 = losses(ones);
        for (int j : {0, Le * H + 1, (Le + L) * H + 2, rows * H - 1}) {
            std::vector<float> m1 = ones, m2 = ones;
            m1[size_t(j)] -= eps;
            m2[size_t(j)] -= 2 * eps;
            const auto l1 = losses(m1), l2 = losses(m2);
            double fd = 0;
            for (size_t x = 0; x < l0.size(); ++x) fd += std::fabs((3 * l0[x] - 4 * l1[x] + l2[x]) / (2 * eps)) / double(l0.size());
            QVERIFY2(std::fabs(I.data()[j] - fd) < 3e-3 + 2e-2 * std::fabs(fd), qPrintable(QString("head %1: %2 vs fd %3").arg(j).arg(I.data()[j]).arg(fd)));
        }

        // A pruning curve over all 24 heads, the pruned heads kept pruned.
        CurveOptions o;
        o.order = PruneOrder::Random;
        o.stepPercent = 25;
        o.headMask = ones;
        o.headMask[size_t((Le + L) * H)] = 0;   // X0 H0
        const PruningCurve curve = pruningCurve(e, data, o);
        QCOMPARE(int(curve.order.size()), rows * H);
        QCOMPARE(curve.order.front(), (std::pair<int, int>{Le + L, 0}));
        QVERIFY(std::fabs(curve.steps.front().score.loss - mean(losses(o.headMask))) < 1e-5);
        QCOMPARE(curve.steps.back().headsPruned, rows * H);

        // The CLI: --text with --target, the CSV by kind, the curve's head names by kind.
        const QString model = QString::fromStdString(dir), out = tmp_.filePath("ed.h5"), csv = tmp_.filePath("ed.csv");
        CliResult r = cli({"ablate", model, "--text", "The house.", "--target", "La maison.", "--prune", "X0.1,E1.0", "--out", out, "--csv", csv});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        ResultFile f = readResultHdf5(out.toStdString());
        QCOMPARE(f.attributes.at("rows"), std::string("encoder 0-1, decoder 2-3, cross 4-5"));
        QCOMPARE(f.floats.at("ablation_delta_loss").at({4, 1}), 0.0f);   // pruned beforehand: X0.1 is row 4
        QCOMPARE(f.floats.at("ablation_delta_loss").at({1, 0}), 0.0f);   // and E1.0 row 1
        QVERIFY(f.floats.at("ablation_delta_loss").at({2, 0}) != 0.0f);
        QFile csvFile(csv);
        QVERIFY(csvFile.open(QIODevice::ReadOnly));
        const QStringList csvLines = QString::fromUtf8(csvFile.readAll()).split('\n', Qt::SkipEmptyParts);
        QCOMPARE(csvLines.size(), 1 + rows * H);
        QVERIFY(csvLines[0].startsWith("kind,layer,head,delta_loss"));
        QVERIFY(csvLines[1 + 4 * H + 1].startsWith("cross,0,1,0,"));
        r = cli({"prune-curve", model, "--data", pairs, "--order", "importance-once", "--step-percent", "50", "--out", out});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto names = nlohmann::json::parse(r.out.toStdString())["pruned_heads"];
        QCOMPARE(int(names.size()), rows * H);
        std::set<char> kinds;
        for (const auto& n : names) kinds.insert(n.get<std::string>()[0]);
        QCOMPARE(kinds, (std::set<char>{'E', 'D', 'X'}));
        r = cli({"evaluate", model, "--text", "The house.", "--target", "La maison."});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        RunRequest one;   // the same pair through Engine::run, as `run --target` builds it
        one.sourceIds = e.encode("The house.");
        one.tokenIds = {c.encoderDecoder->decoderStartTokenId};
        for (int64_t id : e.encodeTarget("La maison.")) one.tokenIds.push_back(id);
        const double evaluated = nlohmann::json::parse(r.out.toStdString())["loss"].get<double>();
        QVERIFY2(std::fabs(evaluated - e.run(one).meanLoss()) < 1e-5, qPrintable(QString::number(evaluated)));

        const QString bad = tmp_.filePath("bad.h5"), noTab = tmp_.filePath("notab.txt");
        test::writeFile(noTab, "The house. La maison.\n");
        const std::vector<std::pair<QStringList, std::pair<int, QString>>> cases = {
            {{"importance", model, "--text", "The house.", "--out", bad}, {1, "--text: is only the source"}},
            {{"importance", model, "--data", pairs, "--target", "x", "--out", bad}, {2, "--target: goes with --text"}},
            {{"importance", model, "--task", "induction", "--out", bad}, {1, "--task: the synthetic tasks are texts for a model of one stack"}},
            {{"ablate", model, "--data", noTab, "--out", bad}, {1, "notab.txt: line 1: has no tab"}},
            {{"ablate", model, "--text", "The house.", "--target", "La maison.", "--prune", "6.0", "--out", bad}, {1, "--prune: head 6.0 does not exist"}},
            {{"ablate", model, "--text", "The house.", "--target", "La maison.", "--prune", "X2.1", "--out", bad},
             {1, "--prune: head X2.1 does not exist (the model has 2 cross-attention layers)"}},
            {{"ablate", model, "--text", "The house.", "--target", "La maison.", "--prune", "Xa.1", "--out", bad}, {1, "--prune: \"Xa.1\" is not a head"}},
            {{"importance", QString::fromStdString(tiny_), "--text", "abc", "--target", "x", "--out", bad}, {1, "--target: is for encoder-decoder models"}},
        };
        for (const auto& [args, expected] : cases) {
            const CliResult b = cli(args);
            QVERIFY2(b.exitCode == expected.first && b.err.contains(expected.second) && b.err.count('\n') == 1,
                     qPrintable(args.join(' ') + " -> " + QString::number(b.exitCode) + " " + b.err));
            QVERIFY(!QFile::exists(bad));
        }
    }

    void cliEndToEnd() {
        const QString out = tmp_.filePath("imp.h5"), csv = tmp_.filePath("imp.csv");
        auto r = cli({"importance", QString::fromStdString(kGates), "--task", "induction", "--n", "8", "--normalize-by-layer",
                      "--out", out, "--csv", csv});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        auto summary = nlohmann::json::parse(r.out.toStdString());
        QCOMPARE(summary["examples"].get<int>(), 8);
        ResultFile f = readResultHdf5(out.toStdString());
        QCOMPARE(f.floats.at("importance").shape(), (std::vector<int64_t>{2, 4}));
        QCOMPARE(f.attributes.at("normalize_by_layer"), std::string("true"));
        QVERIFY(f.attributes.at("data").find("induction") != std::string::npos);
        QVERIFY(f.attributes.count("model"));
        QFile csvFile(csv);
        QVERIFY(csvFile.open(QIODevice::ReadOnly));
        QCOMPARE(csvFile.readAll().count('\n'), 9);   // header + 8 heads

        r = cli({"ablate", QString::fromStdString(tiny_), "--data", QString::fromStdString(lines_), "--prune", "0.1", "--out", out});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        f = readResultHdf5(out.toStdString());
        QCOMPARE(f.floats.at("ablation_delta_loss").shape(), (std::vector<int64_t>{2, 2}));
        QCOMPARE(f.floats.at("baseline_loss").shape(), std::vector<int64_t>{});
        QCOMPARE(f.floats.at("ablation_delta_loss").at({0, 1}), 0.0f);
        const double baseline = f.floats.at("baseline_loss").data()[0];
        const Engine tiny = Engine::load(tiny_);
        const ExampleSet lines = ExampleSet::fromFile(tiny, lines_);
        QVERIFY(std::fabs(baseline - mean(exampleLosses(tiny, lines, {1, 0, 1, 1}))) < 1e-5);

        r = cli({"prune-curve", QString::fromStdString(kGates), "--text", "ujsbhxrnwhcxujsbhxrnwhcx", "--order", "gate",
                 "--step-percent", "25", "--out", out, "--csv", csv});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        f = readResultHdf5(out.toStdString());
        for (const char* name : {"fraction_pruned", "loss", "metric"}) QCOMPARE(f.floats.at(name).shape(), (std::vector<int64_t>{5}));
        QCOMPARE(f.ints.at("order").shape(), (std::vector<int64_t>{8, 2}));
        QCOMPARE(f.floats.at("fraction_pruned").data()[4], 1.0f);
        QCOMPARE(f.attributes.at("order"), std::string("gate"));

        // Bad input: one line naming the argument or file, exit 2 for usage and 1 otherwise, no output left.
        const QString bad = tmp_.filePath("bad.h5");
        const QString model = QString::fromStdString(tiny_);
        const std::vector<std::pair<QStringList, std::pair<int, QString>>> cases = {
            {{"importance", model, "--out", bad}, {2, "exactly one of"}},
            {{"ablate", model, "--text", "abc", "--task", "induction", "--out", bad}, {2, "exactly one of"}},
            {{"importance", model, "--text", "abc"}, {2, "--out: required"}},
            {{"importance", model, "--text", "abc", "--n", "5", "--out", bad}, {2, "--n: applies to --task only"}},
            {{"importance", model, "--data", tmp_.filePath("nope.txt"), "--out", bad}, {1, "nope.txt: file not found"}},
            {{"ablate", model, "--text", "abc", "--prune", "7.0", "--out", bad}, {1, "--prune: head 7.0 does not exist"}},
            {{"prune-curve", model, "--text", "abc", "--order", "best", "--out", bad}, {1, "--order: "}},
            {{"prune-curve", model, "--text", "abc", "--order", "gate", "--out", bad}, {1, "head gates"}},
            {{"prune-curve", model, "--text", "abc", "--order", "random", "--step-percent", "0", "--out", bad}, {2, "--step-percent"}},
            {{"importance", model, "--text", "abc", "--out", tmp_.filePath("no/such/dir.h5")}, {1, "does not exist"}},
            {{"importance", model, "--text", "a#c", "--out", bad}, {1, "#"}}};
        for (const auto& [args, expected] : cases) {
            r = cli(args);
            const QString what = args.join(' ') + " -> " + r.err;
            QVERIFY2(r.exitCode == expected.first, qPrintable(what));
            QVERIFY2(r.err.contains(expected.second) && r.err.trimmed().count('\n') == 0, qPrintable(what));
            QVERIFY2(!QFile::exists(bad), qPrintable(what));
        }
        QVERIFY(test::leftovers(tmp_.path()).isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestPruning)
#include "test_pruning.moc"
