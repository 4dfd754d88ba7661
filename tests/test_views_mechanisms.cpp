// The mechanism views (gates, spans, selective attention, persistent memory): plotted data against numbers
// derived here from hand-built traces, interaction, unavailable messages, export, and the sample model.
#include "test_support.h"

#include "headlight/engine.h"
#include "views/mechanisms/gates_controller.h"
#include "views/mechanisms/gates_view.h"
#include "views/mechanisms/memory_controller.h"
#include "views/mechanisms/memory_view.h"
#include "views/mechanisms/selective_controller.h"
#include "views/mechanisms/selective_view.h"
#include "views/mechanisms/spans_controller.h"
#include "views/mechanisms/spans_view.h"

#include <QFile>
#include <QPushButton>
#include <QSignalSpy>
#include <QSlider>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QXmlStreamReader>
#include <QtTest>
#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <map>

using namespace headlight;
using headlight::test::tinyConfig;
using headlight::test::values;

using Opacities = QMap<int, double>;   // key j -> min(F_ij, 1)
using Maskers = QMap<int, int>;        // key j -> the token that masked it most

namespace {

Trace tokensTrace(int T) {
    Trace t;
    for (int i = 0; i < T; ++i) {
        t.tokenIds.push_back(i);
        t.tokens.push_back(std::string(1, static_cast<char>('a' + i)));
    }
    return t;
}

RunSnapshot snapshotOf(const ModelConfig& config, Trace trace) {
    auto info = std::make_shared<ModelInfo>();
    info->config = config;
    info->name = QStringLiteral("hand-made");
    RunSnapshot s;
    s.model = info;
    s.trace = std::make_shared<const Trace>(std::move(trace));
    return s;
}

LayerTrace layerTrace(int l, std::vector<int> heads = {}) {
    LayerTrace t;
    t.layer = l;
    t.heads = std::move(heads);
    return t;
}

// Plotted bar values by key.
std::map<double, double> barsOf(QCPBars* bars) {
    std::map<double, double> out;
    for (auto it = bars->data()->constBegin(); it != bars->data()->constEnd(); ++it) out[it->key] = it->value;
    return out;
}

// Arcs of a QCPCurve (segments between NaN points) as (first x, last x).
std::vector<std::pair<double, double>> arcsOf(const QCPCurve* curve) {
    std::vector<std::pair<double, double>> arcs;
    bool open = false;
    for (auto it = curve->data()->constBegin(); it != curve->data()->constEnd(); ++it) {
        if (std::isnan(it->key)) {
            open = false;
        } else if (!open) {
            arcs.push_back({it->key, it->key});
            open = true;
        } else {
            arcs.back().second = it->key;
        }
    }
    return arcs;
}

template <typename View>
void showView(View& view) {
    view.resize(900, 800);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.plot()->replot();
}

void click(QCustomPlot* plot, QCPAxisRect* rect, double x, double y, Qt::KeyboardModifiers mods = {}) {
    const QPoint pixel(qRound(rect->axis(QCPAxis::atBottom)->coordToPixel(x)),
                       qRound(rect->axis(QCPAxis::atLeft)->coordToPixel(y)));
    QTest::mouseClick(plot, Qt::LeftButton, mods, pixel);
}

// S [6,6] as the engine shifts it (row k: what token k-1 asks to mask; only keys 1 <= j < k-1).
FloatArray handS() {
    std::vector<float> s(36, 0.0f);
    s[3 * 6 + 1] = 0.3f;   // token 2 masks 'b' by 0.3
    s[4 * 6 + 2] = 1.2f;   // token 3 masks 'c' by 1.2
    s[5 * 6 + 2] = 0.5f;   // token 4 masks 'c' by 0.5 more
    s[5 * 6 + 3] = 0.6f;   // token 4 masks 'd' by 0.6
    return values({6, 6}, s);
}

FloatArray cumsumRows(const FloatArray& s) {
    const int T = static_cast<int>(s.dim(0));
    std::vector<float> f(static_cast<size_t>(T * T), 0.0f);
    for (int j = 0; j < T; ++j) {
        float run = 0;
        for (int i = 0; i < T; ++i) f[static_cast<size_t>(i * T + j)] = run += s.at({i, j});
    }
    return values({T, T}, f);
}

RunSnapshot selectiveSnapshot(std::vector<float> evicted0 = {}) {
    Trace t = tokensTrace(6);
    for (int l = 0; l < 2; ++l) {
        LayerTrace layer = layerTrace(l, {0, 1});
        layer.selection = handS();
        layer.selectionCumulative = cumsumRows(layer.selection);
        if (l == 0 && !evicted0.empty()) layer.evictedAt = values({6}, evicted0);
        t.layers.push_back(layer);
    }
    return snapshotOf(tinyConfig({"selective"}, 2, 2), t);
}

} // namespace

