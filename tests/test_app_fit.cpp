// Analysis > Fit a mechanism in the window: the fit runs in its own window while the views stay live, the loss
// curve and the gates view follow every logged step (checked against the timeline the fit writes), Stop keeps a
// usable model, the fitted model opens, its closed heads prune the original in the What if view, the dialog
// offers only what the model lacks, and bad settings show as a message with nothing written.
#include "fit_dialog.h"
#include "fit_job.h"
#include "fit_window.h"
#include "main_window.h"
#include "pruning_curve_plot.h"
#include "settings.h"
#include "test_support.h"
#include "views/mechanisms/fit_view.h"
#include "views/mechanisms/gates_controller.h"
#include "views/mechanisms/gates_view.h"
#include "workspace.h"

#include "headlight/timeline.h"

#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>
#include <qcustomplot.h>

using namespace headlight;

class TestAppFit : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    QString base_;

    FitConfig gatesFit(int steps) const {
        FitConfig f;
        f.modelDir = base_.toStdString();
        f.mechanism = "head_gates";
        f.task = TaskParams::fromJson(R"({"name": "induction"})", "task");
        f.steps = steps;
        f.lambda = 1.0;
        f.logEvery = 5;
        return f;
    }

private slots:
    void initTestCase() {
        base_ = QString::fromStdString(test::withoutMechanism(test::sourcePath("sample_models/induction-gates"),
                                                              tmp_.filePath("induction-base").toStdString(), "head_gates", "gate_log_alpha"));
    }

    void watchGatesCloseThenPruneAndOpen() {
        Settings settings(tmp_.filePath("settings.ini"));
        MainWindow window(settings);
        window.resize(1280, 800);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QSignalSpy shown(&window, &MainWindow::snapshotShown);
        window.openModel(base_, QStringLiteral("^abcdabcd"));
        QVERIFY(shown.wait(30000));
        const QString out = tmp_.filePath("fitted");
        FitWindow* fw = window.startFit(gatesFit(300), out);
        QSignalSpy steps(fw->job(), &FitJob::stepLogged), finished(fw, &FitWindow::finished);
        QVERIFY(finished.wait(120000));
        QCOMPARE(finished.last().at(1).toBool(), false);
        QVERIFY(fw->statusLabel()->text().contains("heads kept"));
        if (qEnvironmentVariableIsSet("HEADLIGHT_SCREENSHOT_DIR"))   // to look at it
            fw->grab().save(qEnvironmentVariable("HEADLIGHT_SCREENSHOT_DIR") + "/fit-window.png");
        // Every logged step reached the view; the gates view shows the last one, which the timeline holds.
        const Timeline t = Timeline::read(out.toStdString() + "/timeline.h5");
        QCOMPARE(steps.size(), static_cast<int>(t.steps.size()) - 1);   // step 0 is logged before any report
        QCOMPARE(fw->view()->stepsShown(), steps.size());
        QCOMPARE(fw->view()->lossCurve()->dataCount(), steps.size());
        auto* gates = qobject_cast<GatesView*>(fw->view()->mechanismView());
        QVERIFY(gates && gates->unavailableReason().isEmpty());
        const FloatArray last = t.steps.back().heads.at("gate");
        QCPBars* bars = gates->controller()->gateBars();
        QCOMPARE(bars->data()->size(), 8);
        int closed = 0;
        for (auto it = bars->data()->constBegin(); it != bars->data()->constEnd(); ++it) {
            bool found = false;
            for (float g : last) found = found || std::fabs(g - it->value) < 1e-6;
            QVERIFY(found);
        }
        for (float g : last) closed += g == 0.0f;
        QVERIFY2(closed > 0, "lambda 1 closes heads");
        // Its closed heads pruned from the original: the What if run.
        QVERIFY(fw->pruneButton()->isEnabled());
        fw->pruneButton()->click();
        QTRY_VERIFY_WITH_TIMEOUT(window.snapshot().pruned(), 30000);
        int prunedHeads = 0;
        for (float m : window.headMask()) prunedHeads += m == 0.0f;
        QCOMPARE(prunedHeads, closed);
        // Open the fitted model: it has the gates.
        fw->openButton()->click();
        QTRY_VERIFY_WITH_TIMEOUT(window.snapshot().model->config.mechanism<HeadGatesConfig>(), 30000);
        QCOMPARE(window.workspace()->modelDir(), out);
    }

    void stopKeepsAUsableModel() {
        Settings settings(tmp_.filePath("settings2.ini"));
        MainWindow window(settings);
        const QString out = tmp_.filePath("stopped");
        FitWindow* fw = window.startFit(gatesFit(100000), out);
        QSignalSpy steps(fw->job(), &FitJob::stepLogged), finished(fw, &FitWindow::finished);
        QVERIFY(steps.wait(30000));
        fw->stopButton()->click();
        QVERIFY(finished.wait(60000));
        QCOMPARE(finished.last().at(1).toBool(), true);
        QVERIFY(fw->openButton()->isEnabled());
        QVERIFY(Engine::load(out.toStdString()).config().mechanisms.has("head_gates"));
    }

    // A list of lambdas is a sweep: each fit's steps shown in turn, then its curve beside pruning by importance.
    void sweepFromTheWindow() {
        Settings settings(tmp_.filePath("settings4.ini"));
        MainWindow window(settings);
        const QString out = tmp_.filePath("sweep");
        FitWindow* fw = window.startFit(gatesFit(30), out, {0.01, 3.0});
        QSignalSpy points(fw->job(), &FitJob::sweepPointStarted), finished(fw, &FitWindow::finished);
        QVERIFY(finished.wait(120000));
        QCOMPARE(points.size(), 2);
        QCOMPARE(points.last().at(1).toDouble(), 3.0);
        QVERIFY(fw->sweepPlot()->isVisible() || !fw->isVisible());
        QCPAxisRect* loss = fw->sweepPlot()->lossRect();
        QVERIFY(loss && loss->graphs().size() >= 2);
        QCOMPARE(loss->graphs().at(0)->dataCount(), 2);   // one point per lambda
        QCOMPARE(loss->graphs().at(1)->dataCount(), 9);   // 0..8 heads pruned
        QVERIFY(QFileInfo::exists(out + "/sweep.csv") && QFileInfo::exists(out + "/lambda-3/model.safetensors"));
        QVERIFY(fw->openButton()->isEnabled());
    }

    void badSettingsShowAsAMessage() {
        Settings settings(tmp_.filePath("settings3.ini"));
        MainWindow window(settings);
        const QString out = tmp_.filePath("refused");
        FitConfig f = gatesFit(10);
        f.lambda = -1;
        FitWindow* fw = window.startFit(f, out);
        QVERIFY(fw->statusLabel()->text().contains("--lambda"));
        QVERIFY(!fw->job()->running());
        QVERIFY(!QFileInfo::exists(out));
        // A text file that does not exist: the job fails, the window says so, nothing is written.
        FitConfig text = gatesFit(10);
        text.task.reset();
        text.textFile = tmp_.filePath("missing.txt").toStdString();
        text.context = 16;
        text.lambda = 0.1;
        QSignalSpy failed(fw, &FitWindow::failed);
        window.startFit(text, out);
        QVERIFY(failed.wait(30000));
        QVERIFY(fw->statusLabel()->text().contains("missing.txt"));
        QVERIFY(!QFileInfo::exists(out));
    }

    void dialogOffersWhatTheModelLacks() {
        const QString gates = QString::fromStdString(test::sourcePath("sample_models/induction-gates"));
        FitDialog withGates(gates, ModelConfig::fromFile(gates.toStdString() + "/config.json"));
        for (int i = 0; i < withGates.mechanismBox()->count(); ++i) QVERIFY(withGates.mechanismBox()->itemData(i).toString() != "head_gates");
        FitDialog dialog(base_, ModelConfig::fromFile(base_.toStdString() + "/config.json"));
        QCOMPARE(dialog.mechanismBox()->itemData(0).toString(), QString("head_gates"));
        QVERIFY(!dialog.taskChoice()->isEnabled());   // the stripped copy has no training record
        QVERIFY(dialog.textChoice()->isChecked());
        dialog.textFileEdit()->setText("/tmp/some.txt");
        dialog.lambdaEdit()->setText("0.2");
        const FitConfig f = dialog.config();
        QCOMPARE(f.textFile, std::string("/tmp/some.txt"));
        QCOMPARE(*f.lambda, 0.2);
        QCOMPARE(dialog.outDir(), base_ + "-head_gates");
        dialog.mechanismBox()->setCurrentIndex(1);
        QCOMPARE(dialog.config().mechanism, std::string("adaptive_span"));
        QCOMPARE(dialog.outDir(), base_ + "-adaptive_span");
    }
};

QTEST_MAIN(TestAppFit)
#include "test_app_fit.moc"
