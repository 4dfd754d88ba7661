// The attention matrix, token lines and predictions views on the hand-built trace of view_test_support, whose
// expected numbers are written out (softmaxes computed in the test); then all four attention views (overview
// included) on a single token, 2048 tokens, every export format, and one run of the bundled sample model.
#include "test_support.h"
#include "view_test_support.h"
#include "views/attention/attention_matrix_view.h"
#include "views/attention/head_grid_controller.h"
#include "views/attention/head_grid_view.h"
#include "views/attention/head_overview_model.h"
#include "views/attention/overview_controller.h"
#include "views/attention/overview_view.h"
#include "views/attention/predictions_view.h"
#include "views/attention/token_lines_canvas.h"
#include "views/attention/token_lines_view.h"
#include "views/attention/token_lines_window.h"
#include "views/attention/view_support.h"

#include <QComboBox>
#include <QImage>
#include <QTemporaryDir>
#include <QtTest>
#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <set>
#include <tuple>

using namespace headlight;
using namespace headlight::test::hand;
using headlight::test::showExposed;
using headlight::test::snapshotOf;
using headlight::test::values;

namespace {

void hoverCanvas(TokenLinesCanvas* canvas, QPointF pos) {
    QMouseEvent move(QEvent::MouseMove, pos, canvas->mapToGlobal(pos), Qt::NoButton, Qt::NoButton, Qt::NoModifier);
    QCoreApplication::sendEvent(canvas, &move);
}

using Line = std::tuple<int, int, int>;   // query, key, series
std::set<Line> lineSet(const QVector<TokenLine>& lines) {
    std::set<Line> out;
    for (const TokenLine& l : lines) out.insert({l.query, l.key, l.series});
    return out;
}

// One head over n tokens whose query i puts weight(i, j) on key j (only j <= i when causal).
RunSnapshot oneHeadRun(int n, bool causal, const std::function<float(int, int)>& weight) {
    std::vector<float> a(static_cast<size_t>(n) * n, 0.0f);
    for (int i = 0; i < n; ++i)
        for (int j = 0, last = causal ? i : n - 1; j <= last; ++j) a[size_t(i) * n + j] = weight(i, j);
    Trace t;
    for (int i = 0; i < n; ++i) {
        t.tokenIds.push_back(i % 11);
        t.tokens.push_back(std::string(1, char('a' + i % 11)));
    }
    t.loss = test::constant({n - 1}, 1.0f);
    t.logits = test::constant({n, 11}, 0.5f);
    LayerTrace l;
    l.heads = {0};
    l.attention = values({1, n, n}, a);
    t.layers = {l};
    ModelConfig c = test::tinyConfig({}, 1, 1, 8, 11, n);
    c.causal = causal;
    return snapshotOf(c, t);
}

std::unique_ptr<TraceView> makeView(const QString& id, HeadSelection* selection) {
    if (id == "overview") return std::make_unique<OverviewView>(selection);
    if (id == "attention") return std::make_unique<AttentionMatrixView>(selection);
    if (id == "lines") return std::make_unique<TokenLinesView>(selection);
    return std::make_unique<PredictionsView>(selection);
}

} // namespace

class TestViewsAttention : public QObject {
    Q_OBJECT
private slots:
    void matrixHeadMode();
    void matrixMeanModes();
    void matrixLogScale();
    void matrixTooltipAndClick();
    void matrixUnavailable();
    void tokenLinesHover();
    void tokenLinesSeveralHeads();
    void tokenLinesWindowStubsAndMarkers();
    void tokenLinesSayWhyNothingIsDrawn();
    void predictionsTopTenAndLoss();
    void predictionsPositionAndClick();
    void predictionsWithoutLogits();
    void singleTokenRun();
    void longRunStaysResponsive();
    void exportEachView_data();
    void exportEachView();
    void sampleModelEndToEnd();
    void encoderDecoderRows();
};

void TestViewsAttention::matrixHeadMode() {
    HeadSelection selection;
    selection.setCurrent({1, 0});
    AttentionMatrixView view(&selection);
    view.setSnapshot(handSnapshot());
    QVERIFY(view.unavailableReason().isEmpty());
    auto* c = view.controller();
    QCOMPARE(c->tokens(), T);
    for (int i = 0; i < T; ++i)
        for (int j = 0; j < T; ++j) {
            const double expected = j <= i ? cell(kHead10, i, j) : 0.0;   // the 0.3 above the diagonal reads as 0
            QCOMPARE(c->plotted(i, j), expected);
            QCOMPARE(c->weight(i, j), expected);
        }
    QCOMPARE(c->map()->dataRange().upper, 1.0);
}

