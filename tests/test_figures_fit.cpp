// Figures for papers: every view rendered at a journal's single-column width in PNG, SVG and PDF (one layout for
// all three), and the text of each laid-out plot checked: no tick label, axis title, plot title, legend or
// annotation leaves its axis rect or the page, and no two labels overlap. Geometry from QCustomPlot's layout
// at the figure's size, never pixels.
#include "figure_export.h"
#include "head_selection.h"
#include "model_session.h"
#include "trace_view.h"
#include "view_registry.h"
#include "view_preset.h"
#include "view_test_support.h"
#include "views/attention/token_lines_canvas.h"
#include "views/attention/token_lines_view.h"
#include "test_support.h"

#include "headlight/engine.h"
#include "headlight/what_if.h"

#include <QFile>
#include <QFontMetrics>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>
#include <qcustomplot.h>

#include <functional>
#include <memory>

using namespace headlight;

namespace {

// The layout step every drawing (screen or figure) starts with, and its afterLayout hooks.
struct PlotAccess : QCustomPlot {
    using QCustomPlot::updateLayout;
};

struct TextBox {
    QString what;
    QRectF box;
};

QRectF textRect(const QFont& font, const QString& text) {
    return QFontMetrics(font).boundingRect(QRect(0, 0, 0, 0), Qt::TextDontClip | Qt::AlignCenter, text);
}

// The tick labels of a linear axis that are all numbers print with one number of decimals ("0.0", "0.5",
// "1.0"; never "0" beside "0.75"): an empty string when they do, else the labels.
QString unlikeNumbers(QCPAxis* axis) {
    if (!axis->visible() || !axis->tickLabels() || axis->scaleType() != QCPAxis::stLinear) return {};
    int decimals = -1;
    bool alike = true;
    QStringList shown;
    const QVector<double> ticks = axis->tickVector();
    const QVector<QString> labels = axis->tickVectorLabels();
    for (int k = 0; k < ticks.size() && k < labels.size(); ++k) {
        if (!axis->range().contains(ticks[k]) || labels[k].isEmpty()) continue;
        QString label = labels[k];
        label.replace(QChar(0x2212), QLatin1Char('-'));
        bool number = false;
        label.toDouble(&number);
        if (!number) return {};   // token or head names
        const int d = label.contains(QLatin1Char('.')) ? int(label.size() - label.indexOf(QLatin1Char('.')) - 1) : 0;
        alike = alike && (decimals < 0 || d == decimals);
        decimals = d;
        shown << labels[k];
    }
    return alike ? QString() : shown.join(QStringLiteral(", "));
}

// Problems with the text of `plot` as laid out now (its viewport is the page).
QStringList textProblems(QCustomPlot* plot) {
    QStringList problems;
    for (QCPLayoutElement* element : plot->plotLayout()->elements(true))
        if (auto* scale = qobject_cast<QCPColorScale*>(element); scale && scale->visible())
            if (const QString unlike = unlikeNumbers(scale->axis()); !unlike.isEmpty())
                problems << QStringLiteral("colour scale numbers print unlike: %1").arg(unlike);
    const QRectF page = plot->viewport();
    auto outside = [&](const QRectF& r, const QRectF& bounds) { return !bounds.adjusted(-1, -1, 1, 1).contains(r); };
    for (QCPAxisRect* rect : plot->axisRects()) {
        if (!rect->visible()) continue;
        const QRectF area = rect->rect();
        for (QCPAxis* axis : rect->axes()) {
            if (!axis->visible()) continue;
            const bool horizontal = axis->orientation() == Qt::Horizontal;
            const double along = horizontal ? area.width() : area.height();
            // The axis title fits beside its axis rect.
            if (!axis->label().isEmpty()) {
                const QRectF r = textRect(axis->labelFont(), axis->label());
                const double length = horizontal ? r.width() : r.width();   // vertical titles are rotated
                if (length > along + 2) problems << QStringLiteral("axis title \"%1\" (%2 px) is longer than its axis (%3 px)")
                                                       .arg(axis->label()).arg(length).arg(along);
            }
            if (!axis->tickLabels()) continue;
            if (const QString unlike = unlikeNumbers(axis); !unlike.isEmpty())
                problems << QStringLiteral("axis numbers print unlike: %1").arg(unlike);
            const QVector<double> ticks = axis->tickVector();
            const QVector<QString> labels = axis->tickVectorLabels();
            const bool rotated = std::abs(axis->tickLabelRotation()) > 45;
            double previousCentre = 0, previousExtent = -1;
            QString previous;
            for (int k = 0; k < ticks.size() && k < labels.size(); ++k) {
                if (!axis->range().contains(ticks[k]) || labels[k].isEmpty()) continue;
                const QRectF r = textRect(axis->tickLabelFont(), labels[k]);
                const double extent = (horizontal != rotated) ? r.width() : r.height();
                const double centre = axis->coordToPixel(ticks[k]);
                const double lower = horizontal ? page.left() : page.top(), upper = horizontal ? page.right() : page.bottom();
                if (centre - extent / 2 < lower - 1 || centre + extent / 2 > upper + 1)
                    problems << QStringLiteral("tick label \"%1\" leaves the page").arg(labels[k]);
                if (previousExtent >= 0 && std::abs(centre - previousCentre) < (extent + previousExtent) / 2)
                    problems << QStringLiteral("tick labels \"%1\" and \"%2\" overlap").arg(previous, labels[k]);
                previous = labels[k];
                previousCentre = centre;
                previousExtent = extent;
            }
        }
    }
    std::vector<TextBox> boxes;
    for (QCPLayoutElement* element : plot->plotLayout()->elements(true)) {
        if (auto* title = qobject_cast<QCPTextElement*>(element)) {
            if (!title->visible() || title->text().isEmpty()) continue;
            const QRectF r = textRect(title->font(), title->text());
            if (r.width() > page.width() + 1)
                problems << QStringLiteral("title \"%1\" (%2 px) is wider than the figure (%3 px)").arg(title->text()).arg(r.width()).arg(page.width());
        }
        if (auto* legend = qobject_cast<QCPLegend*>(element)) {
            if (!legend->visible() || legend->itemCount() == 0) continue;
            if (outside(legend->outerRect(), page)) problems << QStringLiteral("the legend leaves the page");
            for (int i = 0; i < legend->itemCount(); ++i) {
                auto* item = qobject_cast<QCPPlottableLegendItem*>(legend->item(i));
                if (!item || !item->visible()) continue;
                if (outside(item->outerRect(), page)) problems << QStringLiteral("legend entry \"%1\" leaves the page").arg(item->plottable()->name());
                // Its icon and whole text fit the room it got (a squeezed entry cuts its text).
                const int needed = static_cast<const QCPLayoutElement*>(item)->minimumOuterSizeHint().width();
                if (needed > item->outerRect().width() + 1)
                    problems << QStringLiteral("legend entry \"%1\" is cut (%2 px of %3)")
                                    .arg(item->plottable()->name()).arg(needed).arg(item->outerRect().width());
            }
        }
    }
    for (int i = 0; i < plot->itemCount(); ++i) {
        auto* text = qobject_cast<QCPItemText*>(plot->item(i));
        if (!text || !text->visible() || text->text().trimmed().isEmpty()) continue;
        const QPointF anchor = text->position->pixelPosition();
        QRectF r = textRect(text->font(), text->text());
        const QMargins pad = text->padding();
        r.setSize(r.size() + QSizeF(pad.left() + pad.right(), pad.top() + pad.bottom()));
        if (std::abs(text->rotation()) > 45) r = QRectF(0, 0, r.height(), r.width());
        const Qt::Alignment a = text->positionAlignment();
        const double x = a & Qt::AlignLeft ? anchor.x() : a & Qt::AlignRight ? anchor.x() - r.width() : anchor.x() - r.width() / 2;
        const double y = a & Qt::AlignTop ? anchor.y() : a & Qt::AlignBottom ? anchor.y() - r.height() : anchor.y() - r.height() / 2;
        const QRectF box(x, y, r.width(), r.height());
        const QRectF bounds = text->clipToAxisRect() && text->clipAxisRect() ? QRectF(text->clipAxisRect()->rect()) : page;
        if (outside(box, bounds))
            problems << QStringLiteral("label \"%1\" leaves its %2").arg(text->text(), text->clipToAxisRect() ? "axis rect" : "page");
        for (const TextBox& other : boxes)
            if (other.box.adjusted(1, 1, -1, -1).intersects(box.adjusted(1, 1, -1, -1)))
                problems << QStringLiteral("labels \"%1\" and \"%2\" overlap").arg(other.what, text->text());
        boxes.push_back({text->text(), box});
    }
    return problems;
}

// A page's text block is about 9 in tall: no figure may be taller.
constexpr int kPageTextPoints = 648;

// The layout of `v`'s figure at `options` (its PNG written to `png`): the page's size, then every plot's text
// laid out at the figure's pixels in the publication style (textProblems).
// `inspect`, when given, sees each plot laid out so.
QStringList exportedFigureProblems(TraceView& v, const ExportOptions& options, const QString& png,
                                   const std::function<void(QCustomPlot*)>& inspect = {}) {
    QStringList problems;
    const QSize page = v.figurePoints(options.size);
    const QImage image(png);
    if (image.size() != QSize(qRound(page.width() * options.dpi / 72.0), qRound(page.height() * options.dpi / 72.0)))
        problems << QStringLiteral("PNG %1 x %2 for a page of %3 x %4 pt").arg(image.width()).arg(image.height())
                        .arg(page.width()).arg(page.height());
    // Views that stack panels keep the column's width and take a taller page (never a wider one), at most the
    // 9 in of a page's text; a view of one shape (the head grid) takes the height its width gives it.
    if (page.width() != options.size.width()) problems << QStringLiteral("page %1 pt wide").arg(page.width());
    const bool shorter = page.height() < options.size.height() && !v.figureHeightFollowsWidth();
    if (shorter || page.height() > kPageTextPoints)
        problems << QStringLiteral("page %1 pt tall").arg(page.height());
    const QSize pixels = layoutPixelsFor(page);
    ExportOptions arranged = options;
    arranged.size = page;
    v.withFigure(arranged, [&] {
        for (QCustomPlot* plot : v.findChildren<QCustomPlot*>()) {
            if (!plot->isVisibleTo(&v)) continue;
            plot->setViewport(QRect(QPoint(0, 0), pixels));
            void (QCustomPlot::*layout)() = &PlotAccess::updateLayout;
            for (int pass = 0; pass < 2; ++pass) (plot->*layout)();   // token ticks fit the pass before
            problems << textProblems(plot);
            if (inspect) inspect(plot);
        }
    });
    return problems;
}

} // namespace

