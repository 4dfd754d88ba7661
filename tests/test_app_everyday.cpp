// Everyday things: copying a cell, a row, the top-10 list and the tokens (the exact text on the clipboard),
// finding a token, --layer/--position, a model folder without tokenizer files run from typed token ids, and
// selective attention switched on zero-shot for a model trained without it.
#include "input_bar.h"
#include "main_window.h"
#include "settings.h"
#include "startup_selection.h"
#include "test_support.h"
#include "view_test_support.h"
#include "views/attention/attention_matrix_view.h"
#include "views/attention/predictions_view.h"
#include "views/attention/token_find.h"
#include "views/attention/token_list_view.h"
#include "workspace.h"

#include "headlight/error.h"
#include "headlight/mechanisms/selective_attention.h"

#include <QAction>
#include <QClipboard>
#include <QGuiApplication>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>
#include <qcustomplot.h>

#include <algorithm>

using namespace headlight;
using namespace headlight::test::hand;

namespace {

QString clipboard() { return QGuiApplication::clipboard()->text(); }

// The clipboard's tab-separated lines, each split into its fields (the text ends with a newline).
QList<QStringList> clipboardRows() {
    QList<QStringList> rows;
    const QString text = clipboard();
    if (!text.endsWith(QLatin1Char('\n'))) return rows;
    for (const QString& line : text.chopped(1).split(QLatin1Char('\n'))) rows << line.split(QLatin1Char('\t'));
    return rows;
}

// The hand run with the tokens "The", " cat", " the", " hat" (for find).
RunSnapshot catSnapshot() {
    Trace trace = handTrace();
    trace.tokens = {"The", " cat", " the", " hat"};
    return headlight::test::snapshotOf(handConfig(), trace);
}

QString errorOf(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

} // namespace

class TestAppEveryday : public QObject {
    Q_OBJECT
private slots:
    void copyMatrixCellAndRow();
    void copyMatrixWithCtrlC();
    void copyPredictionsList();
    void copyTokens();
    void findTokens_();
    void findBoxSelectsMatches();
    void layerAndPositionOptions();
    void badLayerOrPositionRefused();
    void appRefusesBadOptions();
    void tokenizerLessModelRunsTypedIds();
    void zeroShotSelectiveFromTheViewMenu();
};

void TestAppEveryday::copyMatrixCellAndRow() {
    HeadSelection selection;
    selection.setCurrent({1, 0});
    AttentionMatrixView view(&selection);
    view.setSnapshot(handSnapshot());
    const RunSnapshot& run = view.snapshot();
    view.copyCell({2, 1});
    QCOMPARE(clipboard(), QStringLiteral("heads\tquery\tquery token\tkey\tkey token\tweight\n"
                                         "1.0\t2\t%1\t1\t%2\t0.2\n").arg(run.tokenLabel(2), run.tokenLabel(1)));
    // The row of the selected query: every key, its token and the weight, exactly as stored (float32).
    selection.setPosition(3);
    view.copyRowAction()->trigger();
    QList<QStringList> rows = clipboardRows();
    QCOMPARE(rows.size(), T + 1);
    QCOMPARE(rows[0], (QStringList{"key", "key token", "weight (heads 1.0, query 3)"}));
    for (int key = 0; key < T; ++key) {
        QCOMPARE(rows[key + 1].value(0), QString::number(key));
        QCOMPARE(rows[key + 1].value(1), run.tokenLabel(key));
        QCOMPARE(rows[key + 1].value(2).toFloat(), cell(kHead10, 3, key));
    }
    // Row 0 of head 1.0 holds 0.3 above the diagonal: copied as the matrix shows it, 0 (a causal model).
    selection.setPosition(0);
    view.copyRow();
    rows = clipboardRows();
    QCOMPARE(rows.size(), T + 1);
    QCOMPARE(rows[1].value(2), QStringLiteral("1"));
    QCOMPARE(rows[4].value(2), QStringLiteral("0"));
}

void TestAppEveryday::copyMatrixWithCtrlC() {
    HeadSelection selection;
    selection.setCurrent({0, 1});
    AttentionMatrixView view(&selection);
    view.setSnapshot(handSnapshot());
    QVERIFY(headlight::test::showExposed(view, headlight::test::kAttentionViewSize));
    view.plot()->replot();
    // Hovering cell (3, 0) of head 0.1 (0.005): Copy value copies that cell.
    const QPointF at = view.controller()->cellCenter({3, 0});
    QMouseEvent move(QEvent::MouseMove, at, view.plot()->mapToGlobal(at), Qt::NoButton, Qt::NoButton, Qt::NoModifier);
    QCoreApplication::sendEvent(view.plot(), &move);
    QVERIFY(view.hoveredCell().has_value());
    QCOMPARE(view.hoveredCell()->query, 3);
    QCOMPARE(view.hoveredCell()->key, 0);
    view.copyValueAction()->trigger();
    QCOMPARE(clipboardRows().value(1).value(5), QStringLiteral("0.005"));
    QCOMPARE(clipboardRows().value(1).value(0), QStringLiteral("0.1"));
    // The mouse left the matrix: Ctrl+C copies the selected row.
    QEvent leave(QEvent::Leave);
    QCoreApplication::sendEvent(view.plot(), &leave);
    QVERIFY(!view.hoveredCell());
    selection.setPosition(2);
    view.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&view));
    view.plot()->setFocus();
    QGuiApplication::clipboard()->clear();
    QTest::keyClick(view.plot(), Qt::Key_C, Qt::ControlModifier);
    const QList<QStringList> rows = clipboardRows();
    QCOMPARE(rows.size(), T + 1);
    QCOMPARE(rows[0].value(2), QStringLiteral("weight (heads 0.1, query 2)"));
    for (int key = 0; key < T; ++key) QCOMPARE(rows[key + 1].value(2).toFloat(), cell(kHead01, 2, key));
}

