#include "views/mechanisms/memory_controller.h"
#include "alike_ticker.h"

#include "token_ticks.h"
#include "headlight/mechanisms/persistent_memory.h"

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace headlight {
namespace {

// The [T, N] memory attention of model head `head` in `layer`, or nullptr when that head was not captured.
const float* headMemory(const LayerTrace* layer, int head, int tokens, int slotCount) {
    if (!layer || slotCount <= 0) return nullptr;
    const auto at = std::find(layer->heads.begin(), layer->heads.end(), head);
    const std::vector<int64_t> shape{static_cast<int64_t>(layer->heads.size()), tokens, slotCount};
    if (at == layer->heads.end() || (*layer)[persistent_memory::kAttention].shape() != shape) return nullptr;
    return (*layer)[persistent_memory::kAttention].data() + (at - layer->heads.begin()) * static_cast<size_t>(tokens) * slotCount;
}

} // namespace

MemoryController::MemoryController(QCustomPlot* plot) : plot_(plot) {
    QCPLayoutGrid* layout = plot_->plotLayout();
    layout->clear();
    plot_->setAutoAddPlottableToLegend(false);
    shareTitle_ = new QCPTextElement(plot_, QString());
    heatTitle_ = new QCPTextElement(plot_, QString());
    shareRect_ = mech::makeAxisRect(plot_);
    heatRect_ = mech::makeAxisRect(plot_);
    auto* legend = new QCPLegend;
    legend->setFillOrder(QCPLegend::foColumnsFirst);
    mech::wrapLegendToFit(plot_, legend);
    auto* heatRow = new QCPLayoutGrid;
    auto* scale = new QCPColorScale(plot_);
    // Below these heights the bars' ticks and the heatmap's colour-bar title are cut.
    panels_ = std::make_unique<PanelLayout>(
        plot_, QList<Panel>{{QObject::tr("Memory shares"), {shareTitle_, shareRect_, legend}, {0.001, 1, 0.001}, 165},
                            {QObject::tr("Queries x slots"), {heatTitle_, heatRow}, {0.001, 1}, 190}});
    heatRow->addElement(0, 0, heatRect_);
    heatRow->addElement(0, 1, scale);
    heatRow->setColumnStretchFactors({1, 0.001});
    plot_->legend = legend;   // applyStyle styles it

    QCPAxis* x = shareRect_->axis(QCPAxis::atBottom);
    QCPAxis* y = shareRect_->axis(QCPAxis::atLeft);
    memoryBars_ = new QCPBars(x, y);
    contextBars_ = new QCPBars(x, y);
    memoryBars_->setName(QObject::tr("memory slots"));
    contextBars_->setName(QObject::tr("context tokens"));
    contextBars_->moveAbove(memoryBars_);
    selected_ = new QCPBars(x, y);
    selected_->setName(QObject::tr("selected head"));
    selected_->setBrush(Qt::NoBrush);
    for (QCPBars* bars : {memoryBars_, contextBars_, selected_}) {
        bars->setWidth(bars == selected_ ? 0.95 : 0.75);
        bars->addToLegend(legend);
    }
    x->setLabel(QObject::tr("head"));
    y->setLabel(QObject::tr("share of attention"));   // "mean over queries": in the title, not a long axis title
    y->setRange(0, 1.12);
    useAlikeTickLabels(y);

    heatmap_ = new QCPColorMap(heatRect_->axis(QCPAxis::atBottom), heatRect_->axis(QCPAxis::atLeft));
    heatmap_->setColorScale(scale);
    scale->axis()->setLabel(QObject::tr("attention on slot"));
    useAlikeTickLabels(scale->axis());
    heatRect_->axis(QCPAxis::atLeft)->setRangeReversed(true);   // query 0 at the top
    heatRect_->axis(QCPAxis::atLeft)->setLabel(QObject::tr("query"));
    heatRect_->axis(QCPAxis::atBottom)->setLabel(QObject::tr("memory slot"));
}

void MemoryController::clear() {
    for (QCPBars* bars : {memoryBars_, contextBars_, selected_}) bars->data()->clear();
    heatmap_->data()->clear();
    plot_->clearItems();
    notice_.clear();
    grid_ = {};
    heatCaptured_ = false;
}

double MemoryController::memoryShare(const RunSnapshot& snapshot, HeadRef head) {
    // The core's metric, summarized with the run (mean over queries of the probability on every slot).
    const auto summaries = headSummaries(snapshot);   // held: find() points into it
    const FloatArray* share = summaries ? summaries->find(HeadMetric{"memory_share"}) : nullptr;
    if (!share || head.layer < 0 || head.head < 0 || head.layer >= share->dim(0) || head.head >= share->dim(1))
        return std::numeric_limits<double>::quiet_NaN();
    return share->at({head.layer, head.head});
}

QString MemoryController::update(const RunSnapshot& snapshot, const HeadSelection& selection, const PlotStyle& style) {
    clear();
    snapshot_ = snapshot;
    if (!snapshot.model->config.mechanism<PersistentMemoryConfig>()) return QObject::tr("This model has no persistent memory.");
    grid_ = {snapshot.layers(), snapshot.heads()};
    slots_ = snapshot.model->config.extraKeysPerHead();

    QList<int> missing;
    double sum = 0;
    int shown = 0;
    for (int l = 0; l < grid_.layers; ++l) {
        bool any = false;
        for (int h = 0; h < grid_.heads; ++h) {
            const double memory = memoryShare(snapshot, HeadRef{l, h});
            if (std::isnan(memory)) continue;
            // Context and memory share one softmax (renormalised together after the span mask): context = 1 - memory.
            memoryBars_->addData(grid_.key(l, h), memory);
            contextBars_->addData(grid_.key(l, h), std::max(0.0, 1.0 - memory));
            sum += memory;
            ++shown;
            any = true;
        }
        if (!any) {
            missing << l;
            mech::addLabel(plot_, shareRect_, grid_.layerCenter(l), 0.5, QObject::tr("not captured"), style);
        }
    }
    if (shown == 0) return mech::missingLayersNote(missing) + QObject::tr(" Capture a layer to see its memory.");
    notice_ = mech::missingLayersNote(missing);

    applyStyle(plot_, style);
    memoryBars_->setBrush(seriesColor(4));
    memoryBars_->setPen(QPen(seriesColor(4).darker(130), 0));
    QColor context = style.foreground;
    context.setAlpha(50);
    contextBars_->setBrush(context);
    contextBars_->setPen(QPen(style.grid, 0));
    selected_->setPen(QPen(style.accent, 2));
    selected_->setVisible(!style.print);   // screen state: not in a figure (nor in its legend)
    if (style.print) plot_->legend->removeItem(plot_->legend->itemWithPlottable(selected_));
    else if (!plot_->legend->hasItemWithPlottable(selected_)) selected_->addToLegend(plot_->legend);
    for (const HeadRef& h : selection.heads())
        if (h.layer < grid_.layers && h.head < grid_.heads) selected_->addData(grid_.key(h.layer, h.head), 1.0);
    mech::setHeadTicks(shareRect_->axis(QCPAxis::atBottom), shareRect_->axis(QCPAxis::atTop), grid_);
    shareTitle_->setText(QObject::tr("Attention on %1 persistent memory slots vs context, per head (mean %2%)")
                             .arg(slots_)
                             .arg(100.0 * sum / shown, 0, 'f', 1));
    drawHeatmap(selection, style);
    plot_->replot();
    return {};
}

void MemoryController::drawHeatmap(const HeadSelection& selection, const PlotStyle& style) {
    const int T = snapshot_.tokens(), N = slots_;
    heatHead_ = {std::clamp(selection.current().layer, 0, grid_.layers - 1),
                 std::clamp(selection.current().head, 0, grid_.heads - 1)};
    applyHeatGradient(heatmap_, style);
    heatRect_->axis(QCPAxis::atBottom)->setRange(-0.5, N - 0.5);
    heatRect_->axis(QCPAxis::atLeft)->setRange(-0.5, T - 0.5);
    setTokenTicks(heatRect_->axis(QCPAxis::atBottom), {});   // slot numbers, as many as fit the axis
    mech::setTokenTicks(heatRect_->axis(QCPAxis::atLeft), snapshot_, 32);

    const float* p = headMemory(snapshot_.trace->layer(heatHead_.layer), heatHead_.head, T, N);
    heatCaptured_ = p != nullptr;
    if (!p) {
        heatTitle_->setText(QObject::tr("Memory attention of layer %1, head %2").arg(heatHead_.layer).arg(heatHead_.head));
        mech::addLabel(plot_, heatRect_, (N - 1) / 2.0, (T - 1) / 2.0,
                       QObject::tr("Layer %1, head %2 was not captured in this run.").arg(heatHead_.layer).arg(heatHead_.head),
                       style);
        return;
    }
    mech::resizeCells(heatmap_, N, T);
    auto* data = heatmap_->data();
    float top = 0;
    for (int i = 0; i < T; ++i)
        for (int n = 0; n < N; ++n) {
            data->setCell(n, i, p[static_cast<size_t>(i) * N + n]);
            top = std::max(top, p[static_cast<size_t>(i) * N + n]);
        }
    heatmap_->setDataRange(QCPRange(0, top > 0 ? top : 1));
    const int query = mech::queryPosition(snapshot_, selection.position());
    QColor line = style.accent;
    line.setAlpha(200);
    mech::addHorizontalLine(plot_, heatRect_, query, QPen(line, 1, Qt::DashLine));
    heatTitle_->setText(QObject::tr("Memory attention of layer %1, head %2 (queries x slots)")
                            .arg(heatHead_.layer)
                            .arg(heatHead_.head));
}

std::optional<HeadRef> MemoryController::headAtPixel(QPoint pixel) const {
    if (grid_.layers == 0 || !shareRect_->rect().contains(pixel)) return std::nullopt;
    const auto head = grid_.headAt(shareRect_->axis(QCPAxis::atBottom)->pixelToCoord(pixel.x()));
    if (!head || std::isnan(memoryShare(snapshot_, *head))) return std::nullopt;
    return head;
}

std::optional<int> MemoryController::queryAtPixel(QPoint pixel) const {
    if (!heatCaptured_ || !heatRect_->rect().contains(pixel)) return std::nullopt;
    const long i = std::lround(heatRect_->axis(QCPAxis::atLeft)->pixelToCoord(pixel.y()));
    if (i < 0 || i >= snapshot_.tokens()) return std::nullopt;
    return static_cast<int>(i);
}

QString MemoryController::describeAt(QPoint pixel) const {
    if (const auto head = headAtPixel(pixel)) {
        const int T = snapshot_.tokens();
        const float* p = headMemory(snapshot_.trace->layer(head->layer), head->head, T, slots_);
        const double memory = memoryShare(snapshot_, *head);
        QString text = QObject::tr("layer %1, head %2\nmemory %3%, context %4%")
                           .arg(head->layer)
                           .arg(head->head)
                           .arg(100 * memory, 0, 'f', 1)
                           .arg(100 * std::max(0.0, 1 - memory), 0, 'f', 1);
        for (int n = 0; n < slots_; ++n) {
            double slot = 0;
            for (int i = 0; i < T; ++i) slot += p[static_cast<size_t>(i) * slots_ + n];
            text += QObject::tr("\nslot %1: %2%").arg(n).arg(100 * slot / T, 0, 'f', 1);
        }
        return text;
    }
    if (const auto query = queryAtPixel(pixel)) {
        const long n = std::lround(heatRect_->axis(QCPAxis::atBottom)->pixelToCoord(pixel.x()));
        if (n < 0 || n >= slots_) return {};
        const float* p = headMemory(snapshot_.trace->layer(heatHead_.layer), heatHead_.head, snapshot_.tokens(), slots_);
        return QObject::tr("query %1 '%2', slot %3: %4")
            .arg(*query)
            .arg(snapshot_.tokenLabel(*query))
            .arg(n)
            .arg(p[static_cast<size_t>(*query) * slots_ + static_cast<size_t>(n)], 0, 'f', 4);
    }
    return {};
}

} // namespace headlight
