#include "overview_controller.h"

#include "alike_ticker.h"
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
    useAlikeTickLabels(scale_->axis());   // "2.00, 2.05, 2.10", not "2, 2.05, 2.1"
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
        const bool ticks = fitTickLabels();
        if (fitValueLabels() || ticks) plot_->replot(QCustomPlot::rpQueuedReplot);
    });
}

int OverviewController::labelStep(int count, double pitch, int extent) {
    for (int step : {1, 2, 5, 10, 20, 50, 100})
        if (step >= count || step * pitch >= extent + 4) return step;   // 4 px between neighbours
    return 100;
}

bool OverviewController::fitTickLabels() {
    if (heads_ <= 0 || layers_ <= 0) return false;
    const QRect r = plot_->axisRect()->rect();
    const QFontMetrics fx(plot_->xAxis->tickLabelFont()), fy(plot_->yAxis->tickLabelFont());
    // Before the first layout the rect is empty: every label until the layout says otherwise.
    const double headPitch = r.width() > 0 ? double(r.width()) / heads_ : 1e9;
    const double layerPitch = r.height() > 0 ? double(r.height()) / layers_ : 1e9;
    const std::pair<int, int> steps{labelStep(heads_, headPitch, fx.horizontalAdvance(QString::number(heads_ - 1))),
                                    labelStep(layers_, layerPitch, fy.height())};
    if (steps == labelSteps_) return false;
    labelSteps_ = steps;
    // Every index keeps its tick; only every step-th one is numbered.
    auto labels = [](int count, int step) {
        QStringList out;
        for (int i = 0; i < count; ++i) out << (i % step == 0 ? QString::number(i) : QString());
        return out;
    };
    setIndexTicks(plot_->xAxis, labels(heads_, steps.first));
    QStringList rows = labels(layers_, steps.second);
    if (!rowNames_.isEmpty())   // an encoder-decoder model's rows: "E0", "D0", "X0"
        for (int l = 0; l < layers_; ++l)
            if (!rows[l].isEmpty()) rows[l] = rowNames_.value(l);
    setIndexTicks(plot_->yAxis, rows);
    return true;
}

bool OverviewController::fitValueLabels() {
    if (valueTexts_.isEmpty() || heads_ <= 0 || layers_ <= 0) return false;
    const QRect r = plot_->axisRect()->rect();
    // The style's font, else down to 80% of it (a 12 x 12 model in a dock), else none (every value on hover).
    QFont font = valueFont_;
    bool fits = false;
    for (double scale : {1.0, 0.9, 0.8}) {
        font.setPointSizeF(valueFont_.pointSizeF() * scale);
        const QFontMetrics fm(font);
        int widest = 0;
        for (QCPItemText* t : valueTexts_) widest = std::max(widest, fm.horizontalAdvance(t->text()));
        fits = r.width() / heads_ >= widest + 4 && r.height() / layers_ >= fm.height();
        if (fits) break;
    }
    const bool changed = fits != valueTexts_.front()->visible() || (fits && font != valueTexts_.front()->font());
    for (QCPItemText* t : valueTexts_) {
        t->setVisible(fits);
        if (fits) t->setFont(font);
    }
    return changed;
}

int OverviewController::shownValueCount() const {
    int n = 0;
    for (QCPItemText* t : valueTexts_) n += t->visible() ? 1 : 0;
    return n;
}

void OverviewController::clearMarks() {
    valueTexts_.clear();
    blockTexts_.clear();
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

void OverviewController::update(const HeadOverviewModel& model, const QList<HeadRef>& selected,
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

    // The range the head grid's frames use too (HeadOverviewModel::colorRange).
    const auto [lower, upper] = model.colorRange();
    map_->setDataRange(QCPRange(lower, upper));
    const QString unit = model.metricUnit();
    scale_->axis()->setLabel(unit.isEmpty() ? model.metricName() : QStringLiteral("%1 (%2)").arg(model.metricName(), unit));

    // An encoder-decoder model: three blocks of rows, parted by a line, each named at its first row's left.
    rowNames_.clear();
    const auto blocks = model.blocks();
    if (!blocks.isEmpty())
        for (int l = 0; l < layers_; ++l) rowNames_ << model.rowName(l);
    plot_->yAxis->setLabel(QObject::tr("layer"));
    // Small, in the block's first cell's upper left corner (as the role tags): the cell's value stays readable.
    QFont blockFont = style.font;
    blockFont.setPointSizeF(std::max(5.0, style.font.pointSizeF() * 0.7));
    for (const auto& [first, name] : blocks) {
        if (first > 0) addLine({-0.5, first - 0.5}, {heads_ - 0.5, first - 0.5}, QPen(style.foreground, 2.5));
        auto* text = new QCPItemText(plot_);
        text->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
        text->position->setCoords(-0.48, first - 0.46);
        text->setText(name);
        text->setFont(blockFont);
        text->setColor(style.foreground);
        text->setBrush(QBrush(faded(style.background, 215)));
        text->setSelectable(false);
        marks_ << text;
        blockTexts_ << text;
    }
    labelSteps_ = {0, 0};   // the tick labels are thinned to fit after the layout (fitTickLabels)
    fitTickLabels();
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
    valueFont_ = style.font;
    const bool labelCells = layers_ * heads_ <= 400;
    for (int l = 0; l < layers_ && labelCells; ++l)
        for (int h = 0; h < heads_; ++h) {
            const double v = model.value(l, h);
            auto* text = new QCPItemText(plot_);
            text->position->setCoords(h, l);
            text->setText(model.formatCell(v));
            text->setFont(style.font);
            // Dark cells (low end of the gradient) get light text.
            const bool dark = std::isfinite(v) && v < lower + 0.6 * (upper - lower);
            text->setColor(!std::isfinite(v) ? style.foreground : dark ? QColor(Qt::white) : QColor(Qt::black));
            text->setSelectable(false);
            marks_ << text;
            valueTexts_ << text;
        }
    fitValueLabels();
    // Role tags in each cell's upper left corner, small: the value stays the cell's main text.
    QFont tagFont = style.font;
    tagFont.setPointSizeF(std::max(5.0, style.font.pointSizeF() * 0.7));
    roleTags_ = 0;
    for (int l = 0; l < layers_ && labelCells; ++l)
        for (int h = 0; h < heads_; ++h) {
            const QString tag = model.roleTag(l, h);
            if (tag.isEmpty()) continue;
            auto* text = new QCPItemText(plot_);
            text->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
            text->position->setCoords(h - 0.46, l - 0.46);
            text->setText(tag);
            text->setFont(tagFont);
            text->setColor(style.foreground);
            text->setBrush(QBrush(faded(style.background, 200)));
            text->setSelectable(false);
            marks_ << text;
            ++roleTags_;
        }
    roleLegend_ = model.roleLegend();

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

QStringList OverviewController::blockLabels() const {
    QStringList out;
    for (const QCPItemText* t : blockTexts_) out << t->text();
    return out;
}

QString OverviewController::legendText() const {
    QStringList notes;
    if (!closed_.isEmpty()) notes << QObject::tr("\u2715 gate closed (g = 0)");
    if (!pruned_.isEmpty()) notes << QObject::tr("\u2571 pruned in this run");
    if (roleTags_ > 0 && !roleLegend_.isEmpty()) notes << roleLegend_;
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
