// The what-if panel: its text lines, KL bars, top-5 predictions and attention heatmaps against numbers written
// here by hand, the gate check, the preset buttons, the nothing-pruned state, clicks, export, and a real run of
// sample_models/induction-gates with its closed gates pruned.
#include "test_support.h"
#include "view_test_support.h"
#include "whatif_hand_runs.h"

#include "headlight/engine.h"
#include "headlight/what_if.h"
#include "panel_switch.h"
#include "views/pruning/whatif_controller.h"
#include "views/pruning/whatif_downstream.h"
#include "views/pruning/whatif_summary.h"
#include "views/pruning/whatif_view.h"

#include <QAbstractButton>
#include <QFileInfo>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QtTest>
#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <vector>

using namespace headlight;
using headlight::test::tinyConfig;
using headlight::test::values;
using headlight::test::barsOf;
using namespace headlight::test::whatif;


class TestViewsPruning : public QObject {
    Q_OBJECT
private slots:
    // BERT's runs carry no loss: the summary says so instead of printing nan.
    void summaryWithoutALoss() {
        RunComparison c;
        c.lossBefore = c.lossAfter = std::nan("");
        c.maxAbsLogitChange = 0.25;
        const QString text = lossSummaryText(c);
        QVERIFY2(text.startsWith(QStringLiteral("No loss to compare")) && !text.contains(QStringLiteral("nan")), qPrintable(text));
        QVERIFY(text.contains(QStringLiteral("0.25")));
        c.lossBefore = 1.0;
        c.lossAfter = 1.5;
        QVERIFY(lossSummaryText(c).startsWith(QStringLiteral("Loss 1.000 -> 1.500")));
    }

    void summaryLines_data();
    void summaryLines();
    void klBarsFollowTheSelection_data();
    void klBarsFollowTheSelection();
    void topPredictionsAtThePosition();
    void heatmapsAreBeforeAfterAndDifference();
    void gateCheckLine_data();
    void gateCheckLine();
    void presetsEmitTheSpinBoxValue();
    void nothingPrunedClearsThePlots();
    void clicksSelectPositions();
    void exportsEveryFormat();
    void inductionGatesClosedPruningChangesNothing();
    void headlineLeadsWithTheScoredLoss();
    void perHeadPanelPlotsCoreNumbers();
};

void TestViewsPruning::summaryLines_data() {
    QTest::addColumn<std::vector<float>>("mask");
    QTest::addColumn<double>("lossBefore");
    QTest::addColumn<double>("lossAfter");
    QTest::addColumn<double>("pplBefore");
    QTest::addColumn<double>("pplAfter");
    QTest::addColumn<QString>("pruned");
    QTest::addColumn<QString>("summary");
    QTest::newRow("worse") << std::vector<float>{1, 0, 1, 0} << 0.103 << 0.870 << 1.1085 << 2.3869
                           << "Pruned 2 of 4 heads: 0.1, 1.1" << "Loss 0.103 -> 0.870 (+0.767 nats)  Perplexity 1.11 -> 2.39";
    QTest::newRow("better") << std::vector<float>{0, 1, 1, 1} << 2.5 << 2.25 << 12.1825 << 9.4877
                            << "Pruned 1 of 4 heads: 0.0" << "Loss 2.500 -> 2.250 (-0.250 nats)  Perplexity 12.18 -> 9.49";
}

void TestViewsPruning::summaryLines() {
    QFETCH(std::vector<float>, mask);
    QFETCH(double, lossBefore);
    QFETCH(double, lossAfter);
    QFETCH(double, pplBefore);
    QFETCH(double, pplAfter);
    HeadSelection selection;
    WhatIfView view(&selection);
    view.setSnapshot(handSnapshot(false, mask, handComparison(lossBefore, lossAfter, pplBefore, pplAfter)));
    QVERIFY(view.unavailableReason().isEmpty());
    QTEST(view.prunedLabel()->text(), "pruned");
    QTEST(view.summaryLabel()->text(), "summary");
    QCOMPARE(view.id(), QStringLiteral("whatif"));
    QCOMPARE(view.title(), QStringLiteral("What if"));
}

