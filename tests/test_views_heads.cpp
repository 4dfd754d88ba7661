// The views of what each head does, on hand-made numbers: the Lens view's cells, labels, hover and clicks; the
// Attribution view's bars, order and head clicks; the attention matrix's rollout mode against a rollout computed
// here from the hand-made heads; role tags and their legend in the overview; the figures of both new views.
#include "test_support.h"
#include "view_test_support.h"
#include "views/attention/attention_matrix_controller.h"
#include "views/attention/attention_matrix_view.h"
#include "views/attention/head_grid_controller.h"
#include "views/attention/head_grid_view.h"
#include "views/attention/head_overview_model.h"
#include "views/attention/overview_controller.h"
#include "views/attention/overview_view.h"
#include "views/heads/attribution_controller.h"
#include "views/heads/attribution_view.h"
#include "views/heads/lens_controller.h"
#include "views/heads/lens_view.h"

#include <QComboBox>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>
#include <qcustomplot.h>

#include <cmath>

using namespace headlight;
using namespace headlight::test::hand;
using headlight::test::showExposed;

namespace {

// A lens for the hand run (2 layers, 4 tokens): row r's top token at position i is id 1 + (r + i) % 5 with
// probability 0.2 + 0.1 r + 0.05 i, the second id 9 with probability 0.1.
std::shared_ptr<const LogitLens> handLens() {
    LogitLens lens;
    lens.rows = 3;
    lens.tokens = T;
    lens.topK = 2;
    lens.tokenIds = {1, 2, 3, 4};
    lens.targets = {2, 3, 4, -1};
    std::vector<int64_t> ids;
    std::vector<float> probs, target;
    std::vector<int64_t> rank;
    for (int r = 0; r < 3; ++r)
        for (int i = 0; i < T; ++i) {
            ids.push_back(1 + (r + i) % 5);
            ids.push_back(9);
            probs.push_back(0.2f + 0.1f * r + 0.05f * i);
            probs.push_back(0.1f);
            target.push_back(i < T - 1 ? 0.05f * (r + 1) : std::nanf(""));
            rank.push_back(i < T - 1 ? 3 - r : 0);
        }
    lens.topIds = LongArray({3, T, 2}, ids);
    lens.topProbs = FloatArray({3, T, 2}, probs);
    lens.targetProb = FloatArray({3, T}, target);
    lens.targetRank = LongArray({3, T}, rank);
    return std::make_shared<const LogitLens>(std::move(lens));
}

std::shared_ptr<const Attribution> handAttribution(int position) {
    Attribution a;
    a.position = position;
    a.target = 3;
    a.targetText = "c";
    a.terms = {{"embeddings", "embeddings", -1, -1, 0.5},  {"head", "L0.H0", 0, 0, -2.0}, {"head", "L0.H1", 0, 1, 0.25},
               {"mlp", "L0 MLP", 0, -1, 1.0},              {"head", "L1.H0", 1, 0, 3.0},  {"head", "L1.H1", 1, 1, 0.0},
               {"mlp", "L1 MLP", 1, -1, -0.75},            {"bias", "norm biases", -1, -1, 0.125}};
    for (const auto& t : a.terms) a.termSum += t.value;
    a.logit = a.outputLogit = a.termSum;
    return std::make_shared<const Attribution>(std::move(a));
}

// R = Â1 Â0 from the hand-made heads, Âl the row-normalised 0.5 mean of the layer's heads + 0.5 I.
std::vector<double> handRollout() {
    auto layer = [](const std::vector<float>& a, const std::vector<float>& b) {
        std::vector<double> m(T * T);
        for (int i = 0; i < T; ++i) {
            double sum = 0;
            for (int j = 0; j < T; ++j) sum += m[i * T + j] = 0.25 * (cell(a, i, j) + cell(b, i, j)) + (i == j ? 0.5 : 0.0);
            for (int j = 0; j < T; ++j) m[i * T + j] /= sum;
        }
        return m;
    };
    const auto a0 = layer(kHead00, kHead01), a1 = layer(kHead10, kHead11);
    std::vector<double> r(T * T, 0.0);
    for (int i = 0; i < T; ++i)
        for (int j = 0; j < T; ++j)
            for (int k = 0; k < T; ++k) r[i * T + j] += a1[i * T + k] * a0[k * T + j];
    return r;
}

} // namespace

