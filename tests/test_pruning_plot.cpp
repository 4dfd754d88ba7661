// The pruning-curve figure: what it plots, its legend, its export, and bad input.
#include "pruning_curve_plot.h"

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>
#include <qcustomplot.h>

#include <stdexcept>

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
};

QTEST_MAIN(TestPruningPlot)
#include "test_pruning_plot.moc"
