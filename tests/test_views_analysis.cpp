// The Analysis panel in a narrow dock: controls that wrap instead of scrolling sideways, a line in place of empty
// plots until an analysis ran, the curves' colours after a theme change, and one readable panel in a short dock.
#include "test_support.h"
#include "view_test_support.h"

#include "pruning_curve_plot.h"
#include "views/pruning/analysis_view.h"

#include <QAbstractButton>
#include <QAbstractScrollArea>
#include <QComboBox>
#include <QFontMetricsF>
#include <QLabel>
#include <QScrollBar>
#include <QSpinBox>
#include <QToolButton>
#include <QtTest>
#include <qcustomplot.h>

#include <cmath>

using namespace headlight;

namespace {

AnalysisResult curvesResult() {
    AnalysisResult r;
    r.kind = AnalysisKind::Curves;
    r.source = QStringLiteral("this text");
    for (const char* name : {"importance", "random", "gate"})
        r.curves.push_back({name, {0, 0.5, 1}, {0.97, 0.6, 0.1}, {0.1, 1.4, 3.2}});
    return r;
}

// The controls' visible widgets that someone reads or clicks (not their containers).
QList<QWidget*> controlWidgets(QWidget* controls) {
    QList<QWidget*> out;
    for (QWidget* w : controls->findChildren<QWidget*>())
        if (w->isVisible() && (qobject_cast<QAbstractButton*>(w) || qobject_cast<QAbstractSpinBox*>(w) ||
                               qobject_cast<QComboBox*>(w) || qobject_cast<QLabel*>(w)))
            out << w;
    return out;
}

} // namespace

class TestViewsAnalysis : public QObject {
    Q_OBJECT
private slots:
    // At 320 px every button, box and label is whole and inside the panel, none overlaps another, and nothing
    // scrolls sideways: the rows wrap.
    void controlsWrapToANarrowDock() {
        for (const int width : {320, 420}) {
            HeadSelection selection;
            AnalysisView view(&selection);
            view.setSnapshot(test::hand::handSnapshot());
            QVERIFY(test::showExposed(view, QSize(width, 600)));
            const QList<QWidget*> widgets = controlWidgets(view.controls());
            QVERIFY(widgets.contains(view.button(AnalysisKind::MemoryCurve)));   // the hand model is selective
            QVERIFY(widgets.contains(view.ordersButton()));
            for (QWidget* w : widgets) {
                const QRect r(w->mapTo(&view, QPoint(0, 0)), w->size());
                const QString what = QString("%1 '%2' at %3,%4 %5x%6 in %7")
                                         .arg(w->metaObject()->className(), w->property("text").toString())
                                         .arg(r.x()).arg(r.y()).arg(r.width()).arg(r.height()).arg(width);
                QVERIFY2(view.rect().contains(r), qPrintable(what));
                if (qobject_cast<QAbstractButton*>(w)) QVERIFY2(w->width() >= w->sizeHint().width(), qPrintable(what));
                for (QWidget* other : widgets)
                    if (other != w && !other->isAncestorOf(w) && !w->isAncestorOf(other))
                        QVERIFY2(!r.intersects(QRect(other->mapTo(&view, QPoint(0, 0)), other->size())), qPrintable(what));
            }
            for (QAbstractScrollArea* area : view.findChildren<QAbstractScrollArea*>())
                QVERIFY(!area->horizontalScrollBar()->isVisible());
        }
    }

    // Before a run a line says what will appear and which button makes it; the curves replace it.
    void aLineStandsInForPlotsUntilARun() {
        HeadSelection selection;
        AnalysisView view(&selection);
        view.setSnapshot(test::hand::handSnapshot());
        QVERIFY(test::showExposed(view, QSize(320, 600)));
        QLabel* line = view.curvePlot()->placeholder();
        QVERIFY(line->isVisible());
        QVERIFY(line->text().contains("'Curves'"));
        QVERIFY(!view.curvePlot()->plot()->isVisible());
        view.showResult(curvesResult());
        QVERIFY(!line->isVisible());
        QVERIFY(view.curvePlot()->plot()->isVisible());
        QCOMPARE(view.curvePlot()->plot()->graphCount(), 6);
    }

    // The dark theme: the plots follow the palette instead of staying white.
    void curvesFollowTheDarkPalette() {
        HeadSelection selection;
        AnalysisView view(&selection);
        view.setSnapshot(test::hand::handSnapshot());
        view.showResult(curvesResult());
        QPalette dark = view.palette();
        dark.setColor(QPalette::Base, QColor(27, 29, 32));
        dark.setColor(QPalette::Text, QColor(220, 222, 226));
        view.setPalette(dark);
        for (PruningCurvePlot* plot : {view.curvePlot(), view.memoryPlot()}) {
            QCOMPARE(QColor(plot->plot()->toPixmap(320, 400).toImage().pixel(1, 1)), QColor(27, 29, 32));
            QCOMPARE(plot->accuracyRect()->backgroundBrush().color(), QColor(27, 29, 32));
            QCOMPARE(plot->lossRect()->axis(QCPAxis::atLeft)->basePen().color(), QColor(220, 222, 226));
        }
    }

    // In a dock as short as at 1280 x 800 (about 320 x 240 for the panel) the curves show one panel with a
    // switch, its y ticks a label and a half apart and its legend whole, never two crushed ones.
    void aShortDockShowsOnePanelAtATime_data() {
        QTest::addColumn<bool>("selective");   // one more row of buttons and the tabs
        QTest::addColumn<int>("height");
        QTest::newRow("plain") << false << 240;
        QTest::newRow("selective") << true << 290;
    }
    void aShortDockShowsOnePanelAtATime() {
        QFETCH(bool, selective);
        QFETCH(int, height);
        HeadSelection selection;
        AnalysisView view(&selection);
        view.setSnapshot(selective ? test::hand::handSnapshot()
                                   : test::snapshotOf(test::tinyConfig({"gates"}, 2, 4, 8, 11, 16), test::hand::handTrace()));
        QVERIFY(test::showExposed(view, QSize(320, height)));
        view.showResult(curvesResult());
        PruningCurvePlot* plot = view.curvePlot();
        QTRY_VERIFY(plot->shownPanel() != PruningCurvePlot::BothPanels);
        QVERIFY(plot->panelSwitch()->isVisible());
        plot->plot()->replot();
        QCPAxisRect* shown = plot->shownPanel() == PruningCurvePlot::AccuracyPanel ? plot->accuracyRect() : plot->lossRect();
        QVERIFY2(shown->height() >= plot->panelMinimumHeight(),
                 qPrintable(QString("%1 < %2").arg(shown->height()).arg(plot->panelMinimumHeight())));
        QCPAxis* y = shown->axis(QCPAxis::atLeft);
        const QVector<double> ticks = y->tickVector();
        QVERIFY(ticks.size() >= 2);
        QVERIFY(std::abs(y->coordToPixel(ticks[1]) - y->coordToPixel(ticks[0])) >= 1.5 * QFontMetricsF(y->tickLabelFont()).height());
        const QCPLayoutElement* legend = plot->legend();
        QVERIFY(legend->minimumOuterSizeHint().width() <= plot->plot()->viewport().width());
        QVERIFY(plot->plot()->viewport().adjusted(0, 0, 1, 1).contains(plot->legend()->outerRect()));
        view.resize(320, 900);
        QTRY_COMPARE(plot->shownPanel(), int(PruningCurvePlot::BothPanels));
        QVERIFY(!plot->panelSwitch()->isVisible());
    }
};

QTEST_MAIN(TestViewsAnalysis)
#include "test_views_analysis.moc"