class TestViewsMechanisms : public QObject {
    Q_OBJECT
private slots:
    void gateBarsEqualTheTrace();
    void gateClicksSelectHeads();
    void gatesSayWhichLayerIsMissing();
    void spanCurveFollowsTheSoftMask_data();
    void spanCurveFollowsTheSoftMask();
    void spansAreSortedPerLayerWithALogFloor();
    void selectiveArcsFollowF_data();
    void selectiveArcsFollowF();
    void selectiveHeatmapsHoldSAndF();
    void evictionPictureAtAStep();
    void budgetBoxesEmitTheRequestedBudgets();
    void memorySharesAndHeatmap();
    void unavailableWithoutTheMechanism();
    void singleTokenAndOutOfRangeSelections();
    void exportsEveryFormat();
    void sampleModelEndToEnd();
};

void TestViewsMechanisms::gateBarsEqualTheTrace() {
    const std::vector<float> gates[2] = {{1.0f, 0.5f, 0.0f}, {0.0f, 0.25f, 0.9f}};
    const std::vector<float> open[2] = {{0.95f, 0.6f, 0.02f}, {0.1f, 0.4f, 0.99f}};
    Trace t = tokensTrace(3);
    for (int l = 0; l < 2; ++l) {
        LayerTrace layer = layerTrace(l, {0, 1, 2});
        layer.gate = values({3}, gates[l]);
        layer.gateOpenProbability = values({3}, open[l]);
        t.layers.push_back(layer);
    }
    HeadSelection selection;
    GatesView view(&selection);
    view.setSnapshot(snapshotOf(tinyConfig({"gates"}, 2, 3, 12), t));
    QVERIFY(view.unavailableReason().isEmpty());
    GatesController* c = view.controller();
    const auto gateBars = barsOf(c->gateBars()), openBars = barsOf(c->openBars());
    QCOMPARE(gateBars.size(), size_t(6));
    double total = 0;
    for (int l = 0; l < 2; ++l) {
        double layerSum = 0;
        for (int h = 0; h < 3; ++h) {
            const double key = l * 4 + h;   // heads grouped by layer, one gap between layers
            QCOMPARE(gateBars.at(key), double(gates[l][h]));
            QCOMPARE(openBars.at(key), double(open[l][h]));
            layerSum += open[l][h];
        }
        QVERIFY(std::abs(c->expectedOpen(l) - layerSum) < 1e-6);
        total += layerSum;
    }
    QVERIFY(std::abs(c->expectedOpenTotal() - total) < 1e-6);
    QVERIFY(std::abs(total - 3.06) < 1e-6);   // 1.57 + 1.49 by hand
    QCOMPARE(c->closedHeads(), (QList<HeadRef>{{0, 2}, {1, 0}}));
    QList<double> marked;
    for (auto it = c->closedMarks()->data()->constBegin(); it != c->closedMarks()->data()->constEnd(); ++it)
        marked << it->key;
    QCOMPARE(marked, (QList<double>{2, 4}));
    QCOMPARE(barsOf(c->selectedOutline()), (std::map<double, double>{{0.0, 1.0}}));   // head 0.0 by default
    QVERIFY(view.notice().isEmpty());
}

