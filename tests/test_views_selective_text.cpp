// The selective attention view's text panel, as Leviathan et al. 2024 draw it: the window a long text shows
// (chosen from token widths alone, then in a laid-out plot: every slot's text at its position, ellipses where
// tokens are left out, no two labels overlapping), the arcs from each masker to its key ordered by strength,
// the maskers in bold, and the figure at single- and double-column width.
#include "figure_export.h"
#include "test_support.h"
#include "view_test_support.h"
#include "views/mechanisms/selective_controller.h"
#include "views/mechanisms/selective_view.h"

#include <QFontMetricsF>
#include <QtTest>
#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

using namespace headlight;
using headlight::test::arcsOf;
using headlight::test::click;
using headlight::test::cumsumRows;
using headlight::test::layerTrace;
using headlight::test::showExposed;
using headlight::test::snapshotOf;
using headlight::test::tinyConfig;
using headlight::test::values;

using Window = std::vector<int>;
using Widths = std::vector<double>;
using Arcs = std::vector<std::pair<int, int>>;

namespace {

// A text of assignments written one character a token ("a=0;b=1;c=2;..."), `T` tokens, whose S is given by
// hand as (masker, key, S) triples: the engine's S is shifted down a row, so masker k writes row k + 1.
RunSnapshot assignmentSnapshot(int T, const std::vector<std::tuple<int, int, float>>& masks, std::vector<float> evicted0 = {}) {
    Trace t;
    for (int i = 0; i < T; ++i) {
        const int n = i / 4;
        const char c = i % 4 == 0 ? static_cast<char>('a' + n % 6) : i % 4 == 2 ? static_cast<char>('0' + n % 10) : "?=?;"[i % 4];
        t.tokenIds.push_back(i % 11);
        t.tokens.push_back(std::string(1, c));
    }
    std::vector<float> s(static_cast<size_t>(T * T), 0.0f);
    for (auto [masker, key, value] : masks) s[static_cast<size_t>((masker + 1) * T + key)] = value;
    for (int l = 0; l < 2; ++l) {
        LayerTrace layer = layerTrace(l, {0, 1});
        layer["selection"] = values({T, T}, s);
        layer["selection_cumulative"] = cumsumRows(layer["selection"]);
        if (l == 0 && !evicted0.empty()) layer["evicted_at"] = values({T}, evicted0);
        t.layers.push_back(layer);
    }
    if (!evicted0.empty()) t.contextBudget = {3, 0};
    return snapshotOf(tinyConfig({"selective"}, 2, 2, 8, 11, std::max(T, 16)), t);
}

// The four masks of the long text, strongest first: (masker, key, S).
const std::vector<std::tuple<int, int, float>> kLongMasks = {{100, 20, 2.0f}, {110, 109, 0.8f}, {60, 5, 0.5f}, {41, 40, 0.3f}};

// Where a text item is drawn now: its text's box (padding included) centred on its position.
QRectF textBox(const QCPItemText* text) {
    QRectF r = QFontMetricsF(text->font()).boundingRect(text->text());
    const QMargins pad = text->padding();
    r.setSize(r.size() + QSizeF(pad.left() + pad.right(), pad.top() + pad.bottom()));
    r.moveCenter(text->position->pixelPosition());
    return r;
}

// Lays `view`'s plot out at `pixels` as a drawing there does (twice: the first may rewrap the title).
void layOut(SelectiveView& view, QSize pixels) {
    for (int pass = 0; pass < 2; ++pass) view.plot()->toPixmap(pixels.width(), pixels.height());
}

// What is wrong with the text panel as laid out now: a slot whose text is not its token's (or an ellipsis), a
// stretch of tokens left out without an ellipsis, labels that overlap or leave the panel.
QStringList textPanelProblems(const SelectiveController& c, const RunSnapshot& run) {
    QStringList problems;
    const SelectiveArcs& arcs = c.arcs();
    const auto& shown = arcs.slotTokens();
    if (arcs.texts().size() != shown.size()) return {QString("%1 texts for %2 shown").arg(arcs.texts().size()).arg(shown.size())};
    QCPAxis* x = c.tokenRect()->axis(QCPAxis::atBottom);
    const QRectF panel = c.tokenRect()->rect();
    int previous = -1;   // the last token shown
    bool gap = false;    // an ellipsis since
    for (size_t s = 0; s < shown.size(); ++s) {
        const QCPItemText* text = arcs.texts()[s];
        const QString expected = shown[s] < 0 ? QStringLiteral("\u2026") : run.tokenLabel(shown[s]);
        if (text->text() != expected) problems << QString("slot %1 reads '%2', not '%3'").arg(s).arg(text->text(), expected);
        if (std::abs(text->position->pixelPosition().x() - x->coordToPixel(arcs.slotCentres()[s])) > 0.5)
            problems << QString("slot %1 is not at its position").arg(s);
        const QRectF box = textBox(text);
        if (!panel.adjusted(-1, -1, 1, 1).contains(box)) problems << QString("'%1' leaves the panel").arg(text->text());
        if (s > 0 && textBox(arcs.texts()[s - 1]).intersects(box.adjusted(0.5, 0, 0, 0)))
            problems << QString("'%1' and '%2' overlap").arg(arcs.texts()[s - 1]->text(), text->text());
        if (shown[s] < 0) {
            gap = true;
            continue;
        }
        if ((shown[s] > previous + 1) != gap) problems << QString("tokens %1 to %2: ellipsis wrong").arg(previous).arg(shown[s]);
        previous = shown[s];
        gap = false;
    }
    if ((previous < run.tokens() - 1) != gap) problems << "the end of the text: ellipsis wrong";
    return problems;
}

} // namespace

