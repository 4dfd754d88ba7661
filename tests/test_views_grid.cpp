// The views added for real-model scale: the head grid (thumbnails, layout from 2x2 to 48x32, clicks, hover),
// the token list, upright token labels with positions, the overview's values only where they fit, and the
// views on a bidirectional (non-causal) model and on grouped-query attention. Hand-made traces throughout.
#include "test_support.h"
#include "view_test_support.h"
#include "views/attention/attention_matrix_controller.h"
#include "views/attention/attention_matrix_view.h"
#include "views/attention/head_grid_controller.h"
#include "views/attention/head_grid_view.h"
#include "views/attention/head_overview_model.h"
#include "views/attention/overview_controller.h"
#include "views/attention/overview_view.h"
#include "views/attention/token_lines_view.h"
#include "views/attention/token_list_view.h"
#include "views/attention/view_support.h"

#include <QListWidget>
#include <QSignalSpy>
#include <QtTest>
#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

using namespace headlight;
using headlight::test::showExposed;
using headlight::test::snapshotOf;
using headlight::test::values;

namespace {

// L x H heads over T tokens; head (l, h) of a causal model looks back (l + h) % 3 tokens (a diagonal), the
// bidirectional one spreads evenly over every key.
RunSnapshot gridRun(int L, int H, int T, bool causal = true, int kvHeads = 0) {
    ModelConfig c = test::tinyConfig({}, L, H, H * 2, 20, std::max(T, 8));
    c.causal = causal;
    c.nKvHead = kvHeads;
    Trace t = test::tokensTrace(T);
    t.loss = test::constant({T - 1}, 1.0f);
    t.headMask = test::constant({L, H}, 1.0f);
    for (int l = 0; l < L; ++l) {
        LayerTrace lt = test::layerTrace(l);
        std::vector<float> a(static_cast<size_t>(H) * T * T, 0.0f);
        for (int h = 0; h < H; ++h) {
            lt.heads.push_back(h);
            for (int i = 0; i < T; ++i) {
                float* row = a.data() + (static_cast<size_t>(h) * T + i) * T;
                if (causal) row[std::max(0, i - (l + h) % 3)] = 1.0f;
                else std::fill(row, row + T, 1.0f / T);
            }
        }
        lt.attention = values({H, T, T}, a);
        t.layers.push_back(lt);
    }
    return snapshotOf(c, std::move(t));
}

} // namespace

class TestViewsGrid : public QObject {
    Q_OBJECT
private slots:
    void gridThumbnailsShowEachPattern();
    void gridLayoutFits_data();
    void gridLayoutFits();
    void gridFigureFillsThePage_data();
    void gridFigureFillsThePage();
    void gridClickSelectsShiftClickPrunes();
    void gridAndOverviewNameTheKvHead();
    void overviewShowsValuesOnlyWhereTheyFit();
    void tokenLabelsUprightWithPositions();
    void tokenListFollowsSelection();
    void nonCausalRunShowsEveryKey();
    void gridMarksPrunedApartFromClosed();
    void gridLabelsStayWhole_data();
    void gridLabelsStayWhole();
    void overviewAndGridShareTheColourRange();
    void overviewTickLabelsKeepApart_data();
    void overviewTickLabelsKeepApart();
    void overviewValuesPrintAlike();
};

namespace {

// The boxes of an axis' drawn (non-empty) tick labels, in widget pixels: centred on their ticks.
QList<QRectF> tickLabelRects(QCPAxis* axis) {
    QList<QRectF> out;
    const QFontMetricsF fm(axis->tickLabelFont());
    const QVector<double> ticks = axis->tickVector();
    const QVector<QString> labels = axis->tickVectorLabels();
    for (int i = 0; i < ticks.size() && i < labels.size(); ++i) {
        if (labels[i].isEmpty()) continue;
        const double at = axis->coordToPixel(ticks[i]);
        const QSizeF size(fm.horizontalAdvance(labels[i]), fm.height());
        out << (axis->orientation() == Qt::Horizontal ? QRectF(at - size.width() / 2, 0, size.width(), size.height())
                                                       : QRectF(0, at - size.height() / 2, size.width(), size.height()));
    }
    return out;
}

bool anyOverlap(const QList<QRectF>& rects) {
    for (int i = 0; i < rects.size(); ++i)
        for (int j = i + 1; j < rects.size(); ++j)
            if (rects[i].intersects(rects[j])) return true;
    return false;
}

} // namespace


