#pragma once
// Background work for the GUI: one worker thread, the newest request wins, cancellable, with progress.
// Results come back on the tracker's (GUI) thread as values; the GUI thread never computes.
#include <QObject>
#include <QString>
#include <QVariant>

#include <atomic>
#include <exception>
#include <functional>
#include <memory>

class QThread;

namespace headlight {

// Handed to running work: poll cancelled() between steps and report progress (any thread).
class JobContext {
public:
    bool cancelled() const;
    // fraction in [0,1], or < 0 for "busy, unknown how long".
    void progress(double fraction, const QString& text = {});

private:
    friend class JobTracker;
    std::shared_ptr<std::atomic_bool> cancelled_;
    std::function<void(double, const QString&)> report_;
};

class JobTracker : public QObject {
    Q_OBJECT
public:
    using Work = std::function<QVariant(JobContext&)>;           // runs on the worker thread; may throw
    using Done = std::function<void(const QVariant& result)>;    // runs on this object's thread
    using Failed = std::function<void(const QString& message)>;  // runs on this object's thread

    explicit JobTracker(QObject* parent = nullptr);
    ~JobTracker() override;   // cancels, then waits for the running work

    // Queues `work`. A newer submit cancels every older job: a queued one never starts, a running one is asked
    // to stop, and neither delivers its result. Returns the job's number (increasing).
    quint64 submit(const QString& label, Work work, Done onDone, Failed onFailed = {});
    // Cancels the running and queued work; nothing they return is delivered.
    void cancel();
    bool busy() const { return busy_; }
    // Runs `work` on the worker thread after everything queued (no result); used to release resources there.
    void runOnWorker(std::function<void()> work);
    // One line for an exception from work or a callback: "out of memory" for std::bad_alloc, else the first line
    // of what() with control characters escaped (LibTorch's messages carry a stack trace).
    static QString failureText(const std::exception& e);

signals:
    void busyChanged(bool busy);
    void started(const QString& label);
    void progress(double fraction, const QString& text);
    void cancelled();   // a job ended without delivering because it was cancelled or superseded

private:
    struct Worker;
    void deliver(quint64 id, bool ok, const QVariant& result, const QString& error, Done onDone, Failed onFailed);
    void setBusy(bool busy);

    QThread* thread_;
    QObject* workerContext_;                  // lives on the worker thread; queued calls run there
    quint64 latest_ = 0;
    std::shared_ptr<std::atomic_bool> currentCancel_;
    bool busy_ = false;
    int pending_ = 0;
};

} // namespace headlight