void TestViewsPruning::klBarsFollowTheSelection_data() {
    QTest::addColumn<int>("selected");
    QTest::addColumn<int>("shown");
    QTest::newRow("none selected: the last token") << -1 << 3;
    QTest::newRow("first") << 0 << 0;
    QTest::newRow("middle") << 2 << 2;
    QTest::newRow("past the end: the last token") << 9 << 3;
}

void TestViewsPruning::klBarsFollowTheSelection() {
    QFETCH(int, selected);
    QFETCH(int, shown);
    HeadSelection selection;
    WhatIfView view(&selection);
    view.setSnapshot(handSnapshot(false));
    selection.setPosition(selected);   // a selection change alone redraws
    const auto bars = barsOf(view.controller()->klBars());   // by key
    QCOMPARE(int(bars.size()), kT);
    for (int i = 0; i < kT; ++i) {
        QVERIFY(bars.count(double(i)));
        QCOMPARE(bars.at(double(i)), double(kKl[size_t(i)]));
    }
    const auto highlight = barsOf(view.controller()->highlightBar());
    QCOMPARE(int(highlight.size()), 1);
    QCOMPARE(highlight.begin()->first, double(shown));
    QCOMPARE(highlight.begin()->second, double(kKl[size_t(shown)]));
    QCOMPARE(view.controller()->position(), shown);
    QVERIFY2(view.controller()->titles()[0].contains(QStringLiteral("position %1").arg(shown)),
             qPrintable(view.controller()->titles()[0]));
}

void TestViewsPruning::topPredictionsAtThePosition() {
    HeadSelection selection;
    selection.setPosition(1);
    WhatIfView view(&selection);
    view.setSnapshot(handSnapshot(false));
    WhatIfController* c = view.controller();
    // Position 1: before ids 1,2,3,4,0; after ids 3,1,2,4,0 (vocabulary a..e).
    QCOMPARE(c->topLabels(WhatIfSide::Before), (QStringList{"b", "c", "d", "e", "a"}));
    QCOMPARE(c->topLabels(WhatIfSide::After), (QStringList{"d", "b", "c", "e", "a"}));
    const std::vector<double> before = {0.5, 0.2, 0.15, 0.1, 0.05}, after = {0.4, 0.3, 0.12, 0.1, 0.08};
    const auto beforeBars = barsOf(c->topBars(WhatIfSide::Before)), afterBars = barsOf(c->topBars(WhatIfSide::After));
    QCOMPARE(int(beforeBars.size()), 5);
    QCOMPARE(int(afterBars.size()), 5);
    for (int r = 0; r < 5; ++r) {   // by rank
        QVERIFY(beforeBars.count(double(r)) && afterBars.count(double(r)));
        QVERIFY(std::abs(beforeBars.at(double(r)) - before[size_t(r)]) < 1e-6);
        QVERIFY(std::abs(afterBars.at(double(r)) - after[size_t(r)]) < 1e-6);
    }
    // The probabilities are written beside the bars.
    QStringList texts;
    for (int i = 0; i < view.plot()->itemCount(); ++i)
        if (auto* text = qobject_cast<QCPItemText*>(view.plot()->item(i))) texts << text->text();
    for (const char* value : {"0.500", "0.050", "0.400", "0.120"}) QVERIFY2(texts.contains(value), value);

    selection.setPosition(3);   // position 3: before ids 3,4,0,1,2
    QCOMPARE(c->topLabels(WhatIfSide::Before), (QStringList{"d", "e", "a", "b", "c"}));
    QVERIFY(c->titles()[1].contains(QStringLiteral("\u201cd\u201d")));
}

