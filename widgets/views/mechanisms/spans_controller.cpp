#include "views/mechanisms/spans_controller.h"
#include "alike_ticker.h"
#include "headlight/mechanisms/adaptive_span.h"

#include "title_text.h"

#include <qcustomplot.h>

#include <QFontMetrics>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace headlight {

SpansController::SpansController(QCustomPlot* plot) : plot_(plot) {
    QCPLayoutGrid* layout = plot_->plotLayout();
    layout->clear();
    maskTitle_ = new QCPTextElement(plot_, QString());
    spanTitle_ = new QCPTextElement(plot_, QString());
    maskRect_ = mech::makeAxisRect(plot_);
    spanRect_ = mech::makeAxisRect(plot_);
    // Each panel's legend under it: every mark explained, nothing drawn over the data.
    plot_->setAutoAddPlottableToLegend(false);
    maskLegend_ = new QCPLegend;
    spanLegend_ = new QCPLegend;
    // Below ~110 px of plot the mask's y ticks and the log ticks run into each other.
    panels_ = std::make_unique<PanelLayout>(
        plot_, QList<Panel>{{QObject::tr("(a) Masks"), {maskTitle_, maskRect_, maskLegend_}, {0.001, 1, 0.001}, 175},
                            {QObject::tr("(b) Spans"), {spanTitle_, spanRect_, spanLegend_}, {0.001, 1, 0.001}, 185}});
    for (QCPLegend* legend : {maskLegend_, spanLegend_}) {
        legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
        mech::wrapLegendToFit(plot_, legend);
        legend->setIconSize(14, 8);
        legend->setRowSpacing(0);
        legend->setColumnSpacing(6);
    }
    auto* margins = new QCPMarginGroup(plot_);
    maskRect_->setMarginGroup(QCP::msLeft | QCP::msRight, margins);
    spanRect_->setMarginGroup(QCP::msLeft | QCP::msRight, margins);

    maskRect_->axis(QCPAxis::atBottom)->setLabel(QObject::tr("distance x = i \u2212 j (tokens)"));
    maskRect_->axis(QCPAxis::atLeft)->setLabel(QObject::tr("mask m_z(x)"));
    maskRect_->axis(QCPAxis::atLeft)->setRange(-0.03, 1.3);   // room above m = 1 for the current head's label
    useAlikeTickLabels(maskRect_->axis(QCPAxis::atLeft));

    QCPAxis* spanAxis = spanRect_->axis(QCPAxis::atLeft);
    spanAxis->setScaleType(QCPAxis::stLogarithmic);
    spanAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTickerLog));
    spanAxis->setNumberFormat(QStringLiteral("g"));
    spanAxis->setLabel(QObject::tr("span z (tokens, log)"));
    spanRect_->axis(QCPAxis::atBottom)->setLabel(QObject::tr("head, sorted by span in each layer"));

    selectedOutline_ = new QCPBars(spanRect_->axis(QCPAxis::atBottom), spanAxis);
    selectedOutline_->setWidth(0.9);
    selectedOutline_->setBrush(Qt::NoBrush);
    flooredMarks_ = new QCPGraph(spanRect_->axis(QCPAxis::atBottom), spanAxis);
    flooredMarks_->setLineStyle(QCPGraph::lsNone);
    flooredMarks_->setName(QObject::tr("z < %1 (drawn at %1)").arg(kSpanFloor));
    maxSpanLine_ = new QCPGraph(spanRect_->axis(QCPAxis::atBottom), spanAxis);
    maxSpanLine_->setName(QObject::tr("max span S"));
    selectedOutline_->setName(QObject::tr("selected"));
    // The per-layer bars are created later; these must still be drawn over them.
    selectedOutline_->setLayer(mech::highlightLayer(plot_));
    maxSpanLine_->setLayer(mech::highlightLayer(plot_));
    flooredMarks_->setLayer(mech::highlightLayer(plot_));
    // Bar labels upright while they fit their bars, turned when not: decided after every layout.
    QObject::connect(plot_, &QCustomPlot::afterLayout, plot_, [this] {
        if (!fitBarLabels()) return;
        for (auto phase : {QCPLayoutElement::upPreparation, QCPLayoutElement::upMargins, QCPLayoutElement::upLayout})
            plot_->plotLayout()->update(phase);
    });
}