void TestViewsGrid::gridThumbnailsShowEachPattern() {
    HeadGridController c;
    c.setRun(test::hand::handSnapshot());
    QCOMPARE(c.layers(), 2);
    QCOMPARE(c.heads(), 2);
    const QImage& identity = c.thumbnail(1, 1);   // head 1.1 attends to itself: a bright diagonal
    QCOMPARE(identity.size(), QSize(4, 4));
    const QRgb bright = qRgb(253, 231, 37), dark = qRgb(68, 1, 84);   // viridis' ends
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) QCOMPARE(identity.pixel(j, i), i == j ? bright : dark);
    // Head 0.0's first row is one-hot on key 0, its last row a quarter everywhere (scaled to the largest, 1).
    QCOMPARE(c.thumbnail(0, 0).pixel(0, 0), bright);
    QVERIFY(c.thumbnail(0, 0).pixel(1, 3) != dark && c.thumbnail(0, 0).pixel(1, 3) != bright);
    QVERIFY(c.thumbnail(5, 5).isNull());
    // Long texts: at most kMaxThumb pixels a side, the diagonal kept by max-pooling the keys.
    HeadGridController longRun;
    longRun.setRun(gridRun(1, 1, 300));
    const QImage& thumb = longRun.thumbnail(0, 0);
    QCOMPARE(thumb.size(), QSize(HeadGridController::kMaxThumb, HeadGridController::kMaxThumb));
    for (int r = 0; r < thumb.height(); ++r) QCOMPARE(thumb.pixel(r, r), bright);
}

void TestViewsGrid::gridLayoutFits_data() {
    QTest::addColumn<int>("layers");
    QTest::addColumn<int>("heads");
    QTest::addColumn<QSize>("size");
    QTest::addColumn<int>("labelStep");   // every head labelled at 12 x 12 in a dock-sized view
    QTest::newRow("2x4") << 2 << 4 << QSize(300, 300) << 1;
    QTest::newRow("12x12") << 12 << 12 << QSize(400, 460) << 1;
    QTest::newRow("48x32") << 48 << 32 << QSize(300, 500) << -1;
}

void TestViewsGrid::gridLayoutFits() {
    QFETCH(int, layers);
    QFETCH(int, heads);
    QFETCH(QSize, size);
    QFETCH(int, labelStep);
    HeadSelection selection;
    HeadGridView view(&selection);
    view.setSnapshot(gridRun(layers, heads, 6));
    QVERIFY(view.unavailableReason().isEmpty());
    QVERIFY(showExposed(view, size));
    HeadGridController* c = view.controller();
    QVERIFY2(c->cellSize() >= HeadGridController::kMinCell, qPrintable(QString::number(c->cellSize())));
    const QRect canvas = view.canvas()->rect();
    // Every cell inside the canvas and apart from its neighbours.
    for (int l = 0; l < layers; ++l)
        for (int h = 0; h < heads; ++h) {
            const QRect r = c->cellRect({l, h});
            QVERIFY2(canvas.contains(r), qPrintable(QString("%1.%2").arg(l).arg(h)));
            if (h + 1 < heads) QVERIFY(!r.intersects(c->cellRect({l, h + 1})));
            if (l + 1 < layers) QVERIFY(!r.intersects(c->cellRect({l + 1, h})));
            QCOMPARE(c->headAt(r.center()), std::optional<HeadRef>(HeadRef{l, h}));
        }
    if (labelStep > 0) QCOMPARE(c->columnLabelStep(), labelStep);
    // The labels never overlap: one label's width fits the step's pitch.
    const QFontMetrics fm(view.style().font);
    QVERIFY(c->columnLabelStep() * (c->cellSize() + 1) >= fm.horizontalAdvance(QString("H%1").arg(heads - 1)));
    QVERIFY(c->rowLabelStep() * (c->cellSize() + 1) >= fm.height());
    // 48 x 32 stays usable in a narrow dock: the canvas scrolls rather than shrinking cells below kMinCell.
    QVERIFY(view.canvas()->minimumWidth() <= 32 * (HeadGridController::kMinCell + 1) + 60);
}