void TestViewsMechanisms::gateClicksSelectHeads() {
    Trace t = tokensTrace(2);
    for (int l = 0; l < 2; ++l) {
        LayerTrace layer = layerTrace(l);
        layer.gate = values({2}, {0.8f, 0.3f});
        layer.gateOpenProbability = values({2}, {0.9f, 0.5f});
        t.layers.push_back(layer);
    }
    HeadSelection selection;
    GatesView view(&selection);
    view.setSnapshot(snapshotOf(tinyConfig({"gates"}, 2, 2), t));
    showView(view);
    QCPAxisRect* rect = view.plot()->axisRect();
    click(view.plot(), rect, view.controller()->grid().key(1, 1), 0.2);
    QCOMPARE(selection.current(), (HeadRef{1, 1}));
    click(view.plot(), rect, view.controller()->grid().key(0, 1), 0.2, Qt::ControlModifier);
    QCOMPARE(selection.heads(), (QList<HeadRef>{{0, 1}, {1, 1}}));
    QCOMPARE(barsOf(view.controller()->selectedOutline()).size(), size_t(2));
}

void TestViewsMechanisms::gatesSayWhichLayerIsMissing() {
    Trace t = tokensTrace(2);
    LayerTrace layer = layerTrace(1);
    layer.gate = values({2}, {0.0f, 0.7f});
    layer.gateOpenProbability = values({2}, {0.2f, 0.8f});
    t.layers.push_back(layer);
    HeadSelection selection;
    GatesView view(&selection);
    view.setSnapshot(snapshotOf(tinyConfig({"gates"}, 3, 2), t));
    QVERIFY(view.unavailableReason().isEmpty());
    QCOMPARE(view.notice(), QStringLiteral("Layers 0 and 2 were not captured in this run."));
    QVERIFY(std::isnan(view.controller()->expectedOpen(0)));
    QVERIFY(std::abs(view.controller()->expectedOpenTotal() - 1.0) < 1e-6);
    QCOMPARE(barsOf(view.controller()->gateBars()), (std::map<double, double>{{3.0, 0.0}, {4.0, 0.7f}}));
}

void TestViewsMechanisms::spanCurveFollowsTheSoftMask_data() {
    QTest::addColumn<double>("z");
    QTest::addColumn<double>("ramp");
    QTest::addColumn<double>("x");
    for (double x : {0.0, 3.0, 7.5, 10.0, 11.0, 13.25, 15.0, 40.0}) QTest::addRow("z=10 R=4 x=%g", x) << 10.0 << 4.0 << x;
    for (double x : {0.0, 0.5, 1.0, 2.0, 30.0}) QTest::addRow("z=0 R=2 x=%g", x) << 0.0 << 2.0 << x;
    for (double x : {0.0, 31.9, 32.0, 33.0, 34.0}) QTest::addRow("z=S R=2 x=%g", x) << 32.0 << 2.0 << x;
}

void TestViewsMechanisms::spanCurveFollowsTheSoftMask() {
    QFETCH(double, z);
    QFETCH(double, ramp);
    QFETCH(double, x);
    ModelConfig config = tinyConfig({"span"}, 1, 2);
    config.adaptiveSpan = AdaptiveSpanConfig{32, ramp};
    Trace t = tokensTrace(4);
    LayerTrace layer = layerTrace(0, {0, 1});
    layer.span = values({2}, {5.0f, static_cast<float>(z)});
    t.layers.push_back(layer);
    HeadSelection selection;
    selection.setCurrent({0, 1});
    SpansView view(&selection);
    view.setSnapshot(snapshotOf(config, t));
    const double expected = std::clamp((ramp + z - x) / ramp, 0.0, 1.0);
    QVERIFY2(std::abs(view.controller()->maskAt(1, x) - expected) < 1e-9,
             qPrintable(QString("m(%1) = %2, expected %3").arg(x).arg(view.controller()->maskAt(1, x)).arg(expected)));
    // The curve spans the whole axis 0 .. S + R.
    const auto data = view.controller()->maskCurve(1)->data();
    QCOMPARE(data->constBegin()->key, 0.0);
    QCOMPARE((data->constEnd() - 1)->key, 32.0 + ramp);
}

