// End to end: the main window opens a sample model, runs text, follows a head selection, exports every
// view, and keeps its state on bad input.
#include "head_selection.h"
#include "headlight/error.h"
#include "headlight/session.h"
#include "headlight/trace_hdf5.h"
#include "input_bar.h"
#include "main_window.h"
#include "model_session.h"
#include "settings.h"
#include "startup_selection.h"
#include "trace_view.h"
#include "view_registry.h"
#include "views/attention/overview_view.h"
#include "views/pruning/whatif_summary.h"
#include "workspace.h"

#include <QComboBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QXmlStreamReader>
#include <QtTest>

using namespace headlight;

namespace {

const QString kSamples = QStringLiteral(HEADLIGHT_SOURCE_DIR "/sample_models");
const QString kRandom = kSamples + QStringLiteral("/random-all-mechanisms");

QByteArray head(const QString& path, int n) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.read(n) : QByteArray();
}

void closeMessageBoxes(QWidget* window) {
    for (QMessageBox* box : window->findChildren<QMessageBox*>()) box->close();
}

} // namespace

class TestApp : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    std::unique_ptr<Settings> settings_;
    std::unique_ptr<MainWindow> window_;

    // File > Export run of the run on screen to `path`; the error it reported, empty when it wrote the file.
    QString exportRunTo(const QString& path) {
        QString error = QStringLiteral("pending");
        window_->exportRun(path, [&](const QString& e) { error = e; });
        if (!QTest::qWaitFor([&] { return error != QLatin1String("pending"); }, 10000)) return QStringLiteral("timed out");
        return error;
    }

    RunSnapshot waitForRun(const std::function<void()>& action) {
        QSignalSpy shown(window_.get(), &MainWindow::snapshotShown);
        action();
        if (!shown.wait(20000)) return {};
        return shown.last().at(0).value<RunSnapshot>();
    }