namespace {

// The Lens and Attribution views show what the app computes when they are shown: computed here as the figure
// command does (inspectRun), on `engine` or the sample model random-all-mechanisms.
void inspectForFigure(RunSnapshot& run, const QString& view, const HeadSelection& selection, const Engine* engine = nullptr) {
    if (view != QLatin1String("lens") && view != QLatin1String("attribution")) return;
    static const Engine sample = Engine::load(test::sourcePath("sample_models/random-all-mechanisms"));
    const int position = selection.position() >= 0 ? selection.position() : run.tokens() - 1;
    const InspectResult r = inspectRun(engine ? *engine : sample, run, view == QLatin1String("lens"),
                                       view == QLatin1String("attribution") ? position : -1);
    run.lens = r.lens;
    run.attribution = r.attribution;
}

} // namespace

class TestFiguresFit : public QObject {
    Q_OBJECT

    RunSnapshot run_, pruned_;

private slots:
    void initTestCase() {
        const std::string text = "Headlight shows every head.";
        run_ = test::sampleModelRun(text);
        // The what-if view compares a pruned run with the unpruned one.
        const Engine engine = Engine::load(test::sourcePath("sample_models/random-all-mechanisms"));
        RunRequest request;
        request.tokenIds = engine.encode(text);
        request.headMask = {1, 1, 1, 1, 1, 0, 1, 1};
        pruned_ = run_;
        pruned_.trace = std::make_shared<const Trace>(engine.run(request));
        pruned_.baseline = run_.trace;
        pruned_.comparison = std::make_shared<const RunComparison>(compareRuns(*run_.trace, *pruned_.trace));
    }