void TestAppEveryday::copyPredictionsList() {
    HeadSelection selection;
    selection.setPosition(1);
    PredictionsView view(&selection);
    view.setSnapshot(handSnapshot());
    QVERIFY(view.unavailableReason().isEmpty());
    view.copyListAction()->trigger();
    const QList<QStringList> rows = clipboardRows();
    const QVector<Prediction> top = view.controller()->predictions();
    QVERIFY(!top.isEmpty());
    QCOMPARE(rows.size(), top.size() + 1);
    QCOMPARE(rows[0], (QStringList{"rank", "token", "id", "probability (after position 1)"}));
    for (int r = 0; r < top.size(); ++r) {
        const QStringList& row = rows[r + 1];
        QCOMPARE(row.value(0), QString::number(r + 1));
        QCOMPARE(row.value(1), view.snapshot().vocabLabel(top[r].id));
        QCOMPARE(row.value(2), QString::number(top[r].id));
        bool ok = false;
        QCOMPARE(row.value(3).toDouble(&ok), top[r].probability);   // reads back as the same double
        QVERIFY(ok);
        if (r > 0) QVERIFY(rows[r].value(3).toDouble() >= row.value(3).toDouble());
    }
}

void TestAppEveryday::copyTokens() {
    HeadSelection selection;
    TokenListView view(&selection);
    view.setSnapshot(catSnapshot());
    selection.setPosition(2);
    view.copyTokenAction()->trigger();
    const auto& ids = view.snapshot().trace->tokenIds;
    QCOMPARE(clipboard(), QStringLiteral("position\tid\ttoken\n2\t%1\t\u2423the\n").arg(ids[2]));
    view.copyAllAction()->trigger();
    const QList<QStringList> rows = clipboardRows();
    QCOMPARE(rows.size(), T + 1);
    const QStringList labels = {"The", "\u2423cat", "\u2423the", "\u2423hat"};
    for (int i = 0; i < T; ++i)
        QCOMPARE(rows[i + 1], (QStringList{QString::number(i), QString::number(ids[static_cast<size_t>(i)]), labels[i]}));
}

void TestAppEveryday::findTokens_() {
    const RunSnapshot run = catSnapshot();
    QCOMPARE(findTokens(run, "the"), (QList<int>{0, 2}));   // case ignored
    QCOMPARE(findTokens(run, " the"), (QList<int>{2}));     // the raw text's space
    QCOMPARE(findTokens(run, "\u2423the"), (QList<int>{2}));   // the label's visible space
    QCOMPARE(findTokens(run, "at"), (QList<int>{1, 3}));
    QVERIFY(findTokens(run, "dog").isEmpty());
    QVERIFY(findTokens(run, "").isEmpty());
    const QList<int> m = {1, 3};
    QCOMPARE(nextMatch(m, 0), 1);
    QCOMPARE(nextMatch(m, 1), 3);
    QCOMPARE(nextMatch(m, 3), 1);   // wraps
    QCOMPARE(nextMatch(m, 1, false), 3);
    QCOMPARE(nextMatch(m, 2, false), 1);
    QCOMPARE(nextMatch({}, 2), -1);
}