void TestViewsGrid::gridFigureFillsThePage_data() {
    QTest::addColumn<int>("layers");
    QTest::addColumn<int>("heads");
    QTest::addColumn<QString>("size");
    QTest::addColumn<double>("share");   // the least share of the page the thumbnails cover
    // A single column loses most to the labels, the legend and the gaps between cells.
    QTest::newRow("2x4 single") << 2 << 4 << "single" << 0.6;
    QTest::newRow("2x4 double") << 2 << 4 << "double" << 0.7;
    QTest::newRow("12x12 single") << 12 << 12 << "single" << 0.55;
    QTest::newRow("12x12 double") << 12 << 12 << "double" << 0.7;
}

void TestViewsGrid::gridFigureFillsThePage() {
    QFETCH(int, layers);
    QFETCH(int, heads);
    QFETCH(QString, size);
    QFETCH(double, share);
    HeadSelection selection;
    HeadGridView view(&selection);
    view.setSnapshot(gridRun(layers, heads, 6));
    const QSize preset = figureSizeFor(size);
    const QSize points = view.figurePoints(preset);
    QCOMPARE(points.width(), preset.width());
    // Laid out as the figure's canvas is: its pixels, the figures' font.
    const QSize page = layoutPixelsFor(points);
    const QFont font = PlotStyle::publication().font;
    HeadGridController* c = view.controller();
    c->layout(page, font);
    double thumbs = 0;
    int right = 0, bottom = 0;
    for (int l = 0; l < layers; ++l)
        for (int h = 0; h < heads; ++h) {
            const QRect r = c->cellRect({l, h});
            QVERIFY2(QRect(QPoint(0, 0), page).contains(r), qPrintable(QString("%1.%2").arg(l).arg(h)));
            thumbs += double(r.width()) * r.height();
            right = std::max(right, r.right());
            bottom = std::max(bottom, r.bottom());
        }
    const HeadGridController::Legend& legend = c->legend();
    const int gridBottom = bottom;
    for (const QRect& r : {legend.name, legend.scale, legend.marks}) {
        if (r.isNull()) continue;
        QVERIFY2(QRect(QPoint(0, 0), page).contains(r), qPrintable(QString("legend %1,%2 %3x%4").arg(r.x()).arg(r.y()).arg(r.width()).arg(r.height())));
        QVERIFY(r.top() > gridBottom);   // under the grid
        bottom = std::max(bottom, r.bottom());
    }
    // No blank band: the cells reach the right edge and the legend the bottom (a margin, and what is left of
    // dividing the width into whole pixels per head).
    QVERIFY2(page.width() - right <= 4 + heads + 3, qPrintable(QString("%1 of %2").arg(right).arg(page.width())));
    QVERIFY2(page.height() - bottom <= 12, qPrintable(QString("%1 of %2").arg(bottom).arg(page.height())));
    const double covered = thumbs / (double(page.width()) * page.height());
    QVERIFY2(covered >= share, qPrintable(QString("thumbnails cover %1 of %2 x %3").arg(covered).arg(page.width()).arg(page.height())));
    qInfo("%s: page %d x %d pt, thumbnails cover %.2f", QTest::currentDataTag(), points.width(), points.height(), covered);
}

void TestViewsGrid::gridClickSelectsShiftClickPrunes() {
    HeadSelection selection;
    HeadGridView view(&selection);
    view.setSnapshot(gridRun(3, 4, 5));
    QVERIFY(showExposed(view, QSize(320, 320)));
    QSignalSpy prune(&view, &HeadGridView::pruneToggled);
    const QPoint at = view.controller()->cellRect({2, 3}).center();
    QTest::mouseClick(view.canvas(), Qt::LeftButton, Qt::NoModifier, at);
    QCOMPARE(selection.current(), (HeadRef{2, 3}));
    QCOMPARE(prune.count(), 0);
    QTest::mouseClick(view.canvas(), Qt::LeftButton, Qt::ShiftModifier, view.controller()->cellRect({1, 0}).center());
    QCOMPARE(prune.count(), 1);
    QCOMPARE(prune.last().at(0).toInt(), 1);
    QCOMPARE(prune.last().at(1).toInt(), 0);
    QTest::mouseClick(view.canvas(), Qt::LeftButton, Qt::ControlModifier, at);   // Ctrl: add, then remove
    QCOMPARE(selection.heads(), (QList<HeadRef>{{2, 3}, {1, 0}}));
    QTest::mouseClick(view.canvas(), Qt::LeftButton, Qt::ControlModifier, at);
    QCOMPARE(selection.heads(), (QList<HeadRef>{{1, 0}}));
}

