#include "views/mechanisms/gates_controller.h"
#include "alike_ticker.h"
#include "headlight/mechanisms/head_gates.h"

#include <qcustomplot.h>

#include <cmath>
#include <limits>

namespace headlight {
namespace {


QString format(double v) { return QString::number(v, 'f', 3); }

} // namespace

GatesController::GatesController(QCustomPlot* plot) : plot_(plot) {
    plot_->plotLayout()->insertRow(0);
    title_ = new QCPTextElement(plot_, QString());
    plot_->plotLayout()->addElement(0, 0, title_);

    QCPAxisRect* rect = plot_->axisRect();
    gateBars_ = new QCPBars(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
    openBars_ = new QCPBars(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
    gateBars_->setName(QObject::tr("gate value g"));
    openBars_->setName(QObject::tr("P(open) = P(g \u2260 0)"));
    auto* group = new QCPBarsGroup(plot_);
    gateBars_->setWidth(0.42);
    openBars_->setWidth(0.42);
    gateBars_->setBarsGroup(group);
    openBars_->setBarsGroup(group);
    group->setSpacing(0.02);

    selected_ = new QCPBars(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
    selected_->setName(QObject::tr("selected head"));
    selected_->setWidth(0.96);
    selected_->setBrush(Qt::NoBrush);

    closedMarks_ = new QCPGraph(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
    closedMarks_->setName(QObject::tr("closed (g = 0)"));
    closedMarks_->setLineStyle(QCPGraph::lsNone);

    // The legend goes below the plot so it never covers a bar.
    rect->insetLayout()->take(plot_->legend);
    auto* legendRow = new QCPLayoutGrid;
    plot_->plotLayout()->addElement(2, 0, legendRow);
    legendRow->addElement(0, 0, plot_->legend);
    legendRow->setMargins(QMargins(0, 0, 0, 4));
    plot_->legend->setFillOrder(QCPLegend::foColumnsFirst);
    mech::wrapLegendToFit(plot_, plot_->legend);
    plot_->legend->setVisible(true);
    plot_->plotLayout()->setRowStretchFactor(2, 0.001);
    plot_->plotLayout()->setRowStretchFactor(0, 0.001);

    rect->axis(QCPAxis::atLeft)->setLabel(QObject::tr("gate value / probability"));
    rect->axis(QCPAxis::atLeft)->setRange(0, 1.16);
    useAlikeTickLabels(rect->axis(QCPAxis::atLeft));   // "0.00" ... "1.00", not "0" beside "0.75"
    // Gates and probabilities end at 1; the layers' Σ P(open) lines sit at the top of the rect, and the range
    // reaches high enough that 1 stays a line of text below them, whatever the panel's height.
    QObject::connect(plot_, &QCustomPlot::afterLayout, plot_, [this, rect] {
        const double height = rect->height(), room = labelLine_ + 8;   // the line, its 2 px padding and air
        if (height <= 2 * room) return;
        const double upper = std::max(1.08, height / (height - room));
        QCPAxis* y = rect->axis(QCPAxis::atLeft);
        if (std::abs(y->range().upper - upper) < 1e-3) return;
        y->setRange(0, upper);
        plot_->replot(QCustomPlot::rpQueuedReplot);
    });
    rect->axis(QCPAxis::atBottom)->setLabel(QObject::tr("head"));
}

void GatesController::clear() {
    for (auto* bars : {gateBars_, openBars_, selected_}) bars->data()->clear();
    closedMarks_->data()->clear();
    plot_->clearItems();
    expectedPerLayer_.clear();
    expectedTotal_ = 0;
    closed_.clear();
    notice_.clear();
    grid_ = {};
}

double GatesController::expectedOpen(int layer) const {
    if (layer < 0 || layer >= static_cast<int>(expectedPerLayer_.size())) return std::numeric_limits<double>::quiet_NaN();
    return expectedPerLayer_[static_cast<size_t>(layer)];
}

QString GatesController::update(const RunSnapshot& snapshot, const HeadSelection& selection, const PlotStyle& style) {
    clear();
    snapshot_ = snapshot;
    labelLine_ = QFontMetricsF(style.font).height();
    if (!snapshot.model->config.mechanism<HeadGatesConfig>()) return QObject::tr("This model has no head gates.");
    grid_ = {snapshot.layers(), snapshot.heads()};
    const int H = grid_.heads;

    QList<int> missing;
    int captured = 0;
    expectedPerLayer_.assign(static_cast<size_t>(grid_.layers), std::numeric_limits<double>::quiet_NaN());
    QCPAxisRect* rect = plot_->axisRect();
    for (int l = 0; l < grid_.layers; ++l) {
        const LayerTrace* layer = snapshot.trace->layer(l);
        if (!layer || (*layer)[head_gates::kGate].size() != H || (*layer)[head_gates::kOpenProbability].size() != H) {
            missing << l;
            mech::addLabel(plot_, rect, grid_.layerCenter(l), 0.5, QObject::tr("not captured"), style);
            continue;
        }
        ++captured;
        double expected = 0;
        for (int h = 0; h < H; ++h) {
            const double gate = (*layer)[head_gates::kGate].data()[h];
            const double open = (*layer)[head_gates::kOpenProbability].data()[h];
            gateBars_->addData(grid_.key(l, h), gate);
            openBars_->addData(grid_.key(l, h), open);
            expected += open;
            if (gate == 0.0) {
                closed_ << HeadRef{l, h};
                closedMarks_->addData(grid_.key(l, h), 0.04);
            }
        }
        expectedPerLayer_[static_cast<size_t>(l)] = expected;
        expectedTotal_ += expected;
        QCPItemText* sum = mech::addLabel(plot_, rect, grid_.layerCenter(l), 0,
                                          QObject::tr("\u03A3 P(open) = %1").arg(expected, 0, 'f', 2), style);
        sum->position->setTypeY(QCPItemPosition::ptAxisRectRatio);   // at the top of the rect, above the bars
        sum->position->setAxisRect(rect);
        sum->position->setCoords(grid_.layerCenter(l), 0);
        sum->setPositionAlignment(Qt::AlignTop | Qt::AlignHCenter);
        sum->setPadding(QMargins(0, 2, 0, 0));
    }
    if (captured == 0) return mech::missingLayersNote(missing) + QObject::tr(" Capture a layer to see its gates.");
    notice_ = mech::missingLayersNote(missing);

    for (const HeadRef& h : selection.heads())
        if (h.layer < grid_.layers && h.head < H) selected_->addData(grid_.key(h.layer, h.head), 1.0);

    title_->setText(QObject::tr("Head gates: expected open heads (L0) = %1 of %2 heads; %3 closed (g = 0)")
                        .arg(expectedTotal_, 0, 'f', 2)
                        .arg(captured * H)
                        .arg(closed_.size()));
    mech::setHeadTicks(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atTop), grid_);

    applyStyle(plot_, style);
    const QColor gateColor = seriesColor(0), openColor = seriesColor(1);
    gateBars_->setPen(QPen(gateColor.darker(130), 0));
    gateBars_->setBrush(gateColor);
    openBars_->setPen(QPen(openColor.darker(130), 0));
    openBars_->setBrush(openColor);
    selected_->setPen(QPen(style.accent, 2));
    selected_->setVisible(!style.print);   // screen state: not in a figure (nor in its legend)
    if (plot_->legend) {
        if (style.print) plot_->legend->removeItem(plot_->legend->itemWithPlottable(selected_));
        else if (!plot_->legend->hasItemWithPlottable(selected_)) selected_->addToLegend();
    }
    closedMarks_->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCross, QPen(style.masked, 2), QBrush(), 10));
    plot_->replot();
    return {};
}

std::optional<HeadRef> GatesController::headAtPixel(QPoint pixel) const {
    QCPAxisRect* rect = plot_->axisRect();
    if (grid_.layers == 0 || !rect->rect().contains(pixel)) return std::nullopt;
    const auto head = grid_.headAt(rect->axis(QCPAxis::atBottom)->pixelToCoord(pixel.x()));
    if (!head || !snapshot_.valid() || !snapshot_.trace->layer(head->layer)) return std::nullopt;
    return head;
}

QString GatesController::describeAt(QPoint pixel) const {
    const auto head = headAtPixel(pixel);
    if (!head) return {};
    const LayerTrace* layer = snapshot_.trace->layer(head->layer);
    if ((*layer)[head_gates::kGate].size() <= head->head || (*layer)[head_gates::kOpenProbability].size() <= head->head) return {};
    const double gate = (*layer)[head_gates::kGate].data()[head->head];
    QString text = QObject::tr("layer %1, head %2\ngate g = %3\nP(open) = %4")
                       .arg(head->layer)
                       .arg(head->head)
                       .arg(format(gate), format((*layer)[head_gates::kOpenProbability].data()[head->head]));
    if (gate == 0.0) text += QObject::tr("\nclosed: this head's output is multiplied by 0");
    const FloatArray& mask = snapshot_.trace->headMask;
    if (mask.rank() == 2 && mask.dim(0) > head->layer && mask.dim(1) > head->head &&
        mask.at({head->layer, head->head}) == 0.0f)
        text += QObject::tr("\npruned by the head mask");
    return text;
}

} // namespace headlight