bool SpansController::fitBarLabels() {
    QCPAxis* x = spanRect_->axis(QCPAxis::atBottom);
    const double width = grid_.upper() - grid_.lower();   // in bar slots
    if (grid_.layers == 0 || width <= 0) return false;
    const double pitch = spanRect_->width() / width;   // pixels per bar
    const int widest = QFontMetrics(x->tickLabelFont()).horizontalAdvance(
        QStringLiteral("L%1 H%2").arg(grid_.layers - 1).arg(grid_.heads - 1));
    const double rotation = pitch < widest + 6 ? 90 : 0;
    if (x->tickLabelRotation() == rotation) return false;
    x->setTickLabelRotation(rotation);
    return true;
}

void SpansController::clear() {
    // Legend items point at their plottables: gone first.
    for (QCPLegend* legend : {maskLegend_, spanLegend_}) legend->clearItems();
    for (QCPGraph* g : curves_)
        if (g) plot_->removePlottable(g);
    for (QCPBars* b : bars_)
        if (b) plot_->removePlottable(b);
    curves_.clear();
    bars_.clear();
    sorted_.clear();
    selectedOutline_->data()->clear();
    flooredMarks_->data()->clear();
    maxSpanLine_->data()->clear();
    plot_->clearItems();
    notice_.clear();
    maskLayer_ = -1;
    grid_ = {};
}

const LayerTrace* SpansController::spanLayer(int l) const {
    const LayerTrace* layer = snapshot_.trace->layer(l);
    return layer && (*layer)[adaptive_span::kSpan].size() == grid_.heads ? layer : nullptr;
}

QCPGraph* SpansController::maskCurve(int head) const {
    return head >= 0 && head < static_cast<int>(curves_.size()) ? curves_[static_cast<size_t>(head)] : nullptr;
}

double SpansController::maskAt(int head, double x) const {
    const QCPGraph* curve = maskCurve(head);
    if (!curve || curve->data()->isEmpty()) return std::numeric_limits<double>::quiet_NaN();
    const auto data = curve->data();
    auto after = data->findBegin(x, false);   // first point with key >= x
    if (after == data->constEnd()) return (data->constEnd() - 1)->value;
    if (after == data->constBegin() || after->key == x) return after->value;
    auto before = after - 1;
    const double t = (x - before->key) / (after->key - before->key);
    return before->value + t * (after->value - before->value);
}

QCPBars* SpansController::spanBars(int layer) const {
    return layer >= 0 && layer < static_cast<int>(bars_.size()) ? bars_[static_cast<size_t>(layer)] : nullptr;
}

std::vector<HeadRef> SpansController::sortedHeads(int layer) const {
    return layer >= 0 && layer < static_cast<int>(sorted_.size()) ? sorted_[static_cast<size_t>(layer)]
                                                                   : std::vector<HeadRef>{};
}

QString SpansController::update(const RunSnapshot& snapshot, const HeadSelection& selection, const PlotStyle& style) {
    clear();
    snapshot_ = snapshot;
    const AdaptiveSpanConfig* span = snapshot.model->config.mechanism<AdaptiveSpanConfig>();
    if (!span) return QObject::tr("This model has no adaptive attention span.");
    grid_ = {snapshot.layers(), snapshot.heads()};
    config_ = *span;
    ramp_ = span->ramp;
    maxSpan_ = span->maxSpan;

    QList<int> missing;
    for (int l = 0; l < grid_.layers; ++l)
        if (!spanLayer(l)) missing << l;
    if (missing.size() == grid_.layers)
        return mech::missingLayersNote(missing) + QObject::tr(" Capture a layer to see its spans.");
    notice_ = mech::missingLayersNote(missing);

    applyStyle(plot_, style);
    maskLayer_ = std::clamp(selection.current().layer, 0, grid_.layers - 1);
    if (const LayerTrace* layer = spanLayer(maskLayer_)) {
        drawMasks(*layer, selection, style);
    } else {
        maskTitle_->setText(QObject::tr("(a) Soft masks of layer %1").arg(maskLayer_));
        maskRect_->axis(QCPAxis::atBottom)->setRange(0, maxSpan_ + ramp_);
        mech::addLabel(plot_, maskRect_, (maxSpan_ + ramp_) / 2, 0.5,
                       QObject::tr("Layer %1 was not captured in this run.").arg(maskLayer_), style);
    }
    drawSortedSpans(style);

    // Heads of the selection, outlined in (b): screen state, not in a figure.
    for (const HeadRef& h : style.print ? QList<HeadRef>{} : selection.heads()) {
        if (h.layer >= static_cast<int>(sorted_.size())) continue;
        const auto& order = sorted_[static_cast<size_t>(h.layer)];
        for (size_t rank = 0; rank < order.size(); ++rank)
            if (order[rank] == h)
                selectedOutline_->addData(grid_.key(h.layer, static_cast<int>(rank)),
                                          std::max<double>((*spanLayer(h.layer))[adaptive_span::kSpan].data()[h.head], kSpanFloor));
    }
    selectedOutline_->setPen(QPen(style.accent, 2));
    // Screen state: on screen only, never in a figure.
    if (!style.print && !selectedOutline_->data()->isEmpty()) selectedOutline_->addToLegend(spanLegend_);
    for (QCPLegend* legend : {maskLegend_, spanLegend_}) {
        legend->setVisible(legend->itemCount() > 0);
        legend->setFont(style.font);
        legend->setTextColor(style.foreground);
        legend->setBrush(Qt::NoBrush);
        legend->setBorderPen(Qt::NoPen);
    }
    plot_->replot();
    return {};
}

