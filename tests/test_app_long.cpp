// Long inputs in the window: a run too long to keep every head captures the current head and digests every
// head; the matrix shows pooled cells that zoom down to exact weights; another head shows its pooled picture at
// once and its exact matrix from the worker (checked against the engine run independently); a long paste waits
// for Enter.
#include "head_selection.h"
#include "input_bar.h"
#include "main_window.h"
#include "model_session.h"
#include "settings.h"
#include "test_support.h"
#include "views/attention/attention_matrix_view.h"

#include "headlight/attention_view.h"
#include "headlight/engine.h"
#include "headlight/session.h"

#include <QLineEdit>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>
#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

using namespace headlight;

namespace {

constexpr int kTokens = 1000;   // 12 x 12 heads x 1000^2 floats = 549 MiB: over the full-capture budget

// The largest weight of `head` over queries [r0, r1) and keys [c0, c1), read from the captured matrix.
float blockMax(const FloatArray& head, int r0, int r1, int c0, int c1) {
    float m = 0;
    for (int i = r0; i < r1; ++i)
        for (int j = c0; j < c1; ++j) m = std::max(m, head.at({i, j}));
    return m;
}

} // namespace

class TestAppLong : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    QString model_;
    int64_t digestBin_ = 0;   // tokens per digest cell: pooledBin(kTokens, pooledCells(the model))
    QString text_;
    std::unique_ptr<Settings> settings_;
    std::unique_ptr<MainWindow> window_;

    RunSnapshot waitForRun(const std::function<void()>& action) {
        QSignalSpy shown(window_.get(), &MainWindow::snapshotShown);
        action();
        if (!shown.wait(60000)) return {};
        return shown.last().at(0).value<RunSnapshot>();
    }
    AttentionMatrixView* matrix() const { return qobject_cast<AttentionMatrixView*>(window_->view(QStringLiteral("attention"))); }

