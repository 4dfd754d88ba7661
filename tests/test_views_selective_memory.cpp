// The selective attention and persistent memory views: arcs, heatmaps and the eviction picture against S and F
// written by hand, the budget controls, and memory shares derived here from hand-picked memory attention.
#include "test_support.h"
#include "view_test_support.h"
#include "views/mechanisms/memory_controller.h"
#include "views/mechanisms/memory_view.h"
#include "views/mechanisms/selective_controller.h"
#include "views/mechanisms/selective_view.h"

#include <QPushButton>
#include <QSignalSpy>
#include <QSlider>
#include <QSpinBox>
#include <QtTest>
#include <qcustomplot.h>

#include <cmath>
#include <map>

using namespace headlight;
using headlight::test::arcsOf;
using headlight::test::barsOf;
using headlight::test::click;
using headlight::test::cumsumRows;
using headlight::test::handS;
using headlight::test::layerTrace;
using headlight::test::showExposed;
using headlight::test::snapshotOf;
using headlight::test::tinyConfig;
using headlight::test::tokensTrace;
using headlight::test::values;

using Opacities = QMap<int, double>;   // key j -> min(F_ij, 1)
using Maskers = QMap<int, int>;        // key j -> the token that masked it most

namespace {

RunSnapshot selectiveSnapshot(std::vector<float> evicted0 = {}) {
    Trace t = tokensTrace(6);
    for (int l = 0; l < 2; ++l) {
        LayerTrace layer = layerTrace(l, {0, 1});
        layer["selection"] = handS();
        layer["selection_cumulative"] = cumsumRows(layer["selection"]);
        if (l == 0 && !evicted0.empty()) layer["evicted_at"] = values({6}, evicted0);
        t.layers.push_back(layer);
    }
    if (!evicted0.empty()) t.contextBudget = {3, 0};   // the budget evicted0 follows from, and layer 1 unlimited
    return snapshotOf(tinyConfig({"selective"}, 2, 2), t);
}


} // namespace

class TestViewsSelectiveMemory : public QObject {
    Q_OBJECT
private slots:
    void selectiveArcsFollowF_data();
    void selectiveArcsFollowF();
    void selectiveHeatmapsHoldSAndF();
    void evictionPictureAtAStep();
    void budgetBoxesEmitTheRequestedBudgets();
    void memorySharesAndHeatmap();
};

