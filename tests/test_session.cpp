// The background-work layer: the job tracker (newest wins, cancellation, delivery on the GUI thread),
// the model session over the real sample model, and the persisted settings.
#include "job_tracker.h"
#include "model_session.h"
#include "settings.h"
#include "test_support.h"

#include "headlight/engine.h"

#include <QDir>
#include <QPointer>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

using namespace headlight;

namespace {

const QString kModel = QStringLiteral(HEADLIGHT_SOURCE_DIR "/sample_models/random-all-mechanisms");
constexpr int kRunTimeoutMs = 30000;   // generous: the machine is shared with trainings

// A one-shot latch the test opens from the GUI thread while work waits on the worker (bounded, never hangs).
class Gate {
public:
    void open() {
        std::lock_guard<std::mutex> lock(m_);
        open_ = true;
        cv_.notify_all();
    }
    bool wait(int ms) {
        std::unique_lock<std::mutex> lock(m_);
        return cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return open_; });
    }

private:
    std::mutex m_;
    std::condition_variable cv_;
    bool open_ = false;
};

// Polls `condition` on the worker for at most `ms`; true when it came true.
template <typename F>
bool waitUntil(F condition, int ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (!condition()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
}

RunSpec spec(const QString& text, const QString& dir = kModel) {
    RunSpec s;
    s.modelDir = dir;
    s.text = text;
    return s;
}

RunSnapshot snapshotAt(const QSignalSpy& spy, int i) { return spy.at(i).at(0).value<RunSnapshot>(); }

} // namespace

class SessionTest : public QObject {
    Q_OBJECT

private slots:
    // ---- JobTracker ----

    void resultArrivesOnTheGuiThread() {
        JobTracker tracker;
        QSignalSpy busy(&tracker, &JobTracker::busyChanged);
        QSignalSpy started(&tracker, &JobTracker::started);
        std::atomic<QThread*> workThread{nullptr};
        QThread* doneThread = nullptr;
        QVariant result;
        tracker.submit(
            "square",
            [&](JobContext&) {
                workThread = QThread::currentThread();
                return QVariant(7 * 7);
            },
            [&](const QVariant& v) {
                doneThread = QThread::currentThread();
                result = v;
            });
        QVERIFY(tracker.busy());
        QTRY_VERIFY_WITH_TIMEOUT(doneThread != nullptr, 5000);
        QCOMPARE(doneThread, qApp->thread());
        QVERIFY(workThread.load() != nullptr);
        QVERIFY(workThread.load() != qApp->thread());
        QCOMPARE(result.toInt(), 49);
        QVERIFY(!tracker.busy());
        QCOMPARE(busy.count(), 2);
        QCOMPARE(busy.at(0).at(0).toBool(), true);
        QCOMPARE(busy.at(1).at(0).toBool(), false);
        QCOMPARE(started.count(), 1);
        QCOMPARE(started.at(0).at(0).toString(), QString("square"));
    }

    void newestRequestWins() {
        JobTracker tracker;
        QSignalSpy cancelled(&tracker, &JobTracker::cancelled);
        Gate gate;
        std::atomic_bool firstStarted{false}, firstSawCancel{false};
        std::atomic_int secondRuns{0};
        QStringList delivered;   // GUI thread only
        auto failed = [&](const QString& m) { delivered << "failed: " + m; };

        const quint64 first = tracker.submit(
            "first",
            [&](JobContext& c) {
                firstStarted = true;
                gate.wait(5000);
                firstSawCancel = c.cancelled();
                return QVariant(1);
            },
            [&](const QVariant&) { delivered << "first"; }, failed);
        QTRY_VERIFY_WITH_TIMEOUT(firstStarted.load(), 5000);
        // While the first blocks, the second is queued and superseded by the third before it can start.
        const quint64 second = tracker.submit(
            "second", [&](JobContext&) { ++secondRuns; return QVariant(2); },
            [&](const QVariant&) { delivered << "second"; }, failed);
        const quint64 third = tracker.submit(
            "third", [&](JobContext& c) { return QVariant(c.cancelled() ? -1 : 3); },
            [&](const QVariant& v) { delivered << "third:" + v.toString(); }, failed);
        QVERIFY(first < second && second < third);
        gate.open();

        QTRY_VERIFY_WITH_TIMEOUT(!tracker.busy(), 5000);
        QCOMPARE(delivered, QStringList{"third:3"});
        QVERIFY(firstSawCancel.load());
        QCOMPARE(secondRuns.load(), 0);
        QCOMPARE(cancelled.count(), 2);
    }