void TestViewsGrid::gridAndOverviewNameTheKvHead() {
    // Grouped-query attention: 4 query heads share 2 key/value heads; each query head is its own cell.
    const RunSnapshot run = gridRun(4, 4, 5, true, 2);
    QCOMPARE(headTitle(run.model->config, {3, 1}), QString("L3 H1 (KV head 0 of 2)"));
    QCOMPARE(headTitle(run.model->config, {3, 2}), QString("L3 H2 (KV head 1 of 2)"));
    QCOMPARE(headTitle(gridRun(1, 4, 5).model->config, {0, 2}), QString("L0 H2"));   // one KV head per head: no note
    HeadSelection selection;
    HeadGridView view(&selection);
    view.setSnapshot(run);
    QVERIFY(view.controller()->toolTip({3, 3}).startsWith("L3 H3 (KV head 1 of 2)"));
    QVERIFY(!view.controller()->thumbnail(3, 3).isNull());
    HeadOverviewModel model;
    model.setSnapshot(run);
    QCOMPARE(model.columnCount(), 4);
    QVERIFY(model.index(2, 1).data(Qt::ToolTipRole).toString().startsWith("L2 H1 (KV head 0 of 2)"));
}

void TestViewsGrid::overviewShowsValuesOnlyWhereTheyFit() {
    HeadSelection selection;
    OverviewView view(&selection);
    view.setSnapshot(gridRun(12, 12, 6));
    QVERIFY(showExposed(view, QSize(300, 260)));   // 12 x 12 cells of about 20 x 15 px: no room for "1.23"
    view.plot()->replot();
    QCOMPARE(view.controller()->shownValueCount(), 0);
    view.resize(1100, 700);
    QTRY_COMPARE(view.controller()->shownValueCount(), 144);
    // And the hover still tells every value.
    QVERIFY(view.model()->index(5, 7).data(Qt::ToolTipRole).toString().contains(":"));
}

void TestViewsGrid::tokenLabelsUprightWithPositions() {
    HeadSelection selection;
    AttentionMatrixView view(&selection);
    view.setSnapshot(gridRun(1, 1, 25));
    QVERIFY(showExposed(view, test::kAttentionViewSize));
    view.plot()->replot();
    view.plot()->replot();
    QCPAxis* y = view.plot()->yAxis;
    QCPAxis* x = view.plot()->xAxis;
    QCOMPARE(x->tickLabelRotation(), 0.0);
    QCOMPARE(y->tickLabelRotation(), 0.0);
    // Rows of about 18 px: every token labelled, with its position first.
    QCOMPARE(y->tickVectorLabels().size(), 25);
    QCOMPARE(y->tickVectorLabels().at(12), QString("12 m"));
    QVERIFY(x->tickVectorLabels().size() >= 5);
    QCOMPARE(x->tickVectorLabels().front(), QString("a\n0"));
    QCOMPARE(tokenTickLabel(7, "^", Qt::Vertical), QString("7 ^"));
}

void TestViewsGrid::tokenListFollowsSelection() {
    HeadSelection selection;
    TokenListView view(&selection);
    view.setSnapshot(gridRun(1, 1, 20));
    QCOMPARE(view.list()->count(), 20);
    QCOMPARE(view.list()->item(3)->text(), QString("3 d"));
    QCOMPARE(view.list()->currentRow(), 19);   // nothing selected: the last token, as every view shows
    selection.setPosition(7);
    QCOMPARE(view.list()->currentRow(), 7);
    QVERIFY(view.caption().contains("Position 7 of 20"));
    QVERIFY(showExposed(view, QSize(300, 200)));
    const QRect item = view.list()->visualItemRect(view.list()->item(11));
    QTest::mouseClick(view.list()->viewport(), Qt::LeftButton, Qt::NoModifier, item.center());
    QCOMPARE(selection.position(), 11);
}

