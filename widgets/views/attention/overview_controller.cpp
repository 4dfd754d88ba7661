#include "overview_controller.h"

#include "head_overview_model.h"
#include "view_support.h"

#include <qcustomplot.h>

#include <QFontMetrics>

#include <algorithm>
#include <cmath>

namespace headlight {

OverviewController::OverviewController(QCustomPlot* plot) : plot_(plot) {
    map_ = new QCPColorMap(plot_->xAxis, plot_->yAxis);
    scale_ = new QCPColorScale(plot_);
    plot_->plotLayout()->addElement(0, 1, scale_);
    scale_->setType(QCPAxis::atRight);
    map_->setColorScale(scale_);
    auto* group = new QCPMarginGroup(plot_);   // the scale's height follows the grid's
    plot_->axisRect()->setMarginGroup(QCP::msBottom | QCP::msTop, group);
    scale_->setMarginGroup(QCP::msBottom | QCP::msTop, group);
    legend_ = new QCPTextElement(plot_, QString());
    plot_->plotLayout()->addElement(1, 0, legend_);
    plot_->yAxis->setRangeReversed(true);   // layer 0 on top, as in the table
    plot_->xAxis->setLabel(QObject::tr("head"));
    plot_->yAxis->setLabel(QObject::tr("layer"));
    plot_->xAxis->grid()->setVisible(false);
    plot_->yAxis->grid()->setVisible(false);
    QObject::connect(plot_, &QCustomPlot::afterLayout, plot_, [this] {
        if (fitValueLabels()) plot_->replot(QCustomPlot::rpQueuedReplot);
    });
}

bool OverviewController::fitValueLabels() {
    if (valueTexts_.isEmpty() || heads_ <= 0 || layers_ <= 0) return false;
    const QRect r = plot_->axisRect()->rect();
    const QFontMetrics fm(valueTexts_.front()->font());
    int widest = 0;
    for (QCPItemText* t : valueTexts_) widest = std::max(widest, fm.horizontalAdvance(t->text()));
    const bool fits = r.width() / heads_ >= widest + 4 && r.height() / layers_ >= fm.height() + 2;
    const bool changed = fits != valueTexts_.front()->visible();
    for (QCPItemText* t : valueTexts_) t->setVisible(fits);
    return changed;
}

int OverviewController::shownValueCount() const {
    int n = 0;
    for (QCPItemText* t : valueTexts_) n += t->visible() ? 1 : 0;
    return n;
}

void OverviewController::clearMarks() {
    valueTexts_.clear();
    for (QCPAbstractItem* item : marks_) plot_->removeItem(item);
    marks_.clear();
    outlined_.clear();
    closed_.clear();
    pruned_.clear();
}

void OverviewController::addLine(QPointF from, QPointF to, const QPen& pen) {
    auto* line = new QCPItemLine(plot_);
    line->start->setCoords(from);
    line->end->setCoords(to);
    line->setPen(pen);
    line->setSelectable(false);
    marks_ << line;
}

void OverviewController::update(const HeadOverviewModel& model, const QList<HeadRef>& selected, int tokens,
                                const PlotStyle& style) {
    clearMarks();
    layers_ = model.rowCount();
    heads_ = model.columnCount();
    applyHeatGradient(map_, style);
    QCPColorGradient gradient = map_->gradient();
    gradient.setNanHandling(QCPColorGradient::nhNanColor);   // not captured: a neutral cell, not a value
    gradient.setNanColor(style.grid);
    map_->setGradient(gradient);

    resizeGrid(map_, std::max(1, heads_), std::max(1, layers_));
    for (int l = 0; l < layers_; ++l)
        for (int h = 0; h < heads_; ++h) setGridValue(map_, h, l, model.value(l, h));

    // Bounded metrics keep a fixed scale so runs compare; entropy can reach ln T, span and
    // distance their largest value.
    double upper = 1.0;
    const double maximum = model.maximum();
    if (model.metric() == QLatin1String("entropy"))
        upper = std::max(std::log(std::max(1, tokens)), std::isfinite(maximum) ? maximum : 0.0);
    else if (model.metric() == QLatin1String("span") || model.metric() == QLatin1String("mean_distance"))
        upper = std::isfinite(maximum) ? std::max(maximum, 1.0) : 1.0;
    else if (model.metric() == QLatin1String("importance") || model.metric() == QLatin1String("ablation"))
        upper = std::isfinite(maximum) && maximum > 0 ? maximum : 1e-6;
    if (!(upper > 0)) upper = 1.0;
    // Ablation deltas can be negative (pruning the head helped): the scale then starts below 0.
    const double minimum = model.minimum();
    const double lower = model.metric() == QLatin1String("ablation") && std::isfinite(minimum) ? std::min(0.0, minimum) : 0.0;
    map_->setDataRange(QCPRange(lower, upper));
    const QString unit = model.metricUnit();
    scale_->axis()->setLabel(unit.isEmpty() ? model.metricName() : QStringLiteral("%1 (%2)").arg(model.metricName(), unit));

    QStringList headLabels, layerLabels;
    for (int h = 0; h < heads_; ++h) headLabels << QString::number(h);
    for (int l = 0; l < layers_; ++l) layerLabels << QString::number(l);
    setIndexTicks(plot_->xAxis, headLabels);
    setIndexTicks(plot_->yAxis, layerLabels);
    plot_->xAxis->setRange(-0.5, std::max(1, heads_) - 0.5);
    plot_->yAxis->setRange(-0.5, std::max(1, layers_) - 0.5);

    // Thin, half-transparent marks: the value under them stays readable.
    QColor markColor = style.masked;
    markColor.setAlpha(150);
    const QPen markPen(markColor, 1.5);
    for (int l = 0; l < layers_; ++l)
        for (int h = 0; h < heads_; ++h) {
            if (model.isClosed(l, h)) {   // a cross: the gate removed this head
                addLine({h - 0.42, l - 0.42}, {h + 0.42, l + 0.42}, markPen);
                addLine({h - 0.42, l + 0.42}, {h + 0.42, l - 0.42}, markPen);
                closed_ << HeadRef{l, h};
            }
            if (model.isPruned(l, h)) {   // one strike: switched off for this run only
                QPen strike = markPen;
                strike.setStyle(Qt::DashLine);
                addLine({h - 0.45, l + 0.45}, {h + 0.45, l - 0.45}, strike);
                pruned_ << HeadRef{l, h};
            }
        }

    // Values in the cells, drawn over the marks; shown only while a cell is large enough for its number
    // (fitValueLabels after every layout), every value is on hover. Past 400 heads none are made.
    valueTexts_.clear();
    const bool labelCells = layers_ * heads_ <= 400;
    for (int l = 0; l < layers_ && labelCells; ++l)
        for (int h = 0; h < heads_; ++h) {
            const double v = model.value(l, h);
            auto* text = new QCPItemText(plot_);
            text->position->setCoords(h, l);
            text->setText(HeadOverviewModel::format(v));
            text->setFont(style.font);
            // Dark cells (low end of the gradient) get light text.
            const bool dark = std::isfinite(v) && v < lower + 0.6 * (upper - lower);
            text->setColor(!std::isfinite(v) ? style.foreground : dark ? QColor(Qt::white) : QColor(Qt::black));
            text->setSelectable(false);
            marks_ << text;
            valueTexts_ << text;
        }
    fitValueLabels();

    for (int k = 0; k < selected.size() && !style.print; ++k) {   // screen state: not in a figure
        const HeadRef head = selected[k];
        if (head.layer < 0 || head.layer >= layers_ || head.head < 0 || head.head >= heads_) continue;
        auto* rect = new QCPItemRect(plot_);
        rect->topLeft->setCoords(head.head - 0.47, head.layer - 0.47);
        rect->bottomRight->setCoords(head.head + 0.47, head.layer + 0.47);
        rect->setPen(QPen(style.accent, k == 0 ? 4 : 2.5, k == 0 ? Qt::SolidLine : Qt::DashLine));
        rect->setBrush(Qt::NoBrush);
        rect->setSelectable(false);
        marks_ << rect;
        outlined_ << head;
    }

    legend_->setText(legendText());
    legend_->setVisible(!legendText().isEmpty());
    applyStyle(plot_, style);
    legend_->setFont(style.font);   // a note, not a title
    legend_->setTextColor(style.masked);
}

QString OverviewController::legendText() const {
    QStringList notes;
    if (!closed_.isEmpty()) notes << QObject::tr("\u2715 gate closed (g = 0)");
    if (!pruned_.isEmpty()) notes << QObject::tr("\u2571 pruned in this run");
    return notes.join(QStringLiteral("     "));
}

std::optional<HeadRef> OverviewController::headAt(const QPointF& pos) const {
    if (!plot_->axisRect()->rect().contains(pos.toPoint())) return std::nullopt;
    const double key = plot_->xAxis->pixelToCoord(pos.x());
    const double value = plot_->yAxis->pixelToCoord(pos.y());
    const HeadRef head{static_cast<int>(std::lround(value)), static_cast<int>(std::lround(key))};
    if (head.layer < 0 || head.layer >= layers_ || head.head < 0 || head.head >= heads_) return std::nullopt;
    return head;
}

QPointF OverviewController::cellCenter(HeadRef head) const {
    return {plot_->xAxis->coordToPixel(head.head), plot_->yAxis->coordToPixel(head.layer)};
}

} // namespace headlight
