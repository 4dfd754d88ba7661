// The head metrics behind the overview and the overview itself (its item model under QAbstractItemModelTester,
// its plot, clicks), on the hand-built trace of view_test_support whose expected numbers are derived here
// (entropies of rows chosen by hand).
#include "headlight/head_metrics.h"
#include "test_support.h"
#include "view_test_support.h"
#include "views/attention/head_overview_model.h"
#include "views/attention/overview_controller.h"
#include "views/attention/overview_view.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QSignalSpy>
#include <QtTest>
#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <tuple>

using namespace headlight;
using namespace headlight::test::hand;
using headlight::test::showExposed;
using headlight::test::snapshotOf;
using headlight::test::values;

namespace {

const double kLn2 = std::log(2.0);

// Entropy (nats) of one row, the test's own formula.
double rowEntropy(const std::vector<float>& head, int i) {
    double h = 0;
    for (int j = 0; j < T; ++j)
        if (double p = cell(head, i, j); p > 0) h -= p * std::log(p);
    return h;
}

} // namespace

class TestViewsOverview : public QObject {
    Q_OBJECT
private slots:
    void metricsOfHandRows();
    void metricsMechanismsAndStates();
    void metricsDistanceFirstTokenAndSummaries();
    void metricsUnavailableAndUncaptured();
    void overviewModelPassesTester();
    void overviewPlotsMetricAndMarks();
    void overviewClickSelects();
};

void TestViewsOverview::metricsOfHandRows() {
    const Trace t = handTrace();
    const ModelConfig c = handConfig();
    const FloatArray entropy = attentionEntropy(t, c);
    QCOMPARE(entropy.shape(), (std::vector<int64_t>{2, 2}));
    // Head 0.0's rows: one-hot, two halves, (1/4,1/4,1/2), four quarters -> 0, ln2, 1.5 ln2, 2 ln2.
    QVERIFY(std::abs(entropy.at({0, 0}) - (0 + kLn2 + 1.5 * kLn2 + 2 * kLn2) / 4) < 1e-6);
    QVERIFY(std::abs(entropy.at({1, 1}) - 0.0) < 1e-7);   // one-hot rows
    for (auto [l, h, head] : {std::tuple{0, 1, kHead01}, std::tuple{1, 0, kHead10}}) {
        double sum = 0;
        for (int i = 0; i < T; ++i) sum += rowEntropy(head, i);
        QVERIFY2(std::abs(entropy.at({l, h}) - sum / T) < 1e-6, qPrintable(QString("head %1.%2").arg(l).arg(h)));
    }
    const FloatArray maxWeight = maxAttentionWeight(t, c);
    QVERIFY(std::abs(maxWeight.at({0, 0}) - (1 + .5 + .5 + .25) / 4) < 1e-6);
    QVERIFY(std::abs(maxWeight.at({0, 1}) - (1 + .9 + .8 + .9) / 4) < 1e-6);
    QVERIFY(std::abs(maxWeight.at({1, 1}) - 1.0) < 1e-6);
}