void TestViewsGrid::nonCausalRunShowsEveryKey() {
    // A bidirectional model (BERT): every query sees every key, so nothing above the diagonal reads as zero.
    const RunSnapshot run = gridRun(1, 1, 5, false);
    QVERIFY(!run.causal());
    HeadSelection selection;
    AttentionMatrixView matrix(&selection);
    matrix.setSnapshot(run);
    for (int i = 0; i < 5; ++i)
        for (int j = 0; j < 5; ++j) QCOMPARE(matrix.controller()->weight(i, j), double(1.0f / 5));
    QVERIFY(!matrix.controller()->toolTip(0, 4).contains("causal"));
    TokenLinesView lines(&selection);
    lines.setSnapshot(run);
    int later = 0;
    for (const TokenLine& line : lines.controller()->lines()) later += line.key > line.query ? 1 : 0;
    QCOMPARE(later, 10);   // the 10 (query, later key) pairs of 5 tokens
    // The causal twin keeps zeros above the diagonal (the hand trace's 0.3 there is not shown).
    matrix.setSnapshot(test::hand::handSnapshot());
    selection.setCurrent({1, 0});
    QCOMPARE(matrix.controller()->weight(0, 3), 0.0);
    QVERIFY(matrix.controller()->toolTip(0, 3).contains("causal"));
}

// A gate-closed head is crossed out, a pruned one struck through once with a dashed line: the drawn marks and the
// painted pixels differ (hand snapshot: head 0.1 closed, head 1.1 pruned).
void TestViewsGrid::gridMarksPrunedApartFromClosed() {
    HeadSelection selection;
    HeadGridView view(&selection);
    view.setSnapshot(test::hand::handSnapshot());
    QVERIFY(showExposed(view, QSize(320, 360)));
    HeadGridController* c = view.controller();
    const auto closed = c->markOf({0, 1}), pruned = c->markOf({1, 1}), plain = c->markOf({0, 0});
    QCOMPARE(closed.solid.size(), 2);
    QVERIFY(closed.dashed.isEmpty());
    QVERIFY(pruned.solid.isEmpty());
    QCOMPARE(pruned.dashed.size(), 1);
    QVERIFY(closed.dimmed && pruned.dimmed && !plain.dimmed && plain.solid.isEmpty() && plain.dashed.isEmpty());
    // Painted: the closed head's top-left to bottom-right stroke is there, the pruned head has none.
    const QImage image = view.canvas()->grab().toImage();
    const QColor masked = view.style().masked;
    auto onFallingDiagonal = [&](HeadRef head) {
        const QRect r = c->cellRect(head);
        const int k = r.width() / 4;
        return QColor(image.pixel(r.topLeft() + QPoint(k, k))) == masked;
    };
    QVERIFY(onFallingDiagonal({0, 1}));
    QVERIFY(!onFallingDiagonal({1, 1}));
}

void TestViewsGrid::gridLabelsStayWhole_data() {
    QTest::addColumn<int>("layers");
    QTest::addColumn<int>("heads");
    QTest::addColumn<QSize>("size");
    QTest::newRow("12x12") << 12 << 12 << QSize(400, 460);
    QTest::newRow("48x32") << 48 << 32 << QSize(300, 500);
}

// Every drawn label is inside the canvas in a box a font height tall (the "L" was cut to a 7 px cell row), and
// no two labels overlap.
void TestViewsGrid::gridLabelsStayWhole() {
    QFETCH(int, layers);
    QFETCH(int, heads);
    QFETCH(QSize, size);
    HeadSelection selection;
    HeadGridView view(&selection);
    view.setSnapshot(gridRun(layers, heads, 6));
    QVERIFY(showExposed(view, size));
    HeadGridController* c = view.controller();
    const QFontMetrics fm(view.style().font);
    const QRect canvas = view.canvas()->rect();
    QList<QRectF> rows, columns;
    for (int l = 0; l < layers; l += c->rowLabelStep()) {
        const QRect r = c->rowLabelRect(l);
        const QString text = QStringLiteral("L%1").arg(l);
        QVERIFY2(canvas.contains(r), qPrintable(text));
        QVERIFY(r.height() >= fm.height() && r.width() >= fm.horizontalAdvance(text));
        QVERIFY(r.right() < c->cellRect({l, 0}).left());
        rows << QRectF(r);
    }
    for (int h = 0; h < heads; h += c->columnLabelStep()) {
        const QRect r = c->columnLabelRect(h);
        QVERIFY(canvas.contains(r) && r.width() >= fm.horizontalAdvance(QStringLiteral("H%1").arg(h)));
        QVERIFY(r.bottom() < c->cellRect({0, h}).top());
        columns << QRectF(r);
    }
    QVERIFY(!anyOverlap(rows));
    QVERIFY(!anyOverlap(columns));
    QVERIFY(!anyOverlap(rows + columns));
}