void TestViewsPruning::heatmapsAreBeforeAfterAndDifference() {
    HeadSelection selection;
    selection.setCurrent({1, 1});
    WhatIfView view(&selection);
    view.setSnapshot(handSnapshot(false));
    WhatIfController* c = view.controller();
    QVERIFY(c->headShown());
    double maxDiff = 0;
    for (int i = 0; i < kT; ++i)
        for (int j = 0; j < kT; ++j) {
            const double b = kBefore11[size_t(i * kT + j)], a = kAfter11[size_t(i * kT + j)];
            QVERIFY(std::abs(WhatIfController::cell(c->beforeMap(), j, i) - b) < 1e-6);
            QVERIFY(std::abs(WhatIfController::cell(c->afterMap(), j, i) - a) < 1e-6);
            QVERIFY(std::abs(WhatIfController::cell(c->differenceMap(), j, i) - (a - b)) < 1e-6);
            maxDiff = std::max(maxDiff, std::abs(a - b));
        }
    QVERIFY(std::abs(maxDiff - 0.4) < 1e-6);   // rows 1 and 2 moved 0.4 of their weight
    // Before and after share [0, max]; the difference is symmetric around 0.
    QCOMPARE(c->beforeMap()->dataRange().lower, 0.0);
    QVERIFY(std::abs(c->beforeMap()->dataRange().upper - 1.0) < 1e-9);
    QCOMPARE(c->afterMap()->dataRange(), c->beforeMap()->dataRange());
    QVERIFY(std::abs(c->differenceMap()->dataRange().upper - maxDiff) < 1e-6);
    QCOMPARE(c->differenceMap()->dataRange().lower, -c->differenceMap()->dataRange().upper);
    QVERIFY2(c->titles()[4].endsWith("(pruned)"), qPrintable(c->titles()[4]));   // head 1.1 is pruned

    selection.setCurrent({1, 0});   // not pruned, unchanged: the difference is all zeros
    QVERIFY2(!c->titles()[4].contains("pruned"), qPrintable(c->titles()[4]));
    for (int i = 0; i < kT; ++i)
        for (int j = 0; j < kT; ++j) {
            QVERIFY(std::abs(WhatIfController::cell(c->beforeMap(), j, i) - kUniform[size_t(i * kT + j)]) < 1e-6);
            QCOMPARE(WhatIfController::cell(c->differenceMap(), j, i), 0.0);
        }
    QCOMPARE(c->differenceMap()->dataRange().lower, -c->differenceMap()->dataRange().upper);

    // Laid out wide, the three matrices are equally wide (each colour scale in a column of its own); the first
    // key axis says what a key is where it has the room.
    view.resize(1400, 900);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.plot()->replot();
    view.plot()->replot();
    QVERIFY(!c->stacked());
    for (int m = 1; m < 3; ++m)
        QVERIFY2(std::abs(c->mapRect(m)->width() - c->mapRect(0)->width()) <= 1,
                 qPrintable(QString("%1 vs %2 px").arg(c->mapRect(m)->width()).arg(c->mapRect(0)->width())));
    QCOMPARE(c->mapRect(0)->axis(QCPAxis::atBottom)->label(), QStringLiteral("key (attended to)"));
}

void TestViewsPruning::gateCheckLine_data() {
    QTest::addColumn<bool>("gated");
    QTest::addColumn<std::vector<float>>("mask");
    QTest::addColumn<double>("maxChange");
    QTest::addColumn<int>("verdict");
    QTest::addColumn<QString>("text");
    QTest::newRow("only closed, unchanged") << true << std::vector<float>{0, 1, 0, 1} << 0.0
        << int(GateCheck::Verdict::Unchanged)
        << QStringLiteral("\u2713 Only closed gates are pruned: the logits did not change (max |\u0394 logit| = 0)");
    QTest::newRow("only closed, changed: a bug") << true << std::vector<float>{0, 1, 0, 1} << 0.02
        << int(GateCheck::Verdict::Changed) << QStringLiteral("\u2717 Only closed gates are pruned, yet the logits changed "
                                                             "(max |\u0394 logit| = 0.02).");
    QTest::newRow("an open head pruned") << true << std::vector<float>{0, 1, 1, 0} << 0.3
        << int(GateCheck::Verdict::OpenPruned) << QStringLiteral("1 of the 2 pruned heads has an open gate");
    QTest::newRow("two open heads pruned") << true << std::vector<float>{1, 0, 0, 0} << 0.3
        << int(GateCheck::Verdict::OpenPruned) << QStringLiteral("2 of the 3 pruned heads have open gates");
    QTest::newRow("no gates") << false << std::vector<float>{0, 1, 0, 1} << 0.0 << int(GateCheck::Verdict::NoGates)
                              << QString();
}

