// The gates and spans views: plotted bars and soft-mask curves against numbers derived here from hand-built
// traces, clicks that select heads, and layers that were not captured.
#include "symbol_glossary.h"
#include "test_support.h"
#include "view_test_support.h"
#include "views/mechanisms/gates_controller.h"
#include "views/mechanisms/gates_view.h"
#include "views/mechanisms/spans_controller.h"
#include "views/mechanisms/spans_view.h"

#include <QtTest>
#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <map>

using namespace headlight;
using headlight::test::barsOf;
using headlight::test::click;
using headlight::test::layerTrace;
using headlight::test::showExposed;
using headlight::test::snapshotOf;
using headlight::test::tinyConfig;
using headlight::test::tokensTrace;
using headlight::test::values;

class TestViewsGatesSpans : public QObject {
    Q_OBJECT
private slots:
    void gateBarsEqualTheTrace();
    void gateClicksSelectHeads();
    void gatesSayWhichLayerIsMissing();
    void spanCurveFollowsTheSoftMask_data();
    void spanCurveFollowsTheSoftMask();
    void spansAreSortedPerLayerWithALogFloor();
};

void TestViewsGatesSpans::gateBarsEqualTheTrace() {
    const std::vector<float> gates[2] = {{1.0f, 0.5f, 0.0f}, {0.0f, 0.25f, 0.9f}};
    const std::vector<float> open[2] = {{0.95f, 0.6f, 0.02f}, {0.1f, 0.4f, 0.99f}};
    Trace t = tokensTrace(3);
    for (int l = 0; l < 2; ++l) {
        LayerTrace layer = layerTrace(l, {0, 1, 2});
        layer["gate"] = values({3}, gates[l]);
        layer["gate_open_probability"] = values({3}, open[l]);
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
    // The title's symbols ("(L0)", "g = 0") are explained in words: in the Explain panel's caption, and on hover.
    const QString caption = view.symbolCaption();
    QVERIFY2(caption.contains("L-zero") && caption.contains("switched off"), qPrintable(caption));
    QVERIFY(!caption.contains("soft mask"));   // only the symbols this view's titles use
    QVERIFY(showExposed(view, test::kMechanismViewSize));
    view.plot()->replot();
    const QCPTextElement* title = nullptr;
    for (QCPLayoutElement* e : view.plot()->plotLayout()->elements(true))
        if (auto* text = qobject_cast<QCPTextElement*>(e); text && text->visible() && !text->text().isEmpty()) title = text;
    QVERIFY(title);
    QVERIFY(titleToolTipAt(view.plot(), title->outerRect().center()).contains("L-zero"));
    QVERIFY(titleToolTipAt(view.plot(), c->plot()->axisRect()->rect().center()).isEmpty());
    // Each layer's Σ P(open) line stays above the bars' largest value (1), in a short panel too.
    for (int height : {360, 170}) {
        view.resize(test::kMechanismViewSize.width(), height);
        QCoreApplication::processEvents();
        view.plot()->replot();
        view.plot()->replot();   // the range follows the layout it was drawn in
        QCPAxis* y = c->plot()->axisRect()->axis(QCPAxis::atLeft);
        int sums = 0;
        for (int i = 0; i < view.plot()->itemCount(); ++i) {
            auto* text = qobject_cast<QCPItemText*>(view.plot()->item(i));
            if (!text || !text->text().contains(QStringLiteral("P(open)"))) continue;
            ++sums;
            const double bottom = text->bottom->pixelPosition().y();
            QVERIFY2(bottom <= y->coordToPixel(1.0) + 1,
                     qPrintable(QString("%1 px tall: the line ends at %2, 1 is at %3").arg(height).arg(bottom).arg(y->coordToPixel(1.0))));
        }
        QCOMPARE(sums, 2);
    }
}

void TestViewsGatesSpans::gateClicksSelectHeads() {
    Trace t = tokensTrace(2);
    for (int l = 0; l < 2; ++l) {
        LayerTrace layer = layerTrace(l);
        layer["gate"] = values({2}, {0.8f, 0.3f});
        layer["gate_open_probability"] = values({2}, {0.9f, 0.5f});
        t.layers.push_back(layer);
    }
    HeadSelection selection;
    GatesView view(&selection);
    view.setSnapshot(snapshotOf(tinyConfig({"gates"}, 2, 2), t));
    QVERIFY(showExposed(view, test::kMechanismViewSize));
    view.plot()->replot();
    QCPAxisRect* rect = view.plot()->axisRect();
    click(view.plot(), rect, view.controller()->grid().key(1, 1), 0.2);
    QCOMPARE(selection.current(), (HeadRef{1, 1}));
    click(view.plot(), rect, view.controller()->grid().key(0, 1), 0.2, Qt::ControlModifier);
    QCOMPARE(selection.heads(), (QList<HeadRef>{{0, 1}, {1, 1}}));
    QCOMPARE(barsOf(view.controller()->selectedOutline()).size(), size_t(2));
}

void TestViewsGatesSpans::gatesSayWhichLayerIsMissing() {
    Trace t = tokensTrace(2);
    LayerTrace layer = layerTrace(1);
    layer["gate"] = values({2}, {0.0f, 0.7f});
    layer["gate_open_probability"] = values({2}, {0.2f, 0.8f});
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

void TestViewsGatesSpans::spanCurveFollowsTheSoftMask_data() {
    QTest::addColumn<double>("z");
    QTest::addColumn<double>("ramp");
    QTest::addColumn<double>("x");
    for (double x : {0.0, 3.0, 7.5, 10.0, 11.0, 13.25, 15.0, 40.0}) QTest::addRow("z=10 R=4 x=%g", x) << 10.0 << 4.0 << x;
    for (double x : {0.0, 0.5, 1.0, 2.0, 30.0}) QTest::addRow("z=0 R=2 x=%g", x) << 0.0 << 2.0 << x;
    for (double x : {0.0, 31.9, 32.0, 33.0, 34.0}) QTest::addRow("z=S R=2 x=%g", x) << 32.0 << 2.0 << x;
}

void TestViewsGatesSpans::spanCurveFollowsTheSoftMask() {
    QFETCH(double, z);
    QFETCH(double, ramp);
    QFETCH(double, x);
    ModelConfig config = tinyConfig({"span"}, 1, 2);
    config.mechanisms.set(AdaptiveSpanConfig{32, ramp});
    Trace t = tokensTrace(4);
    LayerTrace layer = layerTrace(0, {0, 1});
    layer["span"] = values({2}, {5.0f, static_cast<float>(z)});
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

void TestViewsGatesSpans::spansAreSortedPerLayerWithALogFloor() {
    ModelConfig config = tinyConfig({"span"}, 2, 4, 16);
    config.mechanisms.set(AdaptiveSpanConfig{64, 8.0});
    Trace t = tokensTrace(3);
    const std::vector<float> spans[2] = {{5.0f, 0.0f, 40.0f, 0.05f}, {64.0f, 2.0f, 2.0f, 10.0f}};
    for (int l = 0; l < 2; ++l) {
        LayerTrace layer = layerTrace(l);
        layer["span"] = values({4}, spans[l]);
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
    // Every mark of (b) is named in its legend: the bars, the dashed S, the red marks of floored spans (only
    // when there are any), the selected head's outline on screen (a figure carries no screen state).
    QStringList legend = c->spanLegendNames();
    QCOMPARE(legend.size(), 4);
    QVERIFY(legend[0].contains("span z") && legend[1].contains("max span S"));
    QVERIFY(legend[2].contains(QString::number(floor)));
    QCOMPARE(legend[3], QString("selected"));
    view.withFigureStyle([&] { legend = c->spanLegendNames(); });
    QCOMPARE(legend.size(), 3);
    // Every bar is named by its layer and head ("L1 H3", Sukhbaatar et al. Fig. 4), in the plotted order.
    auto* names = dynamic_cast<QCPAxisTickerText*>(c->spanRect()->axis(QCPAxis::atBottom)->ticker().data());
    QVERIFY(names);
    QCOMPARE(names->ticks().value(0), QString("L0 H1"));   // layer 0's shortest span: head 1 (z = 0)
    QCOMPARE(names->ticks().value(3), QString("L0 H2"));
    QCOMPARE(names->ticks().value(8), QString("L1 H0"));   // layer 1's longest: head 0 (z = 64), after the gap
    QCOMPARE(names->ticks().size(), 8);
    // Bars rise from the log axis' lower end, not from 0 far below it (SVG does not clip them).
    QCOMPARE(c->spanBars(0)->baseValue(), axis->range().lower);
    // (a): one colour per head of the layer shown, each named in its legend.
    QCOMPARE(c->maskLegendNames(), (QStringList{"L0 H0", "L0 H1", "L0 H2", "L0 H3"}));
    QVERIFY(axis->range().lower > 0 && axis->range().lower < floor);
    // Clicking the tallest bar of layer 0 (rank 3) selects head 2.
    QVERIFY(showExposed(view, test::kMechanismViewSize));
    view.plot()->replot();
    // Bar labels stand upright while they fit their bars (a wide dock), and turn in a single column's width.
    QCOMPARE(c->spanRect()->axis(QCPAxis::atBottom)->tickLabelRotation(), 0.0);
    view.plot()->toPixmap(240, 360);
    QCOMPARE(c->spanRect()->axis(QCPAxis::atBottom)->tickLabelRotation(), 90.0);
    view.plot()->replot();
    QCOMPARE(c->spanRect()->axis(QCPAxis::atBottom)->tickLabelRotation(), 0.0);
    click(view.plot(), c->spanRect(), 3, 1.0);
    QCOMPARE(selection.current(), (HeadRef{0, 2}));
}

QTEST_MAIN(TestViewsGatesSpans)
#include "test_views_gates_spans.moc"
