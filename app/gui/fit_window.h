#pragma once
// A fit running beside the main window: its loss and the heads' gates or spans step by step (FitView), Stop,
// and at the end (or after Stop, at the step it stopped) the fitted model to open, or, for gates, its closed
// heads pruned from the original model in the What if view.
#include "headlight/fitting.h"

#include <QDialog>
#include <vector>

class QLabel;
class QProgressBar;
class QPushButton;

namespace headlight {

class FitJob;
class PruningCurvePlot;
class FitView;
class HeadSelection;

class FitWindow : public QDialog {
    Q_OBJECT
public:
    explicit FitWindow(QWidget* parent = nullptr);
    ~FitWindow() override;

    // Starts the fit (any error arrives as a message in this window and through failed()).
    // `sweep` (two or more lambdas): one fit per lambda into outDir/lambda-X/, then their curve beside pruning by
    // importance (sweepPlot()); Open and Prune then use the last lambda's model.
    void start(const FitConfig& config, const QString& outDir, const std::vector<double>& sweep = {});
    PruningCurvePlot* sweepPlot() const { return sweepPlot_; }

    FitView* view() const { return view_; }
    FitJob* job() const { return job_; }
    QPushButton* stopButton() const { return stop_; }
    QPushButton* openButton() const { return open_; }
    QPushButton* pruneButton() const { return prune_; }
    QLabel* statusLabel() const { return status_; }

signals:
    void openRequested(const QString& modelDir);
    // The fitted gates' closed heads (L*H, 1 = keep, 0 = closed), for the original model's What if view.
    void pruneRequested(const std::vector<float>& mask);
    void finished(const QString& outDir, bool stopped);
    void failed(const QString& message);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void done(const QString& outDir, bool stopped, const QString& summary);

    HeadSelection* selection_;
    FitView* view_;
    FitJob* job_;
    QLabel* status_;
    QProgressBar* progress_;
    QPushButton* stop_;
    QPushButton* open_;
    QPushButton* prune_;
    PruningCurvePlot* sweepPlot_;
    QString outDir_;      // the model Open and Prune use (a sweep: its newest fit's)
    QString sweepRoot_;
    FitConfig config_;
    std::vector<float> closedMask_;
};

} // namespace headlight