void TestViewsPruning::gateCheckLine() {
    QFETCH(bool, gated);
    QFETCH(std::vector<float>, mask);
    QFETCH(double, maxChange);
    QFETCH(int, verdict);
    QFETCH(QString, text);
    HeadSelection selection;
    WhatIfView view(&selection);
    view.setSnapshot(handSnapshot(gated, mask, handComparison(0.5, 0.5, 1.65, 1.65, maxChange)));
    QCOMPARE(int(view.gateCheck().verdict), verdict);
    QVERIFY2(view.gateCheck().text.startsWith(text), qPrintable(view.gateCheck().text));
    QCOMPARE(view.checkLabel()->isHidden(), text.isEmpty());
    if (!text.isEmpty()) QVERIFY(view.checkLabel()->text().contains(text.toHtmlEscaped()));
    const PlotStyle style = PlotStyle::fromPalette(view.palette());
    const bool good = verdict == int(GateCheck::Verdict::Unchanged), bad = verdict == int(GateCheck::Verdict::Changed);
    QCOMPARE(view.checkLabel()->text().contains(goodColor(style).name()), good);
    if (bad) QVERIFY(view.checkLabel()->text().contains(style.masked.name()));
    QCOMPARE(view.presetButton(WhatIfPreset::PruneClosedGates)->isEnabled(), gated);
}

void TestViewsPruning::presetsEmitTheSpinBoxValue() {
    HeadSelection selection;
    WhatIfView view(&selection);
    RunSnapshot s = handSnapshot(true);
    view.setSnapshot(s);
    QCOMPARE(view.countBox()->minimum(), 1);
    QCOMPARE(view.countBox()->maximum(), 4);   // L*H
    QVERIFY(view.presetButton(WhatIfPreset::PruneLeastImportant)->toolTip().contains("not been computed yet"));
    view.countBox()->setValue(3);
    QSignalSpy spy(&view, &WhatIfView::presetRequested);
    const WhatIfPreset presets[] = {WhatIfPreset::PruneClosedGates, WhatIfPreset::PruneLeastImportant,
                                    WhatIfPreset::KeepMostImportant, WhatIfPreset::RestoreAll};
    for (WhatIfPreset preset : presets) view.presetButton(preset)->click();
    QCOMPARE(spy.count(), 4);
    for (int i = 0; i < 4; ++i) {
        QCOMPARE(spy.at(i).at(0).value<WhatIfPreset>(), presets[i]);
        QCOMPARE(spy.at(i).at(1).toInt(), 3);
    }

    // Scores measured: the tooltips say where; a model without gates cannot prune closed gates.
    auto scores = std::make_shared<HeadScores>();
    scores->importance = values({2, 2}, {0.1f, 0.2f, 0.3f, 0.4f});
    scores->source = QStringLiteral("this text");
    s.scores = scores;
    view.setSnapshot(s);
    QVERIFY(view.presetButton(WhatIfPreset::KeepMostImportant)->toolTip().contains("measured on this text"));
    view.setSnapshot(handSnapshot(false));
    spy.clear();
    view.presetButton(WhatIfPreset::PruneClosedGates)->click();
    QCOMPARE(spy.count(), 0);
    QVERIFY(view.presetButton(WhatIfPreset::PruneClosedGates)->toolTip().contains("no head gates"));
}

