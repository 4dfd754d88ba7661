// The attention views and the head metrics behind the overview, on hand-built traces whose expected numbers
// are written out here (entropies of rows chosen by hand, softmaxes computed in the test), plus one run of the
// bundled sample model end to end.
#include "headlight/engine.h"
#include "headlight/head_metrics.h"
#include "test_support.h"
#include "views/attention/attention_matrix_view.h"
#include "views/attention/head_overview_model.h"
#include "views/attention/overview_controller.h"
#include "views/attention/overview_view.h"
#include "views/attention/predictions_view.h"
#include "views/attention/token_lines_canvas.h"
#include "views/attention/token_lines_view.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QFile>
#include <QImage>
#include <QTemporaryDir>
#include <QXmlStreamReader>
#include <QtTest>
#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <set>
#include <tuple>

using namespace headlight;
using headlight::test::values;

namespace {

constexpr int T = 4;
const double kLn2 = std::log(2.0);

// Rows (query i) of each head's [T,T] attention, written out by hand. Head 0.1 has two negligible weights
// (0.005) and head 1.0 a non-zero weight above the diagonal that the matrix must still show as zero.
const std::vector<float> kHead00 = {1, 0, 0, 0, .5f, .5f, 0, 0, .25f, .25f, .5f, 0, .25f, .25f, .25f, .25f};
const std::vector<float> kHead01 = {1, 0, 0, 0, .9f, .1f, 0, 0, .1f, .8f, .1f, 0, .005f, .005f, .09f, .9f};
const std::vector<float> kHead10 = {1, 0, 0, .3f, .2f, .8f, 0, 0, .6f, .2f, .2f, 0, .1f, .2f, .3f, .4f};
const std::vector<float> kHead11 = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};

float cell(const std::vector<float>& head, int i, int j) { return head[static_cast<size_t>(i * T + j)]; }

std::vector<float> concat(const std::vector<float>& a, const std::vector<float>& b) {
    std::vector<float> out = a;
    out.insert(out.end(), b.begin(), b.end());
    return out;
}

// Entropy (nats) of one row, the test's own formula.
double rowEntropy(const std::vector<float>& head, int i) {
    double h = 0;
    for (int j = 0; j < T; ++j)
        if (double p = cell(head, i, j); p > 0) h -= p * std::log(p);
    return h;
}

ModelConfig handConfig() { return test::tinyConfig({"gates", "span", "selective", "memory"}, 2, 2, 8, 11, 16); }

// Two layers x two heads x four tokens, every mechanism's tensors filled with hand-picked numbers.
Trace handTrace() {
    Trace t;
    t.tokenIds = {1, 2, 3, 4};
    t.tokens = {"a", "b", "c", " "};
    std::vector<float> logits;   // [T,11]: a distinct, hand-computable row per position
    for (int i = 0; i < T; ++i)
        for (int v = 0; v < 11; ++v) logits.push_back(static_cast<float>(((v * 7 + i * 3) % 11) * 0.37 - 0.1 * v));
    t.logits = values({T, 11}, logits);
    t.loss = values({T - 1}, {2.0f, 0.5f, 1.25f});
    t.headMask = values({2, 2}, {1, 1, 1, 0});   // head 1.1 pruned
    LayerTrace l0;
    l0.layer = 0;
    l0.heads = {0, 1};
    l0.attention = values({2, T, T}, concat(kHead00, kHead01));
    // [2,T,3]: head 0's rows sum to .1 .2 .3 .4, head 1 never looks at memory.
    std::vector<float> memory = {.1f, 0, 0, .1f, .1f, 0, .1f, .1f, .1f, .2f, .1f, .1f};
    memory.resize(24, 0.0f);
    l0.memoryAttention = values({2, T, 3}, memory);
    l0.gate = values({2}, {1.0f, 0.0f});   // head 0.1 closed
    l0.gateOpenProbability = values({2}, {0.99f, 0.02f});
    l0.span = values({2}, {6.0f, 2.5f});
    std::vector<float> F(T * T, 0.0f);   // pairs j<i, j>0: (2,1)=.4 (3,1)=1.7 (3,2)=.1; F[3,0]=5 must be ignored
    F[2 * T + 1] = 0.4f;
    F[3 * T + 1] = 1.7f;
    F[3 * T + 2] = 0.1f;
    F[3 * T + 0] = 5.0f;
    l0.selectionCumulative = values({T, T}, F);
    l0.selection = test::constant({T, T}, 0.0f);
    LayerTrace l1;   // no memory tensor captured here
    l1.layer = 1;
    l1.heads = {0, 1};
    l1.attention = values({2, T, T}, concat(kHead10, kHead11));
    l1.gate = values({2}, {0.5f, 0.75f});
    l1.gateOpenProbability = values({2}, {0.6f, 0.8f});
    l1.span = values({2}, {0.5f, 4.0f});
    l1.selectionCumulative = test::constant({T, T}, 0.2f);
    l1.selection = test::constant({T, T}, 0.0f);
    t.layers = {l0, l1};
    return t;
}