void SpansController::drawMasks(const LayerTrace& layer, const HeadSelection& selection, const PlotStyle& style) {
    const double xmax = maxSpan_ + ramp_;
    QCPAxis* x = maskRect_->axis(QCPAxis::atBottom);
    QCPAxis* y = maskRect_->axis(QCPAxis::atLeft);
    x->setRange(0, xmax);
    const HeadRef current = selection.current();
    // Plottables paint in creation order: the current head's curve is created last so it lies on top.
    std::vector<int> order;
    for (int h = 0; h < grid_.heads; ++h)
        if (HeadRef{maskLayer_, h} != current) order.push_back(h);
    if (current.layer == maskLayer_ && current.head < grid_.heads) order.push_back(current.head);
    curves_.assign(static_cast<size_t>(grid_.heads), nullptr);
    for (int h : order) {
        const double z = layer[adaptive_span::kSpan].data()[h];
        // m_z is piecewise linear with corners at z and z + R: plotting the corners draws it exactly.
        std::vector<double> xs = {0.0, z, z + ramp_, xmax};
        for (double& v : xs) v = std::clamp(v, 0.0, xmax);
        std::sort(xs.begin(), xs.end());
        xs.erase(std::unique(xs.begin(), xs.end()), xs.end());
        auto* curve = new QCPGraph(x, y);
        for (double d : xs) curve->addData(d, adaptive_span::maskAt(config_, z, d));
        const bool selected = selection.isSelected(HeadRef{maskLayer_, h});
        QColor color = selected ? style.accent : seriesColor(h);
        if (!selected) color.setAlpha(170);
        curve->setPen(QPen(color, selected ? 2.5 : 1.2));
        curve->setName(QStringLiteral("L%1 H%2").arg(maskLayer_).arg(h));
        curves_[static_cast<size_t>(h)] = curve;
    }
    // The legend names every head's colour while they fit a row or two; past that, the current head's alone
    // (hover names any curve).
    for (int h = 0; h < grid_.heads; ++h)
        if (grid_.heads <= 8 || HeadRef{maskLayer_, h} == current) curves_[static_cast<size_t>(h)]->addToLegend(maskLegend_);
    // The farthest any query looks back in this run: masks beyond it change nothing here.
    const int longest = snapshot_.tokens() - 1;
    if (current.layer == maskLayer_ && current.head < grid_.heads) {
        const double z = layer[adaptive_span::kSpan].data()[current.head];
        QColor shade = style.accent;
        shade.setAlpha(45);
        auto* ramp = new QCPItemRect(plot_);
        for (QCPItemPosition* p : {ramp->topLeft, ramp->bottomRight}) p->setAxes(x, y);
        ramp->setClipAxisRect(maskRect_);
        ramp->topLeft->setCoords(z, 1.0);
        ramp->bottomRight->setCoords(std::min(z + ramp_, xmax), 0.0);
        ramp->setPen(Qt::NoPen);
        ramp->setBrush(shade);
        mech::addVerticalLine(plot_, maskRect_, z, QPen(style.accent, 1.5, Qt::DashLine));
        auto* label = mech::addLabel(plot_, maskRect_, z, 0,
                                     QObject::tr("L%1 H%2: z = %3, R = %4")   // short: it fits beside a long span
                                         .arg(current.layer)
                                         .arg(current.head)
                                         .arg(z, 0, 'f', 1)
                                         .arg(ramp_, 0, 'g', 3),
                                     style);
        // At the top, inside the panel at any size, ending where nothing is drawn under it: a long span's label
        // ends at its dashed line; a short one's at the right edge, or at the dotted line of the longest distance
        // (below) where that lies right of the middle.
        const bool left = z > xmax / 2;
        const bool atLongest = !left && longest < xmax && longest > xmax / 2;
        label->position->setType(QCPItemPosition::ptAxisRectRatio);
        label->position->setAxisRect(maskRect_);
        label->position->setCoords(1.0, 0.0);
        if (left || atLongest) {
            label->position->setTypeX(QCPItemPosition::ptPlotCoords);
            label->position->setAxes(x, y);
            label->position->setCoords(left ? z : longest, 0.0);
        }
        label->setPadding(QMargins(3, 1, 3, 0));
        label->setPositionAlignment(Qt::AlignRight | Qt::AlignTop);
    }
    if (longest < xmax) {
        mech::addVerticalLine(plot_, maskRect_, longest, QPen(style.foreground, 1, Qt::DotLine));
        // Along the line, reading upwards: across the panel it would cross the curves.
        auto* label = mech::addLabel(plot_, maskRect_, longest, 0.5, QObject::tr("end of text"), style);   // no query looks farther
        label->setRotation(-90);
        label->setPositionAlignment(Qt::AlignHCenter | Qt::AlignBottom);
        label->setPadding(QMargins(0, 0, 0, 2));
    }
    maskTitle_->setText(QObject::tr("(a) Soft masks m_z(x) = clamp((R + z \u2212 x) / R, 0, 1) of layer %1 "
                                    "(max span S = %2)")
                            .arg(maskLayer_)
                            .arg(maxSpan_, 0, 'g', 6));
}