void TestViewsMechanisms::spansAreSortedPerLayerWithALogFloor() {
    ModelConfig config = tinyConfig({"span"}, 2, 4, 16);
    config.adaptiveSpan = AdaptiveSpanConfig{64, 8.0};
    Trace t = tokensTrace(3);
    const std::vector<float> spans[2] = {{5.0f, 0.0f, 40.0f, 0.05f}, {64.0f, 2.0f, 2.0f, 10.0f}};
    for (int l = 0; l < 2; ++l) {
        LayerTrace layer = layerTrace(l);
        layer.span = values({4}, spans[l]);
        t.layers.push_back(layer);
    }
    HeadSelection selection;
    SpansView view(&selection);
    view.setSnapshot(snapshotOf(config, t));
    SpansController* c = view.controller();
    // Ascending span; equal spans keep head order.
    QCOMPARE(c->sortedHeads(0), (std::vector<HeadRef>{{0, 1}, {0, 3}, {0, 0}, {0, 2}}));
    QCOMPARE(c->sortedHeads(1), (std::vector<HeadRef>{{1, 1}, {1, 2}, {1, 3}, {1, 0}}));
    const double floor = SpansController::kSpanFloor;
    QCOMPARE(barsOf(c->spanBars(0)), (std::map<double, double>{{0, floor}, {1, floor}, {2, 5}, {3, 40}}));
    QCOMPARE(barsOf(c->spanBars(1)), (std::map<double, double>{{5, 2}, {6, 2}, {7, 10}, {8, 64}}));
    QList<double> floored;
    for (auto it = c->flooredMarks()->data()->constBegin(); it != c->flooredMarks()->data()->constEnd(); ++it)
        floored << it->key;
    QCOMPARE(floored, (QList<double>{0, 1}));   // spans 0 and 0.05
    QCPAxis* axis = c->spanRect()->axis(QCPAxis::atLeft);
    QCOMPARE(axis->scaleType(), QCPAxis::stLogarithmic);
    QVERIFY(axis->label().contains(QString::number(floor)));
    QVERIFY(axis->range().lower > 0 && axis->range().lower < floor);
    // Clicking the tallest bar of layer 0 (rank 3) selects head 2.
    showView(view);
    click(view.plot(), c->spanRect(), 3, 1.0);
    QCOMPARE(selection.current(), (HeadRef{0, 2}));
}

void TestViewsMechanisms::selectiveArcsFollowF_data() {
    QTest::addColumn<int>("position");
    QTest::addColumn<Opacities>("opacity");
    QTest::addColumn<Maskers>("maskedBy");   // the token with the largest S_kj: row k - 1
    // F row 5 = (0, 0.3, 1.7, 0.6, 0, 0): 1.7 is clipped to 1; zeros draw nothing.
    QTest::addRow("last token (-1)") << -1 << QMap<int, double>{{1, 0.3}, {2, 1.0}, {3, 0.6}}
                                     << QMap<int, int>{{1, 2}, {2, 3}, {3, 4}};
    QTest::addRow("query 4") << 4 << QMap<int, double>{{1, 0.3}, {2, 1.0}} << QMap<int, int>{{1, 2}, {2, 3}};
    QTest::addRow("query 3") << 3 << QMap<int, double>{{1, 0.3}} << QMap<int, int>{{1, 2}};
    QTest::addRow("query 1") << 1 << QMap<int, double>{} << QMap<int, int>{};
    QTest::addRow("out of range -> last") << 99 << QMap<int, double>{{1, 0.3}, {2, 1.0}, {3, 0.6}}
                                          << QMap<int, int>{{1, 2}, {2, 3}, {3, 4}};
}

void TestViewsMechanisms::selectiveArcsFollowF() {
    QFETCH(int, position);
    QFETCH(Opacities, opacity);
    QFETCH(Maskers, maskedBy);
    HeadSelection selection;
    selection.setPosition(position);
    SelectiveView view(&selection);
    view.setSnapshot(selectiveSnapshot());
    SelectiveController* c = view.controller();
    const int query = position >= 0 && position < 6 ? position : 5;
    QCOMPARE(c->query(), query);
    // What the plot draws: every arc ends at the query; its start is the key, its pen alpha the opacity.
    QMap<int, double> drawn;
    for (QCPCurve* curve : c->maskCurves())
        for (auto [from, to] : arcsOf(curve)) {
            QVERIFY(std::abs(to - query) < 1e-9);
            drawn[qRound(from)] = curve->pen().color().alphaF();
        }
    QCOMPARE(drawn.keys(), opacity.keys());
    for (int j : opacity.keys())
        QVERIFY2(std::abs(drawn[j] - opacity[j]) <= 0.5 / 255 + 1e-6, qPrintable(QString("key %1").arg(j)));
    QMap<int, int> contributors;
    for (auto [from, to] : arcsOf(c->contributorCurve())) contributors[qRound(from)] = qRound(to);
    QCOMPARE(contributors, maskedBy);
    for (const MaskedKey& m : c->maskedKeys()) QCOMPARE(m.maskedBy, maskedBy.value(m.key, -100));
}