RunSnapshot snapshotOf(const ModelConfig& config, Trace trace) {
    auto model = std::make_shared<ModelInfo>();
    model->name = "hand";
    model->config = config;
    for (int v = 0; v < config.vocabSize; ++v) model->vocabulary.push_back(std::string(1, "^abcdefghijklmnop"[v % 17]));
    RunSnapshot s;
    s.model = model;
    s.trace = std::make_shared<Trace>(std::move(trace));
    return s;
}

RunSnapshot handSnapshot() { return snapshotOf(handConfig(), handTrace()); }

void showSized(QWidget& w) {
    w.resize(720, 560);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
}

void hoverCanvas(TokenLinesCanvas* canvas, QPointF pos) {
    QMouseEvent move(QEvent::MouseMove, pos, canvas->mapToGlobal(pos), Qt::NoButton, Qt::NoButton, Qt::NoModifier);
    QCoreApplication::sendEvent(canvas, &move);
}

using Line = std::tuple<int, int, int>;   // query, key, series
std::set<Line> lineSet(const QVector<TokenLine>& lines) {
    std::set<Line> out;
    for (const TokenLine& l : lines) out.insert({l.query, l.key, l.series});
    return out;
}

std::unique_ptr<TraceView> makeView(const QString& id, HeadSelection* selection) {
    if (id == "overview") return std::make_unique<OverviewView>(selection);
    if (id == "attention") return std::make_unique<AttentionMatrixView>(selection);
    if (id == "lines") return std::make_unique<TokenLinesView>(selection);
    return std::make_unique<PredictionsView>(selection);
}

} // namespace

class TestViewsAttention : public QObject {
    Q_OBJECT
private slots:
    void metricsOfHandRows();
    void metricsMechanismsAndStates();
    void metricsUnavailableAndUncaptured();
    void overviewModelPassesTester();
    void overviewPlotsMetricAndMarks();
    void overviewClickSelects();
    void matrixHeadMode();
    void matrixMeanModes();
    void matrixLogScale();
    void matrixTooltipAndClick();
    void matrixUnavailable();
    void tokenLinesHover();
    void tokenLinesSeveralHeads();
    void predictionsTopTenAndLoss();
    void predictionsPositionAndClick();
    void predictionsWithoutLogits();
    void singleTokenRun();
    void longRunStaysResponsive();
    void exportEachView_data();
    void exportEachView();
    void sampleModelEndToEnd();
};