void TestViewsPruning::nothingPrunedClearsThePlots() {
    HeadSelection selection;
    WhatIfView view(&selection);
    view.setSnapshot(handSnapshot(true));
    QVERIFY(!view.controller()->klBars()->data()->isEmpty());   // drawn first, so clearing has work to do
    RunSnapshot s = handSnapshot(true, {1, 1, 1, 1});
    s.baseline.reset();
    s.comparison.reset();
    view.setSnapshot(s);
    QVERIFY(view.unavailableReason().isEmpty());   // the presets stay usable
    QCOMPARE(view.prunedLabel()->text(), QStringLiteral("Nothing pruned"));
    QVERIFY(view.summaryLabel()->text().contains("Shift+click"));
    QVERIFY(view.summaryLabel()->text().contains("press Space"));
    QVERIFY(view.checkLabel()->isHidden());
    WhatIfController* c = view.controller();
    QVERIFY(c->cleared());
    QVERIFY(c->klBars()->data()->isEmpty());
    QVERIFY(c->highlightBar()->data()->isEmpty());
    QVERIFY(c->topBars(WhatIfSide::Before)->data()->isEmpty());
    QVERIFY(c->topBars(WhatIfSide::After)->data()->isEmpty());
    QVERIFY(c->topLabels(WhatIfSide::After).isEmpty());
    for (QCPColorMap* map : {c->beforeMap(), c->afterMap(), c->differenceMap()}) QCOMPARE(map->data()->keySize(), 0);
    QCOMPARE(view.plot()->itemCount(), 3);   // only the (hidden) row markers are left
    QVERIFY(view.presetButton(WhatIfPreset::PruneLeastImportant)->isEnabled());
    QVERIFY(view.presetButton(WhatIfPreset::PruneClosedGates)->isEnabled());
    QVERIFY(!view.presetButton(WhatIfPreset::RestoreAll)->isEnabled());
}

void TestViewsPruning::clicksSelectPositions() {
    HeadSelection selection;
    selection.setCurrent({1, 1});
    WhatIfView view(&selection);
    view.setSnapshot(handSnapshot(false));
    showView(view);
    WhatIfController* c = view.controller();
    QCPAxisRect* kl = c->klRect();
    const QPoint bar(qRound(kl->axis(QCPAxis::atBottom)->coordToPixel(1)), qRound(kl->axis(QCPAxis::atLeft)->coordToPixel(0.1)));
    QTest::mouseClick(view.plot(), Qt::LeftButton, {}, bar);
    QCOMPARE(selection.position(), 1);
    QCOMPARE(barsOf(c->highlightBar()).begin()->first, 1.0);
    QCPAxisRect* map = c->mapRect(2);
    const QPoint row(qRound(map->axis(QCPAxis::atBottom)->coordToPixel(0)), qRound(map->axis(QCPAxis::atLeft)->coordToPixel(2)));
    QTest::mouseClick(view.plot(), Qt::LeftButton, {}, row);
    QCOMPARE(selection.position(), 2);
}

void TestViewsPruning::exportsEveryFormat() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    HeadSelection selection;
    WhatIfView view(&selection);
    view.setSnapshot(handSnapshot(true, {0, 1, 0, 1}, handComparison(0.5, 0.5, 1.65, 1.65, 0.0)));
    verifyExports(view, dir.path());
    // The caption row exists only while exporting.
    QCOMPARE(view.plot()->plotLayout()->rowCount(), 2);
    // A single-column figure stacks KL over the top-10 lists and leaves the heatmaps to wider figures; a wide
    // one puts everything side by side. Each layout decides, as the figure and the screen do.
    WhatIfController* c = view.controller();
    view.plot()->toPixmap(320, 512);
    QVERIFY(c->stacked());
    QVERIFY(c->topRect(WhatIfSide::Before)->rect().top() > c->klRect()->rect().bottom());
    QVERIFY(c->klRect()->rect().width() > 200);
    for (int m = 0; m < 3; ++m) QVERIFY(!c->mapRect(m)->visible() && c->mapRect(m)->outerRect().height() <= 1);
    QVERIFY(!c->downstream()->rect()->visible() && c->downstream()->rect()->outerRect().height() <= 1);
    view.plot()->toPixmap(1200, 600);
    QVERIFY(!c->stacked());
    QVERIFY(c->topRect(WhatIfSide::Before)->rect().left() > c->klRect()->rect().right());
    for (int m = 0; m < 3; ++m) QVERIFY(c->mapRect(m)->visible() && c->mapRect(m)->rect().height() > 50);
    QVERIFY(c->mapRect(2)->rect().left() > c->mapRect(1)->rect().right());
    QCOMPARE(c->mapRect(2)->rect().top(), c->mapRect(0)->rect().top());
    // The per-head panel ends the upper row, after the top-10 lists; the heatmaps have the lower row to themselves.
    QVERIFY(c->downstream()->rect()->rect().bottom() < c->mapRect(0)->rect().top());
    QVERIFY(c->downstream()->rect()->rect().left() > c->topRect(WhatIfSide::After)->rect().right());
    QVERIFY(c->downstream()->rect()->visible());
}