void TestViewsMechanisms::selectiveHeatmapsHoldSAndF() {
    HeadSelection selection;
    selection.setCurrent({1, 0});
    SelectiveView view(&selection);
    view.setSnapshot(selectiveSnapshot());
    const FloatArray S = handS(), F = cumsumRows(S);
    for (int i = 0; i < 6; ++i)
        for (int j = 0; j < 6; ++j) {
            QCOMPARE(view.controller()->selectionMap()->data()->cell(j, i), double(S.at({i, j})));
            QCOMPARE(view.controller()->cumulativeMap()->data()->cell(j, i), double(F.at({i, j})));
        }
    QCOMPARE(view.controller()->cumulativeMap()->data()->cell(2, 5), double(1.2f + 0.5f));
    // Clicking a token makes it the query.
    showView(view);
    click(view.plot(), view.controller()->tokenRect(), 2, 0);
    QCOMPARE(selection.position(), 2);
}

void TestViewsMechanisms::evictionPictureAtAStep() {
    // Budget 3 in layer 0: 'b' leaves at step 3, 'd' at 4, 'c' at 5. Layer 1 runs without a budget.
    HeadSelection selection;
    SelectiveView view(&selection);
    view.setSnapshot(selectiveSnapshot({-1, 3, 5, 4, -1, -1}));
    SelectiveController* c = view.controller();
    QCOMPARE(c->step(), 5);   // follows the query (the last token)
    view.stepBox()->setValue(4);
    QCOMPARE(c->step(), 4);
    QCOMPARE(view.stepSlider()->value(), 4);
    using S = SelectiveController;
    const int expected[2][6] = {{S::Kept, S::Evicted, S::Kept, S::Evicted, S::Kept, S::NotReadYet},
                                {S::Kept, S::Kept, S::Kept, S::Kept, S::Kept, S::NotReadYet}};
    for (int l = 0; l < 2; ++l)
        for (int j = 0; j < 6; ++j)
            QVERIFY2(c->evictionMap()->data()->cell(j, l) == expected[l][j], qPrintable(QString("layer %1 token %2").arg(l).arg(j)));
    QCOMPARE(S::keptAt(selectiveSnapshot({-1, 3, 5, 4, -1, -1}).trace->layer(0), 6, 5), (std::vector<int>{0, 4, 5}));
    // The query (5) no longer sees the evicted 'b', 'c', 'd'.
    QList<double> crossed;
    for (const QCPGraph* g : c->tokenRect()->graphs())
        if (g->scatterStyle().shape() == QCPScatterStyle::ssCross)
            for (auto it = g->data()->constBegin(); it != g->data()->constEnd(); ++it) crossed << it->key;
    QCOMPARE(crossed, (QList<double>{1, 2, 3}));
    QCOMPARE(S::budgetsOf(view.snapshot()), (std::vector<int>{3, 0}));
    // A new query moves the picture with it.
    selection.setPosition(2);
    QCOMPARE(c->step(), 2);
}

