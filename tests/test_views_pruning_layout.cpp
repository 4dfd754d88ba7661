// The what-if panel's layout: one panel at a time in a short dock, presets that fit a dock, values beside small
// bars kept apart, and long runs drawn as maps rather than one item per cell.
#include "test_support.h"
#include "whatif_hand_runs.h"

#include "panel_switch.h"
#include "views/pruning/whatif_controller.h"
#include "views/pruning/whatif_view.h"

#include <QAbstractButton>
#include <QFileInfo>
#include <QPushButton>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QtTest>
#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

using namespace headlight;
using headlight::test::tinyConfig;
using headlight::test::values;
using namespace headlight::test::whatif;

class TestViewsPruningLayout : public QObject {
    Q_OBJECT
private slots:
    // Under the lines, a room for every panel shows them all; less room, one panel at a time with a switch
    // (never the KL bars crushed into the top-k lists), each at least kMinimumPanelHeight with its ticks apart
    // (the dock scrolls below that); narrow (KL, top 10) and wide (predictions, attention) alike.
    void aShortDockShowsOnePanelAtATime_data() {
        QTest::addColumn<int>("width");
        QTest::addColumn<QStringList>("names");
        QTest::newRow("narrow") << 320 << QStringList{"KL per position", "Top 10"};
        QTest::newRow("wide") << 900 << QStringList{"Predictions", "Attention of the head"};
    }
    void aShortDockShowsOnePanelAtATime() {
        QFETCH(int, width);
        QFETCH(QStringList, names);
        HeadSelection selection;
        WhatIfView view(&selection);
        view.setSnapshot(handSnapshot(false));
        view.resize(width, 1000);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QCoreApplication::processEvents();
        WhatIfController* c = view.controller();
        auto shownRects = [&] {
            QList<QCPAxisRect*> shown;
            for (QCPAxisRect* rect : view.plot()->axisRects())
                if (rect->visible() && rect->outerRect().height() > 1) shown << rect;
            return shown;
        };
        // Tall: every panel, no switch.
        view.plot()->replot();
        QVERIFY(!view.panelSwitch()->isVisible());
        QCOMPARE(c->shownPanel(), -1);
        QVERIFY(shownRects().contains(c->klRect()) && shownRects().contains(c->topRect(WhatIfSide::Before)));
        QCOMPARE(shownRects().contains(c->mapRect(0)), width > 600);
        QVERIFY(view.plot()->height() >= WhatIfView::kMinimumPlotHeight);

        view.resize(width, 300);
        QTRY_VERIFY(view.panelSwitch()->isVisible());
        QCOMPARE(view.panelSwitch()->findChildren<QAbstractButton*>().size(), 2);
        for (int i = 0; i < 2; ++i) QCOMPARE(view.panelSwitch()->findChildren<QAbstractButton*>()[i]->text(), names[i]);
        QVERIFY(view.plot()->height() >= WhatIfView::kMinimumPanelHeight);
        QCOMPARE(c->shownPanel(), 0);
        view.plot()->replot();
        QVERIFY(shownRects().contains(c->klRect()));
        QCOMPARE(shownRects().contains(c->topRect(WhatIfSide::Before)), width > 600);   // narrow: KL alone
        QVERIFY(!shownRects().contains(c->mapRect(0)));
        QVERIFY(!view.plot()->legend->visible());   // collapsing and showing again leaves it hidden
        for (QCPAxisRect* rect : shownRects()) QVERIFY2(rect->height() >= 80, qPrintable(QString::number(rect->height())));

        view.panelSwitch()->findChildren<QAbstractButton*>()[1]->click();
        QCoreApplication::processEvents();
        QCOMPARE(c->shownPanel(), 1);
        view.plot()->replot();
        QVERIFY(!shownRects().contains(c->klRect()));
        QVERIFY(shownRects().contains(width > 600 ? c->mapRect(0) : c->topRect(WhatIfSide::Before)));
        for (QCPAxisRect* rect : shownRects()) QVERIFY2(rect->height() >= 80, qPrintable(QString::number(rect->height())));
        if (width < 600) {   // the top-10 list alone: its rank labels keep apart
            QCPAxis* ranks = c->topRect(WhatIfSide::Before)->axis(QCPAxis::atLeft);
            const double perRank = c->topRect(WhatIfSide::Before)->height() / ranks->range().size();
            QVERIFY2(perRank >= QFontMetricsF(ranks->tickLabelFont()).height() * 0.9, qPrintable(QString::number(perRank)));
        }

        // A figure has every panel, and the dock's one panel comes back after it.
        QTemporaryDir dir;
        view.exportFigure(dir.filePath("w.svg"), ExportOptions{});
        QCOMPARE(c->shownPanel(), 1);
        QVERIFY(QFileInfo(dir.filePath("w.svg")).size() > 0);
        // Also after a figure that could not be written.
        QVERIFY(!headlight::test::errorOf([&] { view.exportFigure(dir.filePath("missing/w.svg"), ExportOptions{}); }).isEmpty());
        QCOMPARE(c->shownPanel(), 1);
        QVERIFY(view.minimumSizeHint().height() < 300);   // the dock itself may stay short
    }

