// End to end in the main window: pruning heads from the overview (mouse and keyboard), the presets, the
// comparison against the unpruned run, and the background analyses (importance, ablation, curves, memory).
#include "head_selection.h"
#include "main_window.h"
#include "model_session.h"
#include "pruning_curve_plot.h"
#include "role_dialog.h"
#include "settings.h"
#include "trace_view.h"
#include "views/attention/head_overview_model.h"
#include "views/attention/overview_controller.h"
#include "views/attention/overview_view.h"
#include "views/pruning/analysis_view.h"
#include "views/pruning/whatif_controller.h"
#include "views/pruning/whatif_downstream.h"
#include "views/pruning/whatif_view.h"
#include "view_preset.h"

#include "headlight/engine.h"
#include "headlight/pruning.h"
#include "headlight/what_if.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QDockWidget>
#include <QTabWidget>
#include <QComboBox>
#include <QFile>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QToolButton>
#include <QtTest>
#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <functional>

using namespace headlight;

namespace {

const QString kSamples = QStringLiteral(HEADLIGHT_SOURCE_DIR "/sample_models");
const QString kGates = kSamples + QStringLiteral("/induction-gates");
const QString kSelective = kSamples + QStringLiteral("/assign-selective");

std::vector<float> maskOf(const RunSnapshot& s) { return {s.trace->headMask.begin(), s.trace->headMask.end()}; }

} // namespace

class TestAppPruning : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    std::unique_ptr<Settings> settings_;
    std::unique_ptr<MainWindow> window_;

    OverviewView* overview() const { return qobject_cast<OverviewView*>(window_->view(QStringLiteral("overview"))); }
    AnalysisView* analysis() const { return qobject_cast<AnalysisView*>(window_->view(QStringLiteral("analysis"))); }

    RunSnapshot waitForRun(const std::function<void()>& action) {
        QSignalSpy shown(window_.get(), &MainWindow::snapshotShown);
        action();
        if (!shown.wait(30000)) return {};
        return shown.last().at(0).value<RunSnapshot>();
    }
    AnalysisResult waitForAnalysis(const std::function<void()>& action) {
        QSignalSpy shown(window_.get(), &MainWindow::analysisShown);
        action();
        if (!shown.wait(180000)) return {};   // generous: a loaded machine runs the analysis slowly
        return shown.last().at(0).value<AnalysisResult>();
    }

