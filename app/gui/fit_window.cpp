#include "fit_window.h"

#include "fit_job.h"
#include "head_selection.h"
#include "pruning_curve_plot.h"
#include "views/mechanisms/fit_view.h"

#include "headlight/mechanisms/head_gates.h"

#include <QCloseEvent>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

namespace headlight {

FitWindow::FitWindow(QWidget* parent) : QDialog(parent), selection_(new HeadSelection(this)) {
    setWindowTitle(tr("Fitting"));
    resize(760, 640);
    auto* layout = new QVBoxLayout(this);
    status_ = new QLabel(this);
    status_->setWordWrap(true);
    // Two lines always: the result and the folder it was saved in (a word-wrapped label's height is otherwise
    // left to the layout, which gave it one).
    status_->setMinimumHeight(2 * status_->fontMetrics().lineSpacing() + 4);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(status_);
    progress_ = new QProgressBar(this);
    layout->addWidget(progress_);
    view_ = new FitView(selection_, this);
    layout->addWidget(view_, 1);
    sweepPlot_ = new PruningCurvePlot(this);
    sweepPlot_->setMinimumHeight(260);
    sweepPlot_->hide();
    layout->addWidget(sweepPlot_, 1);
    auto* buttons = new QHBoxLayout;
    stop_ = new QPushButton(tr("Stop"), this);
    stop_->setToolTip(tr("Stop after the current step; the model fitted so far is kept"));
    open_ = new QPushButton(tr("Open fitted model"), this);
    prune_ = new QPushButton(tr("Prune its closed heads here (What if)"), this);
    prune_->setToolTip(tr("Prune the heads the gates closed from the original model, to see what it loses"));
    auto* close = new QPushButton(tr("Close"), this);
    open_->setEnabled(false);
    prune_->setEnabled(false);
    buttons->addWidget(stop_);
    buttons->addStretch(1);
    buttons->addWidget(prune_);
    buttons->addWidget(open_);
    buttons->addWidget(close);
    layout->addLayout(buttons);
    job_ = new FitJob(this);
    connect(stop_, &QPushButton::clicked, this, [this] {
        job_->stop();
        stop_->setEnabled(false);
        status_->setText(tr("Stopping after this step..."));
    });
    connect(open_, &QPushButton::clicked, this, [this] { emit openRequested(outDir_); });
    connect(prune_, &QPushButton::clicked, this, [this] { emit pruneRequested(closedMask_); });
    connect(close, &QPushButton::clicked, this, &QDialog::close);
    connect(job_, &FitJob::stepLogged, this, [this](const TrainProgress& p) {
        view_->addStep(p);
        progress_->setMaximum(p.steps);
        progress_->setValue(p.step);
        const auto gate = p.heads.find(head_gates::kGate);
        if (gate != p.heads.end()) {
            closedMask_.clear();
            for (float g : gate->second) closedMask_.push_back(g > 0.0f ? 1.0f : 0.0f);
        }
    });
    connect(job_, &FitJob::finished, this, &FitWindow::done);
    connect(job_, &FitJob::sweepPointStarted, this, [this](int point, double lambda) {
        FitConfig one = config_;
        one.lambda = lambda;
        view_->begin(one.fittedConfig(), QStringLiteral("lambda %1").arg(lambda));
        outDir_ = sweepRoot_ + QLatin1Char('/') + QString::fromStdString(sweepFolderName(lambda));
        status_->setText(tr("Fit %1 of the sweep: lambda %2").arg(point + 1).arg(lambda));
    });
    connect(job_, &FitJob::sweepFinished, this, [this](const QString&, const std::shared_ptr<const FitSweep>& sweep) {
        sweepPlot_->setCurves(sweepCurves(*sweep), tr("Held-out score: gates fitted per lambda vs heads pruned by importance"),
                              tr("fraction of heads removed"));
        sweepPlot_->show();
    });
    connect(job_, &FitJob::failed, this, [this](const QString& message) {
        status_->setText(tr("The fit failed: %1").arg(message));
        stop_->setEnabled(false);
        emit failed(message);
    });
}

FitWindow::~FitWindow() = default;

void FitWindow::start(const FitConfig& config, const QString& outDir, const std::vector<double>& sweep) {
    outDir_ = outDir;
    sweepRoot_ = outDir;
    config_ = config;
    sweepPlot_->hide();
    closedMask_.clear();
    open_->setEnabled(false);
    prune_->setEnabled(false);
    stop_->setEnabled(true);
    setWindowTitle(tr("Fitting %1 to %2").arg(QString::fromStdString(config.mechanism), QFileInfo(QString::fromStdString(config.modelDir)).fileName()));
    try {
        view_->begin(config.fittedConfig(), QFileInfo(outDir).fileName());
    } catch (const std::exception& e) {
        status_->setText(tr("Cannot fit: %1").arg(QString::fromStdString(e.what())));
        stop_->setEnabled(false);
        emit failed(QString::fromStdString(e.what()));
        return;
    }
    status_->setText(tr("Fitting into %1 (weights %2)...").arg(outDir, config.trainAll ? tr("learning too") : tr("frozen")));
    if (sweep.size() >= 2) job_->startSweep(config, sweep, outDir);
    else job_->start(config, outDir);
}

void FitWindow::done(const QString& outDir, bool stopped, const QString& summary) {
    stop_->setEnabled(false);
    open_->setEnabled(true);
    prune_->setEnabled(!closedMask_.empty());
    status_->setText(stopped ? tr("Stopped: %1 holds the model at the last step.").arg(outDir)
                             : tr("Done: %1. Saved in %2.").arg(summary, outDir));
    emit finished(outDir, stopped);
}

void FitWindow::closeEvent(QCloseEvent* event) {
    job_->stop();   // the worker finishes its step and writes a checkpoint; FitJob's destructor waits
    QDialog::closeEvent(event);
}

} // namespace headlight
