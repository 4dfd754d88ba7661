// What models are scored on (headlight/objective.h): next-token targets, BERT's masked-token examples, and the
// pruning analyses on a masked-token model, each against an independent computation from the engine's logits.
#include "headlight/engine.h"
#include "headlight/error.h"
#include "headlight/objective.h"
#include "headlight/pruning.h"
#include "headlight/tokenizer.h"
#include "test_support.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

using namespace headlight;
namespace fs = std::filesystem;

namespace {

const std::string kBert = std::string(HEADLIGHT_SHARED_DIR) + "/data/hf-reference/models/bert";

// The reference BERT checkpoint (vocabulary of 1000) with a WordPiece vocab.txt in BERT's id layout:
// [PAD] 0, [unused*], [UNK] 100, [CLS] 101, [SEP] 102, [MASK] 103, then words.
std::string bertWithVocab(const QTemporaryDir& tmp) {
    const std::string dir = tmp.path().toStdString() + "/bert";
    fs::create_directories(dir);
    for (const auto& entry : fs::directory_iterator(kBert))
        if (entry.is_regular_file()) fs::copy_file(entry.path(), dir + "/" + entry.path().filename().string());
    std::ofstream vocab(dir + "/vocab.txt");
    vocab << "[PAD]\n";
    for (int i = 1; i < 100; ++i) vocab << "[unused" << i << "]\n";
    vocab << "[UNK]\n[CLS]\n[SEP]\n[MASK]\n";
    const char* words[] = {"the", "cat", "sat", "on", "mat", "a", "dog", "ran", "to", "park", "and", "it", "was", "sunny", "."};
    int n = 104;
    for (const char* w : words) { vocab << w << "\n"; ++n; }
    for (; n < 1000; ++n) vocab << "w" << n << "\n";
    return dir;
}

// -log softmax(row)[target] in double.
double nll(const float* row, int64_t V, int64_t target) {
    const double top = *std::max_element(row, row + V);
    double sum = 0;
    for (int64_t v = 0; v < V; ++v) sum += std::exp(double(row[v]) - top);
    return std::log(sum) + top - row[target];
}

// L(x) per example and the accuracy over all scored positions, one engine run per example (no batching, no
// padding), from the logits alone.
std::pair<std::vector<double>, double> independentScores(const Engine& e, const ExampleSet& data, const std::vector<float>& mask = {}) {
    RunRequest req;
    req.capture = CaptureSpec::none();
    req.capture.logits = true;
    req.headMask = mask;
    std::vector<double> losses;
    double hits = 0, n = 0;
    for (size_t k = 0; k < data.size(); ++k) {
        req.tokenIds = data.ids[k];
        const Trace t = e.run(req);
        const int64_t V = t.logits.dim(1);
        double sum = 0, count = 0;
        for (size_t i = 0; i < data.targets[k].size(); ++i) {
            const int64_t target = data.targets[k][i];
            if (target < 0) continue;
            const float* row = t.logits.data() + static_cast<int64_t>(i) * V;
            sum += nll(row, V, target);
            hits += (std::max_element(row, row + V) - row) == target;
            ++count;
            ++n;
        }
        losses.push_back(sum / count);
    }
    return {losses, hits / n};
}

double mean(const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return s / static_cast<double>(v.size());
}

} // namespace

class TestObjective : public QObject {
    Q_OBJECT
private slots:
    void nextTokenTargetsShiftTheIds() {
        const ScoredExample ex = nextTokenExample({5, 6, 7, 8}, {1, 0, 1});
        QCOMPARE(ex.ids, (std::vector<int64_t>{5, 6, 7, 8}));
        QCOMPARE(ex.targets, (std::vector<int64_t>{6, -1, 8, -1}));
    }

    // Hand-derived: [CLS] t1..t8 [SEP] has 8 maskable tokens in 7 groups; group 0 masks the 1st and 8th.
    void maskedExamplesPredictEveryTokenOnce() {
        QTemporaryDir tmp;
        const Engine e = Engine::load(bertWithVocab(tmp));
        const std::vector<int64_t> ids = {101, 104, 105, 106, 107, 108, 109, 110, 111, 102};
        const auto examples = maskedTokenExamples(ids, *e.tokenizer(), "test");
        QCOMPARE(examples.size(), size_t(7));
        QCOMPARE(examples[0].ids, (std::vector<int64_t>{101, 103, 105, 106, 107, 108, 109, 110, 103, 102}));
        QCOMPARE(examples[0].targets, (std::vector<int64_t>{-1, 104, -1, -1, -1, -1, -1, -1, 111, -1}));
        QCOMPARE(examples[3].targets, (std::vector<int64_t>{-1, -1, -1, -1, 107, -1, -1, -1, -1, -1}));
        std::vector<int> times(ids.size(), 0);
        for (const auto& ex : examples)
            for (size_t t = 0; t < ids.size(); ++t)
                if (ex.targets[t] >= 0) {
                    QCOMPARE(ex.ids[t], int64_t(103));
                    QCOMPARE(ex.targets[t], ids[t]);
                    ++times[t];
                }
        QCOMPARE(times, (std::vector<int>{0, 1, 1, 1, 1, 1, 1, 1, 1, 0}));   // [CLS] and [SEP] never
        // Two maskable tokens: two examples; a [MASK] already in the text is neither masked nor scored.
        const auto two = maskedTokenExamples({101, 104, 103, 105, 102}, *e.tokenizer(), "test");
        QCOMPARE(two.size(), size_t(2));
        QCOMPARE(two[1].targets, (std::vector<int64_t>{-1, -1, -1, 105, -1}));
        try {
            maskedTokenExamples({101, 102}, *e.tokenizer(), "--text");
            QFAIL("masked a text of special tokens");
        } catch (const Error& err) {
            QCOMPARE(err.where(), std::string("--text"));
        }
    }