class TestViewsHeads : public QObject {
    Q_OBJECT
private slots:
    void lensCellsLabelsAndClicks() {
        HeadSelection selection;
        LensView view(&selection);
        QSignalSpy wanted(&view, &LensView::lensWanted);
        RunSnapshot run = handSnapshot();
        view.setSnapshot(run);   // not shown yet: asks for nothing
        QVERIFY(showExposed(view, {760, 420}));
        QVERIFY(!view.unavailableReason().isEmpty());   // no lens yet: it says so, and asks for one
        QVERIFY(wanted.count() >= 1);
        run.lens = handLens();
        view.setSnapshot(run);
        QVERIFY2(view.unavailableReason().isEmpty(), qPrintable(view.unavailableReason()));
        LensController& c = *view.controller();
        QCOMPARE(c.rows(), 3);
        QCOMPARE(c.tokens(), T);
        for (int r = 0; r < 3; ++r)
            for (int i = 0; i < T; ++i) {
                QVERIFY(std::abs(c.plotted({r, i}) - (0.2 + 0.1 * r + 0.05 * i)) < 1e-6);
                QCOMPARE(c.cellText({r, i}), run.vocabLabel(1 + (r + i) % 5));
            }
        view.plot()->replot();
        QCOMPARE(c.labelsShown(), 3 * T);   // four tokens in 760 pixels: every cell wide enough for its token
        view.plot()->xAxis->setRange(-0.5, 400);   // zoomed out: cells too narrow for any token
        view.plot()->replot();
        QCOMPARE(c.labelsShown(), 0);
        view.plot()->xAxis->setRange(-0.5, T - 0.5);
        view.plot()->replot();
        const QString tip = c.toolTip({2, 1});
        QVERIFY2(tip.contains("the model's output") && tip.contains("0.450") && tip.contains("rank 1"), qPrintable(tip));
        QVERIFY(c.toolTip({0, 1}).contains("after the embeddings"));
        QCOMPARE(lensRowLabel(2), QStringLiteral("L1"));
        test::click(view.plot(), view.plot()->axisRect(), 2, 1);
        QCOMPARE(selection.position(), 2);
    }

    void attributionBarsOrderAndHeadClicks() {
        HeadSelection selection;
        selection.setPosition(2);
        AttributionView view(&selection);
        QSignalSpy wanted(&view, &AttributionView::attributionWanted);
        RunSnapshot run = handSnapshot();
        run.attribution = handAttribution(1);   // another position: stale for this selection
        view.setSnapshot(run);
        QVERIFY(showExposed(view, {600, 520}));
        QVERIFY(!view.unavailableReason().isEmpty());
        QVERIFY(wanted.count() >= 1);
        QCOMPARE(wanted.last().at(0).toInt(), 2);
        run.attribution = handAttribution(2);
        view.setSnapshot(run);
        QVERIFY2(view.unavailableReason().isEmpty(), qPrintable(view.unavailableReason()));
        const AttributionController& c = *view.controller();
        // By |value|: L1.H0 3, L0.H0 -2, L0 MLP 1, L1 MLP -0.75, embeddings 0.5, L0.H1 0.25, norm biases, L1.H1 0.
        const std::vector<size_t> order = {4, 1, 3, 6, 0, 2, 7, 5};
        QCOMPARE(c.shown(), order);
        QVERIFY(c.title().contains("2.125"));   // the logit: the terms' sum
        // Bars by kind: the heads' series holds rows 0 (3.0), 1 (-2.0), 5 (0.25), 7 (0.0).
        const auto heads = test::barsOf(qobject_cast<QCPBars*>(view.plot()->plottable(0)));
        QCOMPARE(heads.size(), size_t(4));
        QCOMPARE(heads.at(0.0), 3.0);
        QCOMPARE(heads.at(1.0), -2.0);
        const auto mlps = test::barsOf(qobject_cast<QCPBars*>(view.plot()->plottable(1)));
        QCOMPARE(mlps.at(2.0), 1.0);
        view.plot()->replot();
        // Clicking the top bar (L1.H0) selects that head everywhere; an MLP's bar selects nothing.
        test::click(view.plot(), view.plot()->axisRect(), 0.5, 0);
        QCOMPARE(selection.current(), (HeadRef{1, 0}));
        test::click(view.plot(), view.plot()->axisRect(), 0.5, 2);
        QCOMPARE(selection.current(), (HeadRef{1, 0}));
    }