    void cancelStopsTheRunningJob() {
        JobTracker tracker;
        QSignalSpy cancelled(&tracker, &JobTracker::cancelled);
        QSignalSpy progress(&tracker, &JobTracker::progress);
        std::atomic_bool started{false}, finished{false}, sawCancel{false};
        bool delivered = false;
        tracker.submit(
            "long",
            [&](JobContext& c) {
                started = true;
                sawCancel = waitUntil([&] { return c.cancelled(); }, 5000);
                c.progress(0.9, "late");   // after cancellation: must not reach the GUI
                finished = true;
                return QVariant(1);
            },
            [&](const QVariant&) { delivered = true; }, [&](const QString&) { delivered = true; });
        QTRY_VERIFY_WITH_TIMEOUT(started.load(), 5000);
        QTest::qWait(30);
        QVERIFY2(!finished.load(), "the job must keep running until it is cancelled");
        QVERIFY(tracker.busy());

        tracker.cancel();
        QTRY_VERIFY_WITH_TIMEOUT(!tracker.busy(), 5000);
        QVERIFY(sawCancel.load());
        QVERIFY(!delivered);
        QCOMPARE(cancelled.count(), 1);
        QCOMPARE(progress.count(), 0);
    }

    void exceptionsBecomeFailures_data() {
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("expected");
        QTest::newRow("headlight::Error") << 0 << "model/config.json: n_head must divide n_embd";
        QTest::newRow("std::exception") << 1 << "boom";
        QTest::newRow("anything else") << 2 << "The background task failed with an unknown error.";
    }
    void exceptionsBecomeFailures() {
        QFETCH(int, kind);
        QFETCH(QString, expected);
        JobTracker tracker;
        QString message;
        bool done = false;
        QThread* failedThread = nullptr;
        tracker.submit(
            "throws",
            [kind](JobContext&) -> QVariant {
                if (kind == 0) throw Error("model/config.json", "n_head must divide n_embd");
                if (kind == 1) throw std::runtime_error("boom");
                throw 42;
            },
            [&](const QVariant&) { done = true; },
            [&](const QString& m) {
                message = m;
                failedThread = QThread::currentThread();
            });
        QTRY_VERIFY_WITH_TIMEOUT(!message.isEmpty(), 5000);
        QCOMPARE(message, expected);
        QCOMPARE(failedThread, qApp->thread());
        QVERIFY(!done);
        QVERIFY(!tracker.busy());
    }

    void progressReachesTheGuiThread() {
        JobTracker tracker;
        QList<QPair<double, QString>> reports;
        QList<QThread*> threads;
        connect(&tracker, &JobTracker::progress, this, [&](double f, const QString& t) {
            reports << qMakePair(f, t);
            threads << QThread::currentThread();
        });
        bool done = false;
        tracker.submit(
            "steps",
            [](JobContext& c) {
                c.progress(0.25, "quarter");
                c.progress(2.0, "done");   // clamped to 1; the final report is never throttled
                return QVariant();
            },
            [&](const QVariant&) { done = true; });
        QTRY_VERIFY_WITH_TIMEOUT(done, 5000);
        QCOMPARE(reports.size(), 2);
        QCOMPARE(reports.first(), qMakePair(0.25, QString("quarter")));
        QCOMPARE(reports.last(), qMakePair(1.0, QString("done")));
        for (QThread* t : threads) QCOMPARE(t, qApp->thread());
    }

