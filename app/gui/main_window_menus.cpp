// MainWindow's menus, the dialogs they open (open, export figure, export all, export run) and the exports.
#include "main_window.h"

#include "app_options.h"
#include "export_dialog.h"
#include "input_bar.h"
#include "job_tracker.h"
#include "model_session.h"
#include "sample_catalog.h"
#include "settings.h"
#include "start_page.h"
#include "trace_view.h"
#include "workspace.h"

#include "headlight/error.h"
#include "headlight/mechanisms/selective_attention.h"
#include "headlight/trace_hdf5.h"

#include <QAction>
#include <QApplication>
#include <QDateTime>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QMenuBar>
#include <QMessageBox>
#include <QSignalBlocker>
#include <QStackedWidget>
#include <QStatusBar>

namespace headlight {

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&Open model folder..."), QKeySequence::Open, this, &MainWindow::askOpenFolder);
    recentMenu_ = file->addMenu(tr("Open &recent"));
    rebuildRecentMenu();
    QMenu* samples = file->addMenu(tr("&Sample models"));
    for (const SampleModel& sample : sampleModels()) {
        QAction* a = samples->addAction(sample.name, this, [this, dir = sample.dir] { openModel(dir); });
        a->setToolTip(sample.summary);
    }
    file->addAction(tr("Start &page"), this, [this] {
        start_->setRecentModels(settings_.recentModels());
        start_->setOpenModel(snapshot().valid() ? snapshot().model->name : QString());
        center_->setCurrentWidget(start_);
    });
    file->addSeparator();
    file->addAction(tr("&Export figure..."), QKeySequence(tr("Ctrl+E")), this, [this] {
        auto* focused = qobject_cast<TraceView*>(QApplication::focusWidget());
        for (QWidget* w = QApplication::focusWidget(); w && !focused; w = w->parentWidget())
            focused = qobject_cast<TraceView*>(w);
        askExport(focused ? focused : view(QStringLiteral("attention")));
    });
    file->addAction(tr("Export &all figures..."), this, &MainWindow::askExportAll);
    file->addAction(tr("Export &run (HDF5)..."), QKeySequence(tr("Ctrl+Shift+E")), this, &MainWindow::askExportRun);
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    QMenu* viewMenu = menuBar()->addMenu(tr("&View"));
    for (QDockWidget* dock : findChildren<QDockWidget*>()) viewMenu->addAction(dock->toggleViewAction());
    viewMenu->addSeparator();
    QAction* dark = viewMenu->addAction(tr("&Dark theme"));
    dark->setCheckable(true);
    dark->setChecked(settings_.darkTheme());
    connect(dark, &QAction::toggled, this, &MainWindow::setDark);
    viewMenu->addSeparator();
    zeroShot_ = viewMenu->addAction(tr("&Selective attention, zero-shot"));
    zeroShot_->setCheckable(true);
    zeroShot_->setEnabled(false);
    zeroShot_->setToolTip(tr("Run this model with selective attention (Leviathan et al. 2024), which has no "
                             "parameters: the selected head's number selects in every layer"));
    connect(zeroShot_, &QAction::triggered, this, [this](bool on) { setZeroShotSelective(on ? selection_->current().head : -1); });

    QMenu* analysis = menuBar()->addMenu(tr("&Analysis"));
    QAction* fitAction = analysis->addAction(tr("&Fit a mechanism..."), this, &MainWindow::askFit);
    fitAction->setToolTip(tr("Learn head gates or spans for this model with its weights frozen (docs/fitting.md)"));
    analysis->addSeparator();
    QAction* byRole = analysis->addAction(tr("Select heads by &role..."), this, &MainWindow::askSelectByRole);
    byRole->setToolTip(tr("Previous-token, induction, duplicate-token, sink heads...: select every head whose role "
                          "score reaches a threshold (docs/head-roles.md)"));
    analysis->addAction(tr("&Prune the selected heads"), QKeySequence(tr("Ctrl+Shift+P")), this,
                        [this] { togglePrunedHeads(selection_->heads()); });

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("Quick &tour"), this, [this] { createHelpBox(this, tr("A short tour"), QStringLiteral("tour"))->show(); });
    help->addAction(tr("&Shortcuts"), QKeySequence::HelpContents, this,
                    [this] { createHelpBox(this, tr("Shortcuts"), QStringLiteral("shortcuts"))->show(); });
    help->addSeparator();
    help->addAction(tr("&About Headlight"), this, [this] { createAboutBox(this)->open(); });
}

void MainWindow::rebuildRecentMenu() {
    if (!recentMenu_) return;
    recentMenu_->clear();
    const QStringList recent = settings_.recentModels();
    for (const QString& dir : recent) recentMenu_->addAction(QDir::toNativeSeparators(dir), this, [this, dir] { openModel(dir); });
    recentMenu_->setEnabled(!recent.isEmpty());
}

void MainWindow::askOpenFolder() {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Open model folder"), workspace_->modelDir());
    if (!dir.isEmpty()) openModel(dir);
}