void TestViewsOverview::metricsDistanceFirstTokenAndSummaries() {
    const Trace t = handTrace();
    const ModelConfig c = handConfig();
    const FloatArray distance = meanAttentionDistance(t, c);
    const FloatArray first = firstTokenShare(t, c);
    // Head 0.0 by hand: distances 0, .5, .25*2 + .25, .25*3 + .25*2 + .25; first-token weights 1, .5, .25, .25.
    QVERIFY(std::abs(distance.at({0, 0}) - (0 + 0.5 + 0.75 + 1.5) / 4) < 1e-6);
    QVERIFY(std::abs(first.at({0, 0}) - (1 + 0.5 + 0.25 + 0.25) / 4) < 1e-6);
    QVERIFY(std::abs(distance.at({1, 1})) < 1e-7);              // the diagonal: every query reads itself
    QVERIFY(std::abs(first.at({1, 1}) - 0.25) < 1e-7);          // only query 0 rests on token 0
    for (auto [l, h, head] : {std::tuple{0, 1, kHead01}, std::tuple{1, 0, kHead10}}) {   // the test's own sums
        double d = 0, f = 0;
        for (int i = 0; i < T; ++i) {
            f += cell(head, i, 0);
            for (int j = 0; j < T; ++j) d += cell(head, i, j) * std::abs(i - j);
        }
        QVERIFY(std::abs(distance.at({l, h}) - d / T) < 1e-6);
        QVERIFY(std::abs(first.at({l, h}) - f / T) < 1e-6);
    }
    // One summary per run holds every available metric, equal to each metric computed alone, and the states.
    const HeadSummaries summaries = summarizeHeads(t, c);
    QCOMPARE(summaries.metrics.size(), availableHeadMetrics(c).size());
    for (HeadMetric m : availableHeadMetrics(c)) {
        const FloatArray* got = summaries.find(m);
        QVERIFY(got);
        const FloatArray alone = computeHeadMetric(m, t, c);
        QCOMPARE(got->shape(), alone.shape());
        for (int64_t k = 0; k < alone.size(); ++k)
            QVERIFY((std::isnan(got->data()[k]) && std::isnan(alone.data()[k])) || got->data()[k] == alone.data()[k]);
    }
    QVERIFY(summaries.states.isClosed(0, 1) && summaries.states.isPruned(1, 1));
    QVERIFY(!summarizeHeads(t, test::tinyConfig({}, 2, 2)).find(HeadMetric{"gate"}));   // the model lacks gates
    // A snapshot made by a run carries them; another trace in the same snapshot gets its own.
    RunSnapshot run = handSnapshot();
    summarize(run);
    QCOMPARE(headSummaries(run), run.summaries);
    RunSnapshot other = run;
    other.trace = std::make_shared<const Trace>(t);
    QVERIFY(headSummaries(other) != run.summaries);
}

void TestViewsOverview::metricsMechanismsAndStates() {
    const Trace t = handTrace();
    const ModelConfig c = handConfig();
    const FloatArray masking = computeHeadMetric(HeadMetric{"masking"}, t, c);
    for (int h = 0; h < 2; ++h) {   // one value per layer, shared by its heads
        QVERIFY(std::abs(masking.at({0, h}) - (0.4 + 1.0 + 0.1) / 3) < 1e-6);   // 1.7 counts as 1; F[3,0] ignored
        QVERIFY(std::abs(masking.at({1, h}) - 0.2) < 1e-6);
    }
    const FloatArray memory = computeHeadMetric(HeadMetric{"memory_share"}, t, c);
    QVERIFY(std::abs(memory.at({0, 0}) - 0.25) < 1e-6);
    QCOMPARE(memory.at({0, 1}), 0.0f);
    QVERIFY(std::isnan(memory.at({1, 0})) && std::isnan(memory.at({1, 1})));   // layer 1 kept no memory tensor
    QCOMPARE(computeHeadMetric(HeadMetric{"gate"}, t, c).at({1, 1}), 0.75f);
    QCOMPARE(computeHeadMetric(HeadMetric{"p_open"}, t, c).at({0, 1}), 0.02f);
    QCOMPARE(computeHeadMetric(HeadMetric{"span"}, t, c).at({0, 1}), 2.5f);
    const HeadStates states = headStates(t, c);
    QVERIFY(states.isClosed(0, 1) && !states.isClosed(0, 0) && !states.isClosed(1, 0));
    QVERIFY(states.isPruned(1, 1) && !states.isPruned(0, 1));
    QVERIFY(!states.isPruned(5, 0) && !states.isClosed(-1, 0));   // out of range: simply not
    for (const auto& info : headMetrics()) QCOMPARE(headMetricFromId(info.id), std::optional(info.metric));
    QVERIFY(!headMetricFromId("no-such-metric"));
}

