#include "views/pruning/whatif_downstream.h"

#include "views/attention/alike_ticker.h"
#include "views/attention/overview_controller.h"
#include "views/attention/view_support.h"
#include "views/pruning/whatif_plot_support.h"

#include "title_text.h"

#include <QFontMetrics>
#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace headlight {

WhatIfDownstream::WhatIfDownstream(QCustomPlot* plot, QCPLayoutGrid* parent, int column, QCPMarginGroup* tops)
    : plot_(plot) {
    rect_ = whatif::newRect(plot_);
    scale_ = new QCPColorScale(plot_);
    title_ = new QCPTextElement(plot_, QString());
    title_->setMinimumSize(1, 0);   // a long title is clipped rather than widening its column
    whatif::addSection(parent, column, title_, rect_, scale_);
    rect_->setMarginGroup(QCP::msTop | QCP::msBottom, tops);
    scale_->setMarginGroup(QCP::msTop | QCP::msBottom, tops);
    scale_->axis()->setLabel(QObject::tr("attention moved"));
    useAlikeTickLabels(scale_->axis());
    rect_->axis(QCPAxis::atLeft)->setRangeReversed(true);   // layer 0 on top, as in the overview
    rect_->axis(QCPAxis::atLeft)->setLabel(QObject::tr("layer"));
    rect_->axis(QCPAxis::atBottom)->setLabel(QObject::tr("head"));
    for (QCPAxis* axis : {rect_->axis(QCPAxis::atBottom), rect_->axis(QCPAxis::atLeft)}) axis->grid()->setVisible(false);
    rect_->setRangeDrag({});
    rect_->setRangeZoom({});
    map_ = new QCPColorMap(rect_->axis(QCPAxis::atBottom), rect_->axis(QCPAxis::atLeft));
    map_->setColorScale(scale_);
    map_->setInterpolate(false);
    clear();
}

QString WhatIfDownstream::title() const { return unwrappedTitle(title_); }

void WhatIfDownstream::clear() {
    for (QCPAbstractItem* item : marks_) plot_->removeItem(item);
    marks_.clear();
    pruned_.clear();
    largest_.reset();
    map_->data()->clear();
    title_->setText(QString());
    layers_ = heads_ = 0;
}

double WhatIfDownstream::value(int layer, int head) const {
    if (layer < 0 || head < 0 || layer >= layers_ || head >= heads_) return std::nan("");
    return gridValue(map_, head, layer);
}

void WhatIfDownstream::update(const RunSnapshot& snapshot, const PlotStyle& style) {
    clear();
    const FloatArray& change = snapshot.comparison->attentionChange;   // [L,H]
    const FloatArray& mask = snapshot.trace->headMask;                 // [L,H]
    if (change.rank() != 2 || change.empty()) {
        title_->setText(QObject::tr("Attention moved\nnot captured"));
        return;
    }
    layers_ = static_cast<int>(change.dim(0));
    heads_ = static_cast<int>(change.dim(1));
    resizeGrid(map_, heads_, layers_);
    double highest = 0;
    for (int l = 0; l < layers_; ++l)
        for (int h = 0; h < heads_; ++h) {
            const double v = change.at({l, h});
            setGridValue(map_, h, l, v);
            if (std::isfinite(v) && v > highest) {
                highest = v;
                largest_ = HeadRef{l, h};
            }
        }
    applyHeatGradient(map_, style);
    QCPColorGradient gradient = map_->gradient();
    gradient.setNanHandling(QCPColorGradient::nhNanColor);   // not captured: a neutral cell, not a value
    gradient.setNanColor(style.grid);
    map_->setGradient(gradient);
    map_->setDataRange(QCPRange(0, highest > 0 ? highest : 1.0));

    // One dashed stroke per pruned head, as the overview marks them.
    QColor markColor = style.masked;
    markColor.setAlpha(200);
    QPen strike(markColor, 1.5, Qt::DashLine);
    const bool masked = mask.rank() == 2 && mask.dim(0) == layers_ && mask.dim(1) == heads_;
    for (int l = 0; l < layers_ && masked; ++l)
        for (int h = 0; h < heads_; ++h) {
            if (mask.at({l, h}) != 0.0f) continue;
            auto* line = new QCPItemLine(plot_);
            for (QCPItemPosition* p : {line->start, line->end}) p->setAxes(rect_->axis(QCPAxis::atBottom), rect_->axis(QCPAxis::atLeft));
            line->setClipAxisRect(rect_);
            line->start->setCoords(h - 0.45, l + 0.45);
            line->end->setCoords(h + 0.45, l - 0.45);
            line->setPen(strike);
            line->setSelectable(false);
            marks_ << line;
            pruned_ << HeadRef{l, h};
        }

    steps_ = {0, 0};
    fitTickLabels();
    rect_->axis(QCPAxis::atBottom)->setRange(-0.5, heads_ - 0.5);
    rect_->axis(QCPAxis::atLeft)->setRange(-0.5, layers_ - 0.5);
    title_->setText(largest_ ? QObject::tr("Attention moved\nmost: L%1 H%2, %3")
                                   .arg(largest_->layer).arg(largest_->head).arg(highest, 0, 'f', 3)
                             : QObject::tr("Attention moved\nnone (no later heads)"));
}

bool WhatIfDownstream::fitTickLabels() {
    if (layers_ <= 0) return false;
    const QRect r = rect_->rect();
    QCPAxis* x = rect_->axis(QCPAxis::atBottom);
    QCPAxis* y = rect_->axis(QCPAxis::atLeft);
    const QFontMetrics fx(x->tickLabelFont()), fy(y->tickLabelFont());
    const std::pair<int, int> steps{
        OverviewController::labelStep(heads_, r.width() > 0 ? double(r.width()) / heads_ : 1e9, fx.horizontalAdvance(QString::number(heads_ - 1))),
        OverviewController::labelStep(layers_, r.height() > 0 ? double(r.height()) / layers_ : 1e9, fy.height())};
    if (steps == steps_) return false;
    steps_ = steps;
    auto labels = [](int count, int step) {
        QStringList out;
        for (int i = 0; i < count; ++i) out << (i % step == 0 ? QString::number(i) : QString());
        return out;
    };
    setIndexTicks(x, labels(heads_, steps.first));
    setIndexTicks(y, labels(layers_, steps.second));
    return true;
}

std::optional<HeadRef> WhatIfDownstream::headAt(QPoint pixel) const {
    if (layers_ <= 0 || !rect_->visible() || !rect_->rect().contains(pixel)) return std::nullopt;
    const long h = std::lround(rect_->axis(QCPAxis::atBottom)->pixelToCoord(pixel.x()));
    const long l = std::lround(rect_->axis(QCPAxis::atLeft)->pixelToCoord(pixel.y()));
    if (l < 0 || h < 0 || l >= layers_ || h >= heads_) return std::nullopt;
    return HeadRef{static_cast<int>(l), static_cast<int>(h)};
}

} // namespace headlight
