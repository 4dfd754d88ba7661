#include "views/mechanisms/mechanism_plot.h"

#include "symbol_glossary.h"
#include "token_ticks.h"

#include <QCoreApplication>
#include <QToolTip>

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace headlight::mech {

std::optional<HeadRef> HeadGrid::headAt(double key) const {
    if (layers <= 0 || heads <= 0) return std::nullopt;
    const long slot = std::lround(key);
    if (std::abs(key - static_cast<double>(slot)) > 0.5 || slot < 0) return std::nullopt;
    const int layer = static_cast<int>(slot / (heads + 1));
    const int head = static_cast<int>(slot % (heads + 1));
    if (layer >= layers || head >= heads) return std::nullopt;
    return HeadRef{layer, head};
}

int queryPosition(const RunSnapshot& snapshot, int selectedPosition) {
    const int tokens = snapshot.tokens();
    if (tokens <= 0) return -1;
    if (selectedPosition < 0 || selectedPosition >= tokens) return tokens - 1;
    return selectedPosition;
}

QString missingLayersNote(const QList<int>& layers) {
    if (layers.isEmpty()) return {};
    auto tr = [](const char* text) { return QCoreApplication::translate("headlight::mech", text); };
    if (layers.size() == 1) return tr("Layer %1 was not captured in this run.").arg(layers.front());
    QStringList names;
    for (int l : layers) names << QString::number(l);
    const QString last = names.takeLast();
    return tr("Layers %1 and %2 were not captured in this run.").arg(names.join(QStringLiteral(", ")), last);
}

void setHeadTicks(QCPAxis* headAxis, QCPAxis* layerAxis, const HeadGrid& grid) {
    QSharedPointer<QCPAxisTickerText> heads(new QCPAxisTickerText);
    QSharedPointer<QCPAxisTickerText> layers(new QCPAxisTickerText);
    // With many heads, label every n-th head so the numbers do not overlap.
    const int total = grid.layers * grid.heads;
    const int stride = std::max(1, total / 64 + 1);
    for (int l = 0; l < grid.layers; ++l) {
        for (int h = 0; h < grid.heads; h += stride) heads->addTick(grid.key(l, h), QString::number(h));
        layers->addTick(grid.layerCenter(l), QCoreApplication::translate("headlight::mech", "layer %1").arg(l));
    }
    heads->setSubTickCount(0);
    layers->setSubTickCount(0);
    headAxis->setTicker(heads);
    headAxis->setRange(grid.lower(), grid.upper());
    if (layerAxis) {
        layerAxis->setVisible(true);
        layerAxis->setTicker(layers);
        layerAxis->setRange(grid.lower(), grid.upper());
        layerAxis->setTickLength(0, 0);
        layerAxis->setSubTicks(false);
    }
}

void setTokenTicks(QCPAxis* axis, const RunSnapshot& snapshot, int /*maxLabels*/) {
    // Upright labels with positions, as many as fit the axis after every layout (the attention views' ticker).
    QStringList labels;
    for (int i = 0; i < snapshot.tokens(); ++i) labels << snapshot.tokenLabel(i);
    headlight::setTokenTicks(axis, labels);
}

QCPAxisRect* makeAxisRect(QCustomPlot* plot) {
    auto* rect = new QCPAxisRect(plot);
    rect->axis(QCPAxis::atTop)->setVisible(false);
    rect->axis(QCPAxis::atRight)->setVisible(false);
    return rect;
}

void resizeCells(QCPColorMap* map, int keys, int values) {
    // QCPColorMap stretches its cells over the range, so a single cell needs a range one wide.
    auto centred = [](int n) { return n > 1 ? QCPRange(0, n - 1) : QCPRange(-0.5, 0.5); };
    map->data()->setSize(keys, values);
    map->data()->setRange(centred(keys), centred(values));
}

QCPItemText* addLabel(QCustomPlot* plot, QCPAxisRect* rect, double x, double y, const QString& text,
                      const PlotStyle& style) {
    auto* item = new QCPItemText(plot);
    item->position->setAxes(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
    item->setClipAxisRect(rect);
    item->position->setCoords(x, y);
    item->setText(text);
    item->setColor(style.foreground);
    item->setFont(style.font);
    return item;
}

void addVerticalLine(QCustomPlot* plot, QCPAxisRect* rect, double x, const QPen& pen) {
    auto* line = new QCPItemStraightLine(plot);
    for (QCPItemPosition* p : {line->point1, line->point2})
        p->setAxes(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
    line->setClipAxisRect(rect);
    line->point1->setCoords(x, 0);
    line->point2->setCoords(x, 1);
    line->setPen(pen);
}

void addHorizontalLine(QCustomPlot* plot, QCPAxisRect* rect, double y, const QPen& pen) {
    auto* line = new QCPItemStraightLine(plot);
    for (QCPItemPosition* p : {line->point1, line->point2})
        p->setAxes(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
    line->setClipAxisRect(rect);
    line->point1->setCoords(0, y);
    line->point2->setCoords(1, y);
    line->setPen(pen);
}

void wrapLegendToFit(QCustomPlot* plot, QCPLegend* legend) {
    QObject::connect(plot, &QCustomPlot::afterLayout, legend, [plot, legend] {
        int widest = 1;
        for (int i = 0; i < legend->itemCount(); ++i)
            if (const QCPLayoutElement* item = legend->item(i))
                widest = std::max(widest, item->minimumOuterSizeHint().width() + legend->columnSpacing());
        const int room = plot->viewport().width() - legend->margins().left() - legend->margins().right() - 8;
        const int columns = std::clamp(room / widest, 1, std::max(1, legend->itemCount()));
        if (legend->wrap() == columns) return;
        legend->setWrap(columns);
        legend->setFillOrder(QCPLayoutGrid::foColumnsFirst, true);
        for (auto phase : {QCPLayoutElement::upPreparation, QCPLayoutElement::upMargins, QCPLayoutElement::upLayout})
            plot->plotLayout()->update(phase);
    });
}

QCPLayer* highlightLayer(QCustomPlot* plot) {
    const QString name = QStringLiteral("highlights");
    if (!plot->layer(name)) plot->addLayer(name, plot->layer(QStringLiteral("main")), QCustomPlot::limAbove);
    return plot->layer(name);
}

void selectHead(HeadSelection* selection, HeadRef head, Qt::KeyboardModifiers modifiers) {
    if (modifiers & Qt::ControlModifier)
        selection->toggle(head);
    else
        selection->setCurrent(head);
}

void installHoverText(QCustomPlot* plot, std::function<QString(QPoint)> describe) {
    plot->setMouseTracking(true);
    QObject::connect(plot, &QCustomPlot::mouseMove, plot, [plot, describe](QMouseEvent* event) {
        const QPoint pixel = event->pos();
        QString text = describe(pixel);
        if (text.isEmpty()) text = titleToolTipAt(plot, pixel);   // the symbols a title uses, in words
        if (text.isEmpty())
            QToolTip::hideText();
        else
            QToolTip::showText(plot->mapToGlobal(pixel), text, plot);
    });
}

} // namespace headlight::mech