void TestViewsOverview::metricsUnavailableAndUncaptured() {
    const ModelConfig plain = test::tinyConfig({}, 2, 2);
    Trace t = handTrace();
    // Entropy, max weight, distance, first token, and the seven role scores (NaN until a run measures them).
    QCOMPARE(static_cast<int>(availableHeadMetrics(plain).size()), 4 + 7);
    QCOMPARE(static_cast<int>(availableHeadMetrics(handConfig()).size()), 9 + 7);
    QVERIFY(std::isnan(computeHeadMetric(HeadMetric{"role_induction"}, t, plain).at({0, 0})));   // not measured
    for (HeadMetric m : {HeadMetric{"gate"}, HeadMetric{"p_open"}, HeadMetric{"span"}, HeadMetric{"masking"},
                         HeadMetric{"memory_share"}}) {
        const FloatArray a = computeHeadMetric(m, t, plain);
        QVERIFY(std::all_of(a.begin(), a.end(), [](float v) { return std::isnan(v); }));
    }
    t.layers.erase(t.layers.begin());   // capture filter: only layer 1, only its head 1
    t.layers[0].heads = {1};
    t.layers[0].attention = values({1, T, T}, kHead11);
    const FloatArray entropy = attentionEntropy(t, handConfig());
    QVERIFY(std::isnan(entropy.at({0, 0})) && std::isnan(entropy.at({0, 1})) && std::isnan(entropy.at({1, 0})));
    QVERIFY(std::abs(entropy.at({1, 1})) < 1e-7);
    QCOMPARE(computeHeadMetric(HeadMetric{"span"}, t, handConfig()).at({1, 0}), 0.5f);   // per-layer parameters need no head filter
}

void TestViewsOverview::overviewModelPassesTester() {
    HeadOverviewModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setSnapshot(handSnapshot());
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.columnCount(), 2);
    QCOMPARE(model.headerData(1, Qt::Vertical).toString(), QString("layer 1"));
    QCOMPARE(model.headerData(0, Qt::Horizontal).toString(), QString("head 0"));
    const double expected00 = (0 + kLn2 + 1.5 * kLn2 + 2 * kLn2) / 4;
    QVERIFY(std::abs(model.index(0, 0).data(HeadOverviewModel::ValueRole).toDouble() - expected00) < 1e-6);
    // Every cell with the same decimals: 3 significant digits of the largest entropy, which is below 1 here.
    QCOMPARE(model.cellDecimals(), 3);
    QCOMPARE(model.index(0, 0).data().toString(), QString::number(expected00, 'f', 3));
    QVERIFY(model.index(0, 0).data(Qt::ToolTipRole).toString().contains("Attention entropy"));
    for (const QString& id : model.availableMetrics()) {   // every metric: values equal the core's
        model.setMetric(id);
        QCOMPARE(model.metric(), id);
        const FloatArray expected = computeHeadMetric(*headMetricFromId(id.toStdString()), handTrace(), handConfig());
        for (int l = 0; l < 2; ++l)
            for (int h = 0; h < 2; ++h) {
                const double v = model.index(l, h).data(HeadOverviewModel::ValueRole).toDouble();
                QVERIFY((std::isnan(v) && std::isnan(expected.at({l, h}))) || v == double(expected.at({l, h})));
            }
    }
    model.setMetric("gate");
    QCOMPARE(model.index(0, 1).data(HeadOverviewModel::ValueRole).toDouble(), 0.0);
    QVERIFY(model.index(0, 1).data(HeadOverviewModel::ClosedRole).toBool());
    QVERIFY(model.index(0, 1).data(Qt::ToolTipRole).toString().contains("Gate closed"));
    QVERIFY(model.index(1, 1).data(HeadOverviewModel::PrunedRole).toBool());
    QVERIFY(model.index(1, 1).data(Qt::ToolTipRole).toString().contains("Pruned"));
    QCOMPARE(model.index(1, 0).data(Qt::ToolTipRole).toString().contains("Pruned"), false);
    model.setSnapshot(snapshotOf(test::tinyConfig({}, 3, 1), [] {   // a smaller model: gate falls back to entropy
        Trace t;
        t.tokenIds = {0};
        t.tokens = {"x"};
        return t;
    }()));
    QCOMPARE(model.metric(), QString("entropy"));
    QCOMPARE(model.requestedMetric(), QString("gate"));
    QCOMPARE(model.rowCount(), 3);
    QVERIFY(std::isnan(model.index(2, 0).data(HeadOverviewModel::ValueRole).toDouble()));
    QCOMPARE(model.index(2, 0).data().toString(), QString("n/a"));
}