void TestViewsAttention::matrixMeanModes() {
    HeadSelection selection;
    selection.setCurrent({0, 0});
    AttentionMatrixView view(&selection);
    view.setSnapshot(handSnapshot());
    view.setMode(MatrixMode::LayerMean);
    for (int i = 0; i < T; ++i)
        for (int j = 0; j <= i; ++j)
            QVERIFY(std::abs(view.controller()->plotted(i, j) - (cell(kHead00, i, j) + cell(kHead01, i, j)) / 2) < 1e-6);
    QCOMPARE(view.controller()->shownHeads().size(), 2);
    selection.toggle({1, 1});   // selected: 1.1 (current) and 0.0
    view.setMode(MatrixMode::SelectedMean);
    QVERIFY(std::abs(view.controller()->plotted(3, 2) - (cell(kHead11, 3, 2) + cell(kHead00, 3, 2)) / 2) < 1e-6);
    QVERIFY(std::abs(view.controller()->plotted(2, 1) - (0 + 0.25) / 2) < 1e-6);
    QVERIFY(view.controller()->subject().contains("2 selected heads"));
}

void TestViewsAttention::matrixLogScale() {
    HeadSelection selection;
    AttentionMatrixView view(&selection);
    view.setSnapshot(handSnapshot());
    view.setScale(MatrixScale::Log);
    auto* c = view.controller();
    QCOMPARE(c->map()->dataScaleType(), QCPAxis::stLogarithmic);
    QCOMPARE(c->colorScale()->dataScaleType(), QCPAxis::stLogarithmic);
    QCOMPARE(c->plotted(1, 1), double(0.5f));
    QCOMPARE(c->plotted(0, 3), AttentionMatrixController::kLogFloor);   // zero weights sit at the floor
    QCOMPARE(c->weight(0, 3), 0.0);
    QCOMPARE(c->map()->dataRange().lower, AttentionMatrixController::kLogFloor);
    view.setScale(MatrixScale::Linear);
    QCOMPARE(c->plotted(0, 3), 0.0);
    QCOMPARE(c->map()->dataScaleType(), QCPAxis::stLinear);
}

void TestViewsAttention::matrixTooltipAndClick() {
    HeadSelection selection;
    AttentionMatrixView view(&selection);
    view.setSnapshot(handSnapshot());
    const QString tip = view.controller()->toolTip(2, 1);
    QVERIFY2(tip.contains("query 2") && tip.contains("\u201cc\u201d") && tip.contains("key 1") &&
                 tip.contains("\u201cb\u201d") && tip.contains("weight 0.25"),
             qPrintable(tip));
    QVERIFY(view.controller()->toolTip(1, 3).contains("causal mask"));
    QVERIFY(view.controller()->toolTip(3, 3).contains("\u2423"));   // the space token made visible
    QVERIFY(view.controller()->toolTip(9, 0).isEmpty());
    QVERIFY(showExposed(view, test::kAttentionViewSize));
    view.plot()->replot();
    QTest::mouseClick(view.plot(), Qt::LeftButton, Qt::NoModifier, view.controller()->cellCenter({2, 1}).toPoint());
    QCOMPARE(selection.position(), 2);
}

void TestViewsAttention::matrixUnavailable() {
    HeadSelection selection;
    AttentionMatrixView view(&selection);
    Trace t = handTrace();
    t.layers.pop_back();   // layer 1 not captured
    view.setSnapshot(snapshotOf(handConfig(), t));
    selection.setCurrent({1, 0});
    QVERIFY(view.unavailableReason().contains("not captured"));
    selection.setCurrent({7, 9});   // a stale selection from a bigger model: shows the nearest head (1.1)
    QVERIFY(view.unavailableReason().contains("not captured"));
    selection.setCurrent({0, 9});
    QVERIFY(view.unavailableReason().isEmpty());
    QCOMPARE(view.controller()->shownHeads(), (QList<HeadRef>{{0, 1}}));
    t.layers.clear();
    view.setSnapshot(snapshotOf(handConfig(), t));
    QVERIFY(view.unavailableReason().contains("capture"));
    for (const QString& id : QStringList{"overview", "lines"}) {   // the same run in the other head views
        auto other = makeView(id, &selection);
        other->setSnapshot(snapshotOf(handConfig(), t));
        QVERIFY2(other->unavailableReason().contains("capture"), qPrintable(id));
    }
}

