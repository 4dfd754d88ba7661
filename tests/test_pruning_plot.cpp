// The pruning figures: the pruning curve and the per-head score heatmap (what they plot, legends and marks,
// export, bad input).
#include "head_score_plot.h"
#include "pruning_curve_plot.h"

#include <QFile>
#include <QFontMetricsF>
#include <QLabel>
#include <QTemporaryDir>
#include <QXmlStreamReader>
#include <QtTest>
#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace {

// The decimals of a printed number ("1.25" -> 2, "3" -> 0).
int decimalsOf(const QString& number) {
    const int point = number.indexOf(QLocale().decimalPoint());
    return point < 0 ? 0 : int(number.size()) - point - 1;
}

// Pixels between neighbouring major ticks of `axis` as last drawn (0 when it has fewer than two).
double tickSpacing(QCPAxis* axis) {
    const QVector<double> ticks = axis->tickVector();
    return ticks.size() < 2 ? 0 : std::abs(axis->coordToPixel(ticks[1]) - axis->coordToPixel(ticks[0]));
}

const headlight::CurveSeries kImportance{"importance", {0, 0.25, 0.5, 0.75, 1}, {0.97, 0.9, 0.6, 0.3, 0.1}, {0.1, 0.2, 1.2, 2.4, 3.1}};
const headlight::CurveSeries kRandom{"random", {0, 0.25, 0.5, 0.75, 1}, {0.97, 0.7, 0.5, 0.2, 0.1}, {0.1, 0.9, 1.5, 2.8, 3.3}};
const headlight::CurveSeries kGate{"gate", {0, 0.25, 0.5, 0.75, 1}, {0.97, 0.97, 0.8, 0.3, 0.1}, {0.1, 0.1, 0.7, 2.2, 3.3}};

template <typename Item>
QList<Item*> itemsOf(QCustomPlot* plot) {
    QList<Item*> out;
    for (int i = 0; i < plot->itemCount(); ++i)
        if (auto* item = qobject_cast<Item*>(plot->item(i))) out << item;
    return out;
}

} // namespace

using namespace headlight;

class TestPruningPlot : public QObject {
    Q_OBJECT

private slots:
    void plotsEveryOrderAsAccuracyAndLoss() {
        PruningCurvePlot plot;
        plot.resize(480, 420);
        const CurveSeries a{"importance", {0, 0.25, 0.5}, {0.9, 0.9, 0.4}, {0.1, 0.1, 1.5}};
        const CurveSeries b{"random", {0, 0.5}, {0.9, 0.2}, {0.1, 2.5}};
        plot.setCurves({a, b}, "title");
        QCustomPlot* p = plot.plot();
        QCOMPARE(p->graphCount(), 4);   // accuracy and loss for each order
        for (int g = 0; g < 4; ++g) {
            const CurveSeries& s = g < 2 ? a : b;
            const auto& y = g % 2 == 0 ? s.metric : s.loss;
            const auto* data = p->graph(g)->data().data();
            QCOMPARE(data->size(), int(s.fractionPruned.size()));
            for (int i = 0; i < data->size(); ++i) {
                QCOMPARE(data->at(i)->key, s.fractionPruned[size_t(i)]);
                QCOMPARE(data->at(i)->value, y[size_t(i)]);
            }
            QCOMPARE(p->graph(g)->name(), s.name);
        }
        // One legend entry per order, whatever the number of redraws.
        plot.setCurves({a, b}, "again");
        QList<QCPLegend*> legends;
        for (QCPLayoutElement* e : p->plotLayout()->elements(true))
            if (auto* l = qobject_cast<QCPLegend*>(e)) legends << l;
        QCOMPARE(legends.size(), 1);
        QCOMPARE(legends.front()->itemCount(), 2);
        // The loss axis fits the largest loss.
        QVERIFY(p->graph(3)->valueAxis()->range().upper >= 2.5);
    }