    void everyViewFitsASingleColumn_data() {
        QTest::addColumn<QString>("view");
        for (const QString& id : viewIds()) QTest::newRow(qPrintable(id)) << id;
    }

    void everyViewFitsASingleColumn() {
        QFETCH(QString, view);
        HeadSelection selection;
        selection.setCurrent({1, 1});
        std::unique_ptr<TraceView> v(createView(view, &selection));
        QVERIFY(v);
        v->resize(900, 700);
        RunSnapshot shown = view == QLatin1String("whatif") ? pruned_ : run_;
        inspectForFigure(shown, view, selection);
        v->setSnapshot(shown);
        QVERIFY2(v->unavailableReason().isEmpty(), qPrintable(v->unavailableReason()));
        ExportOptions options;
        options.size = figureSizeFor(QStringLiteral("single"));
        options.dpi = 150;
        QVERIFY(options.size.width() >= 230 && options.size.width() <= 250);   // about 3.3 in
        QTemporaryDir dir;
        for (const QString& suffix : exportSuffixes()) {
            const QString path = dir.filePath(view + QLatin1Char('.') + suffix);
            v->exportFigure(path, options);
            const QString problem = test::exportProblem(path, suffix, 200);
            QVERIFY2(problem.isEmpty(), qPrintable(problem));
        }
        QStringList problems = exportedFigureProblems(*v, options, dir.filePath(view + QStringLiteral(".png")));
        QVERIFY2(problems.isEmpty(), qPrintable(view + ":\n  " + problems.join("\n  ")));
    }