class TestViewsSelectiveText : public QObject {
    Q_OBJECT
private slots:
    void tokenWindowKeepsQueryAndStrongestArcs_data();
    void tokenWindowKeepsQueryAndStrongestArcs();
    void longTextShowsAWindowAroundTheQuery_data();
    void longTextShowsAWindowAroundTheQuery();
    void figureFitsAPageAtBothWidths_data();
    void figureFitsAPageAtBothWidths();
};

void TestViewsSelectiveText::tokenWindowKeepsQueryAndStrongestArcs_data() {
    QTest::addColumn<Widths>("widths");   // each token's; an ellipsis is 1 wide
    QTest::addColumn<int>("query");
    QTest::addColumn<Arcs>("arcs");   // (masker, key), strongest first
    QTest::addColumn<double>("room");
    QTest::addColumn<Window>("expected");
    auto ones = [](int tokens) { return Widths(static_cast<size_t>(tokens), 1.0); };
    auto range = [](int from, int to) { Window w; for (int t = from; t <= to; ++t) w.push_back(t); return w; };
    auto join = [](std::initializer_list<Window> parts) { Window w; for (const Window& p : parts) w.insert(w.end(), p.begin(), p.end()); return w; };
    QTest::addRow("fits: every token") << ones(6) << 5 << Arcs{{4, 2}} << 10.0 << range(0, 5);
    // Two ellipses (before and after): ten tokens, the query's neighbours and those before it.
    QTest::addRow("no arcs: before the query") << ones(100) << 90 << Arcs{} << 12.0 << range(82, 91);
    // Four ellipses and ten tokens for the arc's ends with their neighbours, six left for the query's side.
    QTest::addRow("an arc's ends") << ones(100) << 90 << Arcs{{60, 10}} << 20.0 << join({range(9, 11), range(59, 61), range(82, 91)});
    // The second arc needs four slots more than the two left: it and every weaker arc are left out.
    QTest::addRow("an arc that does not fit") << ones(100) << 90 << Arcs{{60, 10}, {40, 30}} << 16.0
                                              << join({range(9, 11), range(59, 61), range(86, 91)});
    // Token 16 closes the gap between the arc's key and the query for free (a token for an ellipsis).
    QTest::addRow("a one-token gap closes first") << ones(20) << 19 << Arcs{{18, 14}} << 9.0 << range(12, 19);
    // Token 5 (5 wide) does not fit beside the query's four (4 + an ellipsis): the window ends after it.
    QTest::addRow("a wide token") << Widths{1, 1, 1, 1, 1, 5, 1, 1, 1, 1} << 9 << Arcs{} << 8.0 << range(6, 9);
}

void TestViewsSelectiveText::tokenWindowKeepsQueryAndStrongestArcs() {
    QFETCH(Widths, widths);
    QFETCH(int, query);
    QFETCH(Arcs, arcs);
    QFETCH(double, room);
    QFETCH(Window, expected);
    const Window window = selective::tokenWindow(widths, 1.0, query, arcs, room);
    QCOMPARE(window, expected);
    QVERIFY(selective::windowWidth(window, widths, 1.0) <= room);
}