void TestViewsOverview::overviewPlotsMetricAndMarks() {
    HeadSelection selection;
    OverviewView view(&selection);
    view.setSnapshot(handSnapshot());
    QVERIFY(view.unavailableReason().isEmpty());
    QCOMPARE(view.metricBox()->count(), 16);   // four attention metrics, seven role scores, five of the mechanisms
    view.setMetric("max_weight");
    QCOMPARE(view.metricBox()->currentData().toString(), QString("max_weight"));
    QCPColorMap* map = view.controller()->map();
    QVERIFY(std::abs(map->data()->data(0, 0) - (1 + .5 + .5 + .25) / 4) < 1e-6);   // (head, layer)
    QVERIFY(std::abs(map->data()->data(1, 0) - (1 + .9 + .8 + .9) / 4) < 1e-6);
    QCOMPARE(view.controller()->closedMarks(), (QList<HeadRef>{{0, 1}}));
    QCOMPARE(view.controller()->prunedMarks(), (QList<HeadRef>{{1, 1}}));
    QVERIFY(view.controller()->legendText().contains("gate closed"));
    QVERIFY(view.controller()->legendText().contains("pruned"));
    QSignalSpy changed(&view, &OverviewView::metricChanged);
    view.metricBox()->setCurrentIndex(view.metricBox()->findData("span"));
    emit view.metricBox()->activated(view.metricBox()->currentIndex());
    QCOMPARE(changed.count(), 1);
    QCOMPARE(view.metric(), QString("span"));
    QCOMPARE(map->data()->data(1, 1), 4.0);
    // A model without gates offers only the always-available metrics; the request is kept for later.
    view.setSnapshot(snapshotOf(test::tinyConfig({}, 2, 2), handTrace()));
    QCOMPARE(view.metricBox()->count(), 4 + 7);   // the attention metrics and the role scores
    QCOMPARE(view.model()->metric(), QString("entropy"));
    QCOMPARE(view.metric(), QString("span"));
    QVERIFY(view.controller()->closedMarks().isEmpty());
}

void TestViewsOverview::overviewClickSelects() {
    HeadSelection selection;
    OverviewView view(&selection);
    view.setSnapshot(handSnapshot());
    QVERIFY(showExposed(view, test::kAttentionViewSize));
    view.plot()->replot();
    QTest::mouseClick(view.plot(), Qt::LeftButton, Qt::NoModifier, view.controller()->cellCenter({1, 0}).toPoint());
    QCOMPARE(selection.current(), (HeadRef{1, 0}));
    QTest::mouseClick(view.plot(), Qt::LeftButton, Qt::ControlModifier, view.controller()->cellCenter({0, 1}).toPoint());
    QCOMPARE(selection.heads(), (QList<HeadRef>{{0, 1}, {1, 0}}));
    QCOMPARE(view.controller()->outlinedHeads(), (QList<HeadRef>{{0, 1}, {1, 0}}));
    QTest::mouseClick(view.plot(), Qt::LeftButton, Qt::NoModifier, QPoint(2, 2));   // outside the grid: no change
    QCOMPARE(selection.heads().size(), 2);
}

QTEST_MAIN(TestViewsOverview)
#include "test_views_overview.moc"