    // Each view on the sample that has its mechanism (its own example text, its preset head, the what-if with
    // that head pruned), at a single and a double column: nothing overlaps or leaves the page, and the page is
    // never taller than a page's text.
    void everyViewFitsOnItsSample_data() {
        QTest::addColumn<QString>("view");
        QTest::addColumn<QString>("sample");
        QTest::addColumn<QString>("width");
        const QMap<QString, QString> own{{"gates", "induction-gates"}, {"spans", "mixed-range-span"},
                                         {"selective", "assign-selective"}, {"memory", "lookup-memory"}};
        for (const QString& id : viewIds())
            for (const char* width : {"single", "double"}) {
                const QString sample = own.value(id, QStringLiteral("induction-gates"));
                QTest::newRow(qPrintable(id + QLatin1Char(' ') + width)) << id << sample << QString::fromLatin1(width);
            }
    }

    void everyViewFitsOnItsSample() {
        QFETCH(QString, view);
        QFETCH(QString, sample);
        QFETCH(QString, width);
        const QString dir = QString::fromStdString(test::sourcePath("sample_models/" + sample.toStdString()));
        const Engine engine = Engine::load(dir.toStdString());
        QFile example(dir + QStringLiteral("/example.txt"));
        QVERIFY(example.open(QIODevice::ReadOnly));
        const std::string text = QString::fromUtf8(example.readLine()).trimmed().toStdString();
        auto model = std::make_shared<ModelInfo>();
        model->config = engine.config();
        model->preset = readViewPreset(dir);
        for (int64_t id = 0; id < engine.tokenizer()->vocabSize(); ++id) model->vocabulary.push_back(engine.tokenizer()->tokenText(id));
        RunRequest request;
        request.tokenIds = engine.encode(text);
        RunSnapshot run;
        run.model = model;
        run.trace = std::make_shared<const Trace>(engine.run(request));
        const HeadRef head{std::max(0, model->preset.layer), std::max(0, model->preset.head)};
        if (view == QLatin1String("whatif")) {
            request.headMask.assign(static_cast<size_t>(engine.config().nLayer * engine.config().nHead), 1.0f);
            request.headMask[static_cast<size_t>(head.layer * engine.config().nHead + head.head)] = 0;
            RunSnapshot pruned = run;
            pruned.trace = std::make_shared<const Trace>(engine.run(request));
            pruned.baseline = run.trace;
            pruned.comparison = std::make_shared<const RunComparison>(compareRuns(*run.trace, *pruned.trace));
            run = pruned;
        }
        HeadSelection selection;
        selection.setCurrent(head);
        const int fromEnd = model->preset.positionFromEnd;
        selection.setPosition(fromEnd > 0 ? run.tokens() - fromEnd : run.tokens() - 1);
        std::unique_ptr<TraceView> v(createView(view, &selection));
        QVERIFY(v);
        v->resize(900, 700);
        inspectForFigure(run, view, selection, &engine);
        v->setSnapshot(run);
        QVERIFY2(v->unavailableReason().isEmpty(), qPrintable(v->unavailableReason()));
        ExportOptions options;
        options.size = figureSizeFor(width);
        options.dpi = 72;
        QTemporaryDir out;
        const QString png = out.filePath(view + QStringLiteral(".png"));
        v->exportFigure(png, options);
        // The attention matrix names every token of a short text on both axes (BertViz and CircuitsVis do): at a
        // single column with its colour scale above, key labels turned and smaller.
        QStringList unlabelled;
        const std::function<void(QCustomPlot*)> everyToken = [&](QCustomPlot* plot) {
            for (QCPAxis* axis : {plot->xAxis, plot->yAxis})
                if (axis->tickVector().size() != run.tokens())
                    unlabelled << QStringLiteral("%1 of %2 tokens labelled on \"%3\"")
                                      .arg(axis->tickVector().size()).arg(run.tokens()).arg(axis->label());
        };
        const bool attention = view == QLatin1String("attention");
        const QStringList problems = exportedFigureProblems(*v, options, png, attention ? everyToken : std::function<void(QCustomPlot*)>());
        QVERIFY2(problems.isEmpty(), qPrintable(view + " on " + sample + ":\n  " + problems.join("\n  ")));
        if (attention) QVERIFY(run.tokens() >= 25);
        QVERIFY2(unlabelled.isEmpty(), qPrintable(unlabelled.join("; ")));
        // Token lines: a page tall enough for a labelled row per token (no window, no thinned labels).
        if (auto* lines = qobject_cast<TokenLinesView*>(v.get())) {
            TokenLinesCanvas page(lines->controller());
            page.setPlotStyle(PlotStyle::publication());
            page.resize(layoutPixelsFor(v->figurePoints(options.size)));
            QCOMPARE(page.rowCount(), run.tokens());
            QVERIFY2(page.rowHeight() >= QFontMetricsF(PlotStyle::publication().font).height(),
                     qPrintable(QString::number(page.rowHeight())));
        }
    }

