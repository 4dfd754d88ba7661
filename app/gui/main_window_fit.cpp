// Analysis > Fit a mechanism: the dialog and the fit's own window (fit_dialog.h, fit_window.h).
#include "main_window.h"

#include "fit_dialog.h"
#include "fit_job.h"
#include "fit_window.h"
#include "workspace.h"

#include <QComboBox>

namespace headlight {

void MainWindow::askFit() {
    if (!snapshot().valid()) {
        showProblemBox(tr("Fit a mechanism"), tr("Open a model first."));
        return;
    }
    if (fitWindow_ && fitWindow_->job()->running()) {   // one fit at a time
        fitWindow_->show();
        fitWindow_->raise();
        return;
    }
    FitDialog dialog(workspace_->modelDir(), snapshot().model->config, this);
    if (dialog.mechanismBox()->count() == 0) {
        showProblemBox(tr("Fit a mechanism"), tr("This model already has every mechanism that can be fitted."));
        return;
    }
    if (dialog.exec() != QDialog::Accepted) return;
    startFit(dialog.config(), dialog.outDir(), dialog.sweepLambdas());
}

FitWindow* MainWindow::startFit(const FitConfig& config, const QString& outDir, const std::vector<double>& sweep) {
    if (!fitWindow_) {
        fitWindow_ = new FitWindow(this);
        // The fitted model opens on the text on screen, so the two read side by side.
        connect(fitWindow_, &FitWindow::openRequested, this, [this](const QString& dir) { openModel(dir, workspace_->text()); });
        connect(fitWindow_, &FitWindow::pruneRequested, this, [this](const std::vector<float>& mask) {
            if (!snapshot().valid() || static_cast<int>(mask.size()) != snapshot().layers() * snapshot().heads()) return;
            workspace_->setHeadMask(mask);
        });
        connect(fitWindow_, &FitWindow::failed, this, [this](const QString& message) { emit problemShown(message); });
    }
    fitWindow_->show();
    fitWindow_->start(config, outDir, sweep);
    return fitWindow_;
}

} // namespace headlight