void TestViewsMechanisms::budgetBoxesEmitTheRequestedBudgets() {
    HeadSelection selection;
    SelectiveView view(&selection);
    view.setSnapshot(selectiveSnapshot({-1, 3, 5, 4, -1, -1}));
    QCOMPARE(view.budgetBoxes().size(), size_t(2));
    QCOMPARE(view.budgetBoxes()[0]->value(), 3);   // the budget this run used
    QCOMPARE(view.budgetBoxes()[1]->value(), 0);
    QSignalSpy spy(&view, &SelectiveView::budgetRequested);
    view.budgetBoxes()[0]->setValue(8);
    view.budgetBoxes()[1]->setValue(2);
    QCOMPARE(spy.count(), 0);   // nothing is requested until the button is pressed
    QTest::mouseClick(view.applyBudgetButton(), Qt::LeftButton);
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).value<std::vector<int>>(), (std::vector<int>{8, 2}));
    // The sliders follow the boxes; letting go of one runs at once with every layer's budget.
    QCOMPARE(view.budgetSliders().size(), size_t(2));
    QCOMPARE(view.budgetSliders()[1]->value(), 2);
    QCOMPARE(view.budgetSliders()[0]->maximum(), view.snapshot().tokens());
    view.budgetSliders()[1]->setValue(4);   // as a release after a drag (tracking is off)
    QCOMPARE(view.budgetBoxes()[1]->value(), 4);
    QCOMPARE(spy.count(), 2);
    QCOMPARE(spy.at(1).at(0).value<std::vector<int>>(), (std::vector<int>{8, 4}));
}

void TestViewsMechanisms::memorySharesAndHeatmap() {
    // T = 3, N = 2. Layer 0 captured heads 0 and 1; layer 1 only head 1.
    const std::vector<float> mem0 = {0.1f, 0.2f, 0.0f, 0.5f, 0.3f, 0.3f,     // head 0: rows (q0, q1, q2) x slots
                                     0.9f, 0.05f, 0.4f, 0.4f, 0.0f, 0.0f};   // head 1
    const std::vector<float> mem1 = {0.25f, 0.25f, 0.5f, 0.0f, 0.1f, 0.7f};
    Trace t = tokensTrace(3);
    LayerTrace l0 = layerTrace(0, {0, 1}), l1 = layerTrace(1, {1});
    l0.memoryAttention = values({2, 3, 2}, mem0);
    l1.memoryAttention = values({1, 3, 2}, mem1);
    t.layers = {l0, l1};
    HeadSelection selection;
    selection.setCurrent({0, 1});
    MemoryView view(&selection);
    ModelConfig config = tinyConfig({"memory"}, 2, 2);
    config.persistentMemory->slotCount = 2;
    view.setSnapshot(snapshotOf(config, t));
    QVERIFY(view.unavailableReason().isEmpty());
    const double share00 = (0.3 + 0.5 + 0.6) / 3, share01 = (0.95 + 0.8 + 0.0) / 3, share11 = (0.5 + 0.5 + 0.8) / 3;
    const auto memory = barsOf(view.controller()->memoryBars()), context = barsOf(view.controller()->contextBars());
    QCOMPARE(memory.size(), size_t(3));   // head 1.0 was not captured
    const std::pair<double, double> expected[] = {{0, share00}, {1, share01}, {4, share11}};
    for (auto [key, share] : expected) {
        QVERIFY2(std::abs(memory.at(key) - share) < 1e-6, qPrintable(QString("key %1").arg(key)));
        QVERIFY(std::abs(context.at(key) - (1 - share)) < 1e-6);
    }
    QCPColorMapData* cells = view.controller()->heatmap()->data();
    QCOMPARE(cells->keySize(), 2);
    QCOMPARE(cells->valueSize(), 3);
    for (int i = 0; i < 3; ++i)
        for (int n = 0; n < 2; ++n) QCOMPARE(cells->cell(n, i), double(mem0[static_cast<size_t>(6 + i * 2 + n)]));
    // A head that was not captured says so instead of drawing.
    selection.setCurrent({1, 0});
    QVERIFY(!view.controller()->heatHeadCaptured());
    QVERIFY(view.unavailableReason().isEmpty());
}

