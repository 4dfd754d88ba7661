// The window at the sizes people have: every sample model and a 48-layer x 32-head model open in a 1280 x 800
// window with nothing cut off; docks of mechanisms a model lacks stay out of the way; the head grid and the
// token list are there; each sample opens on its view preset and the status bar reports the loss its task
// scores. Layout geometry and selection state, never pixels.
#include "head_selection.h"
#include "views/mechanisms/head_plot_view.h"
#include "main_window.h"
#include "settings.h"
#include "test_support.h"
#include "trace_view.h"
#include "view_preset.h"

#include <QDir>
#include <QFile>
#include <QAbstractButton>
#include <QDockWidget>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QtTest>
#include <qcustomplot.h>

using namespace headlight;

namespace {

const QString kSamples = QStringLiteral(HEADLIGHT_SOURCE_DIR "/sample_models");

QDockWidget* dockOf(MainWindow& window, const QString& id) {
    TraceView* v = window.view(id);
    return v ? qobject_cast<QDockWidget*>(v->parentWidget()) : nullptr;
}

} // namespace

class TestAppLayout : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    QString bigModel_;

    RunSnapshot open(MainWindow& window, const QString& model) {
        QSignalSpy shown(&window, &MainWindow::snapshotShown);
        window.openModel(model);
        if (!shown.wait(60000)) return {};
        return shown.last().at(0).value<RunSnapshot>();
    }

