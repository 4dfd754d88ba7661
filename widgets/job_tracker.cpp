#include "job_tracker.h"

#include "headlight/error.h"

#include <QPointer>
#include <QThread>

#include <chrono>
#include <exception>
#include <new>
#include <string>
#include <utility>

namespace headlight {
namespace {

// Progress reports closer together than this are dropped (the GUI repaints a bar, not a log).
constexpr int64_t kProgressIntervalMs = 50;

int64_t nowMs() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

} // namespace

QString JobTracker::failureText(const std::exception& e) {
    // "std::bad_alloc" says nothing to a user; LibTorch's what() carries a stack trace over many lines.
    if (dynamic_cast<const std::bad_alloc*>(&e)) return tr("out of memory");
    std::string message = e.what();
    message = message.substr(0, message.find('\n'));
    if (message.empty()) return tr("The background task failed without a message.");
    // headlight::Error's text is already escaped and whole; anything else is cut and escaped to one line.
    return QString::fromStdString(dynamic_cast<const Error*>(&e) ? message : printableText(message, 300));
}

bool JobContext::cancelled() const { return cancelled_ && cancelled_->load(); }

void JobContext::progress(double fraction, const QString& text) {
    if (report_) report_(fraction > 1.0 ? 1.0 : fraction, text);
}

JobTracker::JobTracker(QObject* parent)
    : QObject(parent), thread_(new QThread), workerContext_(new QObject),
      currentCancel_(std::make_shared<std::atomic_bool>(false)) {
    thread_->setObjectName(QStringLiteral("headlight-jobs"));
    workerContext_->moveToThread(thread_);
    thread_->start();
}

JobTracker::~JobTracker() {
    cancel();
    // Quit only after everything already queued: skipped jobs and runOnWorker clean-ups (an engine released
    // on its own thread) still run there, and their closures are destroyed there too.
    QMetaObject::invokeMethod(workerContext_, [] { QThread::currentThread()->quit(); }, Qt::QueuedConnection);
    thread_->wait();
    // The worker has stopped, so nothing posts to this object any more; ~QObject drops what is still queued
    // for it (late results of cancelled jobs) without running it.
    delete workerContext_;
    delete thread_;
}

quint64 JobTracker::submit(const QString& label, Work work, Done onDone, Failed onFailed) {
    currentCancel_->store(true);   // supersedes every older job; older flags were set by earlier submits
    auto cancelFlag = std::make_shared<std::atomic_bool>(false);
    currentCancel_ = cancelFlag;
    const quint64 id = ++latest_;
    ++pending_;
    setBusy(true);

    // Throttle state shared by every copy of the reporter (the work may report from any thread).
    auto lastReportMs = std::make_shared<std::atomic<int64_t>>(-1);
    auto report = [this, id, cancelFlag, lastReportMs](double fraction, const QString& text) {
        if (cancelFlag->load()) return;
        const int64_t now = nowMs();
        int64_t last = lastReportMs->load();
        const bool final = fraction >= 1.0;
        if (!final && last >= 0 && now - last < kProgressIntervalMs) return;
        if (!final && !lastReportMs->compare_exchange_strong(last, now)) return;   // another thread just sent
        if (final) lastReportMs->store(now);
        // Safe while the worker runs: the destructor joins the worker before this object goes away.
        QMetaObject::invokeMethod(
            this, [this, id, fraction, text] { if (id == latest_) emit progress(fraction, text); },
            Qt::QueuedConnection);
    };

    auto run = [this, id, label, cancelFlag, report = std::move(report), work = std::move(work),
                onDone = std::move(onDone), onFailed = std::move(onFailed)]() mutable {
        // Take the work out of the closure so that what it holds is released here, on the worker.
        Work job = std::move(work);
        work = nullptr;
        bool ok = false;
        QVariant result;
        QString error;
        if (!cancelFlag->load()) {
            QMetaObject::invokeMethod(
                this, [this, id, label] { if (id == latest_) emit started(label); }, Qt::QueuedConnection);
            JobContext context;
            context.cancelled_ = cancelFlag;
            context.report_ = report;
            // Whatever the work throws ends here as a message: an exception leaving this thread's event loop
            // would terminate the program.
            try {
                result = job(context);
                ok = true;
            } catch (const std::exception& e) {   // headlight::Error included: its what() is the one-line message
                error = failureText(e);
            } catch (...) {
                error = tr("The background task failed with an unknown error.");
            }
        }
        job = nullptr;
        QMetaObject::invokeMethod(
            this,
            [this, id, ok, result = std::move(result), error, onDone = std::move(onDone),
             onFailed = std::move(onFailed)] { deliver(id, ok, result, error, onDone, onFailed); },
            Qt::QueuedConnection);
    };
    QMetaObject::invokeMethod(workerContext_, std::move(run), Qt::QueuedConnection);
    return id;
}

void JobTracker::deliver(quint64 id, bool ok, const QVariant& result, const QString& error, Done onDone,
                         Failed onFailed) {
    --pending_;
    // Only the newest job delivers; cancel() and every submit move latest_ past the older ones.
    if (id != latest_) {
        emit cancelled();
    } else {
        // The callback may delete this tracker (e.g. a window closing its session on a result).
        QPointer<JobTracker> alive(this);
        // A callback runs inside the event loop, which an exception must not cross (Qt does not support it: the
        // program would end). A result that cannot be shown fails like the work itself.
        QString failure = ok ? QString() : error;
        if (ok && onDone) {
            try {
                onDone(result);
            } catch (const std::exception& e) {
                failure = failureText(e);
            } catch (...) {
                failure = tr("Showing the result failed with an unknown error.");
            }
        }
        if (!failure.isEmpty() && alive) {
            if (!onFailed) {
                qWarning("headlight: background task failed: %s", qPrintable(failure));
            } else {
                try {
                    onFailed(failure);
                } catch (...) {
                    qWarning("headlight: reporting a failure failed: %s", qPrintable(failure));
                }
            }
        }
        if (!alive) return;
    }
    if (pending_ == 0) setBusy(false);
}

void JobTracker::cancel() {
    currentCancel_->store(true);
    // A fresh number no job carries, so nothing submitted so far delivers.
    ++latest_;
}

void JobTracker::runOnWorker(std::function<void()> work) {
    QMetaObject::invokeMethod(
        workerContext_,
        [work = std::move(work)]() mutable {
            std::function<void()> job = std::move(work);
            work = nullptr;
            try {
                job();
            } catch (const std::exception& e) {
                qWarning("headlight: worker clean-up failed: %s", e.what());
            } catch (...) {
                qWarning("headlight: worker clean-up failed");
            }
        },
        Qt::QueuedConnection);
}

void JobTracker::setBusy(bool busy) {
    if (busy_ == busy) return;
    busy_ = busy;
    emit busyChanged(busy);
}

} // namespace headlight