void TestViewsPruning::inductionGatesClosedPruningChangesNothing() {
    const Engine engine = Engine::load(HEADLIGHT_SOURCE_DIR "/sample_models/induction-gates");
    RunRequest request;
    request.tokenIds = engine.encode("^abcabcabdabc");
    const Trace before = engine.run(request);
    const int L = engine.config().nLayer, H = engine.config().nHead;
    std::vector<float> gates;   // [L,H]
    for (int l = 0; l < L; ++l)
        for (int h = 0; h < H; ++h) gates.push_back((*before.layer(l))["gate"].data()[h]);
    request.headMask = closedGateMask(values({L, H}, gates));
    const int closed = prunedHeadCount(request.headMask);
    QVERIFY2(closed > 0 && closed < L * H, qPrintable(QString::number(closed)));   // the sample has closed gates
    const Trace after = engine.run(request);

    auto info = std::make_shared<ModelInfo>();
    info->config = engine.config();
    info->name = QStringLiteral("induction-gates");
    for (int64_t id = 0; id < engine.tokenizer()->vocabSize(); ++id) info->vocabulary.push_back(engine.tokenizer()->tokenText(id));
    RunSnapshot s;
    s.model = info;
    s.trace = std::make_shared<const Trace>(after);
    s.baseline = std::make_shared<const Trace>(before);
    s.comparison = std::make_shared<const RunComparison>(compareRuns(before, after));
    HeadSelection selection;
    WhatIfView view(&selection);
    view.setSnapshot(s);
    QCOMPARE(view.gateCheck().verdict, GateCheck::Verdict::Unchanged);
    QVERIFY2(view.checkLabel()->text().contains(QStringLiteral("\u2713")), qPrintable(view.checkLabel()->text()));
    QVERIFY(view.prunedLabel()->text().startsWith(QStringLiteral("Pruned %1 of %2 heads").arg(closed).arg(L * H)));
    const auto bars = barsOf(view.controller()->klBars());
    QCOMPARE(int(bars.size()), int(before.tokenIds.size()));
    for (const auto& bar : bars) QVERIFY(std::abs(bar.second) < 1e-6);   // nothing changed
    QVERIFY(view.controller()->topLabels(WhatIfSide::Before) == view.controller()->topLabels(WhatIfSide::After));
    QVERIFY(view.summaryLabel()->text().contains(QStringLiteral("(+0.000 nats)")));
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    verifyExports(view, dir.path());
}