private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        // 48 layers x 32 heads (tiny widths), with selective attention: one budget box per layer.
        ModelConfig c = test::tinyConfig({"selective"}, 48, 32, 64, 37, 64);
        bigModel_ = dir_.filePath(QStringLiteral("big"));
        test::writeModel(bigModel_.toStdString(), c, test::randomWeights(c, 3));
        QFile example(bigModel_ + QStringLiteral("/example.txt"));
        QVERIFY(example.open(QIODevice::WriteOnly));
        example.write("^thelayersofabigmodel");
    }

    void everyModelFitsA1280x800Window_data() {
        QTest::addColumn<QString>("model");
        for (const QString& name : QDir(kSamples).entryList(QDir::Dirs | QDir::NoDotAndDotDot))
            QTest::newRow(qPrintable(name)) << kSamples + QLatin1Char('/') + name;
        QTest::newRow("48x32") << bigModel_;
    }

    void everyModelFitsA1280x800Window() {
        QFETCH(QString, model);
        Settings settings(dir_.filePath(QStringLiteral("fit.ini")));
        MainWindow window(settings);
        window.resize(1280, 800);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        const RunSnapshot s = open(window, model);
        QVERIFY(s.valid());
        QCoreApplication::processEvents();
        const QSize minimum = window.minimumSizeHint().expandedTo(window.minimumSize());
        if (minimum.width() > 1280 || minimum.height() > 800)   // name the widest and tallest docks
            for (QDockWidget* dock : window.findChildren<QDockWidget*>())
                if (dock->isVisible())
                    qWarning("%s: %d x %d", qPrintable(dock->objectName()), dock->minimumSizeHint().width(),
                             dock->minimumSizeHint().height());
        QVERIFY2(minimum.width() <= 1280 && minimum.height() <= 800,
                 qPrintable(QString("smallest window %1 x %2").arg(minimum.width()).arg(minimum.height())));
        window.resize(1280, 800);
        QCoreApplication::processEvents();
        QCOMPARE(window.size(), QSize(1280, 800));
        // The matrix gets real room: at least a third of the width and half of the height.
        TraceView* matrix = window.view(QStringLiteral("attention"));
        QVERIFY2(matrix->width() >= 1280 / 3 && matrix->height() >= 800 / 2,
                 qPrintable(QString("matrix %1 x %2").arg(matrix->width()).arg(matrix->height())));
        // Every dock in sight (not a tab behind another) lies inside the window.
        for (QDockWidget* dock : window.findChildren<QDockWidget*>())
            if (dock->isVisible() && !dock->visibleRegion().isEmpty())
                QVERIFY2(window.rect().contains(QRect(dock->mapTo(&window, QPoint(0, 0)), dock->size())),
                         qPrintable(dock->windowTitle()));
    }

    // A mechanism dock too short for all of its panels shows one readable panel and a switch, never several
    // squashed ones; a taller dock shows every panel and hides the switch.
    void mechanismPanelsStayReadable_data() {
        QTest::addColumn<QString>("sample");
        QTest::addColumn<QString>("view");
        QTest::newRow("spans") << "mixed-range-span" << "spans";
        QTest::newRow("memory") << "lookup-memory" << "memory";
    }
    void mechanismPanelsStayReadable() {
        QFETCH(QString, sample);
        QFETCH(QString, view);
        Settings settings(dir_.filePath(QStringLiteral("panels.ini")));
        MainWindow window(settings);
        window.resize(1280, 800);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(open(window, kSamples + QLatin1Char('/') + sample).valid());
        QCoreApplication::processEvents();
        auto* plotView = qobject_cast<HeadPlotView*>(window.view(view));
        QVERIFY(plotView && plotView->isVisible() && plotView->panelSwitch());
        auto shownRects = [&] {
            QList<QCPAxisRect*> shown;
            for (QCPAxisRect* rect : plotView->plot()->axisRects())
                if (rect->visible() && rect->outerRect().height() > 1) shown << rect;
            return shown;
        };
        // Every axis rect on screen has the room its ticks need.
        auto checkReadable = [&] {
            plotView->plot()->replot();
            for (QCPAxisRect* rect : shownRects())
                QVERIFY2(rect->height() >= 90, qPrintable(QString("axis rect %1 px tall").arg(rect->height())));
        };
        const int all = plotView->plot()->axisRects().size();
        QVERIFY(all >= 2);
        // The default bottom dock at 1280 x 800 is too short for two panels.
        QVERIFY(plotView->panelSwitch()->isVisible());
        {
            QCOMPARE(shownRects().size(), 1);
            checkReadable();
            const QList<QAbstractButton*> buttons = plotView->panelSwitch()->findChildren<QAbstractButton*>();
            QCOMPARE(buttons.size(), 2);
            buttons.last()->click();
            QCoreApplication::processEvents();
            QCOMPARE(shownRects().size(), 1);
            QVERIFY(shownRects().first() != plotView->plot()->axisRects().first());
            checkReadable();
        }
        // A dock as tall as a big screen's shows every panel and no switch.
        auto* dock = qobject_cast<QDockWidget*>(plotView->parentWidget());
        dock->setFloating(true);
        dock->resize(1000, 900);
        QCoreApplication::processEvents();
        QVERIFY(!plotView->panelSwitch()->isVisible());
        QCOMPARE(shownRects().size(), all);
        checkReadable();
    }

    void docksOfMissingMechanismsStayOutOfTheWay() {
        Settings settings(dir_.filePath(QStringLiteral("docks.ini")));
        MainWindow window(settings);
        window.resize(1280, 800);
        window.show();
        QVERIFY(open(window, kSamples + QStringLiteral("/assign-baseline")).valid());
        for (const char* id : {"gates", "spans", "selective", "memory"})
            QVERIFY2(!dockOf(window, QString::fromLatin1(id))->isVisible(), id);
        QVERIFY(dockOf(window, QStringLiteral("grid"))->isVisible());
        QVERIFY(dockOf(window, QStringLiteral("tokens"))->isVisible());
        QVERIFY(open(window, kSamples + QStringLiteral("/mixed-range-span")).valid());
        QVERIFY(dockOf(window, QStringLiteral("spans"))->isVisible());
        QVERIFY(!dockOf(window, QStringLiteral("gates"))->isVisible());
    }

    void samplesOpenOnTheirPreset() {
        Settings settings(dir_.filePath(QStringLiteral("preset.ini")));
        MainWindow window(settings);
        window.resize(1280, 800);
        window.show();
        const RunSnapshot s = open(window, kSamples + QStringLiteral("/assign-selective"));
        QVERIFY(s.valid());
        QCOMPARE(s.model->preset.view, QStringLiteral("selective"));
        QCOMPARE(window.selection()->position(), s.tokens() - 2);   // the "=" after "?f": the query
        QCOMPARE(window.selection()->current(), (HeadRef{s.model->preset.layer, s.model->preset.head}));
        QVERIFY(dockOf(window, QStringLiteral("selective"))->isVisible());
        QVERIFY(!dockOf(window, QStringLiteral("selective"))->visibleRegion().isEmpty());   // in front of its tabs
        // The loss of the answer alone, the card's number, not the mean over every position.
        const QString loss = MainWindow::scoredLossText(s);
        QVERIFY2(loss.contains(QStringLiteral("1 of %1 predictions").arg(s.tokens() - 1)), qPrintable(loss));
        QVERIFY2(window.statusBar()->findChildren<QWidget*>().size() >= 3, "model, separator, run");
    }

    void scoredPredictionsFollowTheRule_data() {
        QTest::addColumn<QString>("rule");
        QTest::addColumn<int>("predictions");
        QTest::addColumn<std::vector<int>>("expected");
        QTest::newRow("last") << "last" << 5 << std::vector<int>{4};
        QTest::newRow("second half") << "second_half" << 8 << std::vector<int>{5, 6, 7};   // "^abcdabcd"
        QTest::newRow("odd") << "odd" << 6 << std::vector<int>{1, 3, 5};
        QTest::newRow("all") << "all" << 3 << std::vector<int>{0, 1, 2};
        QTest::newRow("none") << "last" << 0 << std::vector<int>{};
    }
    void scoredPredictionsFollowTheRule() {
        QFETCH(QString, rule);
        QFETCH(int, predictions);
        QFETCH(std::vector<int>, expected);
        QCOMPARE(scoredPredictions(rule, predictions), expected);
    }
};

QTEST_MAIN(TestAppLayout)
#include "test_app_layout.moc"
