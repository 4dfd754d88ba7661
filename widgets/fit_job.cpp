#include "fit_job.h"

#include "job_tracker.h"

#include <QPointer>
#include <QVariant>

namespace headlight {

FitJob::FitJob(QObject* parent) : QObject(parent), jobs_(std::make_unique<JobTracker>()) {}

FitJob::~FitJob() {
    if (stop_) stop_->store(true);
    jobs_.reset();   // joins the worker
}

bool FitJob::start(const FitConfig& config, const QString& outDir) {
    if (running_) return false;
    running_ = true;
    stop_ = std::make_shared<std::atomic<bool>>(false);
    const std::string out = outDir.toStdString();
    QPointer<FitJob> self(this);
    auto work = [self, config, out, stop = stop_](JobContext&) -> QVariant {
        const FitResult r = fit(config, out, false, [self](const TrainProgress& p) {
            QMetaObject::invokeMethod(self.data(), [self, p] { if (self) emit self->stepLogged(p); }, Qt::QueuedConnection);
        }, stop.get());
        return QVariant::fromValue(r.training.interrupted ? QString() : fitSummary(r));
    };
    jobs_->submit(tr("Fitting %1").arg(QString::fromStdString(config.mechanism)), work,
                  [this, outDir, stop = stop_](const QVariant& summary) {
                      running_ = false;
                      emit finished(outDir, stop->load(), summary.toString());
                  },
                  [this](const QString& message) {
                      running_ = false;
                      emit failed(message);
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

} // namespace headlight
