// The app under faults (issue 14): a model folder removed or rewritten while it is open, work that throws,
// exports onto a full disk or into places that take no file, a 1 MB paste, a bad model to reopen at start.
// Each ends in a message naming the file, never a crash, a frozen window or a partial file.
#include "export_dialog.h"
#include "input_bar.h"
#include "job_tracker.h"
#include "main_window.h"
#include "workspace.h"
#include "model_session.h"
#include "sample_catalog.h"
#include "settings.h"
#include "test_support.h"
#include "trace_view.h"

#include "headlight/error.h"

#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QSemaphore>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace headlight;

namespace {

const QString kRandom = QStringLiteral(HEADLIGHT_SOURCE_DIR "/sample_models/random-all-mechanisms");
constexpr int kWaitMs = 30000;

// A full disk without root: files of this process may not grow past `bytes` (write() then fails with EFBIG),
// and SIGXFSZ, which would kill the process, is ignored. Both are restored on destruction.
class FileSizeLimit {
public:
    explicit FileSizeLimit(rlim_t bytes) {
        previousHandler_ = std::signal(SIGXFSZ, SIG_IGN);
        getrlimit(RLIMIT_FSIZE, &previous_);
        rlimit limited = previous_;
        limited.rlim_cur = bytes;
        ok_ = setrlimit(RLIMIT_FSIZE, &limited) == 0;
    }
    ~FileSizeLimit() {
        setrlimit(RLIMIT_FSIZE, &previous_);
        std::signal(SIGXFSZ, previousHandler_);
    }
    bool ok() const { return ok_; }

private:
    rlimit previous_{};
    void (*previousHandler_)(int) = nullptr;
    bool ok_ = false;
};

// Root may write into any folder: a read-only folder is read-only to root only under another effective user.
// Every thread of the process switches (glibc applies set*id to all of them); the real user stays root, so the
// destructor can switch back.
class AsOtherUserWhenRoot {
public:
    AsOtherUserWhenRoot() : switched_(geteuid() == 0 && seteuid(65534) == 0) {}
    ~AsOtherUserWhenRoot() {
        if (switched_ && seteuid(0) != 0) qFatal("cannot switch back to root");
    }

private:
    bool switched_;
};

// Releases a worker parked on `semaphore` however the test ends (a parked worker would hang the teardown).
struct ReleaseOnExit {
    std::shared_ptr<QSemaphore> semaphore;
    ~ReleaseOnExit() { semaphore->release(); }
};

void closeMessageBoxes() {
    for (QWidget* w : QApplication::topLevelWidgets()) {
        if (auto* box = qobject_cast<QMessageBox*>(w)) box->close();
        for (QMessageBox* box : w->findChildren<QMessageBox*>()) box->close();
    }
}

QStringList entriesOf(const QString& dir) {
    return QDir(dir).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System);
}

} // namespace

class TestAppFaults : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    std::unique_ptr<Settings> settings_;
    std::unique_ptr<MainWindow> window_;

    // A private copy of the random sample model, to damage.
    QString copyModel(const QString& name) {
        const QString to = dir_.filePath(name);
        if (!QDir().mkpath(to)) return {};
        for (const QString& file : QDir(kRandom).entryList(QDir::Files))
            if (!QFile::copy(kRandom + QLatin1Char('/') + file, to + QLatin1Char('/') + file)) return {};
        return to;
    }

    RunSnapshot waitForRun(const std::function<void()>& action) {
        QSignalSpy shown(window_.get(), &MainWindow::snapshotShown);
        action();
        if (!shown.wait(kWaitMs)) return {};
        return shown.last().at(0).value<RunSnapshot>();
    }

    // The message the window shows for `action` (empty when none within the wait).
    QString problemOf(const std::function<void()>& action) {
        QSignalSpy problems(window_.get(), &MainWindow::problemShown);
        action();
        if (problems.isEmpty() && !problems.wait(kWaitMs)) return {};
        closeMessageBoxes();
        return problems.last().at(0).toString();
    }

    // Types `text` into the text box and presses Enter, as a user does.
    void typeAndEnter(const QString& text) {
        auto* edit = window_->findChild<QLineEdit*>(QStringLiteral("textInput"));
        QVERIFY(edit);
        edit->selectAll();
        QTest::keyClicks(edit, text);
        QTest::keyClick(edit, Qt::Key_Return);
    }

    QLabel* modelNotice() const { return window_->findChild<QLabel*>(QStringLiteral("modelNotice")); }

    // Exports `view` to `path` through File > Export figure's dialog; returns the message shown (empty if none).
    QString exportThroughDialog(TraceView* view, const QString& path) {
        bool accepted = false;
        QTimer::singleShot(0, window_.get(), [&] {
            auto* dialog = window_->findChild<ExportDialog*>();
            auto* field = dialog ? dialog->findChild<QLineEdit*>(QStringLiteral("exportPath")) : nullptr;
            if (!field) return;
            field->setText(path);
            accepted = true;
            dialog->accept();
        });
        QSignalSpy problems(window_.get(), &MainWindow::problemShown);
        emit view->exportRequested(view);   // runs the dialog and the export before it returns
        closeMessageBoxes();
        if (!accepted) return QStringLiteral("the export dialog did not open");
        return problems.isEmpty() ? QString() : problems.last().at(0).toString();
    }