    // A text on BERT: one example per mask group, scored on the masked tokens, equal to the loss computed
    // from each example's own run.
    void bertScoresOnMaskedTokens() {
        QTemporaryDir tmp;
        const Engine e = Engine::load(bertWithVocab(tmp));
        const ExampleSet data = ExampleSet::fromText(e, "the cat sat on the mat and the dog ran to the park");
        QCOMPARE(data.size(), size_t(7));                          // 13 words, 7 groups
        for (const auto& ids : data.ids) QCOMPARE(ids.front(), int64_t(101));
        const auto [losses, accuracy] = independentScores(e, data);
        const MaskedScore s = scoreWithMask(e, data);
        QVERIFY2(std::abs(s.loss - mean(losses)) < 1e-5 * std::max(1.0, mean(losses)), qPrintable(QString::number(s.loss)));
        QCOMPARE(s.metric, accuracy);
    }

    // Lines of different lengths: a bidirectional model must not see another example's padding.
    void bertBatchesWithoutPadding() {
        QTemporaryDir tmp;
        const Engine e = Engine::load(bertWithVocab(tmp));
        const std::string path = tmp.path().toStdString() + "/lines.txt";
        std::ofstream(path) << "the cat sat\nthe dog ran to the park and it was sunny .\na mat\n";
        const ExampleSet data = ExampleSet::fromFile(e, path);
        QCOMPARE(data.size(), size_t(3 + 7 + 2));
        const std::vector<float> mask = {1, 0, 1, 1, 1, 1, 0, 1};   // 2 layers x 4 heads
        QCOMPARE(static_cast<size_t>(e.config().nLayer * e.config().nHead), mask.size());
        const auto [losses, accuracy] = independentScores(e, data, mask);
        const MaskedScore s = scoreWithMask(e, data, mask);
        QVERIFY2(std::abs(s.loss - mean(losses)) < 1e-5 * std::max(1.0, mean(losses)), qPrintable(QString::number(s.loss - mean(losses))));
        QCOMPARE(s.metric, accuracy);
    }

    // Importance is |dL/d xi| (one example, so no sign cancels): against a one-sided finite difference.
    // Ablation deltas against scoring each head's mask on its own.
    void bertImportanceAndAblation() {
        QTemporaryDir tmp;
        const Engine e = Engine::load(bertWithVocab(tmp));
        const ExampleSet all = ExampleSet::fromText(e, "the cat sat on the mat");
        ExampleSet one;
        one.add({all.ids[1], all.targets[1]});
        const int LH = e.config().nLayer * e.config().nHead;
        const FloatArray I = headImportance(e, one);
        QCOMPARE(I.size(), int64_t(LH));
        const double eps = 1e-3;
        const double base = mean(independentScores(e, one).first);
        for (int j = 0; j < LH; ++j) {
            std::vector<float> mask(static_cast<size_t>(LH), 1.0f);
            mask[static_cast<size_t>(j)] = static_cast<float>(1.0 - eps);
            const double fd = std::abs(base - mean(independentScores(e, one, mask).first)) / eps;
            QVERIFY2(std::abs(fd - I.data()[j]) < 2e-2 * std::max(1.0, fd), qPrintable(QString("head %1: %2 vs %3").arg(j).arg(fd).arg(I.data()[j])));
        }
        const Ablation ab = ablateHeads(e, all);
        const double baseAll = mean(independentScores(e, all).first);
        QVERIFY(std::abs(ab.baseline.loss - baseAll) < 1e-5 * std::max(1.0, baseAll));
        for (int j = 0; j < LH; ++j) {
            std::vector<float> mask(static_cast<size_t>(LH), 1.0f);
            mask[static_cast<size_t>(j)] = 0.0f;
            const double expected = mean(independentScores(e, all, mask).first) - baseAll;
            QVERIFY2(std::abs(ab.deltaLoss.data()[j] - expected) < 1e-4 * std::max(1.0, std::abs(expected)),
                     qPrintable(QString("head %1: %2 vs %3").arg(j).arg(ab.deltaLoss.data()[j]).arg(expected)));
        }
    }

    // The synthetic tasks score next-token predictions: a masked-token model refuses them by name.
    void bertRefusesNextTokenTasks() {
        QTemporaryDir tmp;
        const Engine e = Engine::load(bertWithVocab(tmp));
        try {
            ExampleSet::fromTask(e, TaskParams::fromJson(R"({"name": "induction"})", "task"), 3, 1);
            QFAIL("a task ran on BERT");
        } catch (const Error& err) {
            QCOMPARE(err.where(), std::string("--task"));
            QVERIFY2(std::string(err.what()).find("masked tokens") != std::string::npos, err.what());
        }
    }

    // `evaluate --text` prints the model's own objective.
    void cliEvaluatesBertOnText() {
        QTemporaryDir tmp;
        const std::string dir = bertWithVocab(tmp);
        QProcess p;
        p.start(HEADLIGHT_CLI, {"evaluate", QString::fromStdString(dir), "--text", "the cat sat on the mat"});
        QVERIFY(p.waitForFinished(120000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        const auto j = nlohmann::json::parse(p.readAllStandardOutput().toStdString());
        QCOMPARE(j.at("objective").get<std::string>(), std::string("masked token"));
        QCOMPARE(j.at("examples").get<int>(), 6);
        QCOMPARE(j.at("scored_positions").get<int>(), 6);
        QVERIFY(std::isfinite(j.at("loss").get<double>()));
    }
};

QTEST_GUILESS_MAIN(TestObjective)
#include "test_objective.moc"
