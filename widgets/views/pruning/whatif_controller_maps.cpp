// The what-if figure's heatmaps: the current head's attention before, after and after - before (the rest of
// WhatIfController is in whatif_controller.cpp).
#include "views/pruning/whatif_controller.h"

#include "views/attention/view_support.h"
#include "views/pruning/whatif_plot_support.h"

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace headlight {

void WhatIfController::drawMaps(const RunSnapshot& snapshot, const HeadSelection& selection) {
    const int T = tokens_;
    const HeadRef head{std::clamp(selection.current().layer, 0, std::max(0, snapshot.layers() - 1)),
                       std::clamp(selection.current().head, 0, std::max(0, snapshot.heads() - 1))};
    const FloatArray& mask = snapshot.trace->headMask;   // [L,H]
    const bool pruned = mask.rank() == 2 && head.layer < mask.dim(0) && head.head < mask.dim(1) &&
                        mask.at({head.layer, head.head}) == 0.0f;
    const QString name = QObject::tr("layer %1, head %2").arg(head.layer).arg(head.head);
    if (drawnHead_ && *drawnHead_ == head && drawnBefore_ == snapshot.baseline && drawnAfter_ == snapshot.trace)
        return;   // a new position only moves the row markers
    head_ = head;
    drawnHead_ = head;
    drawnBefore_ = snapshot.baseline;
    drawnAfter_ = snapshot.trace;

    const float* before = headAttention(*snapshot.baseline, head, T);
    const float* after = headAttention(*snapshot.trace, head, T);
    headShown_ = before && after;
    if (!headShown_) {
        for (QCPColorMap* map : {beforeMap_, afterMap_, differenceMap_}) map->data()->clear();
        titles_[3]->setText(QObject::tr("Attention of %1\nnot captured in this run").arg(name));
        titles_[4]->setText(QString());
        titles_[5]->setText(QString());
        return;
    }
    for (QCPColorMap* map : {beforeMap_, afterMap_, differenceMap_}) {
        resizeGrid(map, T, T);
        map->data()->fill(0);   // then only non-zero cells are set (with a causal mask, all above the diagonal is 0)
    }
    QCPColorMapData* b = beforeMap_->data();
    QCPColorMapData* a = afterMap_->data();
    QCPColorMapData* d = differenceMap_->data();
    const int cells = std::max(2, T);
    double maxWeight = 0, maxDifference = 0;
    for (int ci = 0; ci < cells; ++ci) {
        const int i = std::min(ci, T - 1);   // query row (half cells repeat the single token)
        for (int cj = 0; cj < cells; ++cj) {
            const int j = std::min(cj, T - 1);
            const size_t at = static_cast<size_t>(i) * static_cast<size_t>(T) + static_cast<size_t>(j);
            const double wb = before[at], wa = after[at], diff = wa - wb;
            if (wb != 0) b->setCell(cj, ci, wb);
            if (wa != 0) a->setCell(cj, ci, wa);
            if (diff != 0) d->setCell(cj, ci, diff);
            maxWeight = std::max({maxWeight, wb, wa});
            maxDifference = std::max(maxDifference, std::abs(diff));
        }
    }
    weightScale_->setDataRange(QCPRange(0, maxWeight > 0 ? maxWeight : 1.0));
    // Symmetric around 0, so "no change" is the neutral middle colour (and all of it when nothing changed).
    const double m = maxDifference > 0 ? maxDifference : 1.0;
    differenceScale_->setDataRange(QCPRange(-m, m));
    titles_[3]->setText(QObject::tr("Attention before\n%1").arg(name));
    // A pruned head's attention is still computed (only its output is multiplied by 0), so it is shown.
    titles_[4]->setText(pruned ? QObject::tr("After\n%1 (pruned)").arg(name) : QObject::tr("After\n%1").arg(name));
    // A pruned head's own pattern moves only through heads pruned before it: point to where the change went.
    titles_[5]->setText(maxDifference == 0 && pruned
                            ? QObject::tr("After \u2212 before\nall 0: see later heads")
                            : QObject::tr("After \u2212 before\nmax |\u0394| = %1").arg(maxDifference, 0, 'f', 3));
    const QStringList labels = tokenLabels(snapshot);
    for (QCPAxisRect* rect : mapRects_) {
        setTokenTicks(rect->axis(QCPAxis::atBottom), labels);
        setTokenTicks(rect->axis(QCPAxis::atLeft), labels);
        rect->axis(QCPAxis::atBottom)->setRange(-0.5, T - 0.5);
        rect->axis(QCPAxis::atLeft)->setRange(-0.5, T - 0.5);
    }
}

void WhatIfController::styleMaps(const PlotStyle& style) {
    applyHeatGradient(beforeMap_, style);
    applyHeatGradient(afterMap_, style);
    differenceMap_->setGradient(whatif::divergingGradient(style));
    differenceMap_->setInterpolate(false);
}

} // namespace headlight