private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        // The start-up mark (QSettings' default file) stays in this folder, not in the user's configuration.
        QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, dir_.filePath(QStringLiteral("config")));
        QCoreApplication::setOrganizationName(QStringLiteral("headlight-test-faults"));
        // Folders below must be reachable for another user (the read-only folder case, as root).
        QFile::setPermissions(dir_.path(), QFile::permissions(dir_.path()) | QFile::ExeOther | QFile::ReadOther);
        settings_ = std::make_unique<Settings>(dir_.filePath(QStringLiteral("settings.ini")));
        window_ = std::make_unique<MainWindow>(*settings_);
        window_->resize(1400, 900);
        window_->show();
        QVERIFY(waitForRun([&] { window_->openModel(kRandom); }).valid());
    }

    // 1a. The folder goes away while open: the model in memory keeps running, the window names the file that
    // went, and opening the folder again says it is gone while the model on screen stays.
    void aRemovedModelFolderIsNamedAndTheLoadedModelKeepsRunning() {
        const QString dir = copyModel(QStringLiteral("removed"));
        QVERIFY(!dir.isEmpty());
        const RunSnapshot opened = waitForRun([&] { window_->openModel(dir, QStringLiteral("abcab")); });
        QVERIFY(opened.valid());
        QVERIFY(!modelNotice()->isVisible());
        QVERIFY(QDir(dir).removeRecursively());

        QSignalSpy problems(window_.get(), &MainWindow::problemShown);
        const RunSnapshot typed = waitForRun([&] { typeAndEnter(QStringLiteral("bacab")); });
        QCOMPARE(typed.text, QStringLiteral("bacab"));
        QCOMPARE(typed.model.get(), opened.model.get());   // the loaded copy, not a reload
        QVERIFY(!problems.isEmpty());
        const QString message = problems.last().at(0).toString();
        QVERIFY2(message.startsWith(dir + QStringLiteral("/config.json: removed since the model was loaded")), qPrintable(message));
        QVERIFY(!message.contains(QLatin1Char('\n')));
        QVERIFY(modelNotice()->isVisible());
        QCOMPARE(modelNotice()->text(), message);

        const QString reopen = problemOf([&] { window_->openModel(dir); });
        QVERIFY2(reopen.startsWith(dir + QStringLiteral(": model folder not found")), qPrintable(reopen));
        QCOMPARE(window_->snapshot().model.get(), opened.model.get());
        const RunSnapshot again = waitForRun([&] { typeAndEnter(QStringLiteral("cab")); });
        QCOMPARE(again.model.get(), opened.model.get());

        // Another model: the notice goes with the old one.
        QCOMPARE(waitForRun([&] { window_->openModel(kRandom); }).model->dir, kRandom);
        QVERIFY(!modelNotice()->isVisible());
    }

    // 1b. model.safetensors truncated or overwritten in place while the model is open. The weights used to be
    // a mapping of the file: the next forward pass died of SIGBUS (truncated) or ran on the new bytes
    // (overwritten). They are the model's own memory now: the same logits, bit for bit.
    void weightsRewrittenInPlaceKeepTheLoadedCopy_data() {
        QTest::addColumn<bool>("truncate");
        QTest::newRow("truncated to 100 bytes") << true;
        QTest::newRow("overwritten, same size") << false;
    }
    void weightsRewrittenInPlaceKeepTheLoadedCopy() {
        QFETCH(bool, truncate);
        const QString dir = copyModel(QStringLiteral("in-place-%1").arg(truncate));
        QVERIFY(!dir.isEmpty());
        const QString weights = dir + QStringLiteral("/model.safetensors");
        const RunSnapshot before = waitForRun([&] { window_->openModel(dir, QStringLiteral("abcabd")); });
        QVERIFY(before.valid());
        {
            QFile f(weights);   // the same file (inode), as `truncate -s 100` or `cp` onto it does
            QVERIFY(f.open(QIODevice::ReadWrite));
            if (truncate) {
                QVERIFY(f.resize(100));
            } else {
                QVERIFY(f.seek(8));
                QCOMPARE(f.write(QByteArray(int(f.size()) - 8, '\xff')), f.size() - 8);   // NaN bits, header gone
            }
        }
        // A different text first, so that the next run computes again rather than reusing the last one.
        const RunSnapshot other = waitForRun([&] { typeAndEnter(QStringLiteral("dcba")); });
        QCOMPARE(other.model.get(), before.model.get());
        QSignalSpy problems(window_.get(), &MainWindow::problemShown);
        const RunSnapshot after = waitForRun([&] { typeAndEnter(QStringLiteral("abcabd")); });
        QCOMPARE(after.model.get(), before.model.get());
        QVERIFY(after.trace != before.trace);
        QCOMPARE(test::bitDiff(after.trace->logits, before.trace->logits), QString());
        QVERIFY(!problems.isEmpty());
        const QString notice = problems.last().at(0).toString();
        QVERIFY2(notice.startsWith(weights + QStringLiteral(": changed on disk since the model was loaded")), qPrintable(notice));

        // Opening it again reloads it, which fails naming the file; the model on screen stays and runs.
        const QString reopen = problemOf([&] { window_->openModel(dir); });
        QVERIFY2(reopen.startsWith(weights + QStringLiteral(": ")), qPrintable(reopen));
        QCOMPARE(window_->snapshot().model.get(), before.model.get());
        QCOMPARE(waitForRun([&] { typeAndEnter(QStringLiteral("bb")); }).model.get(), before.model.get());
    }

    // 1c. config.json replaced with garbage while open: runs go on (with the notice); opening it again or
    // changing the device reloads, which fails with a message, and the previous model stays on its device.
    void aConfigReplacedWithGarbageKeepsThePreviousModel() {
        const QString dir = copyModel(QStringLiteral("garbage-config"));
        QVERIFY(!dir.isEmpty());
        const QString config = dir + QStringLiteral("/config.json");
        const RunSnapshot before = waitForRun([&] { window_->openModel(dir, QStringLiteral("abc")); });
        QVERIFY(before.valid());
        QVERIFY(QFile::remove(config));
        test::writeFile(config, QByteArrayLiteral("{\"n_layer\": 2, garbage"));

        QSignalSpy problems(window_.get(), &MainWindow::problemShown);
        QCOMPARE(waitForRun([&] { typeAndEnter(QStringLiteral("abd")); }).model.get(), before.model.get());
        QVERIFY(!problems.isEmpty());
        QVERIFY2(problems.last().at(0).toString().startsWith(config + QStringLiteral(": changed on disk")),
                 qPrintable(problems.last().at(0).toString()));

        const QString reopen = problemOf([&] { window_->openModel(dir); });
        QVERIFY2(reopen.startsWith(config + QStringLiteral(": not valid JSON")), qPrintable(reopen));
        QCOMPARE(window_->snapshot().model.get(), before.model.get());

        // A device change loads the model anew. It fails (the config; on a machine without CUDA, the device):
        // a message, the model stays, and so does its device, so that the next run does not fail again.
        auto* devices = window_->findChild<QComboBox*>(QStringLiteral("deviceSelector"));
        QVERIFY(devices);
        const QString device = devices->currentText();
        window_->inputBar()->setDevices({device, QStringLiteral("cuda:7")}, device);
        const QString changed = problemOf([&] { devices->setCurrentText(QStringLiteral("cuda:7")); });
        QVERIFY2(!changed.isEmpty() && !changed.contains(QLatin1Char('\n')), qPrintable(changed));
        QCOMPARE(window_->snapshot().model.get(), before.model.get());
        QCOMPARE(devices->currentText(), device);
        QCOMPARE(settings_->device(), device);
        const RunSnapshot still = waitForRun([&] { typeAndEnter(QStringLiteral("cab")); });
        QCOMPARE(still.model.get(), before.model.get());
        QCOMPARE(still.loadMs, 0.0);
    }

    // 2. Whatever work throws reaches the GUI thread as one line: headlight::Error as written, std::bad_alloc
    // as "out of memory", a LibTorch-style message cut to its first line, anything else as a fixed sentence.
    void everyExceptionFromTheWorkerBecomesOneLine_data() {
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("expected");
        QTest::newRow("headlight::Error") << 0 << "model/config.json: n_head must divide n_embd";
        QTest::newRow("std::bad_alloc") << 1 << "out of memory";
        QTest::newRow("std::runtime_error, many lines") << 2 << "Expected size 3 but got size 2";
        QTest::newRow("a control character") << 3 << "bad \\x1b[31m value";
        QTest::newRow("not a std::exception") << 4 << "The background task failed with an unknown error.";
        QTest::newRow("thrown by the result's receiver") << 5 << "cannot show: a view failed";
    }
    void everyExceptionFromTheWorkerBecomesOneLine() {
        QFETCH(int, kind);
        QFETCH(QString, expected);
        JobTracker tracker;
        QStringList failures;
        tracker.submit(
            QStringLiteral("throws"),
            [kind](JobContext&) -> QVariant {
                switch (kind) {
                case 0: throw Error("model/config.json", "n_head must divide n_embd");
                case 1: throw std::bad_alloc();
                case 2: throw std::runtime_error("Expected size 3 but got size 2\nException raised from check at x.cpp:1\nframe #0: ...");
                case 3: throw std::runtime_error("bad \x1b[31m value");
                case 4: throw 42;
                default: return 1;
                }
            },
            [](const QVariant&) { throw std::runtime_error("cannot show: a view failed"); },
            [&](const QString& message) { failures << message; });
        QTRY_COMPARE_WITH_TIMEOUT(failures.size(), 1, kWaitMs);
        QCOMPARE(failures.front(), expected);
        QVERIFY(!tracker.busy());
    }

    // 2, in the window: analyses that throw end in the Analysis panel and a message; the window goes on.
    void aFailingAnalysisIsAMessage() {
        QCOMPARE(waitForRun([&] { window_->openModel(kRandom, QStringLiteral("abc")); }).model->dir, kRandom);
        const QString missing = dir_.filePath(QStringLiteral("no-such-examples.txt"));
        AnalysisSpec spec;
        spec.kind = AnalysisKind::Importance;
        spec.source = AnalysisSource::File;
        spec.file = missing;
        QSignalSpy failed(window_->session(), &ModelSession::analysisFailed);
        const QString message = problemOf([&] { window_->workspace()->startAnalysis(spec); });
        QCOMPARE(failed.count(), 1);
        QVERIFY2(message.startsWith(missing + QStringLiteral(": ")), qPrintable(message));
        QVERIFY(!message.contains(QLatin1Char('\n')));
        QVERIFY(waitForRun([&] { typeAndEnter(QStringLiteral("abd")); }).valid());
    }

    // 3. A full disk under each format: the write fails, the message names the path, and nothing is left:
    // neither the file nor a temporary.
    void exportOntoAFullDiskLeavesNothing_data() {
        QTest::addColumn<QString>("suffix");
        for (const QString& suffix : exportSuffixes()) QTest::newRow(qPrintable(suffix)) << suffix;
    }
    void exportOntoAFullDiskLeavesNothing() {
        QFETCH(QString, suffix);
        QVERIFY(window_->snapshot().valid());
        QTemporaryDir out;
        const QString path = out.filePath(QStringLiteral("figure.") + suffix);
        QString message;
        {
            FileSizeLimit full(256);
            QVERIFY(full.ok());
            message = exportThroughDialog(window_->view(QStringLiteral("attention")), path);
        }
        QVERIFY2(message.startsWith(path + QStringLiteral(": cannot write")), qPrintable(message));
        QVERIFY2(entriesOf(out.path()).isEmpty(), qPrintable(entriesOf(out.path()).join(' ')));
        // The same export with room succeeds: the failure was the disk's.
        QCOMPARE(exportThroughDialog(window_->view(QStringLiteral("attention")), path), QString());
        QVERIFY(QFileInfo(path).size() > 256);
        QCOMPARE(entriesOf(out.path()), QStringList{QStringLiteral("figure.") + suffix});
    }

    void exportRunOntoAFullDiskLeavesNothing() {
        QTemporaryDir out;
        const QString path = out.filePath(QStringLiteral("run.h5"));
        QString error = QStringLiteral("pending");
        {
            FileSizeLimit full(1024);
            QVERIFY(full.ok());
            window_->exportRun(path, [&](const QString& e) { error = e; });
            QTRY_VERIFY_WITH_TIMEOUT(error != QLatin1String("pending"), kWaitMs);
        }
        QVERIFY2(error.startsWith(path + QStringLiteral(": cannot write")), qPrintable(error));
        QVERIFY2(entriesOf(out.path()).isEmpty(), qPrintable(entriesOf(out.path()).join(' ')));
    }

    // 3. Paths that cannot take a figure: refused before anything is written, the thing there left as it was.
    void exportIntoPlacesThatTakeNoFile_data() {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("expected");
        QTest::newRow("a folder") << "folder" << "cannot write: is a folder";
        QTest::newRow("a device") << "device" << "cannot write: is not a regular file (a device)";
        QTest::newRow("a FIFO") << "fifo" << "cannot write: is not a regular file (a FIFO)";
        QTest::newRow("a missing folder") << "missing" << "cannot write: folder";
        QTest::newRow("a read-only folder") << "read-only" << "cannot write";
    }
    void exportIntoPlacesThatTakeNoFile() {
        QFETCH(QString, kind);
        QFETCH(QString, expected);
        QTemporaryDir out;
        QFile::setPermissions(out.path(), QFile::permissions(out.path()) | QFile::ExeOther | QFile::ReadOther);
        QString path = out.filePath(QStringLiteral("figure.svg"));
        if (kind == QLatin1String("folder")) QVERIFY(QDir().mkdir(path));
        // A link to /dev/full: if the check ever failed, the rename would replace the link, never the device.
        if (kind == QLatin1String("device")) QVERIFY(QFile::link(QStringLiteral("/dev/full"), path));
        if (kind == QLatin1String("fifo")) QCOMPARE(::mkfifo(QFile::encodeName(path).constData(), 0600), 0);
        if (kind == QLatin1String("missing")) path = out.filePath(QStringLiteral("missing/figure.svg"));
        const QString locked = out.filePath(QStringLiteral("locked"));
        if (kind == QLatin1String("read-only")) {
            QVERIFY(QDir().mkdir(locked));
            QVERIFY(QFile::setPermissions(locked, QFile::ReadOwner | QFile::ExeOwner | QFile::ReadOther | QFile::ExeOther));
            path = locked + QStringLiteral("/figure.svg");
        }
        const QStringList entries = entriesOf(out.path());
        QString message;
        {
            std::optional<AsOtherUserWhenRoot> user;
            if (kind == QLatin1String("read-only")) user.emplace();
            message = exportThroughDialog(window_->view(QStringLiteral("attention")), path);
        }
        QVERIFY2(message.startsWith(path + QStringLiteral(": ") + expected), qPrintable(message));
        QCOMPARE(entriesOf(out.path()), entries);
        if (kind == QLatin1String("folder")) QVERIFY(QFileInfo(path).isDir());
        if (kind == QLatin1String("device")) QCOMPARE(QFileInfo(path).symLinkTarget(), QStringLiteral("/dev/full"));
        if (kind == QLatin1String("read-only")) QVERIFY(entriesOf(locked).isEmpty());
    }

    // 4. A 1 MB paste, then Enter. The GUI thread only hands the text on: with the worker held, the window
    // still processes events and nothing was computed; released, the run shows the text cut to the model's
    // maximum, with the notice.
    void aOneMegabytePasteRunsOnTheWorkerAndIsCut() {
        const RunSnapshot opened = waitForRun([&] { window_->openModel(kRandom, QStringLiteral("abc")); });
        QVERIFY(opened.valid());
        const int maxTokens = opened.model->config.nPositions;
        QString megabyte;
        megabyte.reserve(1 << 20);
        while (megabyte.size() < (1 << 20)) megabyte += QStringLiteral("the quick brown fox jumps over the lazy dog. ");
        megabyte.truncate(1 << 20);
        QApplication::clipboard()->setText(megabyte);

        auto hold = std::make_shared<QSemaphore>();
        window_->session()->jobs()->runOnWorker([hold] { hold->tryAcquire(1, kWaitMs); });
        ReleaseOnExit release{hold};
        QSignalSpy shown(window_.get(), &MainWindow::snapshotShown);
        auto* edit = window_->findChild<QLineEdit*>(QStringLiteral("textInput"));
        QVERIFY(edit);
        edit->setFocus();
        edit->selectAll();
        QTest::keySequence(edit, QKeySequence::Paste);
        // The box keeps its first 32767 characters and says that it dropped the rest of the paste.
        QCOMPARE(edit->text().size(), edit->maxLength());
        auto* pasteNotice = window_->findChild<QLabel*>(QStringLiteral("textProblem"));
        QVERIFY(pasteNotice && pasteNotice->isVisible());
        QVERIFY2(pasteNotice->text().contains(QString::number(edit->maxLength())), qPrintable(pasteNotice->text()));
        QTest::keyClick(edit, Qt::Key_Return);
        const int pasted = edit->text().size();
        QVERIFY2(pasted > maxTokens, qPrintable(QString::number(pasted)));
        QVERIFY(window_->session()->jobs()->busy());
        bool ticked = false;
        QTimer::singleShot(0, window_.get(), [&] { ticked = true; });
        QTRY_VERIFY_WITH_TIMEOUT(ticked, kWaitMs);   // the event loop runs while the run waits on the worker
        QCOMPARE(shown.count(), 0);                  // and nothing was computed on this thread

        hold->release();
        QVERIFY(shown.wait(kWaitMs));
        const RunSnapshot cut = shown.last().at(0).value<RunSnapshot>();
        QCOMPARE(cut.tokens(), maxTokens);
        QCOMPARE(cut.droppedTokens, 1 + pasted - maxTokens);   // '^' + one token per character
        QVERIFY(megabyte.startsWith(cut.text.mid(1)));
        auto* notice = window_->findChild<QLabel*>(QStringLiteral("textProblem"));
        QVERIFY(notice && notice->isVisible());
        QVERIFY2(notice->text().contains(QString::number(maxTokens)), qPrintable(notice->text()));
    }

    // 5. The last model, reopened at start, is broken now: the window opens, says why, and works.
    void aBadLastModelStillStartsTheApp() {
        const QString dir = copyModel(QStringLiteral("bad-last"));
        QVERIFY(!dir.isEmpty());
        test::writeFile(dir + QStringLiteral("/config.json"), QByteArrayLiteral("[1, 2"));
        Settings settings(dir_.filePath(QStringLiteral("start.ini")));
        settings.setLastModel(dir);
        MainWindow window(settings);
        window.show();
        QSignalSpy problems(&window, &MainWindow::problemShown);
        window.openInitialModel();
        QVERIFY(problems.wait(kWaitMs));
        QVERIFY2(problems.last().at(0).toString().startsWith(dir + QStringLiteral("/config.json: not valid JSON")),
                 qPrintable(problems.last().at(0).toString()));
        closeMessageBoxes();
        QVERIFY(window.isVisible());
        QVERIFY(!window.snapshot().valid());
        QVERIFY(!QSettings().contains(QStringLiteral("startup/reopening")));   // refused, so not a crash next time
        QSignalSpy shown(&window, &MainWindow::snapshotShown);
        window.openModel(kRandom);
        QVERIFY(shown.wait(kWaitMs));
    }

    // 5. A launch that died while reopening the last model: the next one starts on the default sample instead.
    void aLastModelThatKilledTheAppIsSkippedOnce() {
        const SampleModel sample = defaultSample();
        if (sample.dir.isEmpty()) QSKIP("no sample models found beside this build");
        const QString dir = copyModel(QStringLiteral("died"));
        Settings settings(dir_.filePath(QStringLiteral("died.ini")));
        settings.setLastModel(dir);
        QSettings().setValue(QStringLiteral("startup/reopening"), dir);
        MainWindow window(settings);
        QSignalSpy shown(&window, &MainWindow::snapshotShown);
        window.openInitialModel();
        QVERIFY(shown.wait(kWaitMs));
        QCOMPARE(shown.last().at(0).value<RunSnapshot>().model->dir, sample.dir);
        QVERIFY(!QSettings().contains(QStringLiteral("startup/reopening")));
    }

    void cleanupTestCase() {
        closeMessageBoxes();
        window_.reset();
    }
};

QTEST_MAIN(TestAppFaults)
#include "test_app_faults.moc"