private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        model_ = dir_.filePath(QStringLiteral("long"));
        const ModelConfig c = test::tinyConfig({}, 12, 12, 24, 11, kTokens);
        test::writeModel(model_.toStdString(), c, test::randomWeights(c, 21));
        digestBin_ = pooledBin(kTokens, pooledCells(c));
        QVERIFY(!capturesEveryHead(c, kTokens));
        QVERIFY(capturesEveryHead(c, 900));
        for (int i = 0; text_.size() < kTokens - 1; ++i) text_ += QChar("abcdefghij"[(i * 7 + i / 5) % 10]);
        settings_ = std::make_unique<Settings>(dir_.filePath(QStringLiteral("settings.ini")));
        window_ = std::make_unique<MainWindow>(*settings_);
        window_->resize(1400, 900);
        window_->show();
    }

    void runKeepsOneHeadAndDigestsAll() {
        const RunSnapshot s = waitForRun([&] { window_->openModel(model_, text_); });
        QVERIFY(s.valid());
        QCOMPARE(s.tokens(), kTokens);
        QCOMPARE(s.trace->layers.size(), size_t(1));   // the current head only
        QCOMPARE(s.trace->layers[0].heads, std::vector<int>{window_->selection()->current().head});
        QCOMPARE(s.trace->digests.size(), size_t(12));
        QCOMPARE(s.trace->digests[0].bin, digestBin_);   // 1000 tokens in the planned cells (session.h)
        QVERIFY(digestBin_ > 1);
        // Every head has its overview numbers, from the digests.
        const auto summaries = headSummaries(s);
        const FloatArray* entropy = summaries->find(HeadMetric::entropy());
        QVERIFY(entropy && entropy->size() == 144);
        QVERIFY(std::all_of(entropy->begin(), entropy->end(), [](float v) { return std::isfinite(v) && v > 0; }));
    }

    // Whole matrix: 512 x 512 cells of 1 or 2 tokens, each the largest weight it covers, pooled from the captured
    // head (its digest's cells are coarser).
    void matrixPoolsAndZoomsToExactCells() {
        const RunSnapshot s = window_->snapshot();
        AttentionMatrixController* c = matrix()->controller();
        QVERIFY(c->pooled());
        QVERIFY(!c->exactCells());
        const FloatArray head = headAttention(s.trace->layers[0], s.trace->layers[0].heads[0]);
        for (auto [q, k] : {std::pair{999, 998}, std::pair{500, 17}, std::pair{3, 0}, std::pair{641, 640}}) {
            const auto span = c->cellSpan(q, k);
            QVERIFY(span);
            QVERIFY(span->rowEnd - span->rowStart <= 2 && span->colEnd - span->colStart <= 2);
            QVERIFY(span->rowStart <= q && q < span->rowEnd && span->colStart <= k && k < span->colEnd);
            HL_SAME_FLOAT(static_cast<float>(c->plotted(q, k)), blockMax(head, span->rowStart, span->rowEnd, span->colStart, span->colEnd));
            HL_SAME_FLOAT(static_cast<float>(c->weight(q, k)), head.at({q, k}));   // the tooltip's exact weight
        }
        // Zoomed to 200 x 200 tokens: every cell is one token's exact weight.
        matrix()->plot()->xAxis->setRange(99.5, 299.5);
        matrix()->plot()->yAxis->setRange(599.5, 799.5);
        QTRY_VERIFY(c->exactCells());
        for (auto [q, k] : {std::pair{700, 150}, std::pair{620, 299}, std::pair{799, 100}}) {
            QCOMPARE(c->cellSpan(q, k)->rowEnd - c->cellSpan(q, k)->rowStart, 1);
            HL_SAME_FLOAT(static_cast<float>(c->plotted(q, k)), head.at({q, k}));
        }
        QVERIFY(!c->cellSpan(500, 150));   // outside the window
        matrix()->setPooling(MatrixPooling::Mean);
        c->resetZoom();
        QTRY_VERIFY(!c->exactCells());
        const auto span = c->cellSpan(999, 998);
        double sum = 0;
        for (int i = span->rowStart; i < span->rowEnd; ++i)
            for (int j = span->colStart; j < span->colEnd; ++j) sum += head.at({i, j});
        const int area = (span->rowEnd - span->rowStart) * (span->colEnd - span->colStart);
        QVERIFY(area > 1);
        QVERIFY(std::fabs(c->plotted(999, 998) - sum / area) < 1e-6);
        matrix()->setPooling(MatrixPooling::Max);
    }

    // Another head: its digest's picture at once, then its exact matrix, the same bits as the engine's own run.
    void headSwitchShowsDigestThenExact() {
        const RunSnapshot before = window_->snapshot();
        const HeadRef next{5, 7};
        QSignalSpy shown(window_.get(), &MainWindow::snapshotShown);
        window_->selection()->setCurrent(next);
        AttentionMatrixController* c = matrix()->controller();
        QVERIFY(c->pooled());
        const LayerDigest& d = *before.trace->digest(5);
        const int64_t side = d.pooledMax.dim(1);
        HL_SAME_FLOAT(static_cast<float>(c->plotted(999, 998)), d.pooledMax.at({7, 999 / d.bin, 998 / d.bin}));
        QVERIFY(std::isnan(c->weight(999, 998)));   // no exact weight yet
        QCOMPARE(side, (kTokens + digestBin_ - 1) / digestBin_);
        QCOMPARE(c->cellSpan(999, 998)->rowEnd - c->cellSpan(999, 998)->rowStart, int(999 - (999 / d.bin) * d.bin + 1));
        QVERIFY(shown.wait(60000));
        const RunSnapshot after = window_->snapshot();
        QVERIFY(after.trace->layer(5));
        QCOMPARE(after.trace->layer(5)->heads, std::vector<int>{7});
        QCOMPARE(after.trace->digests.size(), size_t(12));   // the same run: digests and tokens kept
        QCOMPARE(after.trace->tokenIds, before.trace->tokenIds);

        const Engine engine = Engine::load(model_.toStdString());
        RunRequest req;
        req.tokenIds = before.trace->tokenIds;
        req.capture.layers = {5};
        req.capture.heads = {7};
        req.reuseActivations = false;
        const Trace reference = engine.run(req);
        QVERIFY(test::bitDiff(after.trace->layer(5)->attention, reference.layer(5)->attention).isEmpty());
        HL_SAME_FLOAT(static_cast<float>(c->weight(999, 998)), reference.layer(5)->attention.at({0, 999, 998}));
    }

    // A paste longer than kLiveRunChars does not run as typed: the box says so, and Enter runs it.
    void longPasteWaitsForEnter() {
        InputBar bar;
        QSignalSpy runs(&bar, &InputBar::runRequested);
        auto* edit = bar.findChild<QLineEdit*>(QStringLiteral("textInput"));
        QVERIFY(edit);
        QTest::keyClicks(edit, QStringLiteral("short"));
        QTRY_COMPARE(runs.count(), 1);   // typing runs (debounced)
        QCOMPARE(runs.last().at(1).toBool(), false);
        edit->selectAll();
        QTest::keyClicks(edit, QString(InputBar::kLiveRunChars + 1, QChar('a')));
        QVERIFY(bar.waitingForEnter());
        QTest::qWait(4 * InputBar::kTypingDelayMs);
        QCOMPARE(runs.count(), 1);   // nothing ran for the long text
        QTest::keyClick(edit, Qt::Key_Return);
        QCOMPARE(runs.count(), 2);
        QCOMPARE(runs.last().at(0).toString().size(), InputBar::kLiveRunChars + 1);
        QCOMPARE(runs.last().at(1).toBool(), true);
        QVERIFY(!bar.waitingForEnter());
    }

    void cleanupTestCase() { window_.reset(); }
};

QTEST_MAIN(TestAppLong)
#include "test_app_long.moc"