void TestAppEveryday::findBoxSelectsMatches() {
    HeadSelection selection;
    TokenListView view(&selection);
    view.setSnapshot(catSnapshot());
    QLineEdit* box = view.findBox();
    QTest::keyClicks(box, "THE");
    QCOMPARE(view.matches(), (QList<int>{0, 2}));
    QCOMPARE(view.findStatus(), QStringLiteral("2 matches"));   // the last token (shown when none is selected) is no match
    QVERIFY(view.list()->item(0)->background() != view.list()->item(1)->background());
    QCOMPARE(view.list()->item(2)->background(), view.list()->item(0)->background());
    QTest::keyClick(box, Qt::Key_Return);   // from the last token: wraps to the first match
    QCOMPARE(selection.position(), 0);
    QCOMPARE(view.findStatus(), QStringLiteral("1 of 2"));
    QTest::keyClick(box, Qt::Key_Return);
    QCOMPARE(selection.position(), 2);
    QCOMPARE(view.findStatus(), QStringLiteral("2 of 2"));
    QCOMPARE(view.findChild<QLabel*>("tokenFindStatus")->text(), QStringLiteral("2 of 2"));
    QTest::keyClick(box, Qt::Key_Return, Qt::ShiftModifier);   // back
    QCOMPARE(selection.position(), 0);
    QCOMPARE(view.list()->currentRow(), 0);                    // the list follows the selection
    box->clear();
    QTest::keyClicks(box, "dog");
    QCOMPARE(view.findStatus(), QStringLiteral("no match"));
    QVERIFY(!view.findNext());
    QCOMPARE(selection.position(), 0);
    QCOMPARE(view.list()->item(0)->background(), view.list()->item(1)->background());   // nothing highlighted
}

void TestAppEveryday::layerAndPositionOptions() {
    HeadSelection selection;
    Workspace workspace(&selection);
    const RunSnapshot run = handSnapshot();   // 2 layers x 2 heads, 4 tokens
    selection.setCurrent({0, 1});
    StartupSelection{{}, "1", "2", {}}.apply(run, selection, workspace);
    QCOMPARE(selection.current(), (HeadRef{1, 1}));   // the head number kept
    QCOMPARE(selection.position(), 2);
    StartupSelection{"1.0", "1", "0", {}}.apply(run, selection, workspace);
    QCOMPARE(selection.current(), (HeadRef{1, 0}));
    QCOMPARE(selection.position(), 0);
    StartupSelection{{}, {}, "3", {}}.apply(run, selection, workspace);
    QCOMPARE(selection.current(), (HeadRef{1, 0}));
    QCOMPARE(selection.position(), 3);
}

void TestAppEveryday::badLayerOrPositionRefused() {
    HeadSelection selection;
    Workspace workspace(&selection);
    const RunSnapshot run = handSnapshot();
    selection.setCurrent({0, 1});
    selection.setPosition(1);
    QCOMPARE(errorOf([&] { StartupSelection{{}, "2", {}, {}}.apply(run, selection, workspace); }),
             QStringLiteral("--layer: 2 is not a layer of this model (it has 2: 0..1)"));
    QCOMPARE(errorOf([&] { StartupSelection{{}, {}, "4", {}}.apply(run, selection, workspace); }),
             QStringLiteral("--position: 4 is not a token position of this text (it has 4: 0..3)"));
    QCOMPARE(errorOf([&] { StartupSelection{"0.1", "1", {}, {}}.apply(run, selection, workspace); }),
             QStringLiteral("--layer: 1 and --head 0.1 name different layers"));
    // A bad position leaves a good layer unapplied: nothing changes.
    QVERIFY(!errorOf([&] { StartupSelection{{}, "1", "9", {}}.apply(run, selection, workspace); }).isEmpty());
    QCOMPARE(selection.current(), (HeadRef{0, 1}));
    QCOMPARE(selection.position(), 1);
    QCOMPARE(errorOf([&] { StartupSelection{{}, "x", {}, {}}.checkSyntax(); }),
             QStringLiteral("--layer: \"x\" is not an index (a whole number, 0 or more)"));
    QVERIFY(errorOf([&] { StartupSelection{{}, {}, "-1", {}}.checkSyntax(); }).startsWith("--position: \"-1\""));
    QVERIFY(errorOf([&] { StartupSelection{{}, "1", "0", {}}.checkSyntax(); }).isEmpty());
}