void TestViewsMechanisms::unavailableWithoutTheMechanism() {
    Trace t = tokensTrace(3);
    t.layers.push_back(layerTrace(0, {0, 1}));
    const RunSnapshot plain = snapshotOf(tinyConfig({}, 1, 2), t);
    HeadSelection selection;
    GatesView gates(&selection);
    SpansView spans(&selection);
    SelectiveView selective(&selection);
    MemoryView memory(&selection);
    const std::pair<TraceView*, QString> expected[] = {
        {&gates, "This model has no head gates."},
        {&spans, "This model has no adaptive attention span."},
        {&selective, "This model has no selective attention."},
        {&memory, "This model has no persistent memory."}};
    for (auto [view, reason] : expected) {
        view->setSnapshot(plain);
        QCOMPARE(view->unavailableReason(), reason);
    }
    // With the mechanism but no captured layer, the views say which layers are missing.
    Trace none = tokensTrace(3);
    gates.setSnapshot(snapshotOf(tinyConfig({"gates"}, 2, 2), none));
    QVERIFY(gates.unavailableReason().startsWith("Layers 0 and 1 were not captured"));
    selective.setSnapshot(snapshotOf(tinyConfig({"selective"}, 1, 2), none));
    QVERIFY(selective.unavailableReason().startsWith("Layer 0 was not captured"));
}

void TestViewsMechanisms::singleTokenAndOutOfRangeSelections() {
    ModelConfig config = tinyConfig({"gates", "span", "selective", "memory"}, 2, 2);
    Trace t = tokensTrace(1);
    LayerTrace layer = layerTrace(1, {0, 1});   // layer 0 not captured
    layer.gate = values({2}, {1.0f, 0.0f});
    layer.gateOpenProbability = values({2}, {0.9f, 0.1f});
    layer.span = values({2}, {0.0f, 6.0f});
    layer.selection = values({1, 1}, {0.0f});
    layer.selectionCumulative = values({1, 1}, {0.0f});
    layer.memoryAttention = values({2, 1, 3}, {0.1f, 0.2f, 0.3f, 0.0f, 0.0f, 0.5f});
    t.layers.push_back(layer);
    const RunSnapshot run = snapshotOf(config, t);
    HeadSelection selection;
    selection.setCurrent({7, 9});   // beyond the model: the views clamp rather than crash
    selection.setPosition(12);
    GatesView gates(&selection);
    SpansView spans(&selection);
    SelectiveView selective(&selection);
    MemoryView memory(&selection);
    for (TraceView* view : std::initializer_list<TraceView*>{&gates, &spans, &selective, &memory}) {
        view->setSnapshot(run);
        QVERIFY2(view->unavailableReason().isEmpty(), qPrintable(view->id() + ": " + view->unavailableReason()));
    }
    QCOMPARE(selective.controller()->query(), 0);
    QVERIFY(selective.controller()->maskedKeys().empty());
    QCOMPARE(selective.notice(), QStringLiteral("Layer 0 was not captured in this run."));
    QCOMPARE(spans.controller()->maskLayer(), 1);
    QVERIFY(std::abs(memory.controller()->memoryShare(run, {1, 1}) - 0.5) < 1e-6);
    // The selected layer not captured: a message in its panel, the rest still drawn.
    selection.setCurrent({0, 0});
    QCOMPARE(spans.controller()->maskCurve(0), nullptr);
    QVERIFY(spans.controller()->spanBars(1) != nullptr);
    QVERIFY(selective.unavailableReason().isEmpty());
    QVERIFY(selective.controller()->maskCurves().empty());
}

void TestViewsMechanisms::exportsEveryFormat() {
    ModelConfig config = tinyConfig({"gates", "span", "selective", "memory"}, 2, 2);
    Trace t = tokensTrace(6);
    for (int l = 0; l < 2; ++l) {
        LayerTrace layer = layerTrace(l, {0, 1});
        layer.gate = values({2}, {1.0f, 0.0f});
        layer.gateOpenProbability = values({2}, {0.9f, 0.1f});
        layer.span = values({2}, {2.0f, 6.0f});
        layer.selection = handS();
        layer.selectionCumulative = cumsumRows(layer.selection);
        layer.evictedAt = values({6}, {-1, 3, 5, 4, -1, -1});
        layer.memoryAttention = test::constant({2, 6, 3}, 0.1f);
        t.layers.push_back(layer);
    }
    HeadSelection selection;
    GatesView gates(&selection);
    SpansView spans(&selection);
    SelectiveView selective(&selection);
    MemoryView memory(&selection);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    ExportOptions options;
    options.size = QSize(480, 360);
    options.dpi = 72;
    for (TraceView* view : std::initializer_list<TraceView*>{&gates, &spans, &selective, &memory}) {
        view->setSnapshot(snapshotOf(config, t));
        for (const QString suffix : {"png", "svg", "pdf"}) {
            const QString path = dir.filePath(view->id() + "." + suffix);
            view->exportFigure(path, options);
            QFile file(path);
            QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(path));
            const QByteArray bytes = file.readAll();
            QVERIFY2(bytes.size() > 200, qPrintable(path));
            if (suffix == QLatin1String("png")) QVERIFY(bytes.startsWith("\x89PNG"));
            if (suffix == QLatin1String("pdf")) QVERIFY(bytes.startsWith("%PDF"));
            if (suffix == QLatin1String("svg")) {
                QXmlStreamReader xml(bytes);
                bool sawSvg = false;
                while (!xml.atEnd())
                    if (xml.readNext() == QXmlStreamReader::StartElement && xml.name() == QLatin1String("svg")) sawSvg = true;
                QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
                QVERIFY(sawSvg);
            }
        }
    }
}

