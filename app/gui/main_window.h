#pragma once
// The Headlight window: the text box, every view in a dock, the start page, menus and the status bar.
// It computes nothing and holds no document: the Workspace holds the model, the mask and the scores, runs go to
// its ModelSession's worker, and results come back as RunSnapshot values that the window shows.
#include "analysis_spec.h"
#include "figure_export.h"
#include "head_selection.h"
#include "run_snapshot.h"
#include "what_if_preset.h"

#include <QMainWindow>
#include <memory>
#include <vector>

class QLabel;
class QMenu;
class QProgressBar;
class QStackedWidget;

namespace headlight {

class ExplainPanel;
class FitWindow;
struct FitConfig;
class HeadSelection;
class InputBar;
class JobTracker;
class ModelSession;
class Settings;
class StartPage;
class TraceView;
class Workspace;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(Settings& settings, QWidget* parent = nullptr);
    ~MainWindow() override;

    // Opens a model folder and runs `text` on it (its example text when empty). On failure a message box says
    // why and the previous model stays.
    void openModel(const QString& dir, const QString& text = {});
    // An encoder-decoder model's target text for the runs from now on (the target box shows it); runs nothing.
    void setTarget(const QString& target);
    // Runs `text` on the current model.
    void runText(const QString& text);
    // What the last start left open, else the default sample with its example.
    void openInitialModel();

    Workspace* workspace() const { return workspace_; }
    ModelSession* session() const;
    HeadSelection* selection() const { return selection_; }
    const std::vector<TraceView*>& views() const { return views_; }
    TraceView* view(const QString& id) const;
    const RunSnapshot& snapshot() const;
    InputBar* inputBar() const { return input_; }

    // Throws headlight::Error naming the path.
    void exportView(TraceView* view, const QString& path, const ExportOptions& options);
    // Writes the current run's HDF5 trace on a background thread; `done` gets an empty string or the error.
    void exportRun(const QString& path, std::function<void(const QString& error)> done);

    // Pruning what-ifs, held by the workspace (main_window_pruning.cpp connects the views to it). The head mask
    // (L*H, 1 = keep; empty = nothing pruned) belongs to the model on screen; every change reruns the text.
    const std::vector<float>& headMask() const;
    void applyPreset(WhatIfPreset preset, int k);
    // Zero-shot selective attention (View menu): the model reloaded with `selectorHead` selecting in every layer,
    // -1 without; runs the text again when a model is open (else the next model opened gets it).
    void setZeroShotSelective(int selectorHead);
    QAction* zeroShotSelectiveAction() const { return zeroShot_; }
    // Analysis > Fit a mechanism (main_window_fit.cpp): the dialog, then the fit in its own window, which can open
    // the result or prune the heads its gates closed from the model on screen.
    void askFit();
    // `sweep`: two or more lambdas fit one model each (FitWindow::start).
    FitWindow* startFit(const FitConfig& config, const QString& outDir, const std::vector<double>& sweep = {});
    FitWindow* fitWindow() const { return fitWindow_; }

signals:
    // An analysis finished and its results are on screen.
    void analysisShown(const headlight::AnalysisResult& result);
    // Every view has drawn this snapshot.
    void snapshotShown(const headlight::RunSnapshot& snapshot);
    // A problem was reported to the user (also shown in a message box or inline).
    void problemShown(const QString& message);

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;
    void closeEvent(QCloseEvent* event) override;
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void buildDocks();
    void buildMenus();            // main_window_menus.cpp
    void rebuildRecentMenu();     // main_window_menus.cpp
    void showRun(const RunSnapshot& snapshot, bool newModel);
    void showFailure(const QString& message, bool modelFailed);
    void raiseFirstAvailableMechanism();
    void applyViewPreset(const RunSnapshot& snapshot);
public:
    // The status bar's loss: over the predictions the model's task scores (its view.json), else all.
    static QString scoredLossText(const RunSnapshot& snapshot);
    // The size of a first window (no saved geometry) on a screen with `available` room (empty: unknown).
    static QSize firstWindowSize(QSize available);
private:
    void showProblemBox(const QString& title, const QString& message);
    void askExport(TraceView* view);        // main_window_menus.cpp
    void askExportRun();                    // main_window_menus.cpp
    void askExportAll();                    // main_window_menus.cpp
    void askOpenFolder();                   // main_window_menus.cpp
    void setDark(bool dark);
    void connectPruning();                                    // main_window_pruning.cpp
    void showAnalysis(const AnalysisResult& result, bool presetFollows);   // main_window_pruning.cpp
    void showAnalysisFailure(const QString& message);         // main_window_pruning.cpp
    void connectHeads();                                      // main_window_heads.cpp
    void askSelectByRole();                                   // main_window_heads.cpp
public:
    // Prunes every head of `heads` as one what-if, or restores them when all are pruned (main_window_heads.cpp).
    void togglePrunedHeads(const QList<HeadRef>& heads);
private:

    Settings& settings_;
    HeadSelection* selection_;
    Workspace* workspace_;
    std::unique_ptr<JobTracker> exportJobs_;
    InputBar* input_;
    QStackedWidget* center_;
    StartPage* start_;
    ExplainPanel* explain_;
    std::vector<TraceView*> views_;
    QMenu* recentMenu_ = nullptr;
    QAction* zeroShot_ = nullptr;   // View > Selective attention, zero-shot
    FitWindow* fitWindow_ = nullptr;
    void updateZeroShotAction();    // main_window_menus.cpp
    QLabel* statusModel_;
    QLabel* statusRun_;
    QLabel* diskNotice_;           // the model's files changed or went away since it loaded
    QProgressBar* progress_;
    bool explicitRun_ = false;     // the newest request came from Enter/Run/Open: errors get a message box
    bool restoredLayout_ = false;
};

} // namespace headlight
