#include "attention_matrix_controller.h"

#include "view_support.h"

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace headlight {

AttentionMatrixController::AttentionMatrixController(QCustomPlot* plot) : plot_(plot) {
    map_ = new QCPColorMap(plot_->xAxis, plot_->yAxis);
    scale_ = new QCPColorScale(plot_);
    scale_->setType(QCPAxis::atRight);
    plot_->plotLayout()->addElement(0, 1, scale_);
    map_->setColorScale(scale_);
    auto* group = new QCPMarginGroup(plot_);   // the scale's height follows the matrix
    plot_->axisRect()->setMarginGroup(QCP::msBottom | QCP::msTop, group);
    scale_->setMarginGroup(QCP::msBottom | QCP::msTop, group);
    plot_->plotLayout()->insertRow(0);
    title_ = new QCPTextElement(plot_, QString());
    plot_->plotLayout()->addElement(0, 0, title_);

    plot_->yAxis->setRangeReversed(true);   // query 0 on top
    plot_->xAxis->setLabel(QObject::tr("key (the token attended to)"));
    plot_->yAxis->setLabel(QObject::tr("query (the token attending)"));
    plot_->xAxis->grid()->setVisible(false);
    plot_->yAxis->grid()->setVisible(false);
    plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);

    rowMarker_ = new QCPItemRect(plot_);
    rowMarker_->setBrush(Qt::NoBrush);
    rowMarker_->setSelectable(false);
}

QString AttentionMatrixController::collectHeads(const RunSnapshot& run, const HeadSelection& selection,
                                                MatrixMode mode) {
    heads_.clear();
    const HeadRef current = clampedHead(selection.current(), run.layers(), run.heads());
    const int T = run.tokens();
    if (mode == MatrixMode::Head) {
        heads_ << current;
    } else if (mode == MatrixMode::SelectedMean) {
        for (const HeadRef& h : selection.heads()) {
            const HeadRef c = clampedHead(h, run.layers(), run.heads());
            if (!heads_.contains(c) && headAttention(*run.trace, c, T)) heads_ << c;
        }
    } else {
        for (int h = 0; h < run.heads(); ++h)
            if (headAttention(*run.trace, HeadRef{current.layer, h}, T)) heads_ << HeadRef{current.layer, h};
    }
    for (const HeadRef& h : heads_)
        if (!headAttention(*run.trace, h, T))
            return QObject::tr("Layer %1, head %2 was not captured in this run.").arg(h.layer).arg(h.head);
    if (heads_.isEmpty()) return QObject::tr("None of the heads to show was captured in this run.");

    if (mode == MatrixMode::Head) subject_ = QObject::tr("Attention of %1").arg(headName(current));
    else if (mode == MatrixMode::SelectedMean)
        subject_ = heads_.size() == 1 ? QObject::tr("Attention of %1").arg(headName(heads_.front()))
                                      : QObject::tr("Mean attention of %1 selected heads").arg(heads_.size());
    else
        subject_ = QObject::tr("Mean attention of the %1 heads of layer %2").arg(heads_.size()).arg(current.layer);
    return {};
}

QString AttentionMatrixController::update(const RunSnapshot& run, const HeadSelection& selection, MatrixMode mode,
                                          MatrixScale scale, const PlotStyle& style) {
    const int T = run.tokens();
    if (T <= 0) return QObject::tr("This run has no tokens.");
    if (run.trace->layers.empty()) return QObject::tr("This run kept no attention weights (capture was off).");
    if (const QString problem = collectHeads(run, selection, mode); !problem.isEmpty()) return problem;
    meanMode_ = heads_.size() > 1;
    // Selecting another position only moves the row marker: the T x T data (4M cells at 2048 tokens) stays.
    if (run.trace != drawnTrace_ || heads_ != drawnHeads_ || scale != drawnScale_) {
        const bool newRun = run.trace != drawnTrace_;
        fill(run, scale);
        drawnTrace_ = run.trace;
        drawnHeads_ = heads_;
        drawnScale_ = scale;
        if (newRun) resetZoom();   // a new run shows all of it; selection changes keep the zoom
    }
    applyHeatGradient(map_, style);
    const QString what = meanMode_ ? QObject::tr("mean attention weight") : QObject::tr("attention weight");
    scale_->axis()->setLabel(scale == MatrixScale::Log ? QObject::tr("%1 (log scale)").arg(what) : what);
    title_->setText(subject_);

    const int position = shownPosition(selection, T);
    rowMarker_->topLeft->setCoords(-0.5, position - 0.5);
    rowMarker_->bottomRight->setCoords(T - 0.5, position + 0.5);
    rowMarker_->setPen(QPen(style.accent, 2));
    rowMarker_->setVisible(!style.print);   // the selected query is screen state, not part of a figure
    applyStyle(plot_, style);
    return {};
}