    void runOnWorkerRunsAfterQueuedWork() {
        JobTracker tracker;
        std::mutex m;
        QStringList order;
        std::atomic<QThread*> cleanupThread{nullptr};
        bool done = false;
        tracker.submit(
            "job",
            [&](JobContext&) {
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
                std::lock_guard<std::mutex> lock(m);
                order << "job";
                return QVariant();
            },
            [&](const QVariant&) { done = true; });
        tracker.runOnWorker([&] {
            std::lock_guard<std::mutex> lock(m);
            order << "cleanup";
            cleanupThread = QThread::currentThread();
        });
        QTRY_VERIFY_WITH_TIMEOUT(done && cleanupThread.load() != nullptr, 5000);
        std::lock_guard<std::mutex> lock(m);
        QCOMPARE(order, (QStringList{"job", "cleanup"}));
        QVERIFY(cleanupThread.load() != qApp->thread());
    }

    void destroyingWithARunningJobDeliversNothing() {
        auto* tracker = new JobTracker;
        std::atomic_bool started{false}, sawCancel{false}, cleanedUp{false};
        bool delivered = false;
        tracker->submit(
            "long",
            [&](JobContext& c) {
                started = true;
                sawCancel = waitUntil([&] { return c.cancelled(); }, 5000);
                c.progress(1.0, "late");
                return QVariant(1);
            },
            [&](const QVariant&) { delivered = true; }, [&](const QString&) { delivered = true; });
        tracker->runOnWorker([&] { cleanedUp = true; });
        QTRY_VERIFY_WITH_TIMEOUT(started.load(), 5000);
        delete tracker;   // cancels, runs what is queued, joins the worker
        QVERIFY(sawCancel.load());
        QVERIFY2(cleanedUp.load(), "work queued with runOnWorker runs before the worker stops");
        QTest::qWait(50);   // any late delivery would run here
        QVERIFY(!delivered);
    }

    void aCallbackMayDeleteTheTracker() {
        auto* tracker = new JobTracker;
        QPointer<JobTracker> watch(tracker);
        int busyChanges = 0;
        connect(tracker, &JobTracker::busyChanged, this, [&] { ++busyChanges; });
        tracker->submit("last", [](JobContext&) { return QVariant(1); }, [&](const QVariant&) { delete tracker; });
        QTRY_VERIFY_WITH_TIMEOUT(watch.isNull(), 5000);
        QCOMPARE(busyChanges, 1);   // went busy; the deleted tracker must not report becoming idle
    }

    // ---- ModelSession ----