    // Every axis prints its ticks with one number of decimals: "0.0 0.5 1.0", never "0 0.5 1".
    void curveTicksUseAlikeDecimals() {
        PruningCurvePlot plot;
        plot.resize(480, 520);
        plot.setCurves({kImportance, kRandom});
        plot.plot()->replot();
        for (QCPAxisRect* rect : {plot.accuracyRect(), plot.lossRect()})
            for (QCPAxis* axis : {rect->axis(QCPAxis::atLeft), rect->axis(QCPAxis::atBottom)}) {
                const QVector<QString> labels = axis->tickVectorLabels();
                QVERIFY(labels.size() >= 2);
                for (const QString& label : labels)
                    QVERIFY2(decimalsOf(label) == decimalsOf(labels.front()), qPrintable(QStringList(labels.toList()).join(' ')));
            }
        QVERIFY(plot.accuracyRect()->axis(QCPAxis::atLeft)->tickVectorLabels().contains("1.0"));
    }

    // Stacked while each panel gets its readable height; shorter, one panel with a switch, its ticks still apart
    // and its legend whole; a figure always shows both.
    void aShortPlotShowsOnePanelWithASwitch() {
        PruningCurvePlot plot;
        plot.resize(320, 700);
        plot.setCurves({kImportance, kRandom, kGate}, "induction-gates: pruning curves on this text");
        plot.show();
        QVERIFY(QTest::qWaitForWindowExposed(&plot));
        plot.plot()->replot();
        QCOMPARE(plot.shownPanel(), int(PruningCurvePlot::BothPanels));
        QVERIFY(!plot.panelSwitch()->isVisible());
        const auto checkReadable = [&](QCPAxisRect* rect) {
            QVERIFY2(rect->height() >= plot.panelMinimumHeight(), qPrintable(QString::number(rect->height())));
            QCPAxis* y = rect->axis(QCPAxis::atLeft);
            const double labelHeight = QFontMetricsF(y->tickLabelFont()).height();
            QVERIFY2(tickSpacing(y) >= labelHeight, qPrintable(QString("%1 < %2").arg(tickSpacing(y)).arg(labelHeight)));
            // The legend fits the plot's width: no entry is cut.
            const QRect legend = plot.legend()->outerRect();
            QVERIFY2(plot.plot()->viewport().adjusted(0, 0, 1, 1).contains(legend),   // QCustomPlot rounds a pixel over
                     qPrintable(QString("legend at y %1, %2 high").arg(legend.y()).arg(legend.height())));
            const QCPLayoutElement* entries = plot.legend();
            QVERIFY(entries->minimumOuterSizeHint().width() <= plot.plot()->viewport().width());
        };
        checkReadable(plot.accuracyRect());
        checkReadable(plot.lossRect());

        plot.resize(320, 200);
        QTRY_COMPARE(plot.shownPanel(), int(PruningCurvePlot::AccuracyPanel));
        QVERIFY(plot.panelSwitch()->isVisible());
        plot.plot()->replot();
        QVERIFY(plot.lossRect()->outerRect().height() <= 1);
        checkReadable(plot.accuracyRect());
        QCOMPARE(plot.accuracyRect()->axis(QCPAxis::atBottom)->label(), QString("fraction of heads pruned"));
        // The legend beside the one panel, an entry a row; the title beside the switch.
        QVERIFY(plot.legend()->outerRect().left() >= plot.accuracyRect()->outerRect().right());
        QVERIFY(plot.panelSwitch()->findChild<QLabel*>()->text().contains("pruning curves on this text"));
        plot.choosePanel(PruningCurvePlot::LossPanel);
        plot.plot()->replot();
        QVERIFY(plot.accuracyRect()->outerRect().height() <= 1);
        checkReadable(plot.lossRect());

        // The figure has both panels; the dock's one panel comes back after it.
        QTemporaryDir dir;
        ExportOptions options;
        options.size = QSize(240, 300);
        QList<int> heights;
        connect(plot.plot(), &QCustomPlot::afterReplot, this,
                [&] { heights << plot.accuracyRect()->height() << plot.lossRect()->height(); });
        plot.exportFigure(dir.filePath("curves.png"), options);
        QVERIFY(heights.size() >= 2);
        QVERIFY2(heights[0] > 1 && heights[1] > 1, qPrintable(QString("%1 %2").arg(heights[0]).arg(heights[1])));
        QCOMPARE(plot.shownPanel(), int(PruningCurvePlot::LossPanel));
        plot.plot()->replot();
        QVERIFY(plot.accuracyRect()->outerRect().height() <= 1);

        plot.resize(320, 700);
        QTRY_COMPARE(plot.shownPanel(), int(PruningCurvePlot::BothPanels));
        QVERIFY(!plot.panelSwitch()->isVisible());
    }

