// MainWindow's pruning what-ifs: the head mask (toggled in the overview, set by presets), and the background
// analyses whose scores colour the overview and whose curves the Analysis panel plots.
#include "main_window.h"

#include "input_bar.h"
#include "job_tracker.h"
#include "model_session.h"
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
    if (auto* overview = qobject_cast<OverviewView*>(view(QStringLiteral("overview"))))
        connect(overview, &OverviewView::pruneToggled, this, &MainWindow::togglePruned);
    if (auto* grid = qobject_cast<HeadGridView*>(view(QStringLiteral("grid"))))
        connect(grid, &HeadGridView::pruneToggled, this, &MainWindow::togglePruned);
    if (auto* whatIf = qobject_cast<WhatIfView*>(view(QStringLiteral("whatif"))))
        connect(whatIf, &WhatIfView::presetRequested, this, &MainWindow::applyPreset);
    auto* analysis = qobject_cast<AnalysisView*>(view(QStringLiteral("analysis")));
    if (!analysis) return;
    connect(analysis, &AnalysisView::analysisRequested, this, &MainWindow::startAnalysis);
    connect(analysis, &AnalysisView::cancelRequested, this, [this, analysis] {
        session_->cancelAnalysis();
        pendingPreset_.reset();
        analysis->showError(tr("Cancelled."));
    });
    JobTracker* jobs = session_->analysisJobs();
    connect(jobs, &JobTracker::busyChanged, analysis, &AnalysisView::setRunning);
    connect(jobs, &JobTracker::started, analysis, [analysis](const QString& label) { analysis->setProgress(0.0, label + QStringLiteral("...")); });
    connect(jobs, &JobTracker::progress, analysis, [analysis](double f, const QString& text) { analysis->setProgress(f, text); });
    connect(session_, &ModelSession::analysisFinished, this, &MainWindow::showAnalysis);
    connect(session_, &ModelSession::analysisFailed, this, &MainWindow::showAnalysisFailure);
}

void MainWindow::setHeadMask(std::vector<float> mask) {
    if (!snapshot_.valid()) return;
    const bool first = headMask_.empty();
    headMask_ = prunedHeadCount(mask) > 0 ? std::move(mask) : std::vector<float>{};
    if (first && !headMask_.empty())   // the first pruned head: show what it changed
        if (auto* dock = qobject_cast<QDockWidget*>(view(QStringLiteral("whatif"))->parentWidget())) dock->raise();
    explicitRun_ = false;
    request(modelDir_, input_->text());
}

void MainWindow::togglePruned(int layer, int head) {
    if (!snapshot_.valid() || layer < 0 || head < 0 || layer >= snapshot_.layers() || head >= snapshot_.heads()) return;
    std::vector<float> mask = headMask_;
    if (mask.empty()) mask.assign(static_cast<size_t>(snapshot_.layers() * snapshot_.heads()), 1.0f);
    float& m = mask[static_cast<size_t>(layer * snapshot_.heads() + head)];
    m = m == 0.0f ? 1.0f : 0.0f;
    setHeadMask(std::move(mask));
}

void MainWindow::applyPreset(WhatIfPreset preset, int k) {
    if (!snapshot_.valid()) return;
    switch (preset) {
    case WhatIfPreset::RestoreAll:
        setHeadMask({});
        return;
    case WhatIfPreset::PruneClosedGates:
        if (!snapshot_.model->config.headGates) return;   // the button is disabled anyway
        setHeadMask(closedGateMask(headGate(*snapshot_.trace, snapshot_.model->config)));   // [L,H], captured gates
        return;
    case WhatIfPreset::PruneLeastImportant:
    case WhatIfPreset::KeepMostImportant:
        break;
    }
    if (!scores_ || scores_->importance.empty()) {
        // Importance first (on this text, nothing pruned), then the preset.
        pendingPreset_ = std::make_unique<PendingPreset>(PendingPreset{preset, k});
        AnalysisSpec spec;
        spec.kind = AnalysisKind::Importance;
        spec.source = AnalysisSource::Text;
        spec.text = snapshot_.text;
        spec.modelDir = modelDir_;
        spec.device = input_->device();
        session_->analyze(spec);
        statusBar()->showMessage(tr("Computing head importance on this text first..."), 4000);
        return;
    }
    setHeadMask(preset == WhatIfPreset::PruneLeastImportant ? pruneLeastImportant(scores_->importance, k, headMask_)
                                                            : keepMostImportant(scores_->importance, k));
}

void MainWindow::startAnalysis(AnalysisSpec spec) {
    if (!snapshot_.valid()) return;
    spec.modelDir = modelDir_;
    spec.device = input_->device();
    spec.headMask = headMask_;
    pendingPreset_.reset();   // the user asked for something else
    session_->analyze(spec);
}

void MainWindow::showAnalysis(const AnalysisResult& result) {
    if (!snapshot_.valid() || result.modelDir != modelDir_) return;   // measured on a model no longer shown
    auto scores = std::make_shared<HeadScores>(scores_ ? *scores_ : HeadScores{});
    if (!result.importance.empty()) scores->importance = result.importance;
    if (!result.ablationDeltaLoss.empty()) scores->ablationDeltaLoss = result.ablationDeltaLoss;
    scores->source = result.source;
    scores_ = std::move(scores);
    snapshot_.scores = scores_;
    for (const char* id : {"overview", "whatif"})
        if (TraceView* v = view(QString::fromLatin1(id))) v->setSnapshot(snapshot_);
    if (auto* analysis = qobject_cast<AnalysisView*>(view(QStringLiteral("analysis")))) analysis->showResult(result);
    if (auto* overview = qobject_cast<OverviewView*>(view(QStringLiteral("overview")))) {
        if (result.kind == AnalysisKind::Importance && !pendingPreset_) overview->setMetric(QStringLiteral("importance"));
        if (result.kind == AnalysisKind::Ablation) overview->setMetric(QStringLiteral("ablation"));
    }
    if (pendingPreset_ && result.kind == AnalysisKind::Importance) {
        const PendingPreset p = *pendingPreset_;
        pendingPreset_.reset();
        applyPreset(p.preset, p.k);
    }
    emit analysisShown(result);
}

void MainWindow::showAnalysisFailure(const QString& message) {
    pendingPreset_.reset();
    if (auto* analysis = qobject_cast<AnalysisView*>(view(QStringLiteral("analysis")))) analysis->showError(message);
    showProblemBox(tr("Analysis failed"), message);
    emit problemShown(message);
}

} // namespace headlight