void TestAppEveryday::appRefusesBadOptions() {
    // The app itself: a malformed --layer before any window (exit 2), an out-of-range one after the first run
    // (exit 1), each one line on stderr.
    QTemporaryDir home;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("QT_QPA_PLATFORM", "offscreen");
    env.insert("HOME", home.path());
    env.insert("XDG_CONFIG_HOME", home.filePath("config"));
    env.insert("XDG_RUNTIME_DIR", home.path());
    auto run = [&](const QStringList& args) {
        QProcess p;
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(HEADLIGHT_APP), args);
        if (!p.waitForFinished(60000)) p.kill();
        return std::make_pair(p.exitCode(), QString::fromUtf8(p.readAllStandardError()).trimmed());
    };
    const auto syntax = run({"--layer", "one"});
    QCOMPARE(syntax.first, 2);
    QCOMPARE(syntax.second, QStringLiteral("headlight: --layer: \"one\" is not an index (a whole number, 0 or more)"));
    const QString sample = QStringLiteral(HEADLIGHT_SOURCE_DIR "/sample_models/random-all-mechanisms");
    const auto range = run({sample, "--text", "abc", "--position", "40", "--screenshot", home.filePath("x.png")});
    QCOMPARE(range.first, 1);
    QVERIFY2(range.second.endsWith("--position: 40 is not a token position of this text (it has 4: 0..3)"), qPrintable(range.second));
    QVERIFY(!QFileInfo::exists(home.filePath("x.png")));
}