    // The dark theme: background, axes, tick labels and legend take the palette's colours, and back.
    void curvesFollowThePalette() {
        PruningCurvePlot plot;
        plot.setCurves({kImportance});
        QPalette dark = plot.palette();
        dark.setColor(QPalette::Base, QColor(27, 29, 32));
        dark.setColor(QPalette::Text, QColor(220, 222, 226));
        const QPalette light = plot.palette();
        for (const QPalette& palette : {dark, light}) {
            plot.setPalette(palette);
            const QColor base = palette.color(QPalette::Base), text = palette.color(QPalette::Text);
            // The plot's own background, at a corner no axis, title or legend reaches.
            QCOMPARE(QColor(plot.plot()->toPixmap(320, 400).toImage().pixel(1, 1)), base);
            for (QCPAxisRect* rect : {plot.accuracyRect(), plot.lossRect()}) {
                QCOMPARE(rect->backgroundBrush().color(), base);
                QCOMPARE(rect->axis(QCPAxis::atLeft)->basePen().color(), text);
                QCOMPARE(rect->axis(QCPAxis::atBottom)->tickLabelColor(), text);
            }
            QCOMPARE(plot.legend()->brush().color(), base);
            QCOMPARE(plot.legend()->textColor(), text);
        }
    }

    // Before any curves, a line saying what will appear replaces empty axes.
    void aPlaceholderStandsInForEmptyAxes() {
        PruningCurvePlot plot;
        plot.resize(320, 300);
        plot.setPlaceholder("Press 'Curves'");
        plot.show();
        QVERIFY(QTest::qWaitForWindowExposed(&plot));
        QVERIFY(plot.placeholder()->isVisible());
        QVERIFY(!plot.plot()->isVisible());
        plot.setCurves({kImportance});
        QVERIFY(!plot.placeholder()->isVisible());
        QVERIFY(plot.plot()->isVisible());
        plot.setCurves({});
        QVERIFY(plot.placeholder()->isVisible());
    }