    void runsTheSampleModelLikeTheEngine() {
        ModelSession session;
        QSignalSpy finished(&session, &ModelSession::runFinished);
        QSignalSpy failed(&session, &ModelSession::runFailed);
        const QString text = "The cat sat on the mat.";
        session.request(spec(text));
        QTRY_COMPARE_WITH_TIMEOUT(finished.count() + failed.count(), 1, kRunTimeoutMs);
        QCOMPARE(failed.count(), 0);
        const RunSnapshot snap = snapshotAt(finished, 0);
        QVERIFY(snap.valid());

        const int T = static_cast<int>(text.size()) + 1;   // the char tokenizer's '^' first
        const ModelInfo& info = *snap.model;
        QCOMPARE(info.dir, kModel);
        QCOMPARE(info.name, QString("random-all-mechanisms"));
        QCOMPARE(info.config.nLayer, 2);
        QCOMPARE(info.config.nHead, 4);
        QCOMPARE(info.config.nPositions, 256);
        QCOMPARE(info.config.vocabSize, 96);
        QCOMPARE(info.vocabulary.size(), size_t(96));
        QCOMPARE(info.vocabulary[1], std::string(" "));   // vocab.json: " ": 1, "a": 2, "~": 95
        QCOMPARE(info.vocabulary[2], std::string("a"));
        QCOMPARE(info.vocabulary[95], std::string("~"));
        QVERIFY(info.canEncode);
        QCOMPARE(info.device, QString("cpu"));
        QVERIFY(snap.loadMs > 0);
        QCOMPARE(snap.droppedTokens, 0);
        QCOMPARE(snap.text, text);
        QCOMPARE(snap.tokens(), T);

        const Trace& trace = *snap.trace;
        QCOMPARE(trace.logits.shape(), (std::vector<int64_t>{T, 96}));
        QCOMPARE(trace.loss.shape(), (std::vector<int64_t>{T - 1}));
        QCOMPARE(trace.headMask.toVector(), std::vector<float>(8, 1.0f));
        QCOMPARE(trace.layers.size(), size_t(2));
        for (const LayerTrace& layer : trace.layers) {
            QCOMPARE(layer.attention.shape(), (std::vector<int64_t>{4, T, T}));
            QCOMPARE(layer["memory_attention"].shape(), (std::vector<int64_t>{4, T, 4}));
            QCOMPARE(layer["gate"].shape(), (std::vector<int64_t>{4}));
            QCOMPARE(layer["span"].shape(), (std::vector<int64_t>{4}));
            QCOMPARE(layer["selection_cumulative"].shape(), (std::vector<int64_t>{T, T}));
            QVERIFY(layer["evicted_at"].empty());   // no budget
        }

        // The same ids through the engine directly give the same numbers.
        const Engine engine = Engine::load(kModel.toStdString());
        QCOMPARE(info.parameters, engine.parameterCount());
        const std::vector<int64_t> ids = engine.encode(text.toStdString());
        QCOMPARE(trace.tokenIds, ids);
        RunRequest request;
        request.tokenIds = ids;
        const Trace direct = engine.run(request);
        const FloatArray& mine = trace.layers[1].attention;
        const FloatArray& theirs = direct.layers[1].attention;
        for (int i = 0; i < T; ++i)
            for (int j = 0; j < T; ++j) HL_SAME_FLOAT(mine.at({2, i, j}), theirs.at({2, i, j}));
        HL_COMPARE_ARRAYS(trace.logits, direct.logits, 1e-6);

        // The same model again: no reload, the same ModelInfo.
        session.request(spec("A dog."));
        QTRY_COMPARE_WITH_TIMEOUT(finished.count() + failed.count(), 2, kRunTimeoutMs);
        const RunSnapshot again = snapshotAt(finished, 1);
        QCOMPARE(again.loadMs, 0.0);
        QCOMPARE(again.model.get(), snap.model.get());
        QCOMPARE(again.tokens(), 7);   // '^' + "A dog."
        QCOMPARE(again.tokenLabel(2), QString(QChar(0x2423)));   // the space, made visible
    }

    void aFolderThatIsNoModelKeepsThePreviousModel() {
        ModelSession session;
        QSignalSpy finished(&session, &ModelSession::runFinished);
        QSignalSpy failed(&session, &ModelSession::runFailed);
        session.request(spec("abc"));
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kRunTimeoutMs);