// view.json scores the repeated half: the headline is the loss there first, the mean over all positions second,
// each line's numbers with the same decimals.
void TestViewsPruning::headlineLeadsWithTheScoredLoss() {
    RunSnapshot s = handSnapshot(false, {1, 0, 1, 0}, handComparison(3.0, 3.5, 20.0855, 33.1155));
    auto info = std::make_shared<ModelInfo>(*s.model);
    info->preset.scored = QStringLiteral("second_half");   // 3 predictions: the last one (index 2) scored
    info->preset.scoredLabel = QStringLiteral("the repeated half");
    s.model = info;
    Trace before = *s.baseline, after = *s.trace;
    before.loss = values({kT - 1}, {4.5f, 4.496f, 0.004f});
    after.loss = values({kT - 1}, {4.0f, 4.016f, 2.484f});
    s.baseline = std::make_shared<const Trace>(before);
    s.trace = std::make_shared<const Trace>(after);
    HeadSelection selection;
    WhatIfView view(&selection);
    view.setSnapshot(s);
    const QStringList lines = view.summaryLabel()->text().split(QLatin1Char('\n'));
    QCOMPARE(lines.size(), 2);
    QCOMPARE(lines[0], QStringLiteral("Loss on the repeated half: 0.004 -> 2.484 (+2.480 nats), 1 of 3 predictions scored"));
    QCOMPARE(lines[1], QStringLiteral("Mean over all 3 predictions: 3.000 -> 3.500 (+0.500 nats)  Perplexity 20.09 -> 33.12"));
    // A scored loss that would print 0.000 gets more decimals, and so do the other numbers of its line.
    before.loss = values({kT - 1}, {4.5f, 4.496f, 0.00012f});
    s.baseline = std::make_shared<const Trace>(before);
    view.setSnapshot(s);
    QVERIFY2(view.summaryLabel()->text().startsWith(QStringLiteral("Loss on the repeated half: 0.00012 -> 2.48400 (+2.48388 nats)")),
             qPrintable(view.summaryLabel()->text()));
    // A task that scores every prediction: one line, as before.
    info->preset.scored = QStringLiteral("all");
    view.setSnapshot(s);
    QCOMPARE(view.summaryLabel()->text(), QStringLiteral("Loss 3.000 -> 3.500 (+0.500 nats)  Perplexity 20.09 -> 33.12"));
}

// The per-head section plots core's RunComparison::attentionChange (0.25 for head 1.1, worked out by hand below),
// strikes the pruned heads through, names the most changed head, and a click on a head selects it.
void TestViewsPruning::perHeadPanelPlotsCoreNumbers() {
    HeadSelection selection;
    selection.setCurrent({0, 1});   // pruned, and its own attention did not move
    WhatIfView view(&selection);
    const RunSnapshot s = handSnapshot(false);
    view.setSnapshot(s);
    showView(view);
    const WhatIfDownstream* d = view.controller()->downstream();
    const FloatArray& change = s.comparison->attentionChange;
    QCOMPARE(change.shape(), (std::vector<int64_t>{2, 2}));
    for (int l = 0; l < 2; ++l)
        for (int h = 0; h < 2; ++h) QCOMPARE(d->value(l, h), double(change.at({l, h})));
    // Head 1.1's rows move 0, 0.4, 0.4 and 0.2 of their weight: mean 0.25. The uniform heads do not move.
    QVERIFY(std::abs(d->value(1, 1) - 0.25) < 1e-6);
    QCOMPARE(d->value(0, 0), 0.0);
    QCOMPARE(d->largest(), std::optional<HeadRef>(HeadRef{1, 1}));
    QCOMPARE(d->prunedMarks(), (QList<HeadRef>{{0, 1}, {1, 1}}));
    QCOMPARE(d->map()->dataRange(), QCPRange(0, double(change.at({1, 1}))));
    QVERIFY2(d->title().contains(QStringLiteral("most: L1 H1, 0.250")), qPrintable(d->title()));
    // The selected head is pruned and unchanged: its difference title points to the per-head section.
    QVERIFY2(view.controller()->titles()[5].contains(QStringLiteral("all 0: see later heads")), qPrintable(view.controller()->titles()[5]));
    QCOMPARE(view.controller()->titles().size(), 7);
    QCPAxisRect* rect = d->rect();
    const QPoint cell(qRound(rect->axis(QCPAxis::atBottom)->coordToPixel(1)), qRound(rect->axis(QCPAxis::atLeft)->coordToPixel(1)));
    QTest::mouseClick(view.plot(), Qt::LeftButton, {}, cell);
    QCOMPARE(selection.current(), (HeadRef{1, 1}));
    QVERIFY2(view.controller()->titles()[5].contains(QStringLiteral("0.400")), qPrintable(view.controller()->titles()[5]));
}

// A tiny probability's value sits clear of its bar, with no tick mark before it that reads as a minus sign.
// The preset rows fit the What if dock of a 1280 x 800 window (about 310 pixels wide) without cutting a button.
QTEST_MAIN(TestViewsPruning)
#include "test_views_pruning.moc"