void TestViewsSelectiveMemory::selectiveArcsFollowF_data() {
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

void TestViewsSelectiveMemory::selectiveArcsFollowF() {
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
    // What the plot draws (Leviathan et al. 2024): a red line from the token that masked each key most to that
    // key, its pen alpha the key's opacity min(F, 1); the strongest drawn last, so on top.
    QMap<int, double> drawn;
    QMap<int, int> lines;
    for (QCPCurve* curve : c->maskCurves())
        for (auto [from, to] : arcsOf(curve)) {   // each arc starts at its masker and ends at the key it masks
            drawn[c->arcs().tokenAt(to).value_or(-2)] = curve->pen().color().alphaF();
            lines[c->arcs().tokenAt(to).value_or(-2)] = c->arcs().tokenAt(from).value_or(-2);
        }
    QCOMPARE(drawn.keys(), opacity.keys());
    for (int j : opacity.keys())
        QVERIFY2(std::abs(drawn[j] - opacity[j]) <= 0.5 / 255 + 1e-6, qPrintable(QString("key %1").arg(j)));
    QCOMPARE(lines, maskedBy);
    if (!opacity.isEmpty()) {
        int strongest = -1;
        double best = -1;
        for (const MaskedKey& m : c->maskedKeys())
            if (m.cumulative > best) best = m.cumulative, strongest = m.key;
        QCOMPARE(c->maskLines().back(), (std::pair<int, int>{maskedBy[strongest], strongest}));
    }
    for (const MaskedKey& m : c->maskedKeys()) QCOMPARE(m.maskedBy, maskedBy.value(m.key, -100));
}

void TestViewsSelectiveMemory::selectiveHeatmapsHoldSAndF() {
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
    QVERIFY(showExposed(view, test::kMechanismViewSize));
    view.plot()->replot();
    // Without a budget the budget picture takes no room: S and F get it (at least a third of the plot's height).
    QVERIFY(!view.controller()->evictionPictureShown());
    QVERIFY(view.controller()->evictionRect()->outerRect().height() <= 2);
    QVERIFY2(view.controller()->selectionRect()->rect().height() >= view.plot()->height() / 3,
             qPrintable(QString::number(view.controller()->selectionRect()->rect().height())));
    // A single-column figure stacks S over F; a wide plot puts them side by side.
    SelectiveController* c = view.controller();
    view.plot()->toPixmap(320, 640);
    QVERIFY(c->matricesStacked());
    QVERIFY(c->cumulativeRect()->rect().top() > c->selectionRect()->rect().bottom());
    QVERIFY(c->selectionRect()->rect().height() >= 80);
    // A low dock (1280 x 800 with every panel open): the token line alone, S and F one click away.
    view.plot()->toPixmap(1200, 300);
    QVERIFY(!c->matricesShown() && !c->everyPanelFits());
    QVERIFY(c->selectionRect()->outerRect().height() <= 1 && c->cumulativeRect()->outerRect().height() <= 1);
    QVERIFY(c->tokenRect()->rect().height() >= 100);
    c->choosePanel(SelectiveController::kMatricesPanel);   // the switch's "S and F"
    view.plot()->toPixmap(1200, 300);
    QVERIFY(c->matricesShown());
    QVERIFY(c->tokenRect()->outerRect().height() <= 1);
    QVERIFY2(c->selectionRect()->rect().height() >= 100, qPrintable(QString::number(c->selectionRect()->rect().height())));
    c->choosePanel(SelectiveController::kTextPanel);
    view.plot()->toPixmap(1200, 700);
    QVERIFY(c->matricesShown());
    QVERIFY(!c->matricesStacked());
    QVERIFY(c->cumulativeRect()->rect().left() > c->selectionRect()->rect().right());
    click(view.plot(), view.controller()->tokenRect(), view.controller()->arcs().xOf(2), 0);
    QCOMPARE(selection.position(), 2);
}

void TestViewsSelectiveMemory::evictionPictureAtAStep() {
    // Budget 3 in layer 0: 'b' leaves at step 3, 'd' at 4, 'c' at 5. Layer 1 runs without a budget.
    HeadSelection selection;
    SelectiveView view(&selection);
    view.setSnapshot(selectiveSnapshot({-1, 3, 5, 4, -1, -1}));
    SelectiveController* c = view.controller();
    QCOMPARE(c->step(), 5);   // follows the query (the last token)
    QVERIFY(c->evictionPictureShown());
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
    // The query (5) no longer sees the evicted 'b', 'c', 'd': their texts are struck out, no other.
    QList<int> struck;
    for (size_t s = 0; s < c->arcs().texts().size(); ++s)
        if (c->arcs().texts()[s]->font().strikeOut()) struck << c->arcs().slotTokens()[s];
    QCOMPARE(struck, (QList<int>{1, 2, 3}));
    QVERIFY(c->arcs().isEvicted(2) && !c->arcs().isEvicted(4));
    // The budget boxes show the budgets the run used (its trace records them).
    QCOMPARE(view.budgetBoxes()[0]->value(), 3);
    QCOMPARE(view.budgetBoxes()[1]->value(), 0);
    // A new query moves the picture with it.
    selection.setPosition(2);
    QCOMPARE(c->step(), 2);
}

void TestViewsSelectiveMemory::budgetBoxesEmitTheRequestedBudgets() {
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

void TestViewsSelectiveMemory::memorySharesAndHeatmap() {
    // T = 3, N = 2. Layer 0 captured heads 0 and 1; layer 1 only head 1.
    const std::vector<float> mem0 = {0.1f, 0.2f, 0.0f, 0.5f, 0.3f, 0.3f,     // head 0: rows (q0, q1, q2) x slots
                                     0.9f, 0.05f, 0.4f, 0.4f, 0.0f, 0.0f};   // head 1
    const std::vector<float> mem1 = {0.25f, 0.25f, 0.5f, 0.0f, 0.1f, 0.7f};
    Trace t = tokensTrace(3);
    LayerTrace l0 = layerTrace(0, {0, 1}), l1 = layerTrace(1, {1});
    l0["memory_attention"] = values({2, 3, 2}, mem0);
    l1["memory_attention"] = values({1, 3, 2}, mem1);
    t.layers = {l0, l1};
    HeadSelection selection;
    selection.setCurrent({0, 1});
    MemoryView view(&selection);
    ModelConfig config = tinyConfig({"memory"}, 2, 2);
    config.mechanisms.set(PersistentMemoryConfig{2, false});
    view.setSnapshot(snapshotOf(config, t));
    QVERIFY(view.unavailableReason().isEmpty());
    const double share00 = (0.3 + 0.5 + 0.6) / 3, share01 = (0.95 + 0.8 + 0.0) / 3, share11 = (0.5 + 0.5 + 0.8) / 3;
    const auto memory = barsOf(view.controller()->memoryBars()), context = barsOf(view.controller()->contextBars());
    QCOMPARE(memory.size(), size_t(3));   // head 1.0 was not captured
    const std::pair<double, double> expected[] = {{0, share00}, {1, share01}, {4, share11}};
    for (auto [key, share] : expected) {
        QVERIFY2(std::abs(memory.at(key) - share) < 1e-6, qPrintable(QString("key %1: %2, expected %3").arg(key).arg(memory.at(key)).arg(share)));
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

QTEST_MAIN(TestViewsSelectiveMemory)
#include "test_views_selective_memory.moc"