void AttentionMatrixController::fill(const RunSnapshot& run, MatrixScale scale) {
    const int T = run.tokens();
    // [T,T] mean of the heads; with a causal mask, keys after the query read as exactly zero (a bidirectional
    // model, BERT, has every cell).
    causal_ = run.causal();
    const size_t cells = static_cast<size_t>(T) * static_cast<size_t>(T);
    matrix_.assign(cells, 0.0f);
    for (const HeadRef& h : heads_) {
        const float* a = headAttention(*run.trace, h, T);
        for (int i = 0; i < T; ++i)
            for (int j = 0, last = causal_ ? i : T - 1; j <= last; ++j)
                matrix_[static_cast<size_t>(i) * T + j] += a[static_cast<size_t>(i) * T + j];
    }
    const float inverse = 1.0f / static_cast<float>(heads_.size());
    if (heads_.size() > 1)
        for (float& v : matrix_) v *= inverse;
    tokens_ = T;
    labels_ = tokenLabels(run);

    const bool log = scale == MatrixScale::Log;
    resizeGrid(map_, T, T);
    double maximum = 0;
    for (int i = 0; i < T; ++i)
        for (int j = 0; j < T; ++j) {
            const double w = matrix_[static_cast<size_t>(i) * T + j];
            maximum = std::max(maximum, w);
            setGridValue(map_, j, i, log ? std::max(w, kLogFloor) : w);
        }
    map_->setDataScaleType(log ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (log) {
        scale_->axis()->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTickerLog));
        scale_->axis()->setNumberFormat(QStringLiteral("eb"));
        map_->setDataRange(QCPRange(kLogFloor, std::max(maximum, kLogFloor * 10)));
    } else {
        scale_->axis()->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
        scale_->axis()->setNumberFormat(QStringLiteral("gb"));
        map_->setDataRange(QCPRange(0, maximum > 0 ? maximum : 1.0));
    }
    setTokenTicks(plot_->xAxis, labels_);
    setTokenTicks(plot_->yAxis, labels_);
}

void AttentionMatrixController::resetZoom() {
    plot_->xAxis->setRange(-0.5, std::max(1, tokens_) - 0.5);
    plot_->yAxis->setRange(-0.5, std::max(1, tokens_) - 0.5);
}

double AttentionMatrixController::weight(int query, int key) const {
    if (query < 0 || key < 0 || query >= tokens_ || key >= tokens_) return std::nan("");
    return matrix_[static_cast<size_t>(query) * tokens_ + key];
}

double AttentionMatrixController::plotted(int query, int key) const {
    return gridValue(map_, key, query);
}

QString AttentionMatrixController::toolTip(int query, int key) const {
    if (query < 0 || key < 0 || query >= tokens_ || key >= tokens_) return {};
    const QString tokens = QObject::tr("query %1 \u201c%2\u201d \u2192 key %3 \u201c%4\u201d")
                               .arg(query)
                               .arg(labels_.value(query))
                               .arg(key)
                               .arg(labels_.value(key));
    if (causal_ && key > query)
        return tokens + QObject::tr("\nweight 0: a query never sees later tokens (causal mask)");
    return tokens + (meanMode_ ? QObject::tr("\nmean weight %1 over %2 heads").arg(weight(query, key), 0, 'g', 6).arg(heads_.size())
                               : QObject::tr("\nweight %1").arg(weight(query, key), 0, 'g', 6));
}

std::optional<MatrixCell> AttentionMatrixController::cellAt(const QPointF& pos) const {
    if (tokens_ <= 0 || !plot_->axisRect()->rect().contains(pos.toPoint())) return std::nullopt;
    const int key = static_cast<int>(std::lround(plot_->xAxis->pixelToCoord(pos.x())));
    const int query = static_cast<int>(std::lround(plot_->yAxis->pixelToCoord(pos.y())));
    if (query < 0 || key < 0 || query >= tokens_ || key >= tokens_) return std::nullopt;
    return MatrixCell{query, key};
}

QPointF AttentionMatrixController::cellCenter(MatrixCell cell) const {
    return {plot_->xAxis->coordToPixel(cell.key), plot_->yAxis->coordToPixel(cell.query)};
}

} // namespace headlight