void TestViewsAttention::metricsOfHandRows() {
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

void TestViewsAttention::metricsMechanismsAndStates() {
    const Trace t = handTrace();
    const ModelConfig c = handConfig();
    const FloatArray masking = maskingReceived(t, c);
    for (int h = 0; h < 2; ++h) {   // one value per layer, shared by its heads
        QVERIFY(std::abs(masking.at({0, h}) - (0.4 + 1.0 + 0.1) / 3) < 1e-6);   // 1.7 counts as 1; F[3,0] ignored
        QVERIFY(std::abs(masking.at({1, h}) - 0.2) < 1e-6);
    }
    const FloatArray memory = memoryShare(t, c);
    QVERIFY(std::abs(memory.at({0, 0}) - 0.25) < 1e-6);
    QCOMPARE(memory.at({0, 1}), 0.0f);
    QVERIFY(std::isnan(memory.at({1, 0})) && std::isnan(memory.at({1, 1})));   // layer 1 kept no memory tensor
    QCOMPARE(computeHeadMetric(HeadMetric::Gate, t, c).at({1, 1}), 0.75f);
    QCOMPARE(computeHeadMetric(HeadMetric::OpenProbability, t, c).at({0, 1}), 0.02f);
    QCOMPARE(computeHeadMetric(HeadMetric::Span, t, c).at({0, 1}), 2.5f);
    const HeadStates states = headStates(t, c);
    QVERIFY(states.isClosed(0, 1) && !states.isClosed(0, 0) && !states.isClosed(1, 0));
    QVERIFY(states.isPruned(1, 1) && !states.isPruned(0, 1));
    QVERIFY(!states.isPruned(5, 0) && !states.isClosed(-1, 0));   // out of range: simply not
    for (const auto& info : headMetrics()) QCOMPARE(headMetricFromId(info.id), std::optional(info.metric));
    QVERIFY(!headMetricFromId("no-such-metric"));
}

void TestViewsAttention::metricsUnavailableAndUncaptured() {
    const ModelConfig plain = test::tinyConfig({}, 2, 2);
    Trace t = handTrace();
    QCOMPARE(static_cast<int>(availableHeadMetrics(plain).size()), 2);   // entropy and max weight
    QCOMPARE(static_cast<int>(availableHeadMetrics(handConfig()).size()), 7);
    for (HeadMetric m : {HeadMetric::Gate, HeadMetric::OpenProbability, HeadMetric::Span, HeadMetric::Masking,
                         HeadMetric::MemoryShare}) {
        const FloatArray a = computeHeadMetric(m, t, plain);
        QVERIFY(std::all_of(a.begin(), a.end(), [](float v) { return std::isnan(v); }));
    }
    t.layers.erase(t.layers.begin());   // capture filter: only layer 1, only its head 1
    t.layers[0].heads = {1};
    t.layers[0].attention = values({1, T, T}, kHead11);
    const FloatArray entropy = attentionEntropy(t, handConfig());
    QVERIFY(std::isnan(entropy.at({0, 0})) && std::isnan(entropy.at({0, 1})) && std::isnan(entropy.at({1, 0})));
    QVERIFY(std::abs(entropy.at({1, 1})) < 1e-7);
    QCOMPARE(attentionSpan(t, handConfig()).at({1, 0}), 0.5f);   // per-layer parameters need no head filter
}

void TestViewsAttention::overviewModelPassesTester() {
    HeadOverviewModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setSnapshot(handSnapshot());
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.columnCount(), 2);
    QCOMPARE(model.headerData(1, Qt::Vertical).toString(), QString("layer 1"));
    QCOMPARE(model.headerData(0, Qt::Horizontal).toString(), QString("head 0"));
    const double expected00 = (0 + kLn2 + 1.5 * kLn2 + 2 * kLn2) / 4;
    QVERIFY(std::abs(model.index(0, 0).data(HeadOverviewModel::ValueRole).toDouble() - expected00) < 1e-6);
    QCOMPARE(model.index(0, 0).data().toString(), QString::number(expected00, 'g', 3));
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

void TestViewsAttention::overviewPlotsMetricAndMarks() {
    HeadSelection selection;
    OverviewView view(&selection);
    view.setSnapshot(handSnapshot());
    QVERIFY(view.unavailableReason().isEmpty());
    QCOMPARE(view.metricBox()->count(), 7);
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
    QCOMPARE(view.metricBox()->count(), 2);
    QCOMPARE(view.model()->metric(), QString("entropy"));
    QCOMPARE(view.metric(), QString("span"));
    QVERIFY(view.controller()->closedMarks().isEmpty());
}

void TestViewsAttention::overviewClickSelects() {
    HeadSelection selection;
    OverviewView view(&selection);
    view.setSnapshot(handSnapshot());
    showSized(view);
    view.plot()->replot();
    QTest::mouseClick(view.plot(), Qt::LeftButton, Qt::NoModifier, view.controller()->cellCenter({1, 0}).toPoint());
    QCOMPARE(selection.current(), (HeadRef{1, 0}));
    QTest::mouseClick(view.plot(), Qt::LeftButton, Qt::ControlModifier, view.controller()->cellCenter({0, 1}).toPoint());
    QCOMPARE(selection.heads(), (QList<HeadRef>{{0, 1}, {1, 0}}));
    QCOMPARE(view.controller()->outlinedHeads(), (QList<HeadRef>{{0, 1}, {1, 0}}));
    QTest::mouseClick(view.plot(), Qt::LeftButton, Qt::NoModifier, QPoint(2, 2));   // outside the grid: no change
    QCOMPARE(selection.heads().size(), 2);
}

void TestViewsAttention::matrixHeadMode() {
    HeadSelection selection;
    selection.setCurrent({1, 0});
    AttentionMatrixView view(&selection);
    view.setSnapshot(handSnapshot());
    QVERIFY(view.unavailableReason().isEmpty());
    auto* c = view.controller();
    QCOMPARE(c->tokens(), T);
    for (int i = 0; i < T; ++i)
        for (int j = 0; j < T; ++j) {
            const double expected = j <= i ? cell(kHead10, i, j) : 0.0;   // the 0.3 above the diagonal reads as 0
            QCOMPARE(c->plotted(i, j), expected);
            QCOMPARE(c->weight(i, j), expected);
        }
    QCOMPARE(c->map()->dataRange().upper, 1.0);
}

void TestViewsAttention::matrixMeanModes() {
    HeadSelection selection;
    selection.setCurrent({0, 0});
    AttentionMatrixView view(&selection);
    view.setSnapshot(handSnapshot());
    view.setMode(MatrixMode::LayerMean);
    for (int i = 0; i < T; ++i)
        for (int j = 0; j <= i; ++j)
            QVERIFY(std::abs(view.controller()->plotted(i, j) - (cell(kHead00, i, j) + cell(kHead01, i, j)) / 2) < 1e-6);
    QCOMPARE(view.controller()->shownHeads().size(), 2);
    selection.toggle({1, 1});   // selected: 1.1 (current) and 0.0
    view.setMode(MatrixMode::SelectedMean);
    QVERIFY(std::abs(view.controller()->plotted(3, 2) - (cell(kHead11, 3, 2) + cell(kHead00, 3, 2)) / 2) < 1e-6);
    QVERIFY(std::abs(view.controller()->plotted(2, 1) - (0 + 0.25) / 2) < 1e-6);
    QVERIFY(view.controller()->subject().contains("2 selected heads"));
}

void TestViewsAttention::matrixLogScale() {
    HeadSelection selection;
    AttentionMatrixView view(&selection);
    view.setSnapshot(handSnapshot());
    view.setScale(MatrixScale::Log);
    auto* c = view.controller();
    QCOMPARE(c->map()->dataScaleType(), QCPAxis::stLogarithmic);
    QCOMPARE(c->colorScale()->dataScaleType(), QCPAxis::stLogarithmic);
    QCOMPARE(c->plotted(1, 1), double(0.5f));
    QCOMPARE(c->plotted(0, 3), AttentionMatrixController::kLogFloor);   // zero weights sit at the floor
    QCOMPARE(c->weight(0, 3), 0.0);
    QCOMPARE(c->map()->dataRange().lower, AttentionMatrixController::kLogFloor);
    view.setScale(MatrixScale::Linear);
    QCOMPARE(c->plotted(0, 3), 0.0);
    QCOMPARE(c->map()->dataScaleType(), QCPAxis::stLinear);
}

void TestViewsAttention::matrixTooltipAndClick() {
    HeadSelection selection;
    AttentionMatrixView view(&selection);
    view.setSnapshot(handSnapshot());
    const QString tip = view.controller()->toolTip(2, 1);
    QVERIFY2(tip.contains("query 2") && tip.contains("\u201cc\u201d") && tip.contains("key 1") &&
                 tip.contains("\u201cb\u201d") && tip.contains("weight 0.25"),
             qPrintable(tip));
    QVERIFY(view.controller()->toolTip(1, 3).contains("causal mask"));
    QVERIFY(view.controller()->toolTip(3, 3).contains("\u2423"));   // the space token made visible
    QVERIFY(view.controller()->toolTip(9, 0).isEmpty());
    showSized(view);
    view.plot()->replot();
    QTest::mouseClick(view.plot(), Qt::LeftButton, Qt::NoModifier, view.controller()->cellCenter({2, 1}).toPoint());
    QCOMPARE(selection.position(), 2);
}

void TestViewsAttention::matrixUnavailable() {
    HeadSelection selection;
    AttentionMatrixView view(&selection);
    Trace t = handTrace();
    t.layers.pop_back();   // layer 1 not captured
    view.setSnapshot(snapshotOf(handConfig(), t));
    selection.setCurrent({1, 0});
    QVERIFY(view.unavailableReason().contains("not captured"));
    selection.setCurrent({7, 9});   // a stale selection from a bigger model: shows the nearest head (1.1)
    QVERIFY(view.unavailableReason().contains("not captured"));
    selection.setCurrent({0, 9});
    QVERIFY(view.unavailableReason().isEmpty());
    QCOMPARE(view.controller()->shownHeads(), (QList<HeadRef>{{0, 1}}));
    t.layers.clear();
    view.setSnapshot(snapshotOf(handConfig(), t));
    QVERIFY(view.unavailableReason().contains("capture"));
    for (const QString& id : QStringList{"overview", "lines"}) {   // the same run in the other head views
        auto other = makeView(id, &selection);
        other->setSnapshot(snapshotOf(handConfig(), t));
        QVERIFY2(other->unavailableReason().contains("capture"), qPrintable(id));
    }
}

void TestViewsAttention::tokenLinesHover() {
    HeadSelection selection;
    selection.setCurrent({0, 1});
    TokenLinesView view(&selection);
    view.setSnapshot(handSnapshot());
    showSized(view);
    TokenLinesController* c = view.controller();
    // Every weight >= 0.01 of head 0.1 is a line; the two 0.005 weights are not.
    std::set<Line> expected;
    for (int i = 0; i < T; ++i)
        for (int j = 0; j <= i; ++j)
            if (cell(kHead01, i, j) >= 0.01f) expected.insert({i, j, 0});
    QCOMPARE(lineSet(c->lines()), expected);
    QCOMPARE(static_cast<int>(expected.size()), 8);

    TokenLinesCanvas* canvas = view.canvas();
    hoverCanvas(canvas, canvas->tokenAnchor({TokenSide::Query, 3}) - QPointF(10, 0));
    QVERIFY(c->hovered() && *c->hovered() == (TokenRef{TokenSide::Query, 3}));
    const QVector<TokenLine> lines = c->lines();
    QCOMPARE(lineSet(lines), (std::set<Line>{{3, 2, 0}, {3, 3, 0}}));
    for (const TokenLine& l : lines)
        QCOMPARE(TokenLinesController::opacity(l), double(cell(kHead01, 3, l.key)));   // .09 and .9

    hoverCanvas(canvas, canvas->tokenAnchor({TokenSide::Key, 1}) + QPointF(10, 0));
    QCOMPARE(lineSet(c->lines()), (std::set<Line>{{1, 1, 0}, {2, 1, 0}}));   // 0.1 and 0.8 into key 1
    hoverCanvas(canvas, QPointF(canvas->width() / 2.0, canvas->rowCenter(1)));   // between the columns
    QVERIFY(!c->hovered());
    QCOMPARE(static_cast<int>(c->lines().size()), 8);

    QTest::mouseClick(canvas, Qt::LeftButton, Qt::NoModifier,
                      (canvas->tokenAnchor({TokenSide::Query, 2}) - QPointF(10, 0)).toPoint());
    QCOMPARE(selection.position(), 2);
    QCOMPARE(c->position(), 2);
}

void TestViewsAttention::tokenLinesSeveralHeads() {
    HeadSelection selection;
    selection.setCurrent({1, 1});
    selection.toggle({0, 0});   // heads(): 0.0 (current), 1.1
    TokenLinesView view(&selection);
    view.setSnapshot(handSnapshot());
    TokenLinesController* c = view.controller();
    QCOMPARE(c->heads(), (QList<HeadRef>{{0, 0}, {1, 1}}));
    c->setHovered(TokenRef{TokenSide::Query, 2});
    QCOMPARE(lineSet(c->lines()), (std::set<Line>{{2, 0, 0}, {2, 1, 0}, {2, 2, 0}, {2, 2, 1}}));
    QVERIFY(TokenLinesController::seriesColorOf(0) != TokenLinesController::seriesColorOf(1));
    selection.toggle({5, 5});   // out of the model: the nearest head (1.1) is already shown
    QCOMPARE(c->heads().size(), 2);
}

void TestViewsAttention::predictionsTopTenAndLoss() {
    HeadSelection selection;
    selection.setPosition(1);
    PredictionsView view(&selection);
    const RunSnapshot run = handSnapshot();
    view.setSnapshot(run);
    QVERIFY(view.unavailableReason().isEmpty());
    // Softmax of logits row 1, computed here, sorted by probability.
    std::vector<std::pair<double, int>> expected;
    double sum = 0;
    for (int v = 0; v < 11; ++v) sum += std::exp(double(run.trace->logits.at({1, v})));
    for (int v = 0; v < 11; ++v) expected.push_back({std::exp(double(run.trace->logits.at({1, v}))) / sum, v});
    std::sort(expected.begin(), expected.end(), [](auto a, auto b) { return a.first > b.first; });
    const QVector<Prediction> top = view.controller()->predictions();
    QCOMPARE(top.size(), 10);
    QCPBars* bars = view.controller()->bars();
    QCOMPARE(bars->data()->size(), 10);
    for (int r = 0; r < 10; ++r) {
        QCOMPARE(top[r].id, int64_t(expected[size_t(r)].second));
        QVERIFY(std::abs(top[r].probability - expected[size_t(r)].first) < 1e-9);
        QCOMPARE(top[r].label, run.vocabLabel(expected[size_t(r)].second));
        QCOMPARE(bars->data()->at(r)->key, double(r));
        QVERIFY(std::abs(bars->data()->at(r)->value - expected[size_t(r)].first) < 1e-9);
    }
    // The text continues with id 3 after position 1.
    double p3 = 0;
    for (auto [p, v] : expected) if (v == 3) p3 = p;
    QVERIFY(std::abs(view.controller()->actualProbability() - p3) < 1e-9);
    QCPGraph* loss = view.controller()->lossGraph();
    QCOMPARE(loss->data()->size(), T - 1);
    for (int i = 0; i < T - 1; ++i) {
        QCOMPARE(loss->data()->at(i)->key, double(i));
        QCOMPARE(loss->data()->at(i)->value, double(run.trace->loss.at({i})));
    }
}

void TestViewsAttention::predictionsPositionAndClick() {
    HeadSelection selection;
    PredictionsView view(&selection);
    view.setSnapshot(handSnapshot());
    QCOMPARE(view.controller()->position(), T - 1);   // none selected: the last token
    QCOMPARE(view.controller()->actualRank(), -1);    // nothing follows it
    selection.setPosition(99);
    QCOMPARE(view.controller()->position(), T - 1);
    showSized(view);
    view.plot()->replot();
    QTest::mouseClick(view.plot(), Qt::LeftButton, Qt::NoModifier, view.controller()->lossPoint(1).toPoint());
    QCOMPARE(selection.position(), 1);
    QCOMPARE(view.controller()->position(), 1);
    QVERIFY(view.controller()->lossToolTip(1).contains("loss 0.5"));
}

void TestViewsAttention::predictionsWithoutLogits() {
    HeadSelection selection;
    PredictionsView view(&selection);
    Trace t = handTrace();
    t.logits = FloatArray();
    view.setSnapshot(snapshotOf(handConfig(), t));
    QVERIFY(view.unavailableReason().contains("no logits"));
}

void TestViewsAttention::singleTokenRun() {
    Trace t;
    t.tokenIds = {2};
    t.tokens = {"b"};
    t.logits = values({1, 11}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
    t.loss = FloatArray({0}, std::vector<float>{});
    LayerTrace l;
    l.heads = {0, 1};
    l.attention = values({2, 1, 1}, {1, 1});
    t.layers = {l};
    const RunSnapshot run = snapshotOf(test::tinyConfig({}, 1, 2), t);
    HeadSelection selection;
    selection.setPosition(3);
    for (const QString& id : QStringList{"overview", "attention", "lines", "predictions"}) {
        auto view = makeView(id, &selection);
        view->setSnapshot(run);
        QVERIFY2(view->unavailableReason().isEmpty(), qPrintable(id + ": " + view->unavailableReason()));
    }
    AttentionMatrixView matrix(&selection);
    matrix.setSnapshot(run);
    QCOMPARE(matrix.controller()->plotted(0, 0), 1.0);
    PredictionsView predictions(&selection);
    predictions.setSnapshot(run);
    QCOMPARE(predictions.controller()->predictions().front().id, int64_t(10));
    QCOMPARE(predictions.controller()->lossGraph()->data()->size(), 0);
}

void TestViewsAttention::longRunStaysResponsive() {
    const int n = 2048;   // local attention: each query on itself, its neighbour and the first token
    std::vector<float> a(static_cast<size_t>(n) * n, 0.0f);
    for (int i = 0; i < n; ++i) {
        a[size_t(i) * n + i] += 0.5f;
        a[size_t(i) * n + std::max(0, i - 1)] += 0.3f;
        a[size_t(i) * n] += 0.2f;
    }
    Trace t;
    for (int i = 0; i < n; ++i) {
        t.tokenIds.push_back(i % 11);
        t.tokens.push_back(std::string(1, char('a' + i % 11)));
    }
    t.loss = test::constant({n - 1}, 1.0f);
    t.logits = test::constant({n, 11}, 0.5f);
    LayerTrace l;
    l.heads = {0};
    l.attention = values({1, n, n}, a);
    t.layers = {l};
    const RunSnapshot run = snapshotOf(test::tinyConfig({}, 1, 1, 8, 11, n), t);
    HeadSelection selection;
    for (const QString& id : QStringList{"overview", "attention", "lines", "predictions"}) {
        auto view = makeView(id, &selection);
        showSized(*view);
        // Functional at 2048 tokens; how fast is bench_gui's job, not a unit test's.
        view->setSnapshot(run);
        view->grab();   // paint what is visible
        QVERIFY(view->unavailableReason().isEmpty());
        selection.setPosition(selection.position() == 100 ? 101 : 100);
        view->grab();
        if (auto* matrix = dynamic_cast<AttentionMatrixView*>(view.get())) {
            QCoreApplication::processEvents();   // the replot that fits the labels to the laid-out axis
            QCOMPARE(matrix->controller()->plotted(2047, 2046), double(0.3f));
            const int labels = matrix->plot()->yAxis->tickVector().size();   // thinned to what fits
            QVERIFY2(labels > 3 && labels < matrix->plot()->axisRect()->height() / 8, qPrintable(QString::number(labels)));
        }
        if (auto* lines = dynamic_cast<TokenLinesView*>(view.get()))
            QCOMPARE(lines->controller()->allLines().size(), 3 * n - 3);   // (0,0) once, (1,0) merged, then 3 a row
    }
}

void TestViewsAttention::exportEachView_data() {
    QTest::addColumn<QString>("view");
    QTest::addColumn<QString>("suffix");
    for (const char* view : {"overview", "attention", "lines", "predictions"})
        for (const char* suffix : {"png", "svg", "pdf"}) QTest::newRow(qPrintable(QString("%1.%2").arg(view, suffix))) << view << suffix;
}

void TestViewsAttention::exportEachView() {
    QFETCH(QString, view);
    QFETCH(QString, suffix);
    HeadSelection selection;
    selection.toggle({1, 0});
    auto v = makeView(view, &selection);
    v->setSnapshot(handSnapshot());
    QTemporaryDir dir;
    const QString path = dir.filePath("figure." + suffix);
    ExportOptions options;
    options.dpi = 96;
    if (view != "lines") options.size = QSize(420, 300);   // lines: its own size (the whole text)
    v->exportFigure(path, options);
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray bytes = file.readAll();
    QVERIFY(bytes.size() > 100);
    if (suffix == "png") {
        QImage image;
        QVERIFY(image.loadFromData(bytes, "PNG"));
        QVERIFY(image.width() > 100 && image.height() > 50);
        // The publication style paints the whole figure white, up to its corners (nothing left unpainted).
        QCOMPARE(image.pixelColor(2, image.height() - 3), QColor(Qt::white));
        QCOMPARE(image.pixelColor(image.width() - 3, 2), QColor(Qt::white));
    } else if (suffix == "svg") {
        QXmlStreamReader xml(bytes);
        bool sawSvg = false;
        while (!xml.atEnd())
            if (xml.readNext() == QXmlStreamReader::StartElement && xml.name() == QLatin1String("svg")) sawSvg = true;
        QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
        QVERIFY(sawSvg);
    } else {
        QVERIFY(bytes.startsWith("%PDF"));
    }
    QVERIFY(v->unavailableReason().isEmpty());   // the view is back to normal after the export
}

void TestViewsAttention::sampleModelEndToEnd() {
    const Engine engine = Engine::load(test::sourcePath("sample_models/random-all-mechanisms"));
    RunRequest request;
    request.tokenIds = engine.encode("the cat sat on the mat");
    auto model = std::make_shared<ModelInfo>();
    model->config = engine.config();
    for (int64_t v = 0; v < engine.tokenizer()->vocabSize(); ++v) model->vocabulary.push_back(engine.tokenizer()->tokenText(v));
    RunSnapshot run;
    run.model = model;
    run.trace = std::make_shared<Trace>(engine.run(request));
    const Trace& t = *run.trace;
    const int n = run.tokens();
    HeadSelection selection;
    selection.setCurrent({1, 2});
    selection.setPosition(4);

    OverviewView overview(&selection);
    overview.setSnapshot(run);
    QCOMPARE(overview.metricBox()->count(), 7);   // the sample has every mechanism
    double entropy = 0;   // head 1.2, from the captured weights
    for (int i = 0; i < n; ++i)
        for (int j = 0; j <= i; ++j)
            if (double p = t.layer(1)->attention.at({2, i, j}); p > 0) entropy -= p * std::log(p) / n;
    QVERIFY(std::abs(overview.model()->value(1, 2) - entropy) < 1e-5);

    AttentionMatrixView matrix(&selection);
    matrix.setSnapshot(run);
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) QCOMPARE(matrix.controller()->plotted(i, j), double(t.layer(1)->attention.at({2, i, j})));

    TokenLinesView lines(&selection);
    lines.setSnapshot(run);
    int strong = 0;
    for (int i = 0; i < n; ++i)
        for (int j = 0; j <= i; ++j) strong += t.layer(1)->attention.at({2, i, j}) >= 0.01f;
    QCOMPARE(static_cast<int>(lines.controller()->allLines().size()), strong);

    PredictionsView predictions(&selection);
    predictions.setSnapshot(run);
    // The highlighted next token's probability is the one the engine's loss scored: p = exp(-loss[4]).
    QVERIFY(std::abs(predictions.controller()->actualProbability() - std::exp(-double(t.loss.at({4})))) < 1e-4);
    QCOMPARE(predictions.controller()->lossGraph()->data()->size(), n - 1);
    for (TraceView* v : std::initializer_list<TraceView*>{&overview, &matrix, &lines, &predictions})
        QVERIFY2(v->unavailableReason().isEmpty(), qPrintable(v->id()));
}

QTEST_MAIN(TestViewsAttention)
#include "test_views_attention.moc"
