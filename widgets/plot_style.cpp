#include "plot_style.h"
#include "title_text.h"

#include <QFontMetricsF>
#include <qcustomplot.h>

#include <algorithm>

namespace headlight {

PlotStyle PlotStyle::fromPalette(const QPalette& palette) {
    PlotStyle s;
    s.background = palette.color(QPalette::Base);
    s.foreground = palette.color(QPalette::Text);
    s.dark = s.background.lightness() < 128;
    s.grid = s.dark ? QColor(255, 255, 255, 40) : QColor(0, 0, 0, 35);
    s.accent = palette.color(QPalette::Highlight);
    s.masked = s.dark ? QColor(255, 90, 80) : QColor(210, 30, 30);
    s.font = QFont();
    return s;
}

PlotStyle PlotStyle::publication() {
    PlotStyle s;
    s.background = Qt::white;
    s.foreground = Qt::black;
    s.grid = QColor(0, 0, 0, 35);
    s.accent = QColor(31, 119, 180);
    s.masked = QColor(210, 30, 30);
    s.font = QFont(QStringLiteral("DejaVu Sans"), 8);
    s.print = true;
    return s;
}

namespace {

// `text` broken at spaces into lines no wider than `width` pixels in `font` (existing line breaks kept).
QString wrapped(const QString& text, const QFont& font, double width) {
    const QFontMetricsF fm(font);
    QStringList out;
    for (const QString& paragraph : text.split(QLatin1Char('\n'))) {
        QString line;
        for (const QString& word : paragraph.split(QLatin1Char(' '))) {
            const QString candidate = line.isEmpty() ? word : line + QLatin1Char(' ') + word;
            if (!line.isEmpty() && fm.horizontalAdvance(candidate) > width) {
                out << line;
                line = word;
            } else {
                line = candidate;
            }
        }
        out << line;
    }
    return out.join(QLatin1Char('\n'));
}

// After every layout (on screen and for each figure's size), the titles are wrapped to the width they got;
// when that changed a line count, the layout runs again at once so this drawing already fits.
void wrapTitlesAfterLayout(QCustomPlot* plot) {
    const char* hooked = "headlightWrapTitles";
    if (plot->property(hooked).toBool()) return;
    plot->setProperty(hooked, true);
    QObject::connect(plot, &QCustomPlot::afterLayout, plot, [plot] {
        bool changed = false;
        const double page = plot->viewport().width();
        for (QCPLayoutElement* element : plot->plotLayout()->elements(true)) {
            auto* title = qobject_cast<QCPTextElement*>(element);
            if (!title || title->text().isEmpty()) continue;
            // A text the view set since the last wrap is the new full text.
            if (title->text() != title->property("headlightWrapped").toString())
                title->setProperty("headlightFull", title->text());
            const QString full = title->property("headlightFull").toString();
            const double width = std::min(page, static_cast<double>(title->outerRect().width())) - 8;
            const QString text = wrapped(full, title->font(), std::max(40.0, width));
            title->setProperty("headlightWrapped", text);
            if (text != title->text()) {
                title->setText(text);
                changed = true;
            }
        }
        if (changed)
            for (auto phase : {QCPLayoutElement::upPreparation, QCPLayoutElement::upMargins, QCPLayoutElement::upLayout})
                plot->plotLayout()->update(phase);
    });
}

void styleAxis(QCPAxis* axis, const PlotStyle& s) {
    const QPen pen(s.foreground, 0);
    axis->setBasePen(pen);
    axis->setTickPen(pen);
    axis->setSubTickPen(pen);
    axis->setTickLabelColor(s.foreground);
    axis->setLabelColor(s.foreground);
    axis->setTickLabelFont(s.font);
    axis->setLabelFont(s.font);
    axis->grid()->setPen(QPen(s.grid, 0, Qt::DotLine));
    axis->grid()->setSubGridPen(Qt::NoPen);
    axis->grid()->setZeroLinePen(QPen(s.grid, 0));
}

} // namespace

void applyStyle(QCustomPlot* plot, const PlotStyle& s) {
    wrapTitlesAfterLayout(plot);
    plot->setBackground(QBrush(s.background));
    for (QCPAxisRect* rect : plot->axisRects()) {
        rect->setBackground(QBrush(s.background));
        for (QCPAxis* axis : rect->axes()) styleAxis(axis, s);
    }
    for (QCPLayoutElement* element : plot->plotLayout()->elements(true)) {
        if (auto* scale = qobject_cast<QCPColorScale*>(element)) styleAxis(scale->axis(), s);
        if (auto* text = qobject_cast<QCPTextElement*>(element)) {
            text->setTextColor(s.foreground);
            QFont f = s.font;
            f.setBold(true);
            text->setFont(f);
        }
    }
    if (plot->legend) {
        plot->legend->setBrush(QBrush(s.background));
        plot->legend->setTextColor(s.foreground);
        plot->legend->setBorderPen(QPen(s.grid, 0));
        plot->legend->setFont(s.font);
    }
}

void applyHeatGradient(QCPColorMap* map, const PlotStyle& s) {
    // Viridis at nine stops: perceptually uniform, readable in print and for colour-blind readers.
    static const QColor stops[] = {{68, 1, 84},    {72, 40, 120},  {62, 74, 137},  {49, 104, 142}, {38, 130, 142},
                                   {31, 158, 137}, {53, 183, 121}, {110, 206, 88}, {253, 231, 37}};
    QCPColorGradient g;
    g.clearColorStops();
    for (int i = 0; i < 9; ++i) g.setColorStopAt(i / 8.0, stops[i]);
    g.setLevelCount(256);
    map->setGradient(g);
    map->setInterpolate(false);
    (void)s;
}

QString unwrappedTitle(const QCPTextElement* title) {
    return title->text() == title->property("headlightWrapped").toString() ? title->property("headlightFull").toString()
                                                                          : title->text();
}

QColor seriesColor(int index) {
    // Tableau 10: distinct in light and dark palettes.
    static const QColor colors[] = {{31, 119, 180}, {255, 127, 14}, {44, 160, 44},  {214, 39, 40},  {148, 103, 189},
                                    {140, 86, 75},  {227, 119, 194}, {127, 127, 127}, {188, 189, 34}, {23, 190, 207}};
    return colors[((index % 10) + 10) % 10];
}

} // namespace headlight