void TestViewsAttention::tokenLinesHover() {
    HeadSelection selection;
    selection.setCurrent({0, 1});
    TokenLinesView view(&selection);
    view.setSnapshot(handSnapshot());
    QVERIFY(showExposed(view, test::kAttentionViewSize));
    TokenLinesController* c = view.controller();
    // Every weight >= 0.01 of head 0.1 is a line; the two 0.005 weights are not.
    std::set<Line> expected;
    for (int i = 0; i < T; ++i)
        for (int j = 0; j <= i; ++j)
            if (cell(kHead01, i, j) >= 0.01f) expected.insert({i, j, 0});
    QCOMPARE(lineSet(c->lines()), expected);
    QCOMPARE(static_cast<int>(expected.size()), 8);

    TokenLinesCanvas* canvas = view.canvas();
    hoverCanvas(canvas, canvas->tokenAnchor({TokenSide::Query, 3}) - QPointF(10, 0));
    QVERIFY(c->hovered() && *c->hovered() == (TokenRef{TokenSide::Query, 3}));
    const QVector<TokenLine> lines = c->lines();
    QCOMPARE(lineSet(lines), (std::set<Line>{{3, 2, 0}, {3, 3, 0}}));
    for (const TokenLine& l : lines)
        QCOMPARE(TokenLinesController::opacity(l), double(cell(kHead01, 3, l.key)));   // .09 and .9

    hoverCanvas(canvas, canvas->tokenAnchor({TokenSide::Key, 1}) + QPointF(10, 0));
    QCOMPARE(lineSet(c->lines()), (std::set<Line>{{1, 1, 0}, {2, 1, 0}}));   // 0.1 and 0.8 into key 1
    hoverCanvas(canvas, QPointF(canvas->width() / 2.0, canvas->rowCenter(1)));   // between the columns
    QVERIFY(!c->hovered());
    QCOMPARE(static_cast<int>(c->lines().size()), 8);

    QTest::mouseClick(canvas, Qt::LeftButton, Qt::NoModifier,
                      (canvas->tokenAnchor({TokenSide::Query, 2}) - QPointF(10, 0)).toPoint());
    QCOMPARE(selection.position(), 2);
    QCOMPARE(c->position(), 2);

    // 25 tokens (induction-gates' example) fit a dock a third as tall as the view: every row, no scroll bar.
    Trace t25 = test::tokensTrace(25);
    std::vector<float> diagonal(25 * 25, 0.0f);
    for (int i = 0; i < 25; ++i) diagonal[size_t(i) * 25 + size_t(i)] = 1.0f;
    LayerTrace layer = test::layerTrace(0, {0, 1});
    std::vector<float> both = diagonal;
    both.insert(both.end(), diagonal.begin(), diagonal.end());
    layer.attention = values({2, 25, 25}, both);
    t25.layers = {layer};
    view.setSnapshot(snapshotOf(test::tinyConfig({}, 1, 2), t25));
    view.resize(400, 330);
    QCoreApplication::processEvents();
    QCOMPARE(canvas->rowCount(), 25);
    QCOMPARE(canvas->firstRow(), 0);
    QVERIFY(canvas->height() <= view.height());
    QVERIFY(canvas->rowCenter(24) < canvas->height());
}

void TestViewsAttention::tokenLinesSeveralHeads() {
    HeadSelection selection;
    selection.setCurrent({1, 1});
    selection.toggle({0, 0});   // heads(): 0.0 (current), 1.1
    TokenLinesView view(&selection);
    view.setSnapshot(handSnapshot());
    TokenLinesController* c = view.controller();
    QCOMPARE(c->heads(), (QList<HeadRef>{{0, 0}, {1, 1}}));
    c->setHovered(TokenRef{TokenSide::Query, 2});
    QCOMPARE(lineSet(c->lines()), (std::set<Line>{{2, 0, 0}, {2, 1, 0}, {2, 2, 0}, {2, 2, 1}}));
    QVERIFY(TokenLinesController::seriesColorOf(0) != TokenLinesController::seriesColorOf(1));
    selection.toggle({5, 5});   // out of the model: the nearest head (1.1) is already shown
    QCOMPARE(c->heads().size(), 2);
}