// The overview's colour scale and the grid's frames span the same range for the same metric: the run's
// smallest to largest entropy (not 0..ln T), [0, 1] for a probability.
void TestViewsGrid::overviewAndGridShareTheColourRange() {
    HeadSelection selection;
    OverviewView overview(&selection);
    HeadGridView grid(&selection);
    grid.setMetricSource(overview.model());
    const RunSnapshot run = test::hand::handSnapshot();
    overview.setSnapshot(run);
    grid.setSnapshot(run);
    for (const char* metric : {"entropy", "max_weight", "mean_distance"}) {
        overview.setMetric(QString::fromLatin1(metric));
        const QCPRange shown = overview.controller()->map()->dataRange();
        const auto [low, high] = grid.controller()->frameRange();
        QCOMPARE(shown.lower, low);
        QCOMPARE(shown.upper, high);
        if (QLatin1String(metric) == QLatin1String("max_weight")) {
            QCOMPARE(low, 0.0);
            QCOMPARE(high, 1.0);
        } else {
            QCOMPARE(low, overview.model()->minimum());
            QCOMPARE(high, overview.model()->maximum());
            QVERIFY(high > low);
        }
    }
}

void TestViewsGrid::overviewTickLabelsKeepApart_data() {
    QTest::addColumn<int>("layers");
    QTest::addColumn<int>("heads");
    QTest::addColumn<QSize>("size");
    QTest::addColumn<bool>("everyLabel");
    QTest::newRow("48x32 in a dock") << 48 << 32 << QSize(420, 380) << false;
    QTest::newRow("12x12 wide") << 12 << 12 << QSize(720, 560) << true;
}

// Thinned tick labels: every step-th head and layer numbered, no two labels' boxes overlapping.
void TestViewsGrid::overviewTickLabelsKeepApart() {
    QFETCH(int, layers);
    QFETCH(int, heads);
    QFETCH(QSize, size);
    QFETCH(bool, everyLabel);
    HeadSelection selection;
    OverviewView view(&selection);
    view.setSnapshot(gridRun(layers, heads, 6));
    QVERIFY(showExposed(view, size));
    view.plot()->replot();
    QCoreApplication::processEvents();
    view.plot()->replot();
    for (QCPAxis* axis : {view.plot()->xAxis, view.plot()->yAxis}) {
        const QList<QRectF> rects = tickLabelRects(axis);
        QVERIFY2(!anyOverlap(rects), qPrintable(QString::number(rects.size())));
        const int count = axis == view.plot()->xAxis ? heads : layers;
        QVERIFY(!rects.isEmpty());
        if (everyLabel) QCOMPARE(int(rects.size()), count);
        else QVERIFY(rects.size() < count);
        QCOMPARE(axis->tickVectorLabels().front(), QStringLiteral("0"));   // the first index is always numbered
    }
}

// The cell values print with one number of decimals ("1.00", "1.50", never "1", "1.5").
void TestViewsGrid::overviewValuesPrintAlike() {
    HeadSelection selection;
    OverviewView view(&selection);
    view.setSnapshot(test::hand::handSnapshot());
    view.setMetric(QStringLiteral("mean_distance"));
    HeadOverviewModel* m = view.model();
    QSet<int> decimals;
    for (int l = 0; l < m->rowCount(); ++l)
        for (int h = 0; h < m->columnCount(); ++h) {
            const QString text = m->index(l, h).data().toString();
            const double v = m->value(l, h);
            if (!std::isfinite(v)) continue;
            decimals << int(text.size() - text.indexOf(QLatin1Char('.')) - 1);
            QVERIFY2(std::abs(text.toDouble() - v) <= 0.5 * std::pow(10.0, -m->cellDecimals()), qPrintable(text));
        }
    QCOMPARE(decimals.size(), 1);
    QCOMPARE(HeadOverviewModel(nullptr).formatCell(std::nan("")), QStringLiteral("n/a"));
}

QTEST_MAIN(TestViewsGrid)
#include "test_views_grid.moc"
