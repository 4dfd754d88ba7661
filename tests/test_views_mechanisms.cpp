// The four mechanism views together (gates, spans, selective attention, persistent memory): unavailable
// messages, a single token and out-of-range selections, export in every format, and the sample model.
#include "test_support.h"
#include "view_test_support.h"
#include "views/mechanisms/gates_controller.h"
#include "views/mechanisms/gates_view.h"
#include "views/mechanisms/memory_controller.h"
#include "views/mechanisms/memory_view.h"
#include "views/mechanisms/selective_controller.h"
#include "views/mechanisms/selective_view.h"
#include "views/mechanisms/spans_controller.h"
#include "views/mechanisms/spans_view.h"

#include <QTemporaryDir>
#include <QtTest>
#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

using namespace headlight;
using headlight::test::barsOf;
using headlight::test::cumsumRows;
using headlight::test::handS;
using headlight::test::layerTrace;
using headlight::test::snapshotOf;
using headlight::test::tinyConfig;
using headlight::test::tokensTrace;
using headlight::test::values;

class TestViewsMechanisms : public QObject {
    Q_OBJECT
private slots:
    void unavailableWithoutTheMechanism();
    void singleTokenAndOutOfRangeSelections();
    void exportsEveryFormat();
    void sampleModelEndToEnd();
};

void TestViewsMechanisms::unavailableWithoutTheMechanism() {
    Trace t = tokensTrace(3);
    t.layers.push_back(layerTrace(0, {0, 1}));
    const RunSnapshot plain = snapshotOf(tinyConfig({}, 1, 2), t);
    HeadSelection selection;
    GatesView gates(&selection);
    SpansView spans(&selection);
    SelectiveView selective(&selection);
    MemoryView memory(&selection);
    const std::pair<TraceView*, QString> expected[] = {
        {&gates, "This model has no head gates."},
        {&spans, "This model has no adaptive attention span."},
        {&selective, "This model has no selective attention."},
        {&memory, "This model has no persistent memory."}};
    for (auto [view, reason] : expected) {
        view->setSnapshot(plain);
        QCOMPARE(view->unavailableReason(), reason);
    }
    // With the mechanism but no captured layer, the views say which layers are missing.
    Trace none = tokensTrace(3);
    gates.setSnapshot(snapshotOf(tinyConfig({"gates"}, 2, 2), none));
    QVERIFY(gates.unavailableReason().startsWith("Layers 0 and 1 were not captured"));
    selective.setSnapshot(snapshotOf(tinyConfig({"selective"}, 1, 2), none));
    QVERIFY(selective.unavailableReason().startsWith("Layer 0 was not captured"));
}

void TestViewsMechanisms::singleTokenAndOutOfRangeSelections() {
    ModelConfig config = tinyConfig({"gates", "span", "selective", "memory"}, 2, 2);
    Trace t = tokensTrace(1);
    LayerTrace layer = layerTrace(1, {0, 1});   // layer 0 not captured
    layer["gate"] = values({2}, {1.0f, 0.0f});
    layer["gate_open_probability"] = values({2}, {0.9f, 0.1f});
    layer["span"] = values({2}, {0.0f, 6.0f});
    layer["selection"] = values({1, 1}, {0.0f});
    layer["selection_cumulative"] = values({1, 1}, {0.0f});
    layer["memory_attention"] = values({2, 1, 3}, {0.1f, 0.2f, 0.3f, 0.0f, 0.0f, 0.5f});
    t.layers.push_back(layer);
    const RunSnapshot run = snapshotOf(config, t);
    HeadSelection selection;
    selection.setCurrent({7, 9});   // beyond the model: the views clamp rather than crash
    selection.setPosition(12);
    GatesView gates(&selection);
    SpansView spans(&selection);
    SelectiveView selective(&selection);
    MemoryView memory(&selection);
    for (TraceView* view : std::initializer_list<TraceView*>{&gates, &spans, &selective, &memory}) {
        view->setSnapshot(run);
        QVERIFY2(view->unavailableReason().isEmpty(), qPrintable(view->id() + ": " + view->unavailableReason()));
    }
    QCOMPARE(selective.controller()->query(), 0);
    QVERIFY(selective.controller()->maskedKeys().empty());
    QCOMPARE(selective.notice(), QStringLiteral("Layer 0 was not captured in this run."));
    QCOMPARE(spans.controller()->maskLayer(), 1);
    QVERIFY(std::abs(memory.controller()->memoryShare(run, {1, 1}) - 0.5) < 1e-6);
    // The selected layer not captured: a message in its panel, the rest still drawn.
    selection.setCurrent({0, 0});
    QCOMPARE(spans.controller()->maskCurve(0), nullptr);
    QVERIFY(spans.controller()->spanBars(1) != nullptr);
    QVERIFY(selective.unavailableReason().isEmpty());
    QVERIFY(selective.controller()->maskCurves().empty());
}