void TestViewsAttention::tokenLinesWindowStubsAndMarkers() {
    // 400 tokens, each query on the first token (0.6) and itself (0.4): a window far down the text sees every
    // query's line to token 0 leave by its top edge.
    const int n = 400;
    HeadSelection selection;
    selection.setPosition(300);
    TokenLinesView view(&selection);
    QVERIFY(showExposed(view, test::kAttentionViewSize));
    view.setSnapshot(oneHeadRun(n, true, [](int i, int j) { return i == 0 ? 1.0f : j == 0 ? 0.6f : j == i ? 0.4f : 0.0f; }));
    TokenLinesCanvas* canvas = view.canvas();
    const int first = canvas->firstRow(), rows = canvas->rowCount(), last = first + rows - 1;
    QVERIFY(canvas->windowed() && first > 0 && first <= 300 && 300 <= last);
    TokenLinesWindow w = canvas->window();
    // Drawn whole: only lines with both ends in view (the diagonal), none run to the window's edge.
    std::set<Line> diagonal;
    for (int i = first; i <= last; ++i) diagonal.insert({i, i, 0});
    QCOMPARE(lineSet(w.inside), diagonal);
    // Each query's line to token 0 is a stub pointing up, as opaque as its weight; the marker counts them all.
    QCOMPARE(w.stubs.size(), rows);
    for (const LineStub& stub : w.stubs) {
        QVERIFY(stub.token.side == TokenSide::Query && stub.token.index >= first && stub.token.index <= last);
        QVERIFY(stub.up);
        QCOMPARE(stub.count, 1);
        QCOMPARE(stub.opacity, double(0.6f));
    }
    QCOMPARE(w.above.count, rows);
    QCOMPARE(w.above.strongest.key, 0);
    QCOMPARE(w.above.strongest.weight, 0.6f);
    QCOMPARE(w.below.count, 0);
    QVERIFY2(canvas->markerText(true).contains(QString("%1 lines to tokens above").arg(rows)), qPrintable(canvas->markerText(true)));
    QVERIFY(canvas->markerText(true).contains("0.60"));
    QVERIFY(canvas->markerText(false).isEmpty());
    QVERIFY(canvas->notes().isEmpty());
    // The markers sit in bands of their own, outside the rows.
    QVERIFY(canvas->markerRect(true).bottom() <= canvas->rowCenter(first) - canvas->rowHeight() / 2 + 0.5);
    QVERIFY(canvas->markerRect(false).top() >= canvas->rowCenter(last) + canvas->rowHeight() / 2 - 0.5);
    QVERIFY(canvas->markerRect(false).bottom() <= canvas->height());
    view.grab();

    // Clicking the top marker turns the window a page up.
    QTest::mouseClick(canvas, Qt::LeftButton, Qt::NoModifier, canvas->markerRect(true).center().toPoint());
    QCOMPARE(canvas->firstRow(), std::max(0, first - (rows - 1)));

    // At the top token 0 is in view: its lines from queries below become one stub (their count, the strongest's
    // opacity) on the key side, and the lower marker counts them.
    canvas->scrollRows(-n);
    QCOMPARE(canvas->firstRow(), 0);
    w = canvas->window();
    QCOMPARE(w.stubs.size(), 1);
    QVERIFY(w.stubs[0].token == (TokenRef{TokenSide::Key, 0}) && !w.stubs[0].up);
    QCOMPARE(w.stubs[0].count, n - rows);
    QCOMPARE(w.stubs[0].opacity, double(0.6f));
    QCOMPARE(w.below.count, n - rows);
    QCOMPARE(w.above.count, 0);
    QCOMPARE(w.inside.size(), 2 * rows - 1);   // (0, 0) once, then a line to token 0 and one to itself a row
    view.grab();
}

void TestViewsAttention::tokenLinesSayWhyNothingIsDrawn() {
    // Bidirectional, 120 tokens, every weight 1/120 < 0.01: no line anywhere, and a note says why.
    HeadSelection selection;
    TokenLinesView view(&selection);
    QVERIFY(showExposed(view, QSize(720, 1000)));   // the whole text fits
    const int n = 120;
    view.setSnapshot(oneHeadRun(n, false, [](int, int) { return 1.0f / 120; }));
    TokenLinesCanvas* canvas = view.canvas();
    QVERIFY(view.unavailableReason().isEmpty());
    QVERIFY(!canvas->windowed());
    QVERIFY(view.controller()->allLines().isEmpty());
    QCOMPARE(canvas->notes(), QStringList{QString("No weight of layer 0, head 0 reaches 0.01: its attention is spread over "
                                                  "up to %1 keys (largest weight %2).").arg(n).arg(QString::number(1.0f / n, 'g', 2))});
    QVERIFY(canvas->notes().front().contains("0.0083"));
    view.grab();

    // Causal and uniform over 300 tokens: only the first 100 queries have lines, so a window at the end shows
    // none and names its tokens; at the top the lines are there and no note.
    selection.setPosition(299);
    view.resize(test::kAttentionViewSize);
    view.setSnapshot(oneHeadRun(300, true, [](int i, int) { return 1.0f / float(i + 1); }));
    QCoreApplication::processEvents();
    const int first = canvas->firstRow(), last = first + canvas->rowCount() - 1;
    QVERIFY(canvas->windowed() && first > 100);
    QVERIFY(canvas->window().inside.isEmpty() && canvas->window().stubs.isEmpty());
    const QStringList notes = canvas->notes();
    QCOMPARE(notes.size(), 1);
    QVERIFY2(notes.front().contains(QString("tokens %1\u2013%2 reaches 0.01").arg(first).arg(last)), qPrintable(notes.front()));
    QVERIFY(notes.front().contains(QString("up to %1 keys (largest weight %2)").arg(last + 1).arg(QString::number(1.0f / float(first + 1), 'g', 2))));
    view.grab();
    canvas->scrollRows(-300);
    QVERIFY(canvas->notes().isEmpty());
}