void TestViewsMechanisms::sampleModelEndToEnd() {
    const Engine engine = Engine::load(HEADLIGHT_SOURCE_DIR "/sample_models/random-all-mechanisms");
    RunRequest request;
    request.tokenIds = engine.encode("the cat sat on the mat, then the cat ran.");
    request.contextBudget = {6, 0};
    auto info = std::make_shared<ModelInfo>();
    info->config = engine.config();
    RunSnapshot run;
    run.model = info;
    run.trace = std::make_shared<const Trace>(engine.run(request));
    const int T = run.tokens(), H = run.heads();
    HeadSelection selection;
    selection.setCurrent({1, 2});
    GatesView gates(&selection);
    SpansView spans(&selection);
    SelectiveView selective(&selection);
    MemoryView memory(&selection);
    for (TraceView* view : std::initializer_list<TraceView*>{&gates, &spans, &selective, &memory}) {
        view->setSnapshot(run);
        QVERIFY2(view->unavailableReason().isEmpty(), qPrintable(view->id()));
    }
    double expectedOpen = 0;
    for (const LayerTrace& layer : run.trace->layers)
        for (int h = 0; h < H; ++h) {
            QCOMPARE(barsOf(gates.controller()->gateBars()).at(layer.layer * (H + 1) + h), double(layer.gate.data()[h]));
            expectedOpen += layer.gateOpenProbability.data()[h];
        }
    QVERIFY(std::abs(gates.controller()->expectedOpenTotal() - expectedOpen) < 1e-5);

    const LayerTrace* last = run.trace->layer(1);
    const double z = last->span.data()[2], R = info->config.adaptiveSpan->ramp;
    for (double x : {0.0, z - 1, z + R / 2, z + R + 3})
        QVERIFY(std::abs(spans.controller()->maskAt(2, x) - std::clamp((R + z - x) / R, 0.0, 1.0)) < 1e-6);

    // Layer 1 (selected) has no budget; the arcs are exactly the positive F entries of the last row.
    std::vector<int> positive;
    for (int j = 0; j < T - 1; ++j)
        if (last->selectionCumulative.at({T - 1, j}) > 0) positive.push_back(j);
    std::vector<int> arcs;
    for (const MaskedKey& m : selective.controller()->maskedKeys()) arcs.push_back(m.key);
    QCOMPARE(arcs, positive);
    const LayerTrace* pruned = run.trace->layer(0);
    QCOMPARE(int(SelectiveController::keptAt(pruned, T, T - 1).size()), 6);   // the budget holds
    QCOMPARE(SelectiveController::budgetsOf(run), (std::vector<int>{6, 0}));

    // Context and memory share one softmax: the context bar equals the row sums of the context attention.
    for (const LayerTrace& layer : run.trace->layers)
        for (int h = 0; h < H; ++h) {
            double context = 0;
            for (int i = 0; i < T; ++i)
                for (int j = 0; j < T; ++j) context += layer.attention.at({h, i, j});
            QVERIFY(std::abs(barsOf(memory.controller()->contextBars()).at(layer.layer * (H + 1) + h) - context / T) < 1e-4);
        }
}

QTEST_MAIN(TestViewsMechanisms)
#include "test_views_mechanisms.moc"