    void rolloutModeMatchesAHandComputation() {
        HeadSelection selection;
        AttentionMatrixView view(&selection);
        RunSnapshot run = handSnapshot();
        summarize(run);   // the worker's summaries, with the rollout of a run that captured every head
        QCOMPARE(run.rollout.shape(), (std::vector<int64_t>{T, T}));
        view.setSnapshot(run);
        QVERIFY(showExposed(view, test::kAttentionViewSize));
        view.setMode(MatrixMode::Rollout);
        QVERIFY2(view.unavailableReason().isEmpty(), qPrintable(view.unavailableReason()));
        const std::vector<double> want = handRollout();
        for (int i = 0; i < T; ++i)
            for (int j = 0; j < T; ++j)
                QVERIFY2(std::abs(view.controller()->weight(i, j) - want[i * T + j]) < 1e-6,
                         qPrintable(QString("R[%1,%2] = %3, by hand %4").arg(i).arg(j).arg(view.controller()->weight(i, j)).arg(want[i * T + j])));
        QVERIFY(view.controller()->subject().contains("rollout"));
        // A run without every head captured has no rollout: the mode says why.
        RunSnapshot partial = handSnapshot();
        Trace t = *partial.trace;
        t.layers.pop_back();
        partial.trace = std::make_shared<const Trace>(t);
        summarize(partial);
        QVERIFY(partial.rollout.empty());
        view.setSnapshot(partial);
        QVERIFY(view.unavailableReason().contains("every head"));
    }

    void roleTagsAndLegendInTheOverview() {
        Trace t = handTrace();
        // [R,H] per layer, MeasuredRole order: head 0.0 previous token 0.9, head 1.1 induction 0.6, head 0.1 first
        // token 0.39 (under the threshold), head 1.0 nothing.
        const float nan = std::nanf("");
        t.roleScores = {values2({{0.9f, 0.1f}, {0, 0}, {0.1f, 0.39f}, {nan, nan}, {nan, nan}, {nan, nan}}),
                        values2({{0.1f, 0.1f}, {0, 0}, {0.1f, 0.1f}, {0.2f, 0.2f}, {0.1f, 0.6f}, {nan, nan}})};
        RunSnapshot run = test::snapshotOf(handConfig(), t);
        summarize(run);
        QVERIFY(run.summaries->roles.has_value());
        HeadSelection selection;
        OverviewView view(&selection);
        view.setSnapshot(run);
        QVERIFY(showExposed(view, test::kAttentionViewSize));
        const HeadOverviewModel& m = *view.model();
        QCOMPARE(m.roleTag(0, 0), QStringLiteral("prev"));
        QCOMPARE(m.roleTag(1, 1), QStringLiteral("ind"));
        QCOMPARE(m.roleTag(0, 1), QString());
        QCOMPARE(m.roleTag(1, 0), QString());
        QCOMPARE(view.controller()->roleTagCount(), 2);
        const QString legend = view.controller()->legendText();
        QVERIFY2(legend.contains("prev previous token") && legend.contains("ind induction") && !legend.contains("sink"), qPrintable(legend));
        // The head grid writes the same tags in its thumbnails' corners and names them in its legend.
        HeadGridView grid(&selection);
        grid.setSnapshot(run);
        QVERIFY(showExposed(grid, {600, 500}));
        QVERIFY(grid.controller()->roleTagsShown());
        QCOMPARE(grid.controller()->legend().roleTexts, (QStringList{"prev = previous token", "ind = induction"}));
        // The role scores are overview metrics too.
        view.setMetric(QStringLiteral("role_induction"));
        QVERIFY(std::abs(m.value(1, 1) - 0.6) < 1e-6);
        QVERIFY(std::isnan(m.value(0, 0)));   // no repeated token in layer 0's input: null, not 0
    }

    void lensAndAttributionFigures_data() {
        QTest::addColumn<QString>("suffix");
        for (const char* s : {"png", "svg", "pdf"}) QTest::newRow(s) << QString(s);
    }
    void lensAndAttributionFigures() {
        QFETCH(QString, suffix);
        QTemporaryDir dir;
        HeadSelection selection;
        RunSnapshot run = handSnapshot();
        run.lens = handLens();
        run.attribution = handAttribution(T - 1);
        LensView lens(&selection);
        lens.setSnapshot(run);
        AttributionView attribution(&selection);
        attribution.setSnapshot(run);
        ExportOptions options;
        options.size = figureSizeFor(QStringLiteral("single"));
        for (TraceView* v : {static_cast<TraceView*>(&lens), static_cast<TraceView*>(&attribution)}) {
            const QString path = dir.filePath(v->id() + "." + suffix);
            v->exportFigure(path, options);
            const QString problem = test::exportProblem(path, suffix, 2000);
            QVERIFY2(problem.isEmpty(), qPrintable(v->id() + ": " + problem));
        }
    }

private:
    static FloatArray values2(const std::vector<std::vector<float>>& rows) {
        std::vector<float> v;
        for (const auto& r : rows) v.insert(v.end(), r.begin(), r.end());
        return FloatArray({static_cast<int64_t>(rows.size()), static_cast<int64_t>(rows.front().size())}, v);
    }
};

QTEST_MAIN(TestViewsHeads)
#include "test_views_heads.moc"