        QTemporaryDir empty;
        session.request(spec("abc", empty.path()));
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, kRunTimeoutMs);
        const QString message = failed.at(0).at(0).toString();
        QVERIFY2(message.contains(empty.path() + "/config.json"), qPrintable(message));
        QVERIFY(!message.contains('\n'));
        QCOMPARE(failed.at(0).at(1).toBool(), true);

        session.request(spec("hello"));
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 2, kRunTimeoutMs);
        const RunSnapshot kept = snapshotAt(finished, 1);
        QCOMPARE(kept.loadMs, 0.0);
        QCOMPARE(kept.model.get(), snapshotAt(finished, 0).model.get());
        QCOMPARE(kept.tokens(), 6);   // '^' + "hello"
        QCOMPARE(failed.count(), 1);
    }

    void textTheModelCannotReadFailsButKeepsTheModel_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("expected");
        QTest::newRow("outside the vocabulary") << QString::fromUtf8("caf\u00e9 \u00fcber") << QString::fromUtf8("'\u00e9', '\u00fc'");
        QTest::newRow("empty") << QString() << QString("text: is empty");
    }
    void textTheModelCannotReadFailsButKeepsTheModel() {
        QFETCH(QString, text);
        QFETCH(QString, expected);
        ModelSession session;
        QSignalSpy finished(&session, &ModelSession::runFinished);
        QSignalSpy failed(&session, &ModelSession::runFailed);
        session.request(spec(text));
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, kRunTimeoutMs);
        const QString message = failed.at(0).at(0).toString();
        QVERIFY2(message.contains(expected), qPrintable(message));
        QCOMPARE(failed.at(0).at(1).toBool(), false);

        // The model loaded before the text was rejected; it stays.
        session.request(spec("cafe"));
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kRunTimeoutMs);
        QCOMPARE(snapshotAt(finished, 0).loadMs, 0.0);
        QCOMPARE(snapshotAt(finished, 0).tokens(), 5);   // '^' + "cafe"
    }

    void aLongTextIsCutToTheModelsLength() {
        ModelSession session;
        QSignalSpy finished(&session, &ModelSession::runFinished);
        QString text;
        for (int i = 0; i < 300; ++i) text += QChar('a' + i % 26);
        session.request(spec(text));
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kRunTimeoutMs);
        const RunSnapshot snap = snapshotAt(finished, 0);
        QCOMPARE(snap.tokens(), 256);   // n_positions
        QCOMPARE(snap.droppedTokens, 1 + 300 - 256);   // '^' + 300 characters
        QCOMPARE(snap.text, "^" + text.left(255));   // '^' + what fits of the text
        QCOMPARE(snap.trace->logits.dim(0), int64_t(256));
    }

    void headMaskAndBudgetReachTheTrace() {
        ModelSession session;
        QSignalSpy finished(&session, &ModelSession::runFinished);
        RunSpec s = spec("one two three four five!");   // 24 characters
        s.headMask = {1, 0, 1, 1, 0, 1, 1, 1};
        s.contextBudget = {4, 6};
        session.request(s);
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kRunTimeoutMs);
        const RunSnapshot snap = snapshotAt(finished, 0);
        const int T = snap.tokens();
        QCOMPARE(T, 25);   // '^' + 24 characters
        QCOMPARE(snap.trace->headMask.shape(), (std::vector<int64_t>{2, 4}));
        QCOMPARE(snap.trace->headMask.toVector(), s.headMask);
        for (int l = 0; l < 2; ++l) {
            const FloatArray& evicted = snap.trace->layers[size_t(l)]["evicted_at"];
            QCOMPARE(evicted.shape(), (std::vector<int64_t>{T}));
            // A buffer of K tokens after T steps has evicted exactly T - K of them.
            const auto gone = std::count_if(evicted.begin(), evicted.end(), [](float v) { return v >= 0; });
            QCOMPARE(int(gone), T - s.contextBudget[size_t(l)]);
        }
    }

    void newestRequestWinsOnTheSession() {
        ModelSession session;
        QSignalSpy finished(&session, &ModelSession::runFinished);
        QSignalSpy failed(&session, &ModelSession::runFailed);
        QSignalSpy cancelled(session.jobs(), &JobTracker::cancelled);
        for (const char* text : {"first", "second", "third run"}) session.request(spec(text));
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kRunTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(!session.jobs()->busy(), kRunTimeoutMs);
        QCOMPARE(finished.count(), 1);
        QCOMPARE(failed.count(), 0);
        QCOMPARE(snapshotAt(finished, 0).text, QString("third run"));
        QCOMPARE(snapshotAt(finished, 0).tokens(), 10);   // '^' + "third run"
        QCOMPARE(cancelled.count(), 2);
    }

    // Destroying the session with its run queued or running: nothing is delivered afterwards, and the destructor
    // leaves no thread of its own behind (it waits for the worker, which frees the engine there).
    void destroyingTheSessionMidRunIsSafe() {
        auto threads = [] { return QDir("/proc/self/task").entryList(QDir::Dirs | QDir::NoDotAndDotDot).size(); };
        int before = -1;
        bool signalled = false;
        {
            ModelSession warm;   // LibTorch's own pool threads start with the first run; count after them
            QSignalSpy done(&warm, &ModelSession::runFinished);
            warm.request(spec("warm up"));
            QVERIFY(done.wait(60000));
        }
        before = threads();
        {
            ModelSession session;
            connect(&session, &ModelSession::runFinished, this, [&] { signalled = true; });
            connect(&session, &ModelSession::runFailed, this, [&] { signalled = true; });
            session.request(spec("a run nobody waits for"));
            QVERIFY(session.jobs()->busy());
            QVERIFY(threads() > before);   // the session's worker
        }
        QTest::qWait(50);
        QVERIFY(!signalled);
        QTRY_VERIFY_WITH_TIMEOUT(threads() <= before, 5000);   // other suites' idle threads may end meanwhile
    }

    void devices() {
        const QStringList devices = ModelSession::availableDevices();
        QCOMPARE(devices.value(0), QString("cpu"));
        QCOMPARE(devices.contains("cuda"), Engine::cudaAvailable());
    }

    // ---- Settings ----

    void settingsDefaults() {
        QTemporaryDir dir;
        Settings s(dir.filePath("headlight.ini"));
        QCOMPARE(s.device(), QString("cpu"));
        QCOMPARE(s.overviewMetric(), QString("entropy"));
        QCOMPARE(s.exportDpi(), 300);
        QCOMPARE(s.darkTheme(), false);
        QVERIFY(s.recentModels().isEmpty());
        QVERIFY(s.lastModel().isEmpty());
        QVERIFY(s.lastText().isEmpty());
        QVERIFY(s.windowGeometry().isEmpty());
        s.setExportDpi(0);   // nonsense falls back to the default
        QCOMPARE(s.exportDpi(), 300);
    }

    void settingsRoundTrip() {
        QTemporaryDir dir;
        const QString ini = dir.filePath("headlight.ini");
        const QByteArray geometry("\x01\x02\x00\xff geometry", 13);
        const QByteArray state("\x00\x10 state", 8);
        {
            Settings s(ini);
            s.addRecentModel(kModel);
            s.setLastModel(kModel);
            s.setLastText(QString::fromUtf8("Line one\nline \u00e9 two"));
            s.setDevice("cuda");
            s.setDarkTheme(true);
            s.setOverviewMetric("gate");
            s.setExportDpi(600);
            s.setExportDir(dir.path());
            s.setWindowGeometry(geometry);
            s.setWindowState(state);
        }
        QVERIFY(QFileInfo(ini).size() > 0);
        Settings s(ini);
        QCOMPARE(s.recentModels(), QStringList{QDir::cleanPath(kModel)});
        QCOMPARE(s.lastModel(), kModel);
        QCOMPARE(s.lastText(), QString::fromUtf8("Line one\nline \u00e9 two"));
        QCOMPARE(s.device(), QString("cuda"));
        QCOMPARE(s.darkTheme(), true);
        QCOMPARE(s.overviewMetric(), QString("gate"));
        QCOMPARE(s.exportDpi(), 600);
        QCOMPARE(s.exportDir(), dir.path());
        QCOMPARE(s.windowGeometry(), geometry);
        QCOMPARE(s.windowState(), state);
    }

    void recentModelsAreOrderedDeduplicatedLimitedAndExisting() {
        QTemporaryDir dir;
        QStringList folders;
        for (int i = 0; i < 12; ++i) {
            const QString f = dir.filePath(QString("model-%1").arg(i));
            QVERIFY(QDir().mkpath(f));
            folders << f;
        }
        const QString ini = dir.filePath("headlight.ini");
        Settings s(ini);
        for (const QString& f : folders) s.addRecentModel(f);
        QStringList expected;
        for (int i = 11; i >= 2; --i) expected << folders[i];   // the newest ten, newest first
        QCOMPARE(s.recentModels(), expected);

        // Re-opening an entry (spelled differently) moves it to the front instead of repeating it.
        s.addRecentModel(folders[5] + "/./");
        expected.removeAll(folders[5]);
        expected.prepend(folders[5]);
        QCOMPARE(s.recentModels(), expected);

        // Folders that are gone drop out; a folder that does not exist is never added.
        QVERIFY(QDir(folders[11]).removeRecursively());
        s.addRecentModel(dir.filePath("never-created"));
        expected.removeAll(folders[11]);
        QCOMPARE(s.recentModels(), expected);
        QCOMPARE(Settings(ini).recentModels(), expected);
    }
};

QTEST_MAIN(SessionTest)
#include "test_session.moc"