void SpansController::drawSortedSpans(const PlotStyle& style) {
    QCPAxis* x = spanRect_->axis(QCPAxis::atBottom);
    QCPAxis* y = spanRect_->axis(QCPAxis::atLeft);
    sorted_.assign(static_cast<size_t>(grid_.layers), {});
    bars_.assign(static_cast<size_t>(grid_.layers), nullptr);
    double sum = 0;
    int count = 0;
    for (int l = 0; l < grid_.layers; ++l) {
        const LayerTrace* layer = spanLayer(l);
        if (!layer) {
            mech::addLabel(plot_, spanRect_, grid_.layerCenter(l), std::sqrt(kSpanFloor * maxSpan_),
                           QObject::tr("not captured"), style);
            continue;
        }
        std::vector<int> order(static_cast<size_t>(grid_.heads));
        std::iota(order.begin(), order.end(), 0);
        const float* z = (*layer)[adaptive_span::kSpan].data();
        std::stable_sort(order.begin(), order.end(), [z](int a, int b) { return z[a] < z[b]; });
        auto* bars = new QCPBars(x, y);
        bars->setWidth(0.8);
        // Bars start at 0, which a log axis places below its rect: clipped, they rise from the bottom edge.
        // One colour for every layer (the top axis names them): per-head colours belong to the masks in (a).
        QColor color = style.foreground;
        color.setAlpha(110);
        bars->setBrush(color);
        bars->setPen(QPen(style.foreground, 0));
        bars->setName(QObject::tr("span z"));
        // A log axis has no 0: bars rise from its lower end (in every format, also SVG, which does not clip).
        bars->setBaseValue(kSpanFloor / 2);
        for (size_t rank = 0; rank < order.size(); ++rank) {
            const int h = order[rank];
            const double key = grid_.key(l, static_cast<int>(rank));
            bars->addData(key, std::max<double>(z[h], kSpanFloor));
            if (z[h] < kSpanFloor) flooredMarks_->addData(key, kSpanFloor);
            sorted_[static_cast<size_t>(l)].push_back(HeadRef{l, h});
            sum += z[h];
            ++count;
        }
        bars_[static_cast<size_t>(l)] = bars;
    }
    flooredMarks_->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssTriangleInverted, QPen(style.masked, 1.5),
                                                   QBrush(style.masked), 7));
    // Each bar named "L1 H3", as in Sukhbaatar et al. Fig. 4: upright while few, turned when many; past 64 bars
    // every n-th (hover names every head).
    mech::setHeadTicks(x, nullptr, grid_);
    QSharedPointer<QCPAxisTickerText> names(new QCPAxisTickerText);
    const int total = grid_.layers * grid_.heads;
    const int stride = std::max(1, (total + 63) / 64);
    int n = 0;
    for (size_t l = 0; l < sorted_.size(); ++l)
        for (size_t rank = 0; rank < sorted_[l].size(); ++rank, ++n)
            if (n % stride == 0)
                names->addTick(grid_.key(static_cast<int>(l), static_cast<int>(rank)),
                               QStringLiteral("L%1 H%2").arg(l).arg(sorted_[l][rank].head));
    names->setSubTickCount(0);
    x->setTicker(names);
    fitBarLabels();
    x->setLabel(QObject::tr("head, sorted by span in each layer"));
    y->setRange(kSpanFloor / 2, std::max(maxSpan_, 1.0) * 1.6);
    maxSpanLine_->addData(grid_.lower(), maxSpan_);
    maxSpanLine_->addData(grid_.upper(), maxSpan_);
    maxSpanLine_->setPen(QPen(style.foreground, 1, Qt::DashLine));
    for (QCPBars* bars : bars_)
        if (bars) {
            bars->addToLegend(spanLegend_);
            break;
        }
    maxSpanLine_->addToLegend(spanLegend_);
    if (!flooredMarks_->data()->isEmpty()) flooredMarks_->addToLegend(spanLegend_);
    spanTitle_->setText(QObject::tr("(b) Span z of every head (mean %1 tokens)").arg(count ? sum / count : 0.0, 0, 'f', 1));
}