    // `headlight-cli --help` names every view `figure --view` takes, and a figure is a single column by default.
    void cliListsEveryViewAndDefaultsToAColumn() {
        QProcess help;
        help.start(HEADLIGHT_CLI, {"--help"});
        QVERIFY(help.waitForFinished(60000));
        const QString text = QString::fromUtf8(help.readAllStandardOutput() + help.readAllStandardError());
        const qsizetype at = text.indexOf("VIEW:");
        QVERIFY2(at >= 0, qPrintable(text));
        QString listed = text.mid(at + 5, text.indexOf("--version", at) - at - 5);
        listed.replace('\n', ' ');
        QStringList names;
        for (const QString& word : listed.split(QRegularExpression("[ ,]+"), Qt::SkipEmptyParts)) names << word;
        for (const QString& id : viewIds()) QVERIFY2(names.contains(id), qPrintable(id + " missing from: " + listed));
        QTemporaryDir dir;
        const QString out = dir.filePath("matrix.pdf");
        QProcess figure;
        figure.start(HEADLIGHT_CLI, {"figure", QString::fromStdString(test::sourcePath("sample_models/induction-gates")),
                                     "--text", "^abcabc", "--view", "attention", "--out", out});
        QVERIFY(figure.waitForFinished(60000));
        const QString printed = QString::fromUtf8(figure.readAllStandardOutput());
        QVERIFY2(figure.exitCode() == 0, qPrintable(figure.readAllStandardError()));
        const QSize single = figureSizeFor("single");
        // A column wide; taller than the preset, as the matrix spans the column under its colour scale.
        const QRegularExpression size("\"size_points\": \\[ (\\d+), (\\d+) \\]");
        const QRegularExpressionMatch printedSize = size.match(printed.simplified());
        QVERIFY2(printedSize.hasMatch(), qPrintable(printed));
        QCOMPARE(printedSize.captured(1).toInt(), single.width());
        QVERIFY2(printedSize.captured(2).toInt() > single.height(), qPrintable(printed));
        // A stacked view takes the height its panels need: the size printed is the page written (72 dpi: 1 px a point).
        const QString spans = dir.filePath("spans.png");
        figure.start(HEADLIGHT_CLI, {"figure", QString::fromStdString(test::sourcePath("sample_models/mixed-range-span")),
                                     "--text", "^abcabcabc", "--view", "spans", "--dpi", "72", "--out", spans});
        QVERIFY(figure.waitForFinished(60000));
        QVERIFY2(figure.exitCode() == 0, qPrintable(figure.readAllStandardError()));
        const QImage page(spans);
        QVERIFY(page.height() > single.height());
        QVERIFY2(QString::fromUtf8(figure.readAllStandardOutput()).simplified().contains(
                     QString("\"size_points\": [ %1, %2 ]").arg(page.width()).arg(page.height())),
                 qPrintable(QString("page %1 x %2").arg(page.width()).arg(page.height())));
        // Without --layer and --head, the head the sample's view.json names (assign-selective: layer 1, head 0);
        // --layer picks another.
        for (const QStringList& extra : {QStringList{}, QStringList{"--layer", "0"}}) {
            figure.start(HEADLIGHT_CLI, QStringList{"figure", QString::fromStdString(test::sourcePath("sample_models/assign-selective")),
                                                    "--text", "^a=1;b=2;a=3;?a=", "--view", "selective", "--out",
                                                    dir.filePath("selective.png")} + extra);
            QVERIFY(figure.waitForFinished(60000));
            QVERIFY2(figure.exitCode() == 0, qPrintable(figure.readAllStandardError()));
            const QString json = QString::fromUtf8(figure.readAllStandardOutput()).simplified();
            QVERIFY2(json.contains(extra.isEmpty() ? "\"layer\": 1" : "\"layer\": 0") && json.contains("\"head\": 0"), qPrintable(json));
        }
        // A height asked for is the height written, for a stacked view and for the grid (which otherwise takes
        // the height its width gives the grid).
        for (const char* view : {"spans", "grid"}) {
            const QString file = dir.filePath(QString::fromLatin1(view) + ".png");
            figure.start(HEADLIGHT_CLI, {"figure", QString::fromStdString(test::sourcePath("sample_models/mixed-range-span")),
                                         "--text", "^abcabcabc", "--view", view, "--dpi", "72", "--width", "300",
                                         "--height", "260", "--out", file});
            QVERIFY(figure.waitForFinished(60000));
            QVERIFY2(figure.exitCode() == 0, qPrintable(figure.readAllStandardError()));
            QCOMPARE(QImage(file).size(), QSize(300, 260));
            QVERIFY(QString::fromUtf8(figure.readAllStandardOutput()).simplified().contains("\"size_points\": [ 300, 260 ]"));
        }
    }
};

QTEST_MAIN(TestFiguresFit)
#include "test_figures_fit.moc"