    void largeRunsUseMapsNotItems();
    void smallBarsKeepTheirValuesApart();
    void presetButtonsFitADock();
};

void TestViewsPruningLayout::largeRunsUseMapsNotItems() {
    // T = 100 should redraw well within the 50 ms target; 2048 tokens must still work (colour maps only).
    for (int T : {100, 2048}) {
        Trace t;
        for (int i = 0; i < T; ++i) t.tokenIds.push_back(i % 5);
        t.headMask = values({1, 1}, {0.0f});
        LayerTrace layer;
        layer.heads = {0};
        std::vector<float> causal(size_t(T) * size_t(T), 0.0f);   // [1,T,T] row i uniform over keys 0..i
        for (int i = 0; i < T; ++i)
            std::fill_n(causal.begin() + std::ptrdiff_t(i) * T, i + 1, 1.0f / float(i + 1));
        layer.attention = values({1, T, T}, std::move(causal));
        t.layers.push_back(layer);
        Trace base = t;
        base.headMask = values({1, 1}, {1.0f});
        auto info = std::make_shared<ModelInfo>();
        info->config = tinyConfig({}, 1, 1, 8, 5, T);
        RunComparison comparison;
        comparison.kl.assign(size_t(T), 0.01f);
        RunSnapshot s;
        s.model = info;
        s.trace = std::make_shared<const Trace>(t);
        s.baseline = std::make_shared<const Trace>(base);
        s.comparison = std::make_shared<const RunComparison>(comparison);
        HeadSelection selection;
        WhatIfView view(&selection);
        view.resize(1000, 800);
        view.setSnapshot(s);
        QCOMPARE(view.controller()->differenceMap()->data()->keySize(), T);
        QCOMPARE(int(view.controller()->klBars()->data()->size()), T);
        QVERIFY(view.plot()->itemCount() <= 3);   // no per-cell or per-token items
        selection.setPosition(T / 2);   // moves the highlight and row markers; the maps are not refilled
        QCOMPARE(view.controller()->position(), T / 2);
    }
}

void TestViewsPruningLayout::smallBarsKeepTheirValuesApart() {
    RunComparison c = handComparison();
    for (auto& top : c.topBefore) top.back().probability = 0.006f;
    HeadSelection selection;
    WhatIfView view(&selection);
    view.setSnapshot(handSnapshot(false, {1, 0, 1, 0}, c));
    showView(view);
    for (WhatIfSide side : {WhatIfSide::Before, WhatIfSide::After}) {
        QCPAxis* ranks = view.controller()->topRect(side)->axis(QCPAxis::atLeft);
        QCOMPARE(ranks->tickLengthIn() + ranks->tickLengthOut() + ranks->subTickLengthIn() + ranks->subTickLengthOut(), 0);
    }
    QCPAxisRect* rect = view.controller()->topRect(WhatIfSide::Before);
    bool found = false;
    for (int i = 0; i < view.plot()->itemCount(); ++i) {
        auto* text = qobject_cast<QCPItemText*>(view.plot()->item(i));
        if (!text || text->text() != QStringLiteral("0.006")) continue;
        found = true;
        const double barEnd = rect->axis(QCPAxis::atBottom)->coordToPixel(0.006);
        QVERIFY2(text->position->pixelPosition().x() - barEnd >= 4, qPrintable(QString::number(text->position->pixelPosition().x() - barEnd)));
        QCOMPARE(text->positionAlignment() & Qt::AlignLeft, Qt::AlignLeft);
    }
    QVERIFY(found);
}

void TestViewsPruningLayout::presetButtonsFitADock() {
    HeadSelection selection;
    WhatIfView view(&selection);
    view.setSnapshot(handSnapshot(true));
    view.resize(310, 500);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QCoreApplication::processEvents();
    for (WhatIfPreset p : {WhatIfPreset::PruneClosedGates, WhatIfPreset::PruneLeastImportant, WhatIfPreset::KeepMostImportant,
                           WhatIfPreset::RestoreAll}) {
        QPushButton* b = view.presetButton(p);
        QVERIFY2(b->width() >= b->sizeHint().width(), qPrintable(b->text()));
        const QRect onView(b->mapTo(&view, QPoint(0, 0)), b->size());
        QVERIFY2(view.rect().contains(onView), qPrintable(b->text()));   // not scrolled out of sight
    }
    QVERIFY(view.prunedLabel()->wordWrap());
}

QTEST_MAIN(TestViewsPruningLayout)
#include "test_views_pruning_layout.moc"