void TestViewsAttention::predictionsTopTenAndLoss() {
    HeadSelection selection;
    selection.setPosition(1);
    PredictionsView view(&selection);
    const RunSnapshot run = handSnapshot();
    view.setSnapshot(run);
    QVERIFY(view.unavailableReason().isEmpty());
    // Softmax of logits row 1, computed here, sorted by probability.
    std::vector<std::pair<double, int>> expected;
    double sum = 0;
    for (int v = 0; v < 11; ++v) sum += std::exp(double(run.trace->logits.at({1, v})));
    for (int v = 0; v < 11; ++v) expected.push_back({std::exp(double(run.trace->logits.at({1, v}))) / sum, v});
    std::sort(expected.begin(), expected.end(), [](auto a, auto b) { return a.first > b.first; });
    const QVector<Prediction> top = view.controller()->predictions();
    QCOMPARE(top.size(), 10);
    QCPBars* bars = view.controller()->bars();
    QCOMPARE(bars->data()->size(), 10);
    for (int r = 0; r < 10; ++r) {
        QCOMPARE(top[r].id, int64_t(expected[size_t(r)].second));
        QVERIFY(std::abs(top[r].probability - expected[size_t(r)].first) < 1e-9);
        QCOMPARE(top[r].label, run.vocabLabel(expected[size_t(r)].second));
        QCOMPARE(bars->data()->at(r)->key, double(r));
        QVERIFY(std::abs(bars->data()->at(r)->value - expected[size_t(r)].first) < 1e-9);
    }
    // The text continues with id 3 after position 1.
    double p3 = 0;
    for (auto [p, v] : expected) if (v == 3) p3 = p;
    QVERIFY(std::abs(view.controller()->actualProbability() - p3) < 1e-9);
    QCPGraph* loss = view.controller()->lossGraph();
    QCOMPARE(loss->data()->size(), T - 1);
    for (int i = 0; i < T - 1; ++i) {
        QCOMPARE(loss->data()->at(i)->key, double(i));
        QCOMPARE(loss->data()->at(i)->value, double(run.trace->loss.at({i})));
    }
}

void TestViewsAttention::predictionsPositionAndClick() {
    HeadSelection selection;
    PredictionsView view(&selection);
    view.setSnapshot(handSnapshot());
    QCOMPARE(view.controller()->position(), T - 1);   // none selected: the last token
    QCOMPARE(view.controller()->actualRank(), -1);    // nothing follows it
    selection.setPosition(99);
    QCOMPARE(view.controller()->position(), T - 1);
    QVERIFY(showExposed(view, test::kAttentionViewSize));
    view.plot()->replot();
    QTest::mouseClick(view.plot(), Qt::LeftButton, Qt::NoModifier, view.controller()->lossPoint(1).toPoint());
    QCOMPARE(selection.position(), 1);
    QCOMPARE(view.controller()->position(), 1);
    QVERIFY(view.controller()->lossToolTip(1).contains("loss 0.5"));
}

void TestViewsAttention::predictionsWithoutLogits() {
    HeadSelection selection;
    PredictionsView view(&selection);
    Trace t = handTrace();
    t.logits = FloatArray();
    view.setSnapshot(snapshotOf(handConfig(), t));
    QVERIFY(view.unavailableReason().contains("no logits"));
}

