#include "head_score_plot.h"

#include "alike_ticker.h"

#include <QEvent>
#include <QFontMetricsF>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace headlight {
namespace {

// Red-white-blue (ColorBrewer RdBu reversed): heads whose removal raises the loss are red, those whose removal
// lowers it blue, and no change is white, whatever the palette.
QCPColorGradient divergingGradient() {
    static const QColor stops[] = {{33, 102, 172}, {103, 169, 207}, {209, 229, 240}, {247, 247, 247},
                                   {253, 219, 199}, {239, 138, 98}, {178, 24, 43}};
    QCPColorGradient g;
    g.clearColorStops();
    for (int i = 0; i < 7; ++i) g.setColorStopAt(i / 6.0, stops[i]);
    g.setLevelCount(256);
    return g;
}

// The coordinate range that puts cell i of n at coordinate i (a single cell needs an explicit width).
QCPRange cellCentres(int n) { return n > 1 ? QCPRange(0, n - 1) : QCPRange(-0.5, 0.5); }

// One number of decimals for every cell, three significant digits of the largest value: "0.2", "1.0" and
// "12.3" side by side, never "0.2", "1" and "12.3" (the colour shows the small values' size).
int cellDecimals(const FloatArray& values) {
    double largest = 0;
    for (int64_t i = 0; i < values.size(); ++i) largest = std::max(largest, std::abs(static_cast<double>(values.data()[i])));
    if (!(largest > 0) || !std::isfinite(largest)) return 1;
    return std::clamp(2 - static_cast<int>(std::floor(std::log10(largest))), 0, 6);
}

QString cellText(float v, int decimals) {
    const double rounded = std::abs(v) < 0.5 * std::pow(10.0, -decimals) ? 0.0 : static_cast<double>(v);   // no "-0.00"
    return QString::number(rounded, 'f', decimals);
}

} // namespace

HeadScorePlot::HeadScorePlot(QWidget* parent)
    : QWidget(parent), plot_(new QCustomPlot(this)), map_(nullptr), scale_(nullptr), titleElement_(nullptr) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(plot_);

    // Title across the top; below it the heatmap and its colour scale side by side.
    plot_->plotLayout()->clear();
    titleElement_ = new QCPTextElement(plot_, QString());
    plot_->plotLayout()->addElement(0, 0, titleElement_);
    auto* body = new QCPLayoutGrid;
    plot_->plotLayout()->addElement(1, 0, body);
    plot_->plotLayout()->setRowStretchFactor(0, 0.01);
    auto* rect = new QCPAxisRect(plot_);
    scale_ = new QCPColorScale(plot_);
    body->addElement(0, 0, rect);
    body->addElement(0, 1, scale_);
    body->setColumnStretchFactor(1, 0.01);
    auto* margins = new QCPMarginGroup(plot_);   // the scale spans exactly the heatmap's height
    rect->setMarginGroup(QCP::msTop | QCP::msBottom, margins);
    scale_->setMarginGroup(QCP::msTop | QCP::msBottom, margins);
    scale_->setBarWidth(10);
    useAlikeTickLabels(scale_->axis());

    QCPAxis* x = rect->axis(QCPAxis::atBottom);
    QCPAxis* y = rect->axis(QCPAxis::atLeft);
    x->setLabel(tr("head"));
    y->setLabel(tr("layer"));
    y->setRangeReversed(true);   // layer 0 on top, as the model stacks them in the papers' figures
    for (QCPAxis* axis : {x, y}) {
        QSharedPointer<QCPAxisTickerFixed> ticker(new QCPAxisTickerFixed);
        ticker->setTickStep(1);
        ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);   // every head while they fit, else every 2nd, 5th...
        axis->setTicker(ticker);
        axis->setSubTicks(false);
    }
    map_ = new QCPColorMap(x, y);
    map_->setColorScale(scale_);
    map_->setInterpolate(false);
    // The same check for the screen and for every export size: each layout decides whether the values fit.
    connect(plot_, &QCustomPlot::afterLayout, this, &HeadScorePlot::fitCellLabels);
}

QString HeadScorePlot::quantityName(HeadScoreKind kind) {
    return kind == HeadScoreKind::Importance ? tr("importance I_h") : tr("delta loss when pruned alone (nats)");
}

void HeadScorePlot::setScores(const FloatArray& values, HeadScoreKind kind, const std::vector<bool>& pruned,
                              const QString& title, const QStringList& rowNames) {
    if (values.rank() != 2 || values.empty())
        throw std::invalid_argument("head scores: expected a non-empty [layers, heads] array, got " + values.shapeString());
    if (!pruned.empty() && static_cast<int64_t>(pruned.size()) != values.size())
        throw std::invalid_argument("head scores: " + std::to_string(pruned.size()) + " pruned flags for " +
                                    std::to_string(values.size()) + " heads");
    values_ = values;
    kind_ = kind;
    pruned_ = pruned.empty() ? std::vector<bool>(static_cast<size_t>(values.size()), false) : pruned;
    titleText_ = title;
    if (!rowNames.isEmpty() && rowNames.size() != values.dim(0))
        throw std::invalid_argument("head scores: " + std::to_string(rowNames.size()) + " row names for " +
                                    std::to_string(values.dim(0)) + " layers");
    rowNames_ = rowNames;
    // An encoder-decoder model's rows by name, every one; else the layers' numbers, thinned to fit.
    QCPAxis* y = map_->valueAxis();
    if (rowNames_.isEmpty()) {
        QSharedPointer<QCPAxisTickerFixed> ticker(new QCPAxisTickerFixed);
        ticker->setTickStep(1);
        ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
        y->setTicker(ticker);
    } else {
        QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
        for (int l = 0; l < rowNames_.size(); ++l) ticker->addTick(l, rowNames_[l]);
        y->setTicker(ticker);
    }
    draw(PlotStyle::fromPalette(palette()));
}

