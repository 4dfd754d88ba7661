// MainWindow's pruning what-ifs: the views that toggle heads, apply presets and start analyses, wired to the
// workspace that holds the mask and the scores; the analyses' results shown (the overview's colours, the
// Analysis panel's curves).
#include "main_window.h"

#include "input_bar.h"
#include "job_tracker.h"
#include "model_session.h"
#include "workspace.h"
#include "views/attention/head_grid_view.h"
#include "views/attention/overview_view.h"
#include "views/pruning/analysis_view.h"
#include "views/pruning/whatif_view.h"

#include "headlight/head_metrics.h"
#include "headlight/what_if.h"

#include <QDockWidget>
#include <QStatusBar>

namespace headlight {

void MainWindow::connectPruning() {
    // A toggle or a preset is not an explicit run: a failure shows inline, without a message box.
    const auto toggle = [this](int layer, int head) {
        explicitRun_ = false;
        workspace_->togglePruned(layer, head);
    };
    if (auto* overview = qobject_cast<OverviewView*>(view(QStringLiteral("overview")))) {
        connect(overview, &OverviewView::pruneToggled, this, toggle);
        connect(overview, &OverviewView::pruneHeadsToggled, this, &MainWindow::togglePrunedHeads);
    }
    if (auto* grid = qobject_cast<HeadGridView*>(view(QStringLiteral("grid"))))
        connect(grid, &HeadGridView::pruneToggled, this, toggle);
    if (auto* whatIf = qobject_cast<WhatIfView*>(view(QStringLiteral("whatif"))))
        connect(whatIf, &WhatIfView::presetRequested, this, &MainWindow::applyPreset);
    connect(workspace_, &Workspace::pruningStarted, this, [this] {   // the first pruned head: show what it changed
        if (auto* dock = qobject_cast<QDockWidget*>(view(QStringLiteral("whatif"))->parentWidget())) dock->raise();
    });
    connect(workspace_, &Workspace::computingImportance, this,
            [this] { statusBar()->showMessage(tr("Computing head importance on this text first..."), 4000); });
    auto* analysis = qobject_cast<AnalysisView*>(view(QStringLiteral("analysis")));
    if (!analysis) return;
    connect(analysis, &AnalysisView::analysisRequested, workspace_, &Workspace::startAnalysis);
    connect(analysis, &AnalysisView::cancelRequested, this, [this, analysis] {
        workspace_->cancelAnalysis();
        analysis->showError(tr("Cancelled."));
    });
    JobTracker* jobs = workspace_->session()->analysisJobs();
    connect(jobs, &JobTracker::busyChanged, analysis, &AnalysisView::setRunning);
    connect(jobs, &JobTracker::started, analysis, [analysis](const QString& label) { analysis->setProgress(0.0, label + QStringLiteral("...")); });
    connect(jobs, &JobTracker::progress, analysis, [analysis](double f, const QString& text) { analysis->setProgress(f, text); });
    connect(workspace_, &Workspace::analysisShown, this, &MainWindow::showAnalysis);
    connect(workspace_, &Workspace::analysisFailed, this, &MainWindow::showAnalysisFailure);
}

void MainWindow::showAnalysis(const AnalysisResult& result, bool presetFollows) {
    const RunSnapshot& snapshot = workspace_->snapshot();   // the scores are attached to it now
    for (const char* id : {"overview", "whatif"})
        if (TraceView* v = view(QString::fromLatin1(id))) v->setSnapshot(snapshot);
    if (auto* analysis = qobject_cast<AnalysisView*>(view(QStringLiteral("analysis")))) analysis->showResult(result);
    if (auto* overview = qobject_cast<OverviewView*>(view(QStringLiteral("overview")))) {
        if (result.kind == AnalysisKind::Importance && !presetFollows) overview->setMetric(QStringLiteral("importance"));
        if (result.kind == AnalysisKind::Ablation) overview->setMetric(QStringLiteral("ablation"));
    }
    emit analysisShown(result);
}

void MainWindow::showAnalysisFailure(const QString& message) {
    if (auto* analysis = qobject_cast<AnalysisView*>(view(QStringLiteral("analysis")))) analysis->showError(message);
    showProblemBox(tr("Analysis failed"), message);
    emit problemShown(message);
}

} // namespace headlight