void TestViewsAttention::singleTokenRun() {
    Trace t;
    t.tokenIds = {2};
    t.tokens = {"b"};
    t.logits = values({1, 11}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
    t.loss = FloatArray({0}, std::vector<float>{});
    LayerTrace l;
    l.heads = {0, 1};
    l.attention = values({2, 1, 1}, {1, 1});
    t.layers = {l};
    const RunSnapshot run = snapshotOf(test::tinyConfig({}, 1, 2), t);
    HeadSelection selection;
    selection.setPosition(3);
    for (const QString& id : QStringList{"overview", "attention", "lines", "predictions"}) {
        auto view = makeView(id, &selection);
        view->setSnapshot(run);
        QVERIFY2(view->unavailableReason().isEmpty(), qPrintable(id + ": " + view->unavailableReason()));
    }
    AttentionMatrixView matrix(&selection);
    matrix.setSnapshot(run);
    QCOMPARE(matrix.controller()->plotted(0, 0), 1.0);
    PredictionsView predictions(&selection);
    predictions.setSnapshot(run);
    QCOMPARE(predictions.controller()->predictions().front().id, int64_t(10));
    QCOMPARE(predictions.controller()->lossGraph()->data()->size(), 0);
}

void TestViewsAttention::longRunStaysResponsive() {
    const int n = 2048;   // local attention: each query on itself, its neighbour and the first token
    std::vector<float> a(static_cast<size_t>(n) * n, 0.0f);
    for (int i = 0; i < n; ++i) {
        a[size_t(i) * n + i] += 0.5f;
        a[size_t(i) * n + std::max(0, i - 1)] += 0.3f;
        a[size_t(i) * n] += 0.2f;
    }
    Trace t;
    for (int i = 0; i < n; ++i) {
        t.tokenIds.push_back(i % 11);
        t.tokens.push_back(std::string(1, char('a' + i % 11)));
    }
    t.loss = test::constant({n - 1}, 1.0f);
    t.logits = test::constant({n, 11}, 0.5f);
    LayerTrace l;
    l.heads = {0};
    l.attention = values({1, n, n}, a);
    t.layers = {l};
    const RunSnapshot run = snapshotOf(test::tinyConfig({}, 1, 1, 8, 11, n), t);
    HeadSelection selection;
    for (const QString& id : QStringList{"overview", "attention", "lines", "predictions"}) {
        auto view = makeView(id, &selection);
        QVERIFY(showExposed(*view, test::kAttentionViewSize));
        // Functional at 2048 tokens; how fast is bench_gui's job, not a unit test's.
        view->setSnapshot(run);
        view->grab();   // paint what is visible
        QVERIFY(view->unavailableReason().isEmpty());
        selection.setPosition(selection.position() == 100 ? 101 : 100);
        view->grab();
        if (auto* matrix = dynamic_cast<AttentionMatrixView*>(view.get())) {
            QCoreApplication::processEvents();   // the replot that fits the labels to the laid-out axis
            // 2048 tokens show 512 x 512 cells of 4 x 4 tokens, each the largest weight it covers (the diagonal's
            // 0.5 here); zoomed to 400 tokens, every cell is one exact weight.
            AttentionMatrixController* c = matrix->controller();
            QVERIFY(c->pooled() && !c->exactCells());
            QCOMPARE(c->cellSpan(2047, 2046)->rowStart, 2044);
            QCOMPARE(c->plotted(2047, 2046), double(0.5f));
            QCOMPARE(c->weight(2047, 2046), double(0.3f));
            matrix->plot()->xAxis->setRange(1647.5, 2047.5);
            matrix->plot()->yAxis->setRange(1647.5, 2047.5);
            QTRY_VERIFY(c->exactCells());
            QCOMPARE(c->plotted(2047, 2046), double(0.3f));
            QCOMPARE(c->plotted(2047, 2047), double(0.5f));
            QVERIFY(!c->cellSpan(100, 100));   // outside the window
            c->resetZoom();
            const int labels = matrix->plot()->yAxis->tickVector().size();   // thinned to what fits
            QVERIFY2(labels > 3 && labels < matrix->plot()->axisRect()->height() / 8, qPrintable(QString::number(labels)));
        }
        if (auto* lines = dynamic_cast<TokenLinesView*>(view.get())) {
            QCOMPARE(lines->controller()->allLines().size(), 3 * n - 3);   // (0,0) once, (1,0) merged, then 3 a row
            // 2048 tokens do not fit: a window of readable rows around the selected position, never a scroll bar.
            TokenLinesCanvas* canvas = lines->canvas();
            const int position = selection.position(), first = canvas->firstRow(), rows = canvas->rowCount();
            QVERIFY2(rows > 5 && rows < n, qPrintable(QString::number(rows)));
            QVERIFY(first <= position && position < first + rows);
            QVERIFY(canvas->rowHeight() >= canvas->preferredRowHeight());   // every label readable
            QVERIFY(canvas->height() <= view->height());                     // fits: no scrolling
            const QPointF anchor = canvas->tokenAnchor({TokenSide::Query, position});
            QCOMPARE(canvas->tokenAt(anchor - QPointF(10, 0)), (std::optional<TokenRef>{{TokenSide::Query, position}}));
            QVERIFY(!canvas->tokenAt(canvas->tokenAnchor({TokenSide::Query, first + rows}) - QPointF(10, 0)));
            canvas->scrollRows(-1000000);   // the wheel moves the window, within the text
            QCOMPARE(canvas->firstRow(), 0);
            canvas->scrollRows(1000000);
            QCOMPARE(canvas->firstRow(), n - rows);
            view->grab();
        }
    }
}

void TestViewsAttention::exportEachView_data() {
    QTest::addColumn<QString>("view");
    QTest::addColumn<QString>("suffix");
    for (const char* view : {"overview", "attention", "lines", "predictions"})
        for (const char* suffix : {"png", "svg", "pdf"}) QTest::newRow(qPrintable(QString("%1.%2").arg(view, suffix))) << view << suffix;
}

void TestViewsAttention::exportEachView() {
    QFETCH(QString, view);
    QFETCH(QString, suffix);
    HeadSelection selection;
    selection.toggle({1, 0});
    auto v = makeView(view, &selection);
    v->setSnapshot(handSnapshot());
    QTemporaryDir dir;
    const QString path = dir.filePath("figure." + suffix);
    ExportOptions options;
    options.dpi = 96;
    if (view != "lines") options.size = QSize(420, 300);   // lines: its own size (the whole text)
    v->exportFigure(path, options);
    const QString problem = test::exportProblem(path, suffix, 100);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    if (suffix == "png") {
        const QImage image(path, "PNG");
        QVERIFY(image.width() > 100 && image.height() > 50);
        // The publication style paints the whole figure white, up to its corners (nothing left unpainted).
        QCOMPARE(image.pixelColor(2, image.height() - 3), QColor(Qt::white));
        QCOMPARE(image.pixelColor(image.width() - 3, 2), QColor(Qt::white));
    }
    QVERIFY(v->unavailableReason().isEmpty());   // the view is back to normal after the export
}

void TestViewsAttention::sampleModelEndToEnd() {
    const RunSnapshot run = test::sampleModelRun("the cat sat on the mat");
    const Trace& t = *run.trace;
    const int n = run.tokens();
    HeadSelection selection;
    selection.setCurrent({1, 2});
    selection.setPosition(4);

    OverviewView overview(&selection);
    overview.setSnapshot(run);
    QCOMPARE(overview.metricBox()->count(), 16);   // the sample has every mechanism; and the seven role scores
    double entropy = 0;   // head 1.2, from the captured weights
    for (int i = 0; i < n; ++i)
        for (int j = 0; j <= i; ++j)
            if (double p = t.layer(1)->attention.at({2, i, j}); p > 0) entropy -= p * std::log(p) / n;
    QVERIFY(std::abs(overview.model()->value(1, 2) - entropy) < 1e-5);

    AttentionMatrixView matrix(&selection);
    matrix.setSnapshot(run);
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) QCOMPARE(matrix.controller()->plotted(i, j), double(t.layer(1)->attention.at({2, i, j})));

    TokenLinesView lines(&selection);
    lines.setSnapshot(run);
    int strong = 0;
    for (int i = 0; i < n; ++i)
        for (int j = 0; j <= i; ++j) strong += t.layer(1)->attention.at({2, i, j}) >= 0.01f;
    QCOMPARE(static_cast<int>(lines.controller()->allLines().size()), strong);

    PredictionsView predictions(&selection);
    predictions.setSnapshot(run);
    // The highlighted next token's probability is the one the engine's loss scored: p = exp(-loss[4]).
    QVERIFY(std::abs(predictions.controller()->actualProbability() - std::exp(-double(t.loss.at({4})))) < 1e-4);
    QCOMPARE(predictions.controller()->lossGraph()->data()->size(), n - 1);
    for (TraceView* v : std::initializer_list<TraceView*>{&overview, &matrix, &lines, &predictions})
        QVERIFY2(v->unavailableReason().isEmpty(), qPrintable(v->id()));
}

