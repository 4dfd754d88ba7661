#pragma once
// A fit (headlight/fitting.h) running in the background for the window: one at a time, its logged steps sent
// to the GUI thread as they happen (the gates and spans views replay them live), and Cancel that stops at the
// next step with a checkpoint, so the model fitted so far can still be opened.
#include "headlight/fitting.h"
#include "pruning_curve_plot.h"

#include <QObject>
#include <QString>

#include <atomic>
#include <memory>
#include <vector>

namespace headlight {

class JobTracker;

class FitJob : public QObject {
    Q_OBJECT
public:
    explicit FitJob(QObject* parent = nullptr);
    ~FitJob() override;   // stops a running fit and waits for it

    // Starts `config` into `outDir` (refused while a fit runs: returns false). Every error (a bad setting, a
    // folder that exists) arrives through failed().
    bool start(const FitConfig& config, const QString& outDir);
    // A sweep (fitSweep): one fit per lambda into outDir/lambda-X/; sweepPointStarted() before each fit's steps,
    // sweepFinished() with every point and the importance-order pruning curve at the end.
    bool startSweep(const FitConfig& config, const std::vector<double>& lambdas, const QString& outDir);
    // Asks the running fit to stop after its current step; it writes a checkpoint and reports finished().
    void stop();
    bool running() const { return running_; }

signals:
    void stepLogged(const headlight::TrainProgress& progress);
    // `stopped`: Cancel ended it early (the folder holds the model at that step); `summary`: one line of results.
    void finished(const QString& outDir, bool stopped, const QString& summary);
    void failed(const QString& message);
    void sweepPointStarted(int point, double lambda);
    void sweepFinished(const QString& outDir, const std::shared_ptr<const headlight::FitSweep>& sweep);

private:
    template <class Work>
    void run(const FitConfig& config, const QString& outDir, Work work);

    std::unique_ptr<JobTracker> jobs_;
    std::shared_ptr<std::atomic<bool>> stop_;
    bool running_ = false;
};

// One line for a finished fit: heads kept or mean span, held-out loss against the original's.
QString fitSummary(const FitResult& result);

// A gates sweep as two curves against the fraction of heads removed: the fitted gates (one point per lambda,
// by heads kept) and the original model pruned in importance order (`prune-curve`'s plot draws them).
std::vector<CurveSeries> sweepCurves(const FitSweep& sweep);

} // namespace headlight

Q_DECLARE_METATYPE(headlight::TrainProgress)
Q_DECLARE_METATYPE(std::shared_ptr<const headlight::FitSweep>)