private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        settings_ = std::make_unique<Settings>(dir_.filePath(QStringLiteral("settings.ini")));
        window_ = std::make_unique<MainWindow>(*settings_);
        window_->resize(1400, 900);
        window_->show();
    }

    void opensOnASampleWithItsExample() {
        const RunSnapshot s = waitForRun([&] { window_->openModel(kRandom); });
        QVERIFY(s.valid());
        QCOMPARE(s.model->name, QStringLiteral("random-all-mechanisms"));
        QVERIFY(s.tokens() > 1);
        QCOMPARE(window_->inputBar()->text(), s.text);
        QCOMPARE(int(window_->views().size()), int(viewIds().size()) + 2);   // + the Analysis panel and the token list
        QVERIFY(window_->view(QStringLiteral("analysis")));
        for (TraceView* v : window_->views()) {
            QCOMPARE(v->snapshot().trace, s.trace);   // every view got this run
            // The lens and the attribution are computed when their views are shown (test_app_pruning): until then
            // they say so.
            if (v->id() == QLatin1String("lens") || v->id() == QLatin1String("attribution")) {
                QVERIFY2(v->unavailableReason().contains("on the worker"), qPrintable(v->unavailableReason()));
                continue;
            }
            QVERIFY2(v->unavailableReason().isEmpty(), qPrintable(v->id() + ": " + v->unavailableReason()));
        }
        QCOMPARE(settings_->lastModel(), s.model->dir);
        QVERIFY(settings_->recentModels().contains(s.model->dir));
    }

    void typingRunsTheNewText() {
        auto* edit = window_->findChild<QLineEdit*>(QStringLiteral("textInput"));
        QVERIFY(edit);
        const RunSnapshot s = waitForRun([&] {
            edit->selectAll();
            QTest::keyClicks(edit, QStringLiteral("heads at work"));   // debounced: one run after typing stops
        });
        QCOMPARE(s.text, QStringLiteral("heads at work"));
        QCOMPARE(s.tokens(), 14);   // '^' + 13 characters
    }

    void selectingAHeadReachesEveryView() {
        window_->selection()->setCurrent({1, 2});
        for (TraceView* v : window_->views()) QCOMPARE(v->selection()->current(), (HeadRef{1, 2}));
    }

    void theOverviewMetricIsRemembered() {
        auto* overview = qobject_cast<OverviewView*>(window_->view(QStringLiteral("overview")));
        QVERIFY(overview);
        auto* box = overview->findChild<QComboBox*>();
        QVERIFY(box);
        const int index = box->findData(QStringLiteral("max_weight"));
        QVERIFY(index >= 0);
        box->setCurrentIndex(index);
        emit box->activated(index);   // as a user's choice
        QCOMPARE(settings_->overviewMetric(), QStringLiteral("max_weight"));
        MainWindow second(*settings_);
        QCOMPARE(qobject_cast<OverviewView*>(second.view(QStringLiteral("overview")))->metric(), QStringLiteral("max_weight"));
    }

    void exportsEveryViewInEveryFormat() {
        QTemporaryDir out;
        for (TraceView* v : window_->views()) {
            for (const QString& suffix : exportSuffixes()) {
                const QString path = out.filePath(v->id() + QLatin1Char('.') + suffix);
                window_->exportView(v, path, ExportOptions{});
                QVERIFY2(QFileInfo(path).size() > 0, qPrintable(path));
                if (suffix == QLatin1String("pdf")) QCOMPARE(head(path, 4), QByteArray("%PDF"));
                if (suffix == QLatin1String("png")) QCOMPARE(head(path, 4), QByteArray("\x89PNG"));
                if (suffix == QLatin1String("svg")) {
                    QFile f(path);
                    QVERIFY(f.open(QIODevice::ReadOnly));
                    QXmlStreamReader xml(&f);
                    while (!xml.atEnd()) xml.readNext();
                    QVERIFY2(!xml.hasError(), qPrintable(path + ": " + xml.errorString()));
                }
            }
        }
    }

    void exportRunWritesATrace() {
        QTemporaryDir out;
        const QString path = out.filePath(QStringLiteral("run.h5"));
        const QString error = exportRunTo(path);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(head(path, 8), QByteArray("\x89HDF\r\n\x1a\n"));
    }

    void anUnwritableExportPathSaysSoAndWritesNothing() {
        const QString path = QStringLiteral("/nonexistent-dir/figure.png");
        try {
            window_->exportView(window_->views().front(), path, ExportOptions{});
            QFAIL("no error");
        } catch (const std::exception& e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains(path), e.what());
        }
        QVERIFY(!QFile::exists(path));
    }

    void aFolderThatIsNotAModelKeepsThePreviousModel() {
        const RunSnapshot before = window_->snapshot();
        QTemporaryDir empty;
        QSignalSpy problem(window_.get(), &MainWindow::problemShown);
        window_->openModel(empty.path(), QStringLiteral("abc"));
        QVERIFY(problem.wait(10000));
        QVERIFY2(problem.last().at(0).toString().contains(QStringLiteral("config.json")),
                 qPrintable(problem.last().at(0).toString()));
        QCOMPARE(window_->snapshot().trace, before.trace);
        closeMessageBoxes(window_.get());
        // The previous model still runs.
        const RunSnapshot s = waitForRun([&] { window_->runText(QStringLiteral("still here")); });
        QCOMPARE(s.model->dir, before.model->dir);
    }

    void charactersOutsideTheVocabularyAreReported() {
        const RunSnapshot before = window_->snapshot();
        QSignalSpy problem(window_.get(), &MainWindow::problemShown);
        window_->runText(QStringLiteral("snow \u2603"));
        QVERIFY(problem.wait(10000));
        QVERIFY2(problem.last().at(0).toString().contains(QStringLiteral("\u2603")), qPrintable(problem.last().at(0).toString()));
        QCOMPARE(window_->snapshot().trace, before.trace);
        auto* shown = window_->findChild<QLabel*>(QStringLiteral("textProblem"));
        QVERIFY(shown && shown->isVisible());
        closeMessageBoxes(window_.get());
    }

    // An encoder-decoder model: a target box under the source, Translate fills it with the model's own greedy
    // output and runs it, the views show the three kinds as rows, and a cross-attention head prunes like any other.
    void translationModelsTakeASourceAndATarget() {
        const QString model = QStringLiteral(HEADLIGHT_SOURCE_DIR "/tests/fixtures/seq2seq/marian-text");
        auto* target = window_->findChild<QLineEdit*>(QStringLiteral("targetInput"));
        auto* translate = window_->findChild<QPushButton*>(QStringLiteral("translateButton"));
        QVERIFY(target && translate);
        QVERIFY(!target->isVisible());   // a model of one stack (the sample) has none
        window_->setTarget(QStringLiteral("La maison."));
        const RunSnapshot s = waitForRun([&] { window_->openModel(model, QStringLiteral("The house is blue.")); });
        QVERIFY(s.valid() && s.encoderDecoder());
        QVERIFY(target->isVisible() && translate->isVisible());
        QCOMPARE(s.layers(), 6);   // E0 E1 D0 D1 X0 X1
        const Session session(model.toStdString());
        QCOMPARE(s.trace->sourceIds, session.engine().encode("The house is blue."));
        QCOMPARE(int(s.trace->tokenIds.size()), 1 + int(session.engine().encodeTarget("La maison.").size()));
        auto* count = window_->findChild<QLabel*>(QStringLiteral("tokenCount"));
        QCOMPARE(count->text(), QString::fromUtf8("%1 \u2192 %2 tokens").arg(s.sourceTokens()).arg(s.tokens()));
        for (const char* id : {"attention", "grid", "overview", "lines", "predictions"}) {
            TraceView* v = window_->view(QLatin1String(id));
            QVERIFY2(v && v->unavailableReason().isEmpty(), qPrintable(QLatin1String(id) + QStringLiteral(": ") + v->unavailableReason()));
        }
        QVERIFY(window_->view(QStringLiteral("lens"))->unavailableReason().contains("encoder-decoder"));

        QSignalSpy translated(window_->workspace(), &Workspace::translationShown);
        const RunSnapshot after = waitForRun([&] { translate->click(); });
        QCOMPARE(translated.size(), 1);
        const QString expected = QString::fromStdString(session.translate("The house is blue.", 64));
        QCOMPARE(target->text(), expected);
        QCOMPARE(after.target, expected);

        // Shift+click on X0 H1 (row 4): a what-if of the cross-attention head, against the unpruned run.
        const RunSnapshot pruned = waitForRun([&] { window_->workspace()->togglePruned(4, 1); });
        QVERIFY(pruned.pruned());
        QCOMPARE(pruned.trace->headMask.data()[4 * 4 + 1], 0.0f);
        QCOMPARE(prunedHeadsText(pruned), QStringLiteral("Pruned 1 of 24 heads: X0.1"));   // the What-if panel's line
        QVERIFY(window_->view(QStringLiteral("grid"))->snapshot().pruned());
        waitForRun([&] { window_->workspace()->togglePruned(4, 1); });
        // File > Export run writes the trace format's layout: the encoder's layers and each decoder layer's
        // cross-attention, as `headlight-cli run --target` writes them.
        QTemporaryDir out;
        const QString path = out.filePath(QStringLiteral("translation.h5"));
        const QString error = exportRunTo(path);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        const LoadedTrace loaded = readTraceHdf5(path.toStdString());
        const Trace& written = loaded.trace;
        QCOMPARE(loaded.provenance.at("target"), target->text().toStdString());
        QCOMPARE(int(written.encoderLayers.size()), 2);
        QCOMPARE(int(written.layers.size()), 2);
        QCOMPARE(written.sourceIds, pruned.trace->sourceIds);
        QVERIFY(written.layers[1].has(kCrossAttention));
        QCOMPARE(written.crossHeadMask.shape(), (std::vector<int64_t>{2, 4}));
        // Importance of the pair on screen: every head of the three kinds, the overview's importance rows.
        QSignalSpy analysed(window_->workspace(), &Workspace::analysisShown);
        QSignalSpy analysisFailed(window_->workspace(), &Workspace::analysisFailed);
        AnalysisSpec spec;
        spec.kind = AnalysisKind::Importance;
        spec.text = window_->workspace()->snapshot().text;   // as the Analysis panel fills them in
        spec.target = window_->workspace()->snapshot().target;
        window_->workspace()->startAnalysis(spec);
        QVERIFY2(analysed.wait(20000), analysisFailed.isEmpty() ? "no result" : qPrintable(analysisFailed.first().at(0).toString()));
        const auto result = analysed.last().at(0).value<AnalysisResult>();
        QCOMPARE(result.importance.shape(), (std::vector<int64_t>{6, 4}));
        QVERIFY(result.source.contains(QString::fromUtf8("translation: The house is blue. -> ")));
        spec.source = AnalysisSource::Task;   // no training task: one line saying what to measure on instead
        spec.modelDir = model;
        try {
            runAnalysis(session.engine(), spec, {});
            QFAIL("a translation model was measured on a task");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("SOURCE<tab>TARGET") != std::string::npos, e.what());
        }
        // --head and --prune of the app's command line name heads by kind too.
        HeadSelection picked;
        const RunSnapshot named = waitForRun([&] {
            StartupSelection{QStringLiteral("X1.2"), {}, {}, QStringLiteral("E0.1,D1.3")}.apply(window_->workspace()->snapshot(), picked,
                                                                                            *window_->workspace());
        });
        QCOMPARE(picked.current(), (HeadRef{5, 2}));
        QCOMPARE(named.trace->headMask.data()[0 * 4 + 1], 0.0f);
        QCOMPARE(named.trace->headMask.data()[3 * 4 + 3], 0.0f);
        window_->setTarget({});
        const RunSnapshot back = waitForRun([&] { window_->openModel(kRandom); });
        QVERIFY(back.valid() && !back.encoderDecoder());
        QVERIFY(!target->isVisible());
    }

    void cleanupTestCase() {
        window_->close();
        window_.reset();
    }
};

QTEST_MAIN(TestApp)
#include "test_app.moc"