QTEST_MAIN(TestViewsAttention)
#include "test_views_attention.moc"

// An encoder-decoder run, by hand: 1 encoder and 1 decoder layer of 2 heads, a source of 3 tokens ("x y z") and a
// decoder input of 4 ("a b c d"). Every view shows the three kinds as blocks of rows: E0, D0, X0.
namespace {
const std::vector<float> kEnc0 = {1, 0, 0, 0, 1, 0, 0, 0, 1}, kEnc1 = {.2f, .3f, .5f, .5f, .3f, .2f, .1f, .8f, .1f};
const std::vector<float> kCross0 = {1, 0, 0, 0, 1, 0, 0, 0, 1, 0, .5f, .5f};   // [4,3]: an alignment
const std::vector<float> kCross1 = {.2f, .3f, .5f, .6f, .2f, .2f, .1f, .1f, .8f, .25f, .25f, .5f};

RunSnapshot encoderDecoderSnapshot() {
    ModelConfig c = test::tinyConfig({}, 1, 2, 8, 30, 16);
    c.modelType = "marian";
    EncoderDecoderConfig ed;
    ed.layers = 1;
    c.encoderDecoder = ed;
    Trace t = test::tokensTrace(4);
    t.sourceIds = {23, 24, 25};
    t.sourceTokens = {"x", "y", "z"};
    auto two = [](const std::vector<float>& a, const std::vector<float>& b, int64_t q, int64_t k) {
        std::vector<float> v = a;
        v.insert(v.end(), b.begin(), b.end());
        return FloatArray({2, q, k}, std::move(v));
    };
    LayerTrace enc = test::layerTrace(0, {0, 1});
    enc.attention = two(kEnc0, kEnc1, 3, 3);
    t.encoderLayers = {enc};
    LayerTrace dec = test::layerTrace(0, {0, 1});
    dec.attention = two(kHead00, kHead11, 4, 4);
    dec[kCrossAttention] = two(kCross0, kCross1, 4, 3);
    t.layers = {dec};
    t.headMask = FloatArray({1, 2}, {1, 1});
    t.encoderHeadMask = FloatArray({1, 2}, {1, 1});
    t.crossHeadMask = FloatArray({1, 2}, {1, 0});   // X0 H1 pruned
    return snapshotOf(c, std::move(t));
}
} // namespace