void TestAppEveryday::tokenizerLessModelRunsTypedIds() {
    QTemporaryDir dir;
    const std::string model = dir.filePath("notok").toStdString();
    const ModelConfig config = headlight::test::tinyConfig({}, 2, 2, 8, 11, 16);   // ids 0..10
    headlight::test::writeModel(model, config, headlight::test::randomWeights(config, 7));
    QVERIFY(QFile::remove(dir.filePath("notok/vocab.json")));

    Settings settings(dir.filePath("settings.ini"));
    MainWindow window(settings);
    window.show();
    auto waitForRun = [&](const std::function<void()>& action) {
        QSignalSpy shown(&window, &MainWindow::snapshotShown);
        action();
        return shown.wait(20000) ? shown.last().at(0).value<RunSnapshot>() : RunSnapshot{};
    };
    // Opened on a text written for other models: it opens on starting ids, and says so.
    RunSnapshot s = waitForRun([&] { window.openModel(dir.filePath("notok"), "Some text"); });
    QVERIFY(s.valid());
    QCOMPARE(s.trace->tokenIds, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
    InputBar* bar = window.inputBar();
    QCOMPARE(bar->text(), QStringLiteral("0 1 2 3 4 5 6 7"));
    QVERIFY(bar->tokenIdsOnly());
    QVERIFY2(bar->placeholder().contains("0..10"), qPrintable(bar->placeholder()));
    auto* problem = window.findChild<QLabel*>("textProblem");
    QVERIFY(problem && problem->isVisibleTo(&window) && problem->text().contains("no tokenizer files"));

    // Typed ids, with spaces or commas.
    auto* edit = window.findChild<QLineEdit*>("textInput");
    s = waitForRun([&] {
        edit->selectAll();
        QTest::keyClicks(edit, "3, 10 5");
    });
    QCOMPARE(s.trace->tokenIds, (std::vector<int64_t>{3, 10, 5}));
    QCOMPARE(s.text, QStringLiteral("3, 10 5"));

    // Head importance on the typed ids (the preset computes it first), then the pruned run of the same ids.
    QSignalSpy analysis(window.workspace(), &Workspace::analysisShown);
    s = waitForRun([&] { window.applyPreset(WhatIfPreset::PruneLeastImportant, 1); });
    QCOMPARE(analysis.size(), 1);
    QCOMPARE(analysis.first().at(0).value<AnalysisResult>().importance.size(), int64_t(4));   // 2 layers x 2 heads
    QVERIFY(s.pruned());
    QCOMPARE(s.trace->tokenIds, (std::vector<int64_t>{3, 10, 5}));

    // An id past vocab_size and a word: refused with the reason; the run on screen stays.
    for (const auto& [typed, expected] : {std::pair<QString, QString>{"3 11", "11 is out of range: this model's token ids are 0..10 (vocab_size 11)"},
                                          std::pair<QString, QString>{"3 x", "\"x\" is not a token id"}}) {
        QSignalSpy problems(&window, &MainWindow::problemShown);
        window.runText(typed);
        QVERIFY(problems.wait(20000));
        const QString message = problems.last().at(0).toString();
        QVERIFY2(message.contains(expected) && !message.contains("--ids"), qPrintable(message));
        QVERIFY2(problem->text().contains(expected), qPrintable(problem->text()));
        QCOMPARE(window.snapshot().trace->tokenIds, (std::vector<int64_t>{3, 10, 5}));
        for (QMessageBox* box : window.findChildren<QMessageBox*>()) box->close();
    }

    // Opened on ids that are not this model's: refused like typed ones (no starting ids in their place).
    MainWindow second(settings);
    QSignalSpy problems(&second, &MainWindow::problemShown);
    second.openModel(dir.filePath("notok"), "5 150");
    QVERIFY(problems.wait(20000));
    QVERIFY2(problems.last().at(0).toString().contains("150 is out of range"), qPrintable(problems.last().at(0).toString()));
    QVERIFY(!second.snapshot().valid());
    for (QMessageBox* box : second.findChildren<QMessageBox*>()) box->close();
}

// View > Selective attention, zero-shot: the model reloads with the current head selecting in every layer (its
// selective view comes up, the loss on its task rises), and back; refused where the model is trained with it.
void TestAppEveryday::zeroShotSelectiveFromTheViewMenu() {
    QTemporaryDir dir;
    Settings settings(dir.filePath("settings.ini"));
    MainWindow window(settings);
    window.resize(1280, 800);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    auto waitForRun = [&](const std::function<void()>& action) {
        QSignalSpy shown(&window, &MainWindow::snapshotShown);
        action();
        return shown.wait(30000) ? shown.last().at(0).value<RunSnapshot>() : RunSnapshot{};
    };
    const QString gates = QStringLiteral(HEADLIGHT_SOURCE_DIR "/sample_models/induction-gates");
    const RunSnapshot plain = waitForRun([&] { window.openModel(gates); });
    QVERIFY(plain.valid());
    QAction* zeroShot = window.zeroShotSelectiveAction();
    QVERIFY(zeroShot->isEnabled() && !zeroShot->isChecked());
    QVERIFY(!plain.model->config.mechanism<SelectiveAttentionConfig>());
    window.selection()->setCurrent({1, 1});
    const RunSnapshot selective = waitForRun([&] { zeroShot->trigger(); });
    QVERIFY(selective.valid());
    QVERIFY(selective.model->config.mechanism<SelectiveAttentionConfig>());
    QCOMPARE(selective.model->config.mechanism<SelectiveAttentionConfig>()->selectorHead, 1);
    QVERIFY(zeroShot->isChecked());
    QVERIFY(zeroShot->text().contains("head 1 selects"));
    QVERIFY(window.view(QStringLiteral("selective"))->unavailableReason().isEmpty());
    QCOMPARE(selective.model->zeroShotSelectorHead, 1);
    QVERIFY(window.view(QStringLiteral("selective"))->explanation().contains("Zero-shot"));   // not what it learned
    QVERIFY(selective.trace->meanLoss() > plain.trace->meanLoss() + 0.5);   // a model that never learned to use it
    const RunSnapshot back = waitForRun([&] { zeroShot->trigger(); });
    QVERIFY(!back.model->config.mechanism<SelectiveAttentionConfig>());
    QVERIFY(!zeroShot->isChecked());
    QCOMPARE(back.trace->meanLoss(), plain.trace->meanLoss());
    // A model trained with selective attention has it already: the switch stays off and disabled.
    const RunSnapshot trained = waitForRun([&] { window.openModel(QStringLiteral(HEADLIGHT_SOURCE_DIR "/sample_models/assign-selective")); });
    QVERIFY(trained.valid());
    QVERIFY(!zeroShot->isEnabled() && !zeroShot->isChecked());
    QCOMPARE(trained.model->zeroShotSelectorHead, -1);
    QVERIFY(!window.view(QStringLiteral("selective"))->explanation().contains("Zero-shot"));
}

QTEST_MAIN(TestAppEveryday)
#include "test_app_everyday.moc"