void TestViewsMechanisms::exportsEveryFormat() {
    ModelConfig config = tinyConfig({"gates", "span", "selective", "memory"}, 2, 2);
    Trace t = tokensTrace(6);
    for (int l = 0; l < 2; ++l) {
        LayerTrace layer = layerTrace(l, {0, 1});
        layer["gate"] = values({2}, {1.0f, 0.0f});
        layer["gate_open_probability"] = values({2}, {0.9f, 0.1f});
        layer["span"] = values({2}, {2.0f, 6.0f});
        layer["selection"] = handS();
        layer["selection_cumulative"] = cumsumRows(layer["selection"]);
        layer["evicted_at"] = values({6}, {-1, 3, 5, 4, -1, -1});
        layer["memory_attention"] = test::constant({2, 6, 3}, 0.1f);
        t.layers.push_back(layer);
    }
    HeadSelection selection;
    GatesView gates(&selection);
    SpansView spans(&selection);
    SelectiveView selective(&selection);
    MemoryView memory(&selection);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    ExportOptions options;
    options.size = QSize(480, 360);
    options.dpi = 72;
    for (TraceView* view : std::initializer_list<TraceView*>{&gates, &spans, &selective, &memory}) {
        view->setSnapshot(snapshotOf(config, t));
        for (const QString suffix : {"png", "svg", "pdf"}) {
            const QString path = dir.filePath(view->id() + "." + suffix);
            view->exportFigure(path, options);
            const QString problem = test::exportProblem(path, suffix, 200);
            QVERIFY2(problem.isEmpty(), qPrintable(problem));
        }
    }
}

void TestViewsMechanisms::sampleModelEndToEnd() {
    const RunSnapshot run = test::sampleModelRun("the cat sat on the mat, then the cat ran.", {6, 0});
    const int T = run.tokens(), H = run.heads();
    HeadSelection selection;
    selection.setCurrent({1, 2});
    GatesView gates(&selection);
    SpansView spans(&selection);
    SelectiveView selective(&selection);
    MemoryView memory(&selection);
    for (TraceView* view : std::initializer_list<TraceView*>{&gates, &spans, &selective, &memory}) {
        view->setSnapshot(run);
        QVERIFY2(view->unavailableReason().isEmpty(), qPrintable(view->id()));
    }
    double expectedOpen = 0;
    for (const LayerTrace& layer : run.trace->layers)
        for (int h = 0; h < H; ++h) {
            QCOMPARE(barsOf(gates.controller()->gateBars()).at(layer.layer * (H + 1) + h), double(layer["gate"].data()[h]));
            expectedOpen += layer["gate_open_probability"].data()[h];
        }
    QVERIFY(std::abs(gates.controller()->expectedOpenTotal() - expectedOpen) < 1e-5);

    const LayerTrace* last = run.trace->layer(1);
    const double z = (*last)["span"].data()[2], R = run.model->config.mechanism<AdaptiveSpanConfig>()->ramp;
    for (double x : {0.0, z - 1, z + R / 2, z + R + 3})
        QVERIFY(std::abs(spans.controller()->maskAt(2, x) - std::clamp((R + z - x) / R, 0.0, 1.0)) < 1e-6);

    // Layer 1 (selected) has no budget; the arcs are exactly the positive F entries of the last row.
    std::vector<int> positive;
    for (int j = 0; j < T - 1; ++j)
        if ((*last)["selection_cumulative"].at({T - 1, j}) > 0) positive.push_back(j);
    std::vector<int> arcs;
    for (const MaskedKey& m : selective.controller()->maskedKeys()) arcs.push_back(m.key);
    QCOMPARE(arcs, positive);
    const LayerTrace* pruned = run.trace->layer(0);
    QCOMPARE(int(SelectiveController::keptAt(pruned, T, T - 1).size()), 6);   // the budget holds
    QCOMPARE(run.trace->contextBudget, (std::vector<int>{6, 0}));   // the run records its budgets

    // Context and memory share one softmax: the context bar equals the row sums of the context attention.
    for (const LayerTrace& layer : run.trace->layers)
        for (int h = 0; h < H; ++h) {
            double context = 0;
            for (int i = 0; i < T; ++i)
                for (int j = 0; j < T; ++j) context += layer.attention.at({h, i, j});
            QVERIFY(std::abs(barsOf(memory.controller()->contextBars()).at(layer.layer * (H + 1) + h) - context / T) < 1e-4);
        }
}

QTEST_MAIN(TestViewsMechanisms)
#include "test_views_mechanisms.moc"