void TestViewsAttention::encoderDecoderRows() {
    const RunSnapshot run = encoderDecoderSnapshot();
    QVERIFY(run.encoderDecoder());
    QCOMPARE(run.layers(), 3);
    QCOMPARE(run.rowName(0), QString("E0"));
    QCOMPARE(run.rowName(2), QString("X0"));
    QCOMPARE(headName(run, HeadRef{2, 1}), QString("cross-attention layer 0, head 1"));
    HeadSelection selection;

    // The matrix of a cross-attention head: target rows, source columns, no causal mask.
    selection.setCurrent({2, 1});
    AttentionMatrixView matrix(&selection);
    matrix.setSnapshot(run);
    QVERIFY2(matrix.unavailableReason().isEmpty(), qPrintable(matrix.unavailableReason()));
    auto* m = matrix.controller();
    QCOMPARE(m->tokens(), 4);
    QCOMPARE(m->keys(), 3);
    QCOMPARE(m->columnLabels(), QStringList({"x", "y", "z"}));
    QCOMPARE(m->rowLabels(), QStringList({"a", "b", "c", "d"}));
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 3; ++j) QCOMPARE(m->plotted(i, j), double(kCross1[size_t(i * 3 + j)]));   // above the diagonal too
    QVERIFY(std::isnan(m->weight(0, 3)));
    QVERIFY(m->toolTip(0, 2).contains(QString::fromUtf8("key 2 \u201cz\u201d")));
    QCOMPARE(m->plot()->xAxis->label(), QString("source (keys)"));
    // An encoder head: the source on both axes, bidirectional; a decoder head: the target, causal.
    selection.setCurrent({0, 1});
    QCOMPARE(m->tokens(), 3);
    QCOMPARE(m->keys(), 3);
    QCOMPARE(m->plotted(0, 2), double(kEnc1[2]));
    selection.setCurrent({1, 0});
    QCOMPARE(m->keys(), 4);
    QCOMPARE(m->plotted(3, 3), double(cell(kHead00, 3, 3)));
    QCOMPARE(m->plot()->xAxis->label(), QString());
    // The layer mean takes the row's heads only: X0's two.
    selection.setCurrent({2, 0});
    matrix.setMode(MatrixMode::LayerMean);
    QCOMPARE(m->shownHeads().size(), 2);
    QCOMPARE(m->weight(3, 1), (kCross0[10] + kCross1[10]) / 2.0);

    // Token lines from target tokens (left) to source tokens (right), a line per weight >= 0.01.
    selection.setCurrent({2, 1});
    TokenLinesView lines(&selection);
    lines.setSnapshot(run);
    auto* tl = lines.controller();
    QCOMPARE(tl->labels(), QStringList({"a", "b", "c", "d"}));
    QCOMPARE(tl->keyLabels(), QStringList({"x", "y", "z"}));
    QCOMPARE(tl->tokens(), 4);
    QCOMPARE(tl->allLines().size(), 12);   // every weight of kCross1 is >= 0.01
    for (const TokenLine& line : tl->allLines()) QCOMPARE(line.weight, kCross1[size_t(line.query * 3 + line.key)]);
    QCOMPARE(tl->headLabel({2, 1}), QString("cross-attention layer 0, head 1"));

    // The grid: three named blocks, rows E0 D0 X0, a [4,3] thumbnail for cross-attention.
    HeadGridView grid(&selection);
    grid.setSnapshot(run);
    QVERIFY(showExposed(grid, test::kAttentionViewSize));
    auto* g = grid.controller();
    QCOMPARE(g->blockStarts(), QList<int>({0, 1, 2}));
    QCOMPARE(g->blockNames().size(), 3);
    QVERIFY(g->blockNames()[2].startsWith("Cross-attention"));
    QCOMPARE(g->rowLabel(1), QString("D0"));
    QCOMPARE(g->thumbnail(2, 0).size(), QSize(3, 4));
    QCOMPARE(g->thumbnail(0, 0).size(), QSize(3, 3));
    for (int b = 0; b < 3; ++b) {   // each block's name between the rows above it and its own first row
        const QRect label = g->blockLabelRect(b), first = g->cellRect({b, 0});
        QVERIFY(label.bottom() < first.top());
        if (b > 0) QVERIFY(label.top() > g->cellRect({b - 1, 0}).bottom());
    }
    QCOMPARE(g->headAt(g->cellRect({2, 1}).center()), std::optional<HeadRef>(HeadRef{2, 1}));
    QVERIFY(!g->headAt(QPoint(g->cellRect({2, 0}).center().x(), g->blockLabelRect(2).center().y())).has_value());
    QVERIFY(g->toolTip({2, 1}).contains("Pruned in this run"));   // the cross mask reached row X0

    // The overview: the rows' names as ticks, the blocks named, the metric of a cross head by hand.
    OverviewView overview(&selection);
    overview.setSnapshot(run);
    QVERIFY(showExposed(overview, test::kAttentionViewSize));
    QCOMPARE(overview.controller()->blockLabels(), QStringList({"Encoder", "Decoder", "Cross"}));
    double entropy = 0;   // X0 H1: mean over its 4 target rows of -sum p ln p
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 3; ++j) entropy -= kCross1[size_t(i * 3 + j)] * std::log(kCross1[size_t(i * 3 + j)]) / 4;
    QVERIFY(std::abs(overview.model()->value(2, 1) - entropy) < 1e-5);
    QCOMPARE(overview.model()->headerData(2, Qt::Vertical).toString(), QString("X0"));
}