void TestViewsSelectiveText::longTextShowsAWindowAroundTheQuery_data() {
    QTest::addColumn<int>("width");      // the plot's, in pixels
    QTest::addColumn<int>("position");   // the selected query
    QTest::addColumn<Arcs>("wanted");    // its arcs (masker, key), strongest first
    QTest::addColumn<bool>("allArcs");   // whether every one fits
    const Arcs last = {{100, 20}, {110, 109}, {60, 5}, {41, 40}};
    QTest::addRow("wide, last query") << 1200 << -1 << last << true;
    QTest::addRow("single column, last query") << 320 << -1 << last << false;
    QTest::addRow("wide, query 50") << 1200 << 50 << Arcs{{41, 40}} << true;
    QTest::addRow("narrow, query 50") << 320 << 50 << Arcs{{41, 40}} << true;
}

void TestViewsSelectiveText::longTextShowsAWindowAroundTheQuery() {
    QFETCH(int, width);
    QFETCH(int, position);
    QFETCH(Arcs, wanted);
    QFETCH(bool, allArcs);
    const int T = 200;   // wider than 1200 pixels however tightly written
    HeadSelection selection;
    selection.setCurrent({1, 0});
    selection.setPosition(position);
    SelectiveView view(&selection);
    const RunSnapshot run = assignmentSnapshot(T, kLongMasks);
    view.setSnapshot(run);
    QVERIFY(showExposed(view, test::kMechanismViewSize));
    layOut(view, QSize(width, 700));
    const SelectiveController* c = view.controller();
    const SelectiveArcs& arcs = c->arcs();
    const int query = position < 0 ? T - 1 : position;
    // A window, never 200 labels squeezed together: as wide as the panel's room at most.
    QVERIFY(std::count_if(arcs.slotTokens().begin(), arcs.slotTokens().end(), [](int t) { return t >= 0; }) < T);
    QVERIFY(arcs.windowWidth() <= arcs.roomUsed());
    QVERIFY(arcs.roomUsed() <= c->tokenRect()->rect().width());
    QVERIFY(arcs.slotOf(query).has_value());
    const QStringList problems = textPanelProblems(*c, run);
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join("\n")));
    // The arcs drawn are the strongest (drawn weakest first), each from its masker's slot to its key's slot,
    // darker the more masked.
    Arcs strongestFirst(c->maskLines().rbegin(), c->maskLines().rend());
    QVERIFY(!strongestFirst.empty());
    QCOMPARE(strongestFirst, Arcs(wanted.begin(), wanted.begin() + strongestFirst.size()));
    if (allArcs) QCOMPARE(strongestFirst.size(), wanted.size());
    QCOMPARE(arcs.arcsWanted(), int(wanted.size()));
    std::map<std::pair<int, int>, double> alpha;   // (masker, key) -> pen alpha
    for (QCPCurve* curve : c->maskCurves())
        for (auto [from, to] : arcsOf(curve)) alpha[{arcs.tokenAt(from).value_or(-2), arcs.tokenAt(to).value_or(-2)}] = curve->pen().color().alphaF();
    QCOMPARE(alpha.size(), strongestFirst.size());
    double previous = 2;
    for (auto [masker, key] : strongestFirst) {
        const auto at = alpha.find({masker, key});
        QVERIFY2(at != alpha.end(), qPrintable(QString("no arc from %1 to %2").arg(masker).arg(key)));
        QVERIFY(at->second <= previous);
        previous = at->second;
    }
    // Each masker written once, bold in the masking red; the query in the accent colour; no other token bold.
    for (size_t s = 0; s < arcs.slotTokens().size(); ++s) {
        const int token = arcs.slotTokens()[s];
        const bool masker = std::any_of(strongestFirst.begin(), strongestFirst.end(), [token](auto arc) { return arc.first == token; });
        const QCPItemText* text = arcs.texts()[s];
        QCOMPARE(text->font().bold(), masker || token == query);
        if (masker && token != query) QCOMPARE(text->color(), view.style().masked);
    }
    // Clicking a token in the window makes it the query, and the window follows it.
    const int target = arcs.slotTokens().front() >= 0 ? arcs.slotTokens().front() : arcs.slotTokens()[1];
    click(view.plot(), c->tokenRect(), arcs.xOf(target), 0);
    QCOMPARE(selection.position(), target);
    QVERIFY(c->arcs().slotOf(target).has_value());
}