void MainWindow::askExport(TraceView* v) {
    if (!v || !snapshot().valid()) return;
    const QString base = settings_.exportDir().isEmpty() ? QDir::homePath() : settings_.exportDir();
    ExportDialog dialog(QDir(base).filePath(snapshot().model->name + QLatin1Char('-') + v->id() + QStringLiteral(".png")),
                        settings_.exportDpi(), this);
    if (dialog.exec() != QDialog::Accepted || dialog.path().isEmpty()) return;
    settings_.setExportDpi(dialog.options().dpi);
    settings_.setExportDir(QFileInfo(dialog.path()).absolutePath());
    try {
        exportView(v, dialog.path(), dialog.options());
        statusBar()->showMessage(tr("Wrote %1").arg(dialog.path()), 5000);
    } catch (const std::exception& e) {
        showProblemBox(tr("Cannot export figure"), QString::fromStdString(e.what()));
        emit problemShown(QString::fromStdString(e.what()));
    }
}

void MainWindow::askExportAll() {
    if (!snapshot().valid()) return;
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Export every view into"), settings_.exportDir());
    if (dir.isEmpty()) return;
    settings_.setExportDir(dir);
    ExportOptions options;
    options.dpi = settings_.exportDpi();
    options.size = figureSizeFor(QStringLiteral("single"));   // a journal column, as the export dialog suggests
    int written = 0;
    for (TraceView* v : views_) {
        if (!v->unavailableReason().isEmpty()) continue;
        for (const QString& suffix : exportSuffixes()) {
            const QString path = QDir(dir).filePath(snapshot().model->name + QLatin1Char('-') + v->id() + QLatin1Char('.') + suffix);
            try {
                exportView(v, path, options);
                ++written;
            } catch (const std::exception& e) {
                showProblemBox(tr("Cannot export figure"), QString::fromStdString(e.what()));
                emit problemShown(QString::fromStdString(e.what()));
                return;
            }
        }
    }
    statusBar()->showMessage(tr("Wrote %1 figures to %2").arg(written).arg(dir), 5000);
}

void MainWindow::askExportRun() {
    if (!snapshot().valid()) return;
    const QString base = settings_.exportDir().isEmpty() ? QDir::homePath() : settings_.exportDir();
    const QString path = QFileDialog::getSaveFileName(this, tr("Export run"), QDir(base).filePath(snapshot().model->name + QStringLiteral(".h5")),
                                                      tr("HDF5 trace (*.h5)"));
    if (path.isEmpty()) return;
    exportRun(path, [this, path](const QString& error) {
        if (error.isEmpty()) {
            statusBar()->showMessage(tr("Wrote %1").arg(path), 5000);
        } else {
            showProblemBox(tr("Cannot export run"), error);
            emit problemShown(error);
        }
    });
}

void MainWindow::exportView(TraceView* v, const QString& path, const ExportOptions& options) {
    v->exportFigure(path, options);
}

void MainWindow::exportRun(const QString& path, std::function<void(const QString&)> done) {
    if (!snapshot().valid()) {
        done(tr("Nothing to export yet: run some text first."));
        return;
    }
    const RunSnapshot s = snapshot();
    exportJobs_->submit(
        tr("Writing %1").arg(path),
        [s, path](JobContext&) {
            // The same provenance keys as `headlight-cli run` (docs/trace-format.md).
            Provenance p = {{"model_path", s.model->dir.toStdString()},
                            {"config_json", s.model->fileConfig().toJson()},
                            {"text", s.text.toStdString()},
                            {"input", "text"},
                            {"device", s.model->device.toStdString()},
                            {"tool", "headlight"},
                            {"tool_version", HEADLIGHT_VERSION},
                            {"created_utc", QDateTime::currentDateTimeUtc().toString(Qt::ISODate).toStdString()}};
            // With what the views computed for it: the rollout, the lens and the attribution when they were shown.
            if (s.encoderDecoder()) p["target"] = s.target.toStdString();
            // An encoder-decoder run is written in the trace format's layout, not as the views' stack.
            const Trace trace = s.encoderDecoder() ? unstackedTrace(*s.trace, s.model->blocks) : *s.trace;
            writeTraceHdf5(path.toStdString(), trace, p, TraceAnalyses{s.rollout, s.lens, s.attribution});
            return QVariant();
        },
        [done](const QVariant&) { done({}); }, [done](const QString& error) { done(error); });
}

void MainWindow::setZeroShotSelective(int selectorHead) {
    workspace_->setZeroShotSelective(selectorHead);
    updateZeroShotAction();
    if (workspace_->snapshot().valid()) workspace_->rerun();
}

void MainWindow::updateZeroShotAction() {
    // For causal models that were not trained with it; checked while the model on screen runs with it.
    const int selector = workspace_->zeroShotSelective();
    const RunSnapshot& shown = workspace_->snapshot();
    const bool trained = shown.valid() && shown.model->config.mechanism<SelectiveAttentionConfig>() && selector < 0;
    zeroShot_->setEnabled(shown.valid() && shown.model->config.causal && !trained);
    const QSignalBlocker block(zeroShot_);
    zeroShot_->setChecked(selector >= 0);
    zeroShot_->setText(selector >= 0 ? tr("&Selective attention, zero-shot (head %1 selects)").arg(selector)
                                     : tr("&Selective attention, zero-shot"));
}

} // namespace headlight