QString SpansController::spanTitle() const { return unwrappedTitle(spanTitle_); }

namespace {
QStringList namesIn(const QCPLegend* legend) {
    QStringList names;
    for (int i = 0; i < legend->itemCount(); ++i)
        if (auto* item = qobject_cast<QCPPlottableLegendItem*>(legend->item(i))) names << item->plottable()->name();
    return names;
}
} // namespace

QStringList SpansController::maskLegendNames() const { return namesIn(maskLegend_); }
QStringList SpansController::spanLegendNames() const { return namesIn(spanLegend_); }

std::optional<HeadRef> SpansController::headAtPixel(QPoint pixel) const {
    if (grid_.layers == 0) return std::nullopt;
    if (spanRect_->rect().contains(pixel)) {
        const auto slot = grid_.headAt(spanRect_->axis(QCPAxis::atBottom)->pixelToCoord(pixel.x()));
        if (!slot || slot->layer >= static_cast<int>(sorted_.size())) return std::nullopt;
        const auto& order = sorted_[static_cast<size_t>(slot->layer)];
        if (slot->head >= static_cast<int>(order.size())) return std::nullopt;
        return order[static_cast<size_t>(slot->head)];
    }
    if (maskRect_->rect().contains(pixel)) {
        // The curve nearest the click, within a few pixels.
        double best = 8;
        std::optional<HeadRef> nearest;
        for (size_t h = 0; h < curves_.size(); ++h) {
            const double d = curves_[h]->selectTest(pixel, false);
            if (d >= 0 && d < best) {
                best = d;
                nearest = HeadRef{maskLayer_, static_cast<int>(h)};
            }
        }
        return nearest;
    }
    return std::nullopt;
}

QString SpansController::describeAt(QPoint pixel) const {
    if (grid_.layers == 0) return {};
    if (spanRect_->rect().contains(pixel)) {
        const auto head = headAtPixel(pixel);
        if (!head) return {};
        const double z = (*spanLayer(head->layer))[adaptive_span::kSpan].data()[head->head];
        QString text = QObject::tr("layer %1, head %2\nspan z = %3 tokens").arg(head->layer).arg(head->head).arg(z, 0, 'f', 2);
        if (z < kSpanFloor) text += QObject::tr("\n(below %1: drawn at %1 on the log axis)").arg(kSpanFloor);
        return text;
    }
    if (maskRect_->rect().contains(pixel) && !curves_.empty()) {
        const double x = maskRect_->axis(QCPAxis::atBottom)->pixelToCoord(pixel.x());
        if (x < 0) return {};
        QStringList lines{QObject::tr("distance x = %1").arg(x, 0, 'f', 1)};
        for (size_t h = 0; h < curves_.size(); ++h)
            lines << QObject::tr("head %1: m = %2").arg(h).arg(maskAt(static_cast<int>(h), x), 0, 'f', 3);
        return lines.join(QLatin1Char('\n'));
    }
    return {};
}

} // namespace headlight