    void exportsAndRejectsMismatchedSeries() {
        PruningCurvePlot plot;
        plot.setCurves({{"gate", {0, 1}, {1, 0}, {0, 3}}});
        QTemporaryDir dir;
        for (const char* suffix : {"png", "svg", "pdf"}) {
            const QString path = dir.filePath(QString("curve.") + suffix);
            plot.exportFigure(path, ExportOptions{});
            QVERIFY2(QFileInfo(path).size() > 0, qPrintable(path));
        }
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, plot.setCurves({{"bad", {0, 1}, {1}, {0, 3}}}));
    }
    // Every cell of the heatmap holds its head's value (head across, layer down), with that value as text.
    void headScoresFillTheCells() {
        // [L=3, H=4], values chosen so that 3 significant digits round visibly.
        const std::vector<float> v = {0.123456f, 1.0f,     0.0f,    2.71828f,
                                      12.3456f,  0.000123456f, 0.5f, 0.25f,
                                      3.0f,      0.999f,   0.0456f, 7.0f};
        const FloatArray values({3, 4}, v);
        HeadScorePlot plot;
        plot.resize(700, 500);
        plot.setScores(values, HeadScoreKind::Importance, {}, "model: importance");
        QCPColorMap* map = plot.colorMap();
        QCOMPARE(map->data()->keySize(), 4);     // heads on x
        QCOMPARE(map->data()->valueSize(), 3);   // layers on y
        for (int l = 0; l < 3; ++l)
            for (int h = 0; h < 4; ++h) {
                QCOMPARE(map->data()->cell(h, l), double(v[size_t(l * 4 + h)]));
                double key = 0, value = 0;
                map->data()->cellToCoord(h, l, &key, &value);
                QCOMPARE(key, double(h));
                QCOMPARE(value, double(l));
            }
        QVERIFY(map->valueAxis()->rangeReversed());   // layer 0 on top
        QCOMPARE(map->valueAxis()->range().lower, -0.5);
        QCOMPARE(map->valueAxis()->range().upper, 2.5);
        QCOMPARE(map->keyAxis()->range().upper, 3.5);
        // Sequential: from 0 to the largest importance.
        QCOMPARE(map->dataRange().lower, 0.0);
        QCOMPARE(map->dataRange().upper, double(12.3456f));
        QCOMPARE(plot.colorScale()->axis()->label(), QString("importance I_h"));

        // The cell texts, centred on their cells, all with the decimals that give the largest 3 significant digits.
        const QList<QCPItemText*> labels = itemsOf<QCPItemText>(plot.plot());
        QCOMPARE(labels.size(), 12);
        QStringList texts;
        for (QCPItemText* t : labels) {
            const int h = qRound(t->position->coords().x()), l = qRound(t->position->coords().y());
            QCOMPARE(t->position->coords(), QPointF(h, l));
            texts << QString("%1.%2=%3").arg(l).arg(h).arg(t->text());
        }
        for (const char* expected : {"0.0=0.1", "0.1=1.0", "0.2=0.0", "0.3=2.7", "1.0=12.3", "1.1=0.0", "2.1=1.0", "2.2=0.0", "2.3=7.0"})
            QVERIFY2(texts.contains(expected), qPrintable(expected + QString(" not in ") + texts.join(' ')));
        QVERIFY(itemsOf<QCPItemRect>(plot.plot()).isEmpty());   // nothing pruned, nothing greyed

        // Values are written only where they fit: a big figure shows them, a tiny one does not.
        plot.plot()->toPixmap(800, 600);
        QVERIFY(plot.cellLabelsShown());
        QVERIFY(labels.front()->visible());
        plot.plot()->toPixmap(160, 110);
        QVERIFY(!plot.cellLabelsShown());
        QVERIFY(!labels.front()->visible());
    }

    // Ablation deltas take either sign: the scale is symmetric around 0, and 0 is drawn (nearly) white.
    void ablationDeltasUseASymmetricDivergingScale() {
        HeadScorePlot plot;
        plot.setScores(FloatArray({2, 2}, std::vector<float>{-0.5f, 0.2f, 0.1f, 0.0f}), HeadScoreKind::AblationDeltaLoss);
        QCPColorMap* map = plot.colorMap();
        QCOMPARE(map->dataRange().lower, -0.5);
        QCOMPARE(map->dataRange().upper, 0.5);
        QCOMPARE(plot.colorScale()->axis()->label(), QString("delta loss when pruned alone (nats)"));
        QCPColorGradient g = map->gradient();
        const QColor zero(g.color(0.0, map->dataRange())), low(g.color(-0.5, map->dataRange())),
            high(g.color(0.5, map->dataRange()));
        QVERIFY2(zero.lightness() > 235, qPrintable(zero.name()));
        QVERIFY2(low.blue() > low.red(), qPrintable(low.name()));     // loss went down: blue
        QVERIFY2(high.red() > high.blue(), qPrintable(high.name()));  // loss went up: red

        // Positive only still centres on 0; all zero gets a unit range rather than an empty one.
        plot.setScores(FloatArray({1, 2}, std::vector<float>{0.25f, 0.75f}), HeadScoreKind::AblationDeltaLoss);
        QCOMPARE(map->dataRange().lower, -0.75);
        QCOMPARE(map->dataRange().upper, 0.75);
        plot.setScores(FloatArray({1, 1}, std::vector<float>{0.0f}), HeadScoreKind::AblationDeltaLoss);
        QCOMPARE(map->dataRange().lower, -1.0);
        QCOMPARE(map->dataRange().upper, 1.0);
        QCOMPARE(map->data()->cell(0, 0), 0.0);
    }

    // Heads pruned before the analysis are greyed (a rectangle over the cell) and struck through.
    void prunedHeadsAreGreyedAndStruckThrough() {
        HeadScorePlot plot;
        std::vector<bool> pruned(6, false);
        pruned[1] = true;   // layer 0, head 1
        pruned[5] = true;   // layer 1, head 2
        plot.setScores(FloatArray({2, 3}, std::vector<float>{0.4f, 0.0f, 0.3f, 0.2f, 0.1f, 0.0f}),
                       HeadScoreKind::Importance, pruned);
        const QList<QCPItemRect*> covers = itemsOf<QCPItemRect>(plot.plot());
        const QList<QCPItemLine*> strikes = itemsOf<QCPItemLine>(plot.plot());
        QCOMPARE(covers.size(), 2);
        QCOMPARE(strikes.size(), 2);
        QList<QPointF> centres;
        for (QCPItemRect* r : covers) {
            const QPointF tl = r->topLeft->coords(), br = r->bottomRight->coords();
            QCOMPARE(br - tl, QPointF(1, 1));   // exactly one cell
            centres << (tl + br) / 2;
            QVERIFY(r->brush().color().saturation() == 0);   // grey
        }
        std::sort(centres.begin(), centres.end(), [](QPointF a, QPointF b) { return a.y() < b.y(); });
        QCOMPARE(centres, (QList<QPointF>{{1, 0}, {2, 1}}));   // (head, layer)
        for (QCPItemLine* line : strikes) {
            const QPointF d = line->end->coords() - line->start->coords();
            QCOMPARE(std::fabs(d.x()), 1.0);   // corner to corner across the cell
            QCOMPARE(std::fabs(d.y()), 1.0);
        }
        // A new set of scores replaces the marks rather than adding to them.
        plot.setScores(FloatArray({2, 3}, std::vector<float>(6, 0.5f)), HeadScoreKind::Importance);
        QVERIFY(itemsOf<QCPItemRect>(plot.plot()).isEmpty());
        QVERIFY(itemsOf<QCPItemLine>(plot.plot()).isEmpty());
    }

    void headScoresExportAndRejectBadInput() {
        HeadScorePlot plot;
        std::vector<bool> pruned = {false, true, false, false};
        plot.setScores(FloatArray({2, 2}, std::vector<float>{0.271828f, 0.0f, -0.2f, 0.1f}), HeadScoreKind::AblationDeltaLoss,
                       pruned, "m: loss change when each head is pruned alone\ntext: ^abc");
        QTemporaryDir dir;
        ExportOptions options;
        options.size = QSize(360, 240);
        for (const char* suffix : {"png", "svg", "pdf"}) {
            const QString path = dir.filePath(QString("scores.") + suffix);
            plot.exportFigure(path, options);
            QFile f(path);
            QVERIFY2(f.open(QIODevice::ReadOnly) && f.size() > 0, qPrintable(path));
            const QByteArray bytes = f.readAll();
            if (QByteArray(suffix) == "png") QVERIFY(bytes.startsWith("\x89PNG"));
            if (QByteArray(suffix) == "pdf") QVERIFY(bytes.startsWith("%PDF"));
            if (QByteArray(suffix) == "svg") {
                QXmlStreamReader xml(bytes);
                while (!xml.atEnd()) xml.readNext();
                QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
                QVERIFY(bytes.contains(">0.272<"));   // a cell value, as text in the vector figure
            }
        }
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, plot.setScores(FloatArray({4}, std::vector<float>(4, 0.f)),
                                                                       HeadScoreKind::Importance));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, plot.setScores(FloatArray({2, 2}, std::vector<float>(4, 0.f)),
                                                                       HeadScoreKind::Importance, {true, false}));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, plot.setScores(FloatArray({2, 2}, std::vector<float>(4, 0.f)),
                                                                       HeadScoreKind::Importance, {}, {}, {"E0"}));
    }

    // An encoder-decoder model's rows by name (E0, D0, X0), one tick each; back to numbers for the next model.
    void headScoreRowsByName() {
        HeadScorePlot plot;
        plot.setScores(FloatArray({3, 2}, std::vector<float>(6, 0.5f)), HeadScoreKind::Importance, {}, {}, {"E0", "D0", "X0"});
        auto* ticker = dynamic_cast<QCPAxisTickerText*>(plot.colorMap()->valueAxis()->ticker().data());
        QVERIFY(ticker);
        QCOMPARE(ticker->ticks().value(2.0), QString("X0"));
        QCOMPARE(ticker->ticks().size(), 3);
        plot.setScores(FloatArray({3, 2}, std::vector<float>(6, 0.5f)), HeadScoreKind::Importance);
        QVERIFY(dynamic_cast<QCPAxisTickerFixed*>(plot.colorMap()->valueAxis()->ticker().data()));
        QVERIFY(plot.rowNames().isEmpty());
    }
};

QTEST_MAIN(TestPruningPlot)
#include "test_pruning_plot.moc"