private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        settings_ = std::make_unique<Settings>(dir_.filePath(QStringLiteral("settings.ini")));
        window_ = std::make_unique<MainWindow>(*settings_);
        window_->resize(1400, 900);
        window_->show();
        QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
        const RunSnapshot s = waitForRun([&] { window_->openModel(kGates); });
        QVERIFY(s.valid());
        QVERIFY(!s.pruned());
        // The Analysis panel before any analysis: a line saying which button draws the curves, not empty axes.
        qobject_cast<QDockWidget*>(analysis()->parentWidget())->raise();
        QTest::qWait(50);
        QTRY_VERIFY(analysis()->curvePlot()->placeholder()->isVisible());
        QVERIFY(!analysis()->curvePlot()->plot()->isVisible());
    }

    void shiftClickPrunesAndRestoresAHead() {
        auto* plot = overview()->plot();
        plot->replot();
        const HeadRef target{1, 2};
        const QPoint at = overview()->controller()->cellCenter(target).toPoint();
        RunSnapshot s = waitForRun([&] { QTest::mouseClick(plot, Qt::LeftButton, Qt::ShiftModifier, at); });
        QVERIFY(s.pruned());
        QCOMPARE(window_->selection()->current(), target);
        QCOMPARE(prunedHeadCount(maskOf(s)), 1);
        QCOMPARE(s.trace->headMask.at({1, 2}), 0.0f);
        QVERIFY(overview()->controller()->prunedMarks().contains(target));
        // Only layer 1 (the last) had to be recomputed.
        QCOMPARE(s.trace->timings.firstLayerRun, 1);
        // The comparison is against the unpruned run of the same text.
        QCOMPARE(s.baseline->tokenIds, s.trace->tokenIds);
        QCOMPARE(prunedHeadCount({s.baseline->headMask.begin(), s.baseline->headMask.end()}), 0);
        QVERIFY(std::abs(s.comparison->lossAfter - s.trace->meanLoss()) < 1e-9);
        QVERIFY(std::abs(s.comparison->lossBefore - s.baseline->meanLoss()) < 1e-9);
        QCOMPARE(window_->view(QStringLiteral("whatif"))->snapshot().comparison, s.comparison);
        // On a 1280 x 800 laptop screen the What if dock shows its plot whole under its lines, without scrolling
        // (the right-hand column runs down past the mechanism dock).
        {
            auto* whatIf = qobject_cast<WhatIfView*>(window_->view(QStringLiteral("whatif")));
            qobject_cast<QDockWidget*>(whatIf->parentWidget())->raise();
            window_->resize(1280, 800);
            QTest::qWait(50);
            QCOMPARE(window_->size(), QSize(1280, 800));
            QCustomPlot* shown = whatIf->plot();
            const int bottom = shown->mapTo(whatIf, QPoint(0, shown->height())).y();
            QVERIFY2(shown->isVisible() && shown->height() >= WhatIfView::kMinimumPanelHeight && bottom <= whatIf->height(),
                     qPrintable(QString("plot %1 px tall, ending at %2 of %3").arg(shown->height()).arg(bottom).arg(whatIf->height())));
            window_->resize(1400, 900);
            QTest::qWait(50);
        }
        // The incremental run equals a full forward pass with the same mask, to the bit.
        Engine engine = Engine::load(kGates.toStdString());
        engine.setReuseActivations(false);
        RunRequest request;
        request.tokenIds = s.trace->tokenIds;
        request.headMask = maskOf(s);
        const Trace full = engine.run(request);
        QCOMPARE(full.logits.size(), s.trace->logits.size());
        QVERIFY(std::equal(full.logits.begin(), full.logits.end(), s.trace->logits.begin()));

        // The legend line moved the grid; click the cell where it is now, after the double-click interval.
        plot->replot();
        const QPoint again = overview()->controller()->cellCenter(target).toPoint();
        s = waitForRun([&] {
            QTest::mouseClick(plot, Qt::LeftButton, Qt::ShiftModifier, again, QApplication::doubleClickInterval() + 50);
        });
        QVERIFY(s.valid());
        QVERIFY(!s.pruned());
        QVERIFY(window_->headMask().empty());
    }

    void theKeyboardMovesAndPrunes() {
        window_->selection()->setCurrent({0, 0});
        overview()->setFocus();
        QTest::keyClick(overview(), Qt::Key_Right);
        QTest::keyClick(overview(), Qt::Key_Down);
        QCOMPARE(window_->selection()->current(), (HeadRef{1, 1}));
        RunSnapshot s = waitForRun([&] { QTest::keyClick(overview(), Qt::Key_Space); });
        QVERIFY(s.valid());
        QCOMPARE(s.trace->headMask.at({1, 1}), 0.0f);
        QCOMPARE(prunedHeadCount(maskOf(s)), 1);
        s = waitForRun([&] { QTest::keyClick(overview(), Qt::Key_Space); });
        QVERIFY(s.valid());
        QVERIFY(!s.pruned());
    }

    // Select every head by a role (here: any positional score, so every head qualifies), then one Space in the
    // overview prunes them all in one run, and a second restores them.
    void headsSelectedByRolePruneAsOneWhatIf() {
        const RunSnapshot before = window_->snapshot();
        const auto summaries = headSummaries(before);
        QVERIFY(summaries->roles.has_value());
        RoleDialog dialog(*summaries->roles);
        dialog.setRole("positional");
        dialog.setThreshold(0.0);
        const QList<HeadRef> heads = dialog.matchingHeads();
        QCOMPARE(heads.size(), before.layers() * before.heads());
        dialog.setThreshold(1.0);
        QVERIFY(dialog.matchingHeads().size() < heads.size());
        window_->selection()->setHeads(heads);
        QCOMPARE(window_->selection()->heads().size(), heads.size());
        overview()->setFocus();
        QSignalSpy runs(window_.get(), &MainWindow::snapshotShown);
        const RunSnapshot pruned = waitForRun([&] { QTest::keyClick(overview(), Qt::Key_Space); });
        QVERIFY(pruned.valid());
        QCOMPARE(prunedHeadCount(maskOf(pruned)), static_cast<int>(heads.size()));
        QCOMPARE(runs.count(), 1);   // one what-if, not one per head
        const RunSnapshot restored = waitForRun([&] { QTest::keyClick(overview(), Qt::Key_Space); });
        QCOMPARE(prunedHeadCount(maskOf(restored)), 0);
        window_->selection()->setCurrent(HeadRef{0, 0});
    }

    // The Lens and Attribution views ask for their numbers when shown; the worker computes them for the run on
    // screen: the lens's last row is the run's own top prediction, the attribution's terms add up to the logit.
    void lensAndAttributionArriveWhenShown() {
        TraceView* lens = window_->view(QStringLiteral("lens"));
        TraceView* attribution = window_->view(QStringLiteral("attribution"));
        QVERIFY(lens && attribution);
        qobject_cast<QDockWidget*>(lens->parentWidget())->raise();
        QTRY_VERIFY_WITH_TIMEOUT(lens->unavailableReason().isEmpty() && lens->snapshot().lens, 30000);
        const RunSnapshot s = lens->snapshot();
        QCOMPARE(s.lens->rows, s.layers() + 1);
        const int V = static_cast<int>(s.trace->logits.dim(1));
        for (int i = 0; i < s.tokens(); ++i) {
            int best = 0;
            for (int v = 1; v < V; ++v)
                if (s.trace->logits.at({i, v}) > s.trace->logits.at({i, best})) best = v;
            QCOMPARE(s.lens->topIds.at({s.layers(), i, 0}), static_cast<int64_t>(best));
        }
        qobject_cast<QDockWidget*>(attribution->parentWidget())->raise();
        window_->selection()->setPosition(3);
        QTRY_VERIFY_WITH_TIMEOUT(attribution->snapshot().attribution && attribution->snapshot().attribution->position == 3 &&
                                     attribution->unavailableReason().isEmpty(),
                                 30000);
        const Attribution& a = *attribution->snapshot().attribution;
        QVERIFY(std::abs(a.termSum - a.logit) <= 1e-4 * std::max(1.0, std::abs(a.logit)));
        qobject_cast<QDockWidget*>(window_->view(QStringLiteral("whatif"))->parentWidget())->raise();
    }

    void pruningTheClosedGatesChangesNothing() {
        const RunSnapshot s = waitForRun([&] { window_->applyPreset(WhatIfPreset::PruneClosedGates, 1); });
        QVERIFY(s.pruned());
        QCOMPARE(prunedHeadCount(maskOf(s)), 4);   // the model card's 4 closed heads
        for (int l = 0; l < s.layers(); ++l)
            for (int h = 0; h < s.heads(); ++h)
                QCOMPARE(s.trace->headMask.at({l, h}) == 0.0f, (*s.trace->layer(l))["gate"].at({h}) == 0.0f);
        QVERIFY2(s.comparison->maxAbsLogitChange < 1e-5, qPrintable(QString::number(s.comparison->maxAbsLogitChange)));
        for (float kl : s.comparison->kl) QVERIFY(std::abs(kl) < 1e-6);
        const RunSnapshot restored = waitForRun([&] { window_->applyPreset(WhatIfPreset::RestoreAll, 1); });
        QVERIFY(restored.valid());
        QVERIFY(!restored.pruned());
    }

    // Pruning a layer-0 head of induction-gates (one with an open gate): the What if headline leads with the loss on the repeated half
    // (view.json) and gives the mean over all predictions second; the per-head section plots core's attention
    // change, which is 0 in layer 0 (nothing before it changed) and not everywhere 0 in layer 1.
    void theHeadlineAndThePerHeadChangeFollowTheTask() {
        const RunSnapshot s = waitForRun([&] { emit overview()->pruneToggled(0, 0); });   // an open gate
        // Restored however the checks end: the tests after this one start from the unpruned model.
        struct Restore {
            std::function<void()> undo;
            ~Restore() { undo(); }
        } restore{[&] { waitForRun([&] { window_->applyPreset(WhatIfPreset::RestoreAll, 1); }); }};
        QVERIFY(s.pruned());
        auto* whatIf = qobject_cast<WhatIfView*>(window_->view(QStringLiteral("whatif")));
        QVERIFY(whatIf);
        const QStringList lines = whatIf->summaryLabel()->text().split(QLatin1Char('\n'));
        QCOMPARE(lines.size(), 2);
        const std::vector<int> scored = scoredPredictions(QStringLiteral("second_half"), int(s.trace->loss.size()));
        const double before = meanLossOver(*s.baseline, scored), after = meanLossOver(*s.trace, scored);
        QVERIFY2(lines[0].startsWith(QStringLiteral("Loss on the repeated half: %1 -> %2")
                                         .arg(before, 0, 'f', 3).arg(after, 0, 'f', 3)),
                 qPrintable(lines[0]));
        QVERIFY2(lines[1].startsWith(QStringLiteral("Mean over all %1 predictions: %2 -> ")
                                         .arg(s.trace->loss.size()).arg(s.comparison->lossBefore, 0, 'f', 3)),
                 qPrintable(lines[1]));
        const WhatIfDownstream* d = whatIf->controller()->downstream();
        const FloatArray& change = s.comparison->attentionChange;
        double layer1 = 0;
        for (int l = 0; l < s.layers(); ++l)
            for (int h = 0; h < s.heads(); ++h) {
                QCOMPARE(d->value(l, h), double(change.at({l, h})));
                if (l == 0) QCOMPARE(change.at({l, h}), 0.0f);
                else layer1 = std::max(layer1, double(change.at({l, h})));
            }
        QVERIFY2(layer1 > 1e-4, qPrintable(QString::number(layer1)));
        QCOMPARE(d->prunedMarks(), (QList<HeadRef>{{0, 0}}));
    }

    void importancePresetsComputeImportanceFirst() {
        QSignalSpy analysed(window_.get(), &MainWindow::analysisShown);
        const RunSnapshot s = waitForRun([&] { window_->applyPreset(WhatIfPreset::PruneLeastImportant, 3); });
        QCOMPARE(analysed.count(), 1);
        QVERIFY(s.scores && !s.scores->importance.empty());
        QCOMPARE(prunedHeadCount(maskOf(s)), 3);
        // The three pruned heads are the three with the smallest importance.
        const auto expected = pruneLeastImportant(s.scores->importance, 3);
        QCOMPARE(maskOf(s), expected);
        // Importance now colours the overview.
        QVERIFY(overview()->model()->availableMetrics().contains(QStringLiteral("importance")));

        const RunSnapshot kept = waitForRun([&] { window_->applyPreset(WhatIfPreset::KeepMostImportant, 2); });
        QCOMPARE(prunedHeadCount(maskOf(kept)), kept.layers() * kept.heads() - 2);
        QCOMPARE(maskOf(kept), keepMostImportant(s.scores->importance, 2));
        waitForRun([&] { window_->applyPreset(WhatIfPreset::RestoreAll, 1); });
    }

    void importanceMatchesTheEngineAndColoursTheOverview() {
        const AnalysisResult r = waitForAnalysis([&] { analysis()->button(AnalysisKind::Importance)->click(); });
        QCOMPARE(r.kind, AnalysisKind::Importance);
        const Engine engine = Engine::load(kGates.toStdString());
        const FloatArray expected = headImportance(engine, ExampleSet::fromText(engine, window_->snapshot().text.toStdString()));
        QCOMPARE(r.importance.shape(), expected.shape());
        for (int64_t i = 0; i < expected.size(); ++i) QVERIFY(std::abs(r.importance.data()[i] - expected.data()[i]) < 1e-5);
        auto* model = overview()->model();
        QCOMPARE(model->metric(), QStringLiteral("importance"));
        QVERIFY(std::abs(model->value(1, 0) - expected.at({1, 0})) < 1e-5);
    }

    void ablationBecomesAnOverviewMetric() {
        const AnalysisResult r = waitForAnalysis([&] { analysis()->button(AnalysisKind::Ablation)->click(); });
        QCOMPARE(r.ablationDeltaLoss.shape(), (std::vector<int64_t>{2, 4}));
        QCOMPARE(overview()->model()->metric(), QStringLiteral("ablation"));
        // Importance stays available next to it.
        QVERIFY(overview()->model()->availableMetrics().contains(QStringLiteral("importance")));
        // A closed gate's head changes nothing when ablated.
        const RunSnapshot& s = window_->snapshot();
        for (int l = 0; l < 2; ++l)
            for (int h = 0; h < 4; ++h)
                if ((*s.trace->layer(l))["gate"].at({h}) == 0.0f) QVERIFY(std::abs(r.ablationDeltaLoss.at({l, h})) < 1e-5);
    }

    void curvesOfSeveralOrdersArePlottedAndExported() {
        analysis()->orderAction(PruneOrder::Gate)->setChecked(true);
        analysis()->stepBox()->setValue(25);
        const AnalysisResult r = waitForAnalysis([&] { analysis()->button(AnalysisKind::Curves)->click(); });
        QCOMPARE(int(r.curves.size()), 3);   // importance, gate, random
        QCOMPARE(int(analysis()->shownCurves().size()), 3);
        for (const CurveSeries& c : r.curves) {
            QCOMPARE(int(c.fractionPruned.size()), 5);   // 0, 2, 4, 6, 8 of 8 heads
            QCOMPARE(c.fractionPruned.back(), 1.0);
        }
        // Gate order: the first 4 steps prune closed heads only, so the loss stays at its start up to 50%.
        const CurveSeries& gate = r.curves[1];
        QCOMPARE(gate.name, QStringLiteral("gate"));
        QVERIFY(std::abs(gate.loss[2] - gate.loss[0]) < 1e-5);
        QCOMPARE(analysis()->curvePlot()->plot()->graphCount(), 6);   // accuracy and loss per order
        QVERIFY(!analysis()->curvePlot()->placeholder()->isVisible());
        QVERIFY(analysis()->curvePlot()->plot()->isVisible());
        // View > Dark theme: the curves take the dark palette (they once stayed white), and back.
        QAction* dark = nullptr;
        for (QAction* a : window_->findChildren<QAction*>())
            if (a->text() == QStringLiteral("&Dark theme")) dark = a;
        QVERIFY(dark);
        for (const bool on : {true, false}) {
            dark->setChecked(on);
            QCoreApplication::processEvents();
            const QPalette palette = analysis()->curvePlot()->palette();
            QCPAxisRect* rect = analysis()->curvePlot()->accuracyRect();
            QCOMPARE(rect->backgroundBrush().color(), palette.color(QPalette::Base));
            QCOMPARE(rect->axis(QCPAxis::atLeft)->basePen().color(), palette.color(QPalette::Text));
            QCOMPARE(palette.color(QPalette::Base).lightness() < 128, on);
        }
        QTemporaryDir out;
        for (const QString& suffix : exportSuffixes()) {
            const QString path = out.filePath(QStringLiteral("curves.") + suffix);
            window_->exportView(analysis(), path, ExportOptions{});
            QVERIFY(QFileInfo(path).size() > 0);
        }
    }

    void cancellingAnAnalysisDeliversNothing() {
        QSignalSpy shown(window_.get(), &MainWindow::analysisShown);
        QSignalSpy cancelled(window_->session()->analysisJobs(), &JobTracker::cancelled);
        analysis()->sourceBox()->setCurrentIndex(analysis()->sourceBox()->findData(int(AnalysisSource::Task)));
        analysis()->examplesBox()->setValue(4000);
        analysis()->orderAction(PruneOrder::Importance)->setChecked(true);
        analysis()->button(AnalysisKind::Curves)->click();
        QVERIFY(analysis()->cancelButton()->isEnabled());
        analysis()->cancelButton()->click();
        QVERIFY(cancelled.wait(60000));
        QTRY_VERIFY_WITH_TIMEOUT(!window_->session()->analysisJobs()->busy(), 60000);
        QCOMPARE(shown.count(), 0);
        QCOMPARE(analysis()->statusLabel()->text(), QStringLiteral("Cancelled."));
        analysis()->sourceBox()->setCurrentIndex(0);
    }

    void aSelectiveModelGetsItsMemoryCurve() {
        const RunSnapshot s = waitForRun([&] { window_->openModel(kSelective); });
        QVERIFY(s.valid());
        QVERIFY(window_->headMask().empty());
        QVERIFY(!s.scores);   // scores belonged to the previous model
        QVERIFY(analysis()->button(AnalysisKind::MemoryCurve)->isEnabled());
        analysis()->examplesBox()->setValue(20);
        const AnalysisResult r = waitForAnalysis([&] { analysis()->button(AnalysisKind::MemoryCurve)->click(); });
        QVERIFY(r.memoryCurve.size() >= 2);
        QCOMPARE(r.memoryCurve.front().memory, r.memoryCurve.front().fullMemory);   // unpruned first
        for (size_t i = 1; i < r.memoryCurve.size(); ++i) QVERIFY(r.memoryCurve[i].memory < r.memoryCurve[i - 1].memory);
        QCOMPARE(int(analysis()->shownMemoryCurve().size()), 1);
        QCOMPARE(analysis()->shownMemoryCurve()[0].fractionPruned.front(), 1.0);
    }

    void aFileThatIsMissingFailsWithAMessage() {
        QSignalSpy problems(window_.get(), &MainWindow::problemShown);
        analysis()->setSourceFile(dir_.filePath(QStringLiteral("missing.txt")));
        analysis()->button(AnalysisKind::Importance)->click();
        QVERIFY(problems.wait(30000));
        QVERIFY2(problems.last().at(0).toString().contains(QStringLiteral("missing.txt")), qPrintable(problems.last().at(0).toString()));
        for (QMessageBox* box : window_->findChildren<QMessageBox*>()) box->close();
        QVERIFY(!window_->session()->analysisJobs()->busy());
    }
};

QTEST_MAIN(TestAppPruning)
#include "test_app_pruning.moc"
