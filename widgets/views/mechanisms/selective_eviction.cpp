// The memory-budget half of the selective attention controller: which tokens each layer keeps, step by step
// (context pruning, docs/model-format.md: a token leaves a layer's buffer at the step evicted_at names).
#include "views/mechanisms/selective_controller.h"

#include "headlight/mechanisms/selective_attention.h"

#include <qcustomplot.h>

#include <algorithm>
#include <limits>

namespace headlight {

std::vector<int> SelectiveController::keptAt(const LayerTrace* layer, int tokens, int step) {
    std::vector<int> kept;
    if (!layer) return kept;
    const FloatArray& evictedAt = (*layer)[selective_attention::kEvictedAt];
    const bool budget = evictedAt.size() == tokens;
    for (int j = 0; j <= std::min(step, tokens - 1); ++j) {
        const double evicted = budget ? evictedAt.data()[j] : -1.0;
        if (evicted < 0 || evicted > step) kept.push_back(j);
    }
    return kept;
}

void SelectiveController::drawEvictions(const PlotStyle& style) {
    const int T = snapshot_.tokens(), L = snapshot_.layers();
    mech::resizeCells(evictMap_, T, L);
    auto* data = evictMap_->data();
    bool anyBudget = false;
    QStringList keptCounts;
    for (int l = 0; l < L; ++l) {
        const LayerTrace* layer = snapshot_.trace->layer(l);
        if (!layer) {
            for (int j = 0; j < T; ++j) data->setCell(j, l, std::numeric_limits<double>::quiet_NaN());
            keptCounts << QStringLiteral("\u2013");
            continue;
        }
        anyBudget = anyBudget || (*layer)[selective_attention::kEvictedAt].size() == T;
        for (int j = 0; j < T; ++j) data->setCell(j, l, j > step_ ? NotReadYet : Evicted);
        const std::vector<int> kept = keptAt(layer, T, step_);
        for (int j : kept) data->setCell(j, l, Kept);
        keptCounts << QString::number(kept.size());
    }
    QCPColorGradient states;
    states.clearColorStops();
    QColor unread = style.foreground;
    unread.setAlpha(40);
    states.setColorStopAt(0.0, unread);
    states.setColorStopAt(0.5, style.masked);
    states.setColorStopAt(1.0, style.accent);
    states.setLevelCount(3);
    states.setNanHandling(QCPColorGradient::nhTransparent);
    evictMap_->setGradient(states);
    evictMap_->setInterpolate(false);
    evictMap_->setDataRange(QCPRange(NotReadYet, Kept));
    evictRect_->axis(QCPAxis::atBottom)->setRange(-0.5, T - 0.5);
    evictRect_->axis(QCPAxis::atLeft)->setRange(-0.5, L - 0.5);
    QSharedPointer<QCPAxisTickerText> layerTicks(new QCPAxisTickerText);
    for (int l = 0; l < L; ++l) layerTicks->addTick(l, QString::number(l));
    evictRect_->axis(QCPAxis::atLeft)->setTicker(layerTicks);
    mech::setTokenTicks(evictRect_->axis(QCPAxis::atBottom), snapshot_);
    mech::addVerticalLine(plot_, evictRect_, step_ + 0.5, QPen(style.foreground, 1, Qt::DashLine));

    const QColor swatchColors[] = {unread, style.masked, style.accent};   // by EvictionState
    for (int s = 0; s < 3; ++s) swatches_[s]->setBrush(swatchColors[s]);
    showEvictionPicture(anyBudget);
    // A paper's figure says nothing about a budget its run did not use (no closing sentence); the app does.
    mech::showCollapsible(evictTitle_, anyBudget || !style.print);
    evictTitle_->setText(anyBudget ? QObject::tr("Memory budget: what each layer keeps at step %1 (kept: %2)")
                                         .arg(step_)
                                         .arg(keptCounts.join(QStringLiteral(", ")))
                                   : QObject::tr("No memory budget in this run: every layer keeps every token "
                                                 "(set budgets below to prune)"));
}

void SelectiveController::showEvictionPicture(bool show) { mech::showCollapsible(evictRow_, show); }

bool SelectiveController::matricesShown() const { return matrices_->visible(); }

bool SelectiveController::matricesStacked() const { return matrices_->wrap() == 1; }

bool SelectiveController::evictionPictureShown() const { return evictRect_->visible(); }

std::optional<int> SelectiveController::stepAtPixel(QPoint pixel) const {
    if (!evictRect_->visible() || !evictRect_->rect().contains(pixel) || snapshot_.tokens() == 0) return std::nullopt;
    const long step = std::lround(evictRect_->axis(QCPAxis::atBottom)->pixelToCoord(pixel.x()));
    if (step < 0 || step >= snapshot_.tokens()) return std::nullopt;
    return static_cast<int>(step);
}

} // namespace headlight
