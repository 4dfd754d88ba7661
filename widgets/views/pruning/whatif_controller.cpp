#include "views/pruning/whatif_controller.h"

#include "panel_layout.h"

#include "views/attention/alike_ticker.h"
#include "views/attention/view_support.h"
#include "views/pruning/whatif_downstream.h"
#include "views/pruning/whatif_plot_support.h"

#include "title_text.h"

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace headlight {
namespace {

constexpr double kValueRoom = 1.3;     // probability axis end: room for the value labels right of the bars
constexpr double kInsideAbove = 0.75;  // longer bars carry their value inside
constexpr double kValueGap = 0.04;     // between a bar's end and its value, in probability

// Narrower figures than this (pixels; a single column is 320) stack the KL plot over the two top-10 lists and
// leave the heatmaps out: three attention matrices side by side need a double column.
constexpr int kNarrowWidth = 600;

QString quoted(const QString& s) { return QStringLiteral("\u201c%1\u201d").arg(s); }

} // namespace

using whatif::addSection;
using whatif::newRect;

WhatIfController::WhatIfController(QCustomPlot* plot) : plot_(plot) {
    QCPLayoutGrid* layout = plot_->plotLayout();
    klRect_ = plot_->axisRect();   // the default rect becomes the KL plot
    layout->take(klRect_);
    layout->simplify();
    auto* upper = new QCPLayoutGrid;
    auto* lower = new QCPLayoutGrid;
    layout->addElement(0, 0, upper);
    layout->addElement(1, 0, lower);
    upper_ = upper;
    lower_ = lower;
    layout->setRowStretchFactor(1, 1.3);
    for (auto*& title : titles_) {
        title = new QCPTextElement(plot_, QString());
        title->setMinimumSize(1, 0);   // a long title is clipped rather than widening its column
    }

    klRect_->axis(QCPAxis::atTop)->setVisible(false);
    klRect_->axis(QCPAxis::atRight)->setVisible(false);
    addSection(upper, 0, titles_[0], klRect_);
    klBars_ = new QCPBars(klRect_->axis(QCPAxis::atBottom), klRect_->axis(QCPAxis::atLeft));
    highlight_ = new QCPBars(klRect_->axis(QCPAxis::atBottom), klRect_->axis(QCPAxis::atLeft));
    for (QCPBars* bars : {klBars_, highlight_}) bars->setWidth(0.8);
    klRect_->axis(QCPAxis::atLeft)->setLabel(QObject::tr("KL (nats)"));
    klRect_->axis(QCPAxis::atBottom)->setLabel(QObject::tr("position (predicts the next)"));
    useAlikeTickLabels(klRect_->axis(QCPAxis::atLeft));
    klRect_->setRangeDrag(Qt::Horizontal);
    klRect_->setRangeZoom(Qt::Horizontal);

    auto* topLists = new QCPLayoutGrid;   // the two top-10 lists side by side, one section of `upper`
    upper->addElement(0, 1, topLists);
    topLists_ = topLists;
    for (int side = 0; side < 2; ++side) {
        QCPAxisRect* rect = newRect(plot_);
        addSection(topLists, side, titles_[1 + side], rect);
        topRects_[side] = rect;
        topBars_[side] = new QCPBars(rect->axis(QCPAxis::atLeft), rect->axis(QCPAxis::atBottom));   // horizontal
        topBars_[side]->setWidth(0.7);
        rect->axis(QCPAxis::atLeft)->setRangeReversed(true);   // the likeliest on top
        rect->axis(QCPAxis::atLeft)->grid()->setVisible(false);
        // No tick marks beside the bars: a tick just left of a small bar's value read as a minus sign.
        rect->axis(QCPAxis::atLeft)->setTickLength(0, 0);
        rect->axis(QCPAxis::atLeft)->setSubTickLength(0, 0);
        rect->axis(QCPAxis::atBottom)->setLabel(QObject::tr("probability"));
        rect->axis(QCPAxis::atBottom)->setRange(0, kValueRoom);
        rect->axis(QCPAxis::atBottom)->ticker()->setTickCount(3);
        useAlikeTickLabels(rect->axis(QCPAxis::atBottom));
        rect->setRangeDrag({});
        rect->setRangeZoom({});
    }
    upper->setColumnStretchFactor(0, 1.2);

    // Heatmaps, each a section: before; after with the weight scale both share; difference with its scale.
    weightScale_ = new QCPColorScale(plot_);
    differenceScale_ = new QCPColorScale(plot_);
    auto* tops = new QCPMarginGroup(plot_);   // the heatmaps and scales line up
    auto* sides = new QCPMarginGroup(plot_);  // and the heatmaps are equally wide
    plot_->addLayer(QStringLiteral("whatif-marks"), plot_->layer(QStringLiteral("main")), QCustomPlot::limAbove);
    QCPLayer* marks = plot_->layer(QStringLiteral("whatif-marks"));
    // Where pruning moved attention, per head, beside the top-10 lists (a fourth panel in the heatmaps' row
    // would leave each heatmap too narrow for its tokens); below, the selected head's before, after, difference.
    downstream_ = std::make_unique<WhatIfDownstream>(plot_, upper, 2, nullptr);
    // Titles above, matrices below; each colour scale in a column of its own (before | after | weights |
    // difference | change), so the three matrices get equal widths.
    for (int m = 0; m < 3; ++m) {
        QCPAxisRect* rect = newRect(plot_);
        const int column = m == 2 ? 3 : m;
        lower->addElement(0, column, titles_[3 + m]);
        lower->addElement(1, column, rect);
        mapRects_[m] = rect;
        rect->setMarginGroup(QCP::msTop | QCP::msBottom, tops);
        rect->setMarginGroup(QCP::msLeft | QCP::msRight, sides);
        rect->axis(QCPAxis::atLeft)->setRangeReversed(true);   // query 0 on top
        rect->axis(QCPAxis::atBottom)->setLabel(QObject::tr("key"));
        for (QCPAxis* axis : {rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft)}) axis->grid()->setVisible(false);
        auto* marker = new QCPItemRect(plot_);   // the selected position's row, above the heatmap
        marker->setLayer(marks);
        for (QCPItemPosition* p : {marker->topLeft, marker->bottomRight})
            p->setAxes(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
        marker->setClipAxisRect(rect);
        marker->setBrush(Qt::NoBrush);
        marker->setSelectable(false);
        rowMarkers_[m] = marker;
    }
    // Stacked when narrow (a single-column figure), side by side when wide: decided after every layout.
    QObject::connect(plot_, &QCustomPlot::afterLayout, plot_, [this] {
        if (downstream_->fitTickLabels()) plot_->replot(QCustomPlot::rpQueuedReplot);
        // The first matrix says what a key is where its axis has the room (three matrices share a page's width).
        QCPAxis* keys = mapRects_[0]->axis(QCPAxis::atBottom);
        const QString explained = QObject::tr("key (attended to)");
        const QString key = QFontMetrics(keys->labelFont()).horizontalAdvance(explained) <= mapRects_[0]->width() ? explained : QObject::tr("key");
        if (keys->label() != key) {
            keys->setLabel(key);
            plot_->replot(QCustomPlot::rpQueuedReplot);
        }
        if (!setNarrow(plot_->viewport().width() < kNarrowWidth)) return;
        for (auto phase : {QCPLayoutElement::upPreparation, QCPLayoutElement::upMargins, QCPLayoutElement::upLayout})
            plot_->plotLayout()->update(phase);
    });
    lower->addElement(1, 2, weightScale_);
    lower->addElement(1, 4, differenceScale_);
    lower->setColumnStretchFactors({1, 1, 0.001, 1, 0.001});
    lower->setRowStretchFactors({0.001, 1});
    lower->setRowSpacing(0);
    mapRects_[0]->axis(QCPAxis::atLeft)->setLabel(QObject::tr("query (attending)"));
    for (QCPColorScale* scale : {weightScale_, differenceScale_}) scale->setMarginGroup(QCP::msTop | QCP::msBottom, tops);
    for (QCPColorScale* scale : {weightScale_, differenceScale_}) useAlikeTickLabels(scale->axis());
    weightScale_->axis()->setLabel(QObject::tr("attention weight"));
    differenceScale_->axis()->setLabel(QObject::tr("after \u2212 before"));
    beforeMap_ = new QCPColorMap(mapRects_[0]->axis(QCPAxis::atBottom), mapRects_[0]->axis(QCPAxis::atLeft));
    afterMap_ = new QCPColorMap(mapRects_[1]->axis(QCPAxis::atBottom), mapRects_[1]->axis(QCPAxis::atLeft));
    differenceMap_ = new QCPColorMap(mapRects_[2]->axis(QCPAxis::atBottom), mapRects_[2]->axis(QCPAxis::atLeft));
    beforeMap_->setColorScale(weightScale_);   // before and after share one range [0, max]
    afterMap_->setColorScale(weightScale_);
    differenceMap_->setColorScale(differenceScale_);
    plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    clear();
}

WhatIfController::~WhatIfController() = default;

bool WhatIfController::setNarrow(bool narrow) {
    if (narrow == narrow_) return false;
    narrow_ = narrow;
    // Wrapping after one section stacks them; no wrap puts them in one row (the order stays).
    upper_->setWrap(narrow ? 1 : 0);
    upper_->setFillOrder(QCPLayoutGrid::foColumnsFirst, true);
    if (narrow) {
        upper_->setColumnStretchFactors({1});
        upper_->setRowStretchFactors({1, 1.4, 0.001});
    } else {
        upper_->setColumnStretchFactors({1.2, 1, 0.9});
        upper_->setRowStretchFactors({1});
    }
    applyPanels();
    klRect_->axis(QCPAxis::atLeft)->ticker()->setTickCount(narrow ? 3 : 5);
    return true;
}

QStringList WhatIfController::panelNames() const {
    if (narrow_) return {QObject::tr("KL per position"), QObject::tr("Top 10")};
    return {QObject::tr("Predictions"), QObject::tr("Attention of the head")};
}

void WhatIfController::showPanel(int only) {
    if (only == only_) return;
    only_ = only;
    applyPanels();
}

void WhatIfController::applyPanels() {
    // An invisible layout element keeps its room: what is not shown is collapsed to nothing as well. Narrow,
    // the heatmaps' row and the per-head panel are left out (three matrices side by side need a double column).
    const bool first = only_ != 1, second = only_ != 0;
    showCollapsible(upper_, narrow_ || first);   // resets every section inside it
    showCollapsible(lower_, !narrow_ && second);
    if (!narrow_) return;
    showCollapsible(klRect_->layout(), first);
    showCollapsible(topLists_, second);
    if (QCPLayoutElement* section = downstream_->rect()->layout()) showCollapsible(section, false);
}

QCPAxisRect* WhatIfController::topRect(WhatIfSide side) const { return topRects_[side == WhatIfSide::After]; }
QCPBars* WhatIfController::topBars(WhatIfSide side) const { return topBars_[side == WhatIfSide::After]; }
QStringList WhatIfController::topLabels(WhatIfSide side) const { return topLabels_[side == WhatIfSide::After]; }
QCPAxisRect* WhatIfController::mapRect(int index) const { return mapRects_[std::clamp(index, 0, 2)]; }

double WhatIfController::cell(QCPColorMap* map, int key, int query) { return map->data()->data(key, query); }

QStringList WhatIfController::titles() const {
    QStringList out;
    for (const QCPTextElement* title : titles_) out << unwrappedTitle(title);
    return out << downstream_->title();
}

void WhatIfController::clearTopItems() {
    for (QCPAbstractItem* item : topItems_) plot_->removeItem(item);
    topItems_.clear();
}

void WhatIfController::clear() {
    klBars_->data()->clear();
    highlight_->data()->clear();
    for (int side = 0; side < 2; ++side) {
        topBars_[side]->data()->clear();
        topLabels_[side].clear();
    }
    clearTopItems();
    for (QCPColorMap* map : {beforeMap_, afterMap_, differenceMap_}) map->data()->clear();
    downstream_->clear();
    for (QCPItemRect* marker : rowMarkers_) marker->setVisible(false);
    for (QCPTextElement* title : titles_) title->setText(QString());
    titles_[0]->setText(QObject::tr("Nothing is pruned:\nno comparison to show"));
    drawnBefore_.reset();
    drawnAfter_.reset();
    drawnHead_.reset();
    position_ = -1;
    tokens_ = 0;
    headShown_ = false;
}

void WhatIfController::update(const RunSnapshot& snapshot, const HeadSelection& selection, const PlotStyle& style) {
    const int T = snapshot.tokens();
    if (!snapshot.valid() || !snapshot.pruned() || T <= 0) {
        clear();
    } else {
        const bool newRun = snapshot.trace != drawnAfter_ || snapshot.baseline != drawnBefore_;
        tokens_ = T;
        position_ = shownPosition(selection, T);   // none selected: the last token
        drawKl(snapshot);
        drawTop(snapshot, style);
        if (newRun) {
            setTokenTicks(klRect_->axis(QCPAxis::atBottom), tokenLabels(snapshot));
            klRect_->axis(QCPAxis::atBottom)->setRange(-0.6, T - 0.4);
        }
        downstream_->update(snapshot, style);
        drawMaps(snapshot, selection);
        for (QCPItemRect* marker : rowMarkers_) {
            marker->setVisible(headShown_);
            marker->topLeft->setCoords(-0.5, position_ - 0.5);
            marker->bottomRight->setCoords(T - 0.5, position_ + 0.5);
            marker->setPen(QPen(style.accent, 1.5));
        }
    }
    applyStyle(plot_, style);
    styleMaps(style);
    // Faded bars and the selected one in full colour with an outline: distinct even where the accent is blue.
    const QColor soft = faded(seriesColor(0), 90);
    klBars_->setPen(QPen(soft, 0));
    klBars_->setBrush(soft);
    highlight_->setPen(QPen(style.foreground, 1.5));
    highlight_->setBrush(style.accent);
    for (int side = 0; side < 2; ++side) {
        topBars_[side]->setPen(QPen(seriesColor(side).darker(130), 0));
        topBars_[side]->setBrush(seriesColor(side));
    }
    plot_->replot();
}

void WhatIfController::drawKl(const RunSnapshot& snapshot) {
    const std::vector<float>& kl = snapshot.comparison->kl;   // [T]
    const int n = std::min(tokens_, static_cast<int>(kl.size()));
    QVector<double> keys(n), values(n);
    double maximum = 0, sum = 0;
    for (int i = 0; i < n; ++i) {
        keys[i] = i;
        values[i] = kl[static_cast<size_t>(i)];
        maximum = std::max(maximum, values[i]);
        sum += values[i];
    }
    klBars_->setData(keys, values, true);
    highlight_->data()->clear();
    if (position_ < n) highlight_->addData(position_, values[position_]);
    klRect_->axis(QCPAxis::atLeft)->setRange(0, maximum > 0 ? maximum * 1.12 : 1.0);
    // The mean and the selected value with the same decimals: 3 significant digits of the larger.
    const double mean = n > 0 ? sum / n : 0.0, shown = position_ < n ? values[position_] : 0.0;
    const double larger = std::max(mean, shown);
    const int decimals = larger > 0 ? std::clamp(2 - static_cast<int>(std::floor(std::log10(larger))), 0, 6) : 0;
    const QString at = position_ < n ? QString::number(shown, 'f', decimals) : QStringLiteral("-");
    titles_[0]->setText(QObject::tr("KL(before \u2016 after) per position\nmean %1 nats; at %2 (position %3): %4 nats")
                            .arg(mean, 0, 'f', decimals)
                            .arg(quoted(snapshot.tokenLabel(position_)))
                            .arg(position_)
                            .arg(at));
}

void WhatIfController::drawTop(const RunSnapshot& snapshot, const PlotStyle& style) {
    clearTopItems();
    const RunComparison& c = *snapshot.comparison;
    const std::vector<std::vector<TopPrediction>>* tops[2] = {&c.topBefore, &c.topAfter};   // [T][k]
    for (int side = 0; side < 2; ++side) {
        QCPAxisRect* rect = topRects_[side];
        topBars_[side]->data()->clear();
        topLabels_[side].clear();
        QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
        const auto& all = *tops[side];
        const std::vector<TopPrediction> none;
        const auto& top = position_ < static_cast<int>(all.size()) ? all[static_cast<size_t>(position_)] : none;
        for (size_t rank = 0; rank < top.size(); ++rank) {
            const double p = top[rank].probability;
            const QString label = snapshot.vocabLabel(top[rank].id);
            topLabels_[side] << label;
            topBars_[side]->addData(static_cast<double>(rank), p);
            ticker->addTick(static_cast<double>(rank), label);
            auto* value = new QCPItemText(plot_);
            value->position->setAxes(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
            value->setClipAxisRect(rect);
            // Beside the bar, or inside its end when the bar leaves no room to its right.
            const bool inside = p > kInsideAbove;
            value->position->setCoords(inside ? p - kValueGap : p + kValueGap, static_cast<double>(rank));
            value->setPositionAlignment((inside ? Qt::AlignRight : Qt::AlignLeft) | Qt::AlignVCenter);
            value->setText(QString::number(p, 'f', 3));
            value->setColor(inside ? Qt::white : style.foreground);
            value->setFont(style.font);
            topItems_ << value;
        }
        ticker->setSubTickCount(0);
        rect->axis(QCPAxis::atLeft)->setTicker(ticker);
        rect->axis(QCPAxis::atLeft)->setRange(-0.6, std::max<double>(1, static_cast<double>(top.size())) - 0.4);
    }
    const int k = static_cast<int>(topLabels_[0].size());
    titles_[1]->setText(QObject::tr("Top %1 next tokens\nafter %2: before").arg(k).arg(quoted(snapshot.tokenLabel(position_))));
    titles_[2]->setText(QObject::tr("\nafter pruning"));
}

std::optional<HeadRef> WhatIfController::headAt(QPoint pixel) const {
    return tokens_ > 0 && !narrow_ ? downstream_->headAt(pixel) : std::nullopt;
}

std::optional<int> WhatIfController::positionAt(QPoint pixel) const {
    if (tokens_ <= 0) return std::nullopt;
    auto inRange = [this](double coord) -> std::optional<int> {
        const long i = std::lround(coord);
        if (i < 0 || i >= tokens_) return std::nullopt;
        return static_cast<int>(i);
    };
    if (klRect_->rect().contains(pixel)) return inRange(klRect_->axis(QCPAxis::atBottom)->pixelToCoord(pixel.x()));
    if (!headShown_) return std::nullopt;
    for (QCPAxisRect* rect : mapRects_)
        if (rect->rect().contains(pixel)) return inRange(rect->axis(QCPAxis::atLeft)->pixelToCoord(pixel.y()));
    return std::nullopt;
}

void WhatIfController::withCaption(const QString& caption, const PlotStyle& style, const std::function<void()>& draw) {
    QCPLayoutGrid* layout = plot_->plotLayout();
    layout->insertRow(0);
    auto* text = new QCPTextElement(plot_, caption);
    layout->addElement(0, 0, text);
    layout->setRowStretchFactor(0, 0.001);
    text->setTextColor(style.foreground);
    text->setFont(style.font);
    auto remove = [&] {
        layout->remove(text);
        layout->simplify();
    };
    try {
        draw();
    } catch (...) {
        remove();
        throw;
    }
    remove();
}

} // namespace headlight