void TestViewsSelectiveText::figureFitsAPageAtBothWidths_data() {
    QTest::addColumn<QString>("column");
    QTest::addColumn<bool>("budget");
    QTest::addColumn<int>("tokens");
    for (const char* column : {"single", "double"})
        for (bool budget : {false, true}) {
            QTest::addRow("%s, %s, 6 tokens", column, budget ? "budget" : "no budget") << QString(column) << budget << 6;
            QTest::addRow("%s, %s, 40 tokens", column, budget ? "budget" : "no budget") << QString(column) << budget << 40;
        }
}

void TestViewsSelectiveText::figureFitsAPageAtBothWidths() {
    QFETCH(QString, column);
    QFETCH(bool, budget);
    QFETCH(int, tokens);
    std::vector<float> evicted;
    if (budget) {   // budget 3 in layer 0: 'b' leaves at step 3
        evicted.assign(static_cast<size_t>(tokens), -1.0f);
        evicted[1] = 3;
    }
    const RunSnapshot run = assignmentSnapshot(tokens, {{4, 2, 1.2f}, {3, 1, 0.3f}}, evicted);
    HeadSelection selection;
    SelectiveView view(&selection);
    view.setSnapshot(run);
    QVERIFY(showExposed(view, test::kMechanismViewSize));
    QCOMPARE(view.controller()->evictionPictureShown(), budget);
    const QSize page = view.figurePoints(figureSizeFor(column));
    const double ratio = double(page.height()) / page.width();
    const bool single = column == QLatin1String("single");
    // A single column stacks the panels (at most twice as high as wide); a double column stays well under a page.
    QVERIFY2(single ? ratio <= 2.0 : ratio <= 0.75, qPrintable(QString::number(ratio)));
    SelectiveController* c = view.controller();
    view.withFigureStyle([&] {
        layOut(view, layoutPixelsFor(page));
        QCOMPARE(c->matricesStacked(), single);
        QVERIFY(c->matricesShown());
        QCOMPARE(c->evictionPictureShown(), budget);
        const QStringList problems = textPanelProblems(*c, run);
        QVERIFY2(problems.isEmpty(), qPrintable(problems.join("\n")));
        // Every token labelled: 6 in either column, 40 in a double column.
        if (!single || tokens <= 6) QCOMPARE(int(c->arcs().slotTokens().size()), tokens);
        // The panels side by side in a double column, each with room: S and F at least a third of the text panel's width.
        if (!single) QVERIFY(c->cumulativeRect()->rect().left() > c->selectionRect()->rect().right());
        QVERIFY2(c->tokenRect()->rect().height() >= 72, qPrintable(QString("text %1, min %2, visible %3, viewport %4").arg(c->tokenRect()->rect().height()).arg(c->tokenRect()->minimumSize().height()).arg(c->tokenRect()->visible()).arg(view.plot()->viewport().height())));
        // A single column with a budget picture stacks four panels in twice its width: S and F get an inch each.
        QVERIFY2(c->selectionRect()->rect().height() >= (single && budget ? 64 : 80), qPrintable(QString("S %1, text %2, page %3").arg(c->selectionRect()->rect().height()).arg(c->tokenRect()->rect().height()).arg(view.plot()->viewport().height())));
        // No closing sentence: a figure without a budget ends with S and F, not with a word about the budget.
        for (QCPLayoutElement* e : view.plot()->plotLayout()->elements(true))
            if (auto* title = qobject_cast<QCPTextElement*>(e))
                QVERIFY2(!title->visible() || !title->text().startsWith("No memory budget"), qPrintable(title->text()));
    });
    // On screen the app says there is no budget.
    bool said = false;
    for (QCPLayoutElement* e : view.plot()->plotLayout()->elements(true))
        if (auto* title = qobject_cast<QCPTextElement*>(e)) said = said || (title->visible() && title->text().startsWith("No memory budget"));
    QCOMPARE(said, !budget);
}

QTEST_MAIN(TestViewsSelectiveText)
#include "test_views_selective_text.moc"
