#include "fit_job.h"

#include "job_tracker.h"

#include <QPointer>
#include <QVariant>
#include <algorithm>

namespace headlight {

FitJob::FitJob(QObject* parent) : QObject(parent), jobs_(std::make_unique<JobTracker>()) {}

FitJob::~FitJob() {
    if (stop_) stop_->store(true);
    jobs_.reset();   // joins the worker
}

template <class Work>
void FitJob::run(const FitConfig& config, const QString& outDir, Work work) {
    running_ = true;
    jobs_->submit(tr("Fitting %1").arg(QString::fromStdString(config.mechanism)), std::move(work),
                  [this, outDir, stop = stop_](const QVariant& result) {
                      running_ = false;
                      if (result.canConvert<std::shared_ptr<const FitSweep>>()) {
                          const auto sweep = result.value<std::shared_ptr<const FitSweep>>();
                          if (!sweep->interrupted) emit sweepFinished(outDir, sweep);
                          emit finished(outDir, sweep->interrupted, tr("%n fit(s) of the sweep", nullptr, static_cast<int>(sweep->points.size())));
                          return;
                      }
                      emit finished(outDir, stop->load(), result.toString());
                  },
                  [this](const QString& message) {
                      running_ = false;
                      emit failed(message);
                  });
}

bool FitJob::start(const FitConfig& config, const QString& outDir) {
    if (running_) return false;
    QPointer<FitJob> self(this);
    const std::string out = outDir.toStdString();
    stop_ = std::make_shared<std::atomic<bool>>(false);
    run(config, outDir, [self, config, out, stop = stop_](JobContext&) -> QVariant {
        const FitResult r = fit(config, out, false, [self](const TrainProgress& p) {
            QMetaObject::invokeMethod(self.data(), [self, p] { if (self) emit self->stepLogged(p); }, Qt::QueuedConnection);
        }, stop.get());
        return QVariant::fromValue(r.training.interrupted ? QString() : fitSummary(r));
    });
    return true;
}

bool FitJob::startSweep(const FitConfig& config, const std::vector<double>& lambdas, const QString& outDir) {
    if (running_) return false;
    QPointer<FitJob> self(this);
    const std::string out = outDir.toStdString();
    stop_ = std::make_shared<std::atomic<bool>>(false);
    run(config, outDir, [self, config, lambdas, out, stop = stop_](JobContext&) -> QVariant {
        int shown = -1;
        auto sweep = std::make_shared<const FitSweep>(fitSweep(config, lambdas, out, false, [self, &shown, lambdas](size_t i, const TrainProgress& p) {
            const int point = static_cast<int>(i);
            const bool fresh = point != shown;
            shown = point;
            QMetaObject::invokeMethod(self.data(), [self, p, point, fresh, lambda = lambdas[i]] {
                if (!self) return;
                if (fresh) emit self->sweepPointStarted(point, lambda);
                emit self->stepLogged(p);
            }, Qt::QueuedConnection);
        }, stop.get()));
        return QVariant::fromValue(sweep);
    });
    return true;
}

void FitJob::stop() {
    if (stop_) stop_->store(true);
}

QString fitSummary(const FitResult& r) {
    const FitScore& s = r.score;
    QString what;
    if (s.headsKept >= 0) what = QObject::tr("%1 of %2 heads kept").arg(s.headsKept).arg(s.heads);
    else if (!s.spans.empty()) what = QObject::tr("mean span %1 tokens, %2% of attention FLOPs saved").arg(s.meanSpan, 0, 'f', 1).arg(100 * s.flopsSaved, 0, 'f', 0);
    else what = QObject::tr("%1 steps").arg(r.training.steps);
    return QObject::tr("%1; held-out loss %2 (original %3), accuracy %4 (original %5)")
        .arg(what)
        .arg(s.fitted.loss, 0, 'f', 4)
        .arg(s.original.loss, 0, 'f', 4)
        .arg(s.fitted.metric, 0, 'f', 3)
        .arg(s.original.metric, 0, 'f', 3);
}

std::vector<CurveSeries> sweepCurves(const FitSweep& sweep) {
    CurveSeries fitted{QObject::tr("L0 gates fitted (one per lambda)"), {}, {}, {}};
    CurveSeries pruned{QObject::tr("pruned by importance"), {}, {}, {}};
    std::vector<SweepPoint> points = sweep.points;
    std::sort(points.begin(), points.end(), [](const SweepPoint& a, const SweepPoint& b) { return a.score.headsKept > b.score.headsKept; });
    for (const SweepPoint& p : points) {
        if (p.score.heads <= 0 || p.score.headsKept < 0) continue;
        fitted.fractionPruned.push_back(1.0 - static_cast<double>(p.score.headsKept) / p.score.heads);
        fitted.metric.push_back(p.score.fitted.metric);
        fitted.loss.push_back(p.score.fitted.loss);
    }
    for (const CurveStep& s : sweep.pruning.steps) {
        pruned.fractionPruned.push_back(s.fractionPruned);
        pruned.metric.push_back(s.score.metric);
        pruned.loss.push_back(s.score.loss);
    }
    return {fitted, pruned};
}

} // namespace headlight