void HeadScorePlot::draw(const PlotStyle& style) {
    plot_->clearItems();
    labels_.clear();
    const int L = static_cast<int>(values_.dim(0)), H = static_cast<int>(values_.dim(1));
    QCPAxis* x = map_->keyAxis();
    QCPAxis* y = map_->valueAxis();

    // Cell (head h, layer l) holds values[l, h].
    map_->data()->setSize(H, L);
    map_->data()->setRange(cellCentres(H), cellCentres(L));
    double lowest = 0, highest = 0;
    for (int l = 0; l < L; ++l)
        for (int h = 0; h < H; ++h) {
            const double v = values_.at({l, h});
            map_->data()->setCell(h, l, v);
            lowest = std::min(lowest, v);
            highest = std::max(highest, v);
        }
    QCPRange range;
    if (kind_ == HeadScoreKind::AblationDeltaLoss) {
        // Symmetric, so that white means "no change" and equal colours on both sides mean equal sizes.
        const double extent = std::max(-lowest, highest);
        range = extent > 0 ? QCPRange(-extent, extent) : QCPRange(-1, 1);
        map_->setGradient(divergingGradient());
    } else {
        range = highest > lowest ? QCPRange(lowest, highest) : QCPRange(lowest, lowest + 1);
        applyHeatGradient(map_, style);
    }
    map_->setDataRange(range);
    scale_->axis()->setLabel(quantityName(kind_));
    x->setRange(-0.5, H - 0.5);
    y->setRange(-0.5, L - 0.5);
    titleElement_->setText(titleText_.isEmpty() ? quantityName(kind_) : titleText_);

    labelFont_ = style.font;
    labelFont_.setPointSizeF(std::max(6.0, style.font.pointSizeF() - 1));
    QCPColorGradient gradient = map_->gradient();
    const int decimals = cellDecimals(values_);
    const QColor prunedFill = style.dark ? QColor(85, 85, 85) : QColor(210, 210, 210);
    for (int l = 0; l < L; ++l)
        for (int h = 0; h < H; ++h) {
            const bool pruned = pruned_[static_cast<size_t>(l * H + h)];
            if (pruned) {
                // Greyed out and struck through: this head was masked before the analysis ran.
                auto* cover = new QCPItemRect(plot_);
                cover->setClipAxisRect(x->axisRect());
                for (QCPItemPosition* p : {cover->topLeft, cover->bottomRight}) p->setAxes(x, y);
                cover->topLeft->setCoords(h - 0.5, l - 0.5);
                cover->bottomRight->setCoords(h + 0.5, l + 0.5);
                cover->setPen(Qt::NoPen);
                cover->setBrush(prunedFill);
            }
            auto* label = new QCPItemText(plot_);
            label->setClipAxisRect(x->axisRect());
            label->position->setAxes(x, y);
            label->position->setCoords(h, l);
            label->setPositionAlignment(Qt::AlignCenter);
            label->setText(cellText(values_.at({l, h}), decimals));
            label->setFont(labelFont_);
            const QColor cell = pruned ? prunedFill : QColor(gradient.color(values_.at({l, h}), range));
            label->setColor(cell.lightness() < 128 ? Qt::white : Qt::black);
            labels_.push_back(label);
            if (pruned) {
                auto* strike = new QCPItemLine(plot_);
                strike->setClipAxisRect(x->axisRect());
                for (QCPItemPosition* p : {strike->start, strike->end}) p->setAxes(x, y);
                strike->start->setCoords(h - 0.5, l + 0.5);
                strike->end->setCoords(h + 0.5, l - 0.5);
                strike->setPen(QPen(style.foreground, 1.0));
            }
        }

    applyStyle(plot_, style);
    for (QCPAxis* axis : {x, y}) axis->grid()->setVisible(false);   // grid lines would cut through the cells
    for (QCPAxis* axis : {x->axisRect()->axis(QCPAxis::atTop), x->axisRect()->axis(QCPAxis::atRight)})
        axis->setVisible(false);
    plot_->replot();
}

void HeadScorePlot::fitCellLabels() {
    if (labels_.empty()) return;
    const QRect rect = map_->keyAxis()->axisRect()->rect();
    const double cellWidth = rect.width() / static_cast<double>(values_.dim(1));
    const double cellHeight = rect.height() / static_cast<double>(values_.dim(0));
    const QFontMetricsF metrics(labelFont_);
    double widest = 0;
    for (const QCPItemText* label : labels_) widest = std::max(widest, metrics.horizontalAdvance(label->text()));
    labelsShown_ = widest + 4 <= cellWidth && metrics.height() + 2 <= cellHeight;
    for (QCPItemText* label : labels_) label->setVisible(labelsShown_);
}

void HeadScorePlot::changeEvent(QEvent* event) {
    // The dark theme and back: the plot takes the palette's colours like the rest of the window.
    if (event->type() == QEvent::PaletteChange && !values_.empty()) draw(PlotStyle::fromPalette(palette()));
    QWidget::changeEvent(event);
}

void HeadScorePlot::exportFigure(const QString& path, const ExportOptions& options) {
    exportRedrawn(plot_, path, options, [this](const PlotStyle& style) { draw(style); }, PlotStyle::fromPalette(palette()));
}

} // namespace headlight
