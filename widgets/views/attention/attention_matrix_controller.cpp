#include "attention_matrix_controller.h"
#include "alike_ticker.h"

#include "view_support.h"

#include <qcustomplot.h>

#include <QTimer>

#include <algorithm>
#include <cmath>

namespace headlight {

AttentionMatrixController::AttentionMatrixController(QCustomPlot* plot) : plot_(plot) {
    map_ = new QCPColorMap(plot_->xAxis, plot_->yAxis);
    scale_ = new QCPColorScale(plot_);
    scale_->setType(QCPAxis::atRight);
    plot_->plotLayout()->addElement(0, 1, scale_);
    map_->setColorScale(scale_);
    group_ = new QCPMarginGroup(plot_);   // the scale's length follows the matrix
    plot_->axisRect()->setMarginGroup(QCP::msBottom | QCP::msTop, group_);
    scale_->setMarginGroup(QCP::msBottom | QCP::msTop, group_);
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

    // Zooming and panning a long text pools the new window once the axes settle (both axes move together).
    auto* repoolTimer = new QTimer(plot_);
    repoolTimer->setSingleShot(true);
    repoolTimer->setInterval(0);
    QObject::connect(repoolTimer, &QTimer::timeout, plot_, [this] {
        if (!pooled_) return;
        repool();
        plot_->replot();
    });
    auto schedule = [this, repoolTimer](const QCPRange&) {
        if (pooled_ && !repooling_) repoolTimer->start();
    };
    QObject::connect(plot_->xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), plot_, schedule);
    QObject::connect(plot_->yAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), plot_, schedule);
}

void AttentionMatrixController::setScaleAbove(bool above) {
    if (above == scaleAbove_) return;
    scaleAbove_ = above;
    // The grid is title / matrix in column 0; the scale goes into a row between them or into column 1.
    QCPLayoutGrid* grid = plot_->plotLayout();
    grid->take(scale_);
    grid->simplify();
    const QCP::MarginSides along = above ? QCP::msLeft | QCP::msRight : QCP::msBottom | QCP::msTop;
    const QCP::MarginSides across = above ? QCP::msBottom | QCP::msTop : QCP::msLeft | QCP::msRight;
    for (QCPLayoutElement* e : {static_cast<QCPLayoutElement*>(plot_->axisRect()), static_cast<QCPLayoutElement*>(scale_)}) {
        e->setMarginGroup(across, nullptr);
        e->setMarginGroup(along, group_);
    }
    // A layout element's automatic margins only ever grow (QCPLayoutElement::calculateAutoMargin): the scale
    // would keep the matrix's tick-label margins it shared before.
    scale_->setMargins(QMargins());
    // QCPAxisRect keeps 15 px on every side; under the bar that reads as a gap between the scale and its matrix.
    plot_->axisRect()->setMinimumMargins(QMargins(15, above ? 2 : 15, 15, 15));
    if (above) {
        grid->insertRow(1);
        grid->addElement(1, 0, scale_);
        grid->setRowStretchFactor(1, 0.01);   // the bar's own thickness; the matrix takes the rest
        scale_->setType(QCPAxis::atTop);
    } else {
        grid->addElement(1, 1, scale_);
        scale_->setType(QCPAxis::atRight);
    }
}

namespace {
// A head the view can draw: captured, or pooled in the run's digest of its layer.
bool drawable(const RunSnapshot& run, HeadRef h) {
    if (headAttention(run, h)) return true;
    const LayerDigest* d = run.trace->digest(h.layer);
    return d && d->bin > 0 && d->pooledMax.rank() == 3 && h.head < d->pooledMax.dim(0);
}
} // namespace

QString AttentionMatrixController::collectHeads(const RunSnapshot& run, const HeadSelection& selection,
                                                MatrixMode mode) {
    heads_.clear();
    const HeadRef current = clampedHead(selection.current(), run.layers(), run.heads());
    // An encoder-decoder model's mean takes heads of one kind of attention (one shape): the current head's.
    const AttentionKind kind = run.blockOf(current.layer).kind;
    if (mode == MatrixMode::Head) {
        heads_ << current;
    } else if (mode == MatrixMode::SelectedMean) {
        for (const HeadRef& h : selection.heads()) {
            const HeadRef c = clampedHead(h, run.layers(), run.heads());
            if (!heads_.contains(c) && run.blockOf(c.layer).kind == kind && drawable(run, c)) heads_ << c;
        }
    } else {
        for (int h = 0; h < run.heads(); ++h)
            if (drawable(run, HeadRef{current.layer, h})) heads_ << HeadRef{current.layer, h};
    }
    for (const HeadRef& h : heads_)
        if (!drawable(run, h)) {
            const QString name = headName(run, h);
            return QObject::tr("%1 was not captured in this run.").arg(name.left(1).toUpper() + name.mid(1));
        }
    if (heads_.isEmpty()) return QObject::tr("None of the heads to show was captured in this run.");

    if (mode == MatrixMode::Head) subject_ = QObject::tr("Attention of %1").arg(headName(run, current));
    else if (mode == MatrixMode::SelectedMean)
        subject_ = heads_.size() == 1 ? QObject::tr("Attention of %1").arg(headName(run, heads_.front()))
                                      : QObject::tr("Mean attention of %1 selected heads").arg(heads_.size());
    else if (run.encoderDecoder())
        subject_ = QObject::tr("Mean attention of the %1 heads of %2").arg(heads_.size()).arg(headName(run, current).section(QLatin1Char(','), 0, 0));
    else
        subject_ = QObject::tr("Mean attention of the %1 heads of layer %2").arg(heads_.size()).arg(current.layer);
    return {};
}

QString AttentionMatrixController::update(const RunSnapshot& run, const HeadSelection& selection, MatrixMode mode,
                                          MatrixScale scale, const PlotStyle& style, MatrixPooling pooling) {
    const int T = run.tokens();
    if (T <= 0) return QObject::tr("This run has no tokens.");
    if (run.trace->layers.empty() && run.trace->digests.empty())
        return QObject::tr("This run kept no attention weights (capture was off).");
    const bool rollout = mode == MatrixMode::Rollout;
    if (rollout) {
        if (run.rollout.rank() != 2 || run.rollout.dim(0) != T)
            return QObject::tr("Rollout needs every head of every layer captured: texts of at most %1 tokens.").arg(kRolloutTokens);
        heads_ = {HeadRef{-1, -1}};   // no one head: every layer's mean
        subject_ = QObject::tr("Attention rollout through %1 layers").arg(run.layers());
    } else if (const QString problem = collectHeads(run, selection, mode); !problem.isEmpty()) {
        return problem;
    }
    meanMode_ = heads_.size() > 1;
    // Selecting another position only moves the row marker: the T x T data (4M cells at 2048 tokens) stays.
    if (run.trace != drawnTrace_ || heads_ != drawnHeads_ || scale != drawnScale_ || pooling != drawnPooling_) {
        const bool newText = !drawnTrace_ || run.trace->tokenIds != drawnTrace_->tokenIds ||
                             run.trace->sourceIds != drawnTrace_->sourceIds || keys_ != (rollout ? T : run.keyCount(heads_.front().layer));
        // An encoder-decoder model's rows have no digests: every head is captured and drawn exactly.
        bool exact = T <= kExactTokens || rollout || run.encoderDecoder();
        for (const HeadRef& h : heads_) exact = exact && (rollout || headAttention(run, h));
        causal_ = run.causal();
        tokens_ = T;
        keys_ = T;
        drawnTrace_ = run.trace;
        drawnHeads_ = heads_;
        drawnScale_ = scale;
        drawnPooling_ = pooling;
        pooled_ = !exact;
        trace_ = run.trace;
        if (pooled_) {
            matrix_.clear();   // the weights stay in the trace; the cells hold what is shown
            labels_ = tokenLabels(run);
            keyLabels_ = labels_;
            setTokenTicks(plot_->xAxis, labels_);
            setTokenTicks(plot_->yAxis, labels_);
            repooling_ = true;
            if (newText) resetZoom();   // a new text shows all of it; another head or capture keeps the zoom
            repooling_ = false;
            fillPooled();
        } else if (rollout) {
            tokens_ = T;
            labels_ = tokenLabels(run);
            keyLabels_ = labels_;
            matrix_.assign(run.rollout.begin(), run.rollout.end());
            resizeGrid(map_, T, T);
            putCells(matrix_, T, T, scale);
            setTokenTicks(plot_->xAxis, labels_);
            setTokenTicks(plot_->yAxis, labels_);
            cellNote_.clear();
            exactCells_ = true;
            if (newText) resetZoom();
        } else {
            fill(run, scale);
            cellNote_.clear();
            exactCells_ = true;
            if (newText) resetZoom();
        }
    }
    applyHeatGradient(map_, style);
    const QString what = rollout ? QObject::tr("rollout weight")
                                 : meanMode_ ? QObject::tr("mean attention weight") : QObject::tr("attention weight");
    scale_->axis()->setLabel(scale == MatrixScale::Log ? QObject::tr("%1 (log scale)").arg(what) : what);
    title_->setText(cellNote_.isEmpty() ? subject_ : subject_ + QStringLiteral("\n(") + cellNote_ + QStringLiteral(")"));

    const int position = shownPosition(selection, tokens_);
    rowMarker_->topLeft->setCoords(-0.5, position - 0.5);
    rowMarker_->bottomRight->setCoords(keys_ - 0.5, position + 0.5);
    rowMarker_->setPen(QPen(style.accent, 2));
    rowMarker_->setVisible(!style.print);   // the selected query is screen state, not part of a figure
    applyStyle(plot_, style);
    return {};
}

void AttentionMatrixController::fill(const RunSnapshot& run, MatrixScale scale) {
    // [T,K] mean of the heads (K = T but for cross-attention, whose keys are the source's tokens); with a causal
    // mask, keys after the query read as exactly zero (a bidirectional model, BERT, has every cell).
    const int layer = heads_.front().layer;
    const int T = run.queryCount(layer), K = run.keyCount(layer);
    causal_ = run.causalAt(layer);
    const size_t cells = static_cast<size_t>(T) * static_cast<size_t>(K);
    matrix_.assign(cells, 0.0f);
    for (const HeadRef& h : heads_) {
        const float* a = headAttention(run, h);
        for (int i = 0; i < T; ++i)
            for (int j = 0, last = causal_ ? i : K - 1; j <= last; ++j)
                matrix_[static_cast<size_t>(i) * K + j] += a[static_cast<size_t>(i) * K + j];
    }
    const float inverse = 1.0f / static_cast<float>(heads_.size());
    if (heads_.size() > 1)
        for (float& v : matrix_) v *= inverse;
    tokens_ = T;
    keys_ = K;
    labels_ = queryLabels(run, layer);
    keyLabels_ = keyLabels(run, layer);

    resizeGrid(map_, K, T);
    putCells(matrix_, T, K, scale);
    setTokenTicks(plot_->xAxis, keyLabels_);
    setTokenTicks(plot_->yAxis, labels_);
    // Cross-attention's axes hold different texts: say which is which.
    const bool cross = run.blockOf(layer).kind == AttentionKind::Cross;
    plot_->xAxis->setLabel(cross ? QObject::tr("source (keys)") : QString());
    plot_->yAxis->setLabel(cross ? QObject::tr("target (queries)") : QString());
}

void AttentionMatrixController::putCells(const std::vector<float>& values, int rows, int cols, MatrixScale scale) {
    const bool log = scale == MatrixScale::Log;
    double maximum = 0;
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) {
            const double v = values[static_cast<size_t>(r) * static_cast<size_t>(cols) + static_cast<size_t>(c)];
            maximum = std::max(maximum, v);
            setGridValue(map_, c, r, log ? std::max(v, kLogFloor) : v);
        }
    applyColourRange(maximum, scale);
}

void AttentionMatrixController::applyColourRange(double maximum, MatrixScale scale) {
    const bool log = scale == MatrixScale::Log;
    map_->setDataScaleType(log ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (log) {
        scale_->axis()->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTickerLog));
        scale_->axis()->setNumberFormat(QStringLiteral("eb"));
        map_->setDataRange(QCPRange(kLogFloor, std::max(maximum, kLogFloor * 10)));
    } else {
        scale_->axis()->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
        scale_->axis()->setNumberFormat(QStringLiteral("gb"));
        useAlikeTickLabels(scale_->axis());   // "0.0" ... "1.0", not "0" beside "0.8"
        map_->setDataRange(QCPRange(0, maximum > 0 ? maximum : 1.0));
    }
}

void AttentionMatrixController::resetZoom() {
    plot_->xAxis->setRange(-0.5, std::max(1, keys_) - 0.5);
    plot_->yAxis->setRange(-0.5, std::max(1, tokens_) - 0.5);
}

double AttentionMatrixController::weight(int query, int key) const {
    if (query < 0 || key < 0 || query >= tokens_ || key >= keys_) return std::nan("");
    if (!pooled_) return matrix_[static_cast<size_t>(query) * keys_ + key];
    // Long texts: read the captured heads' own weights (NaN for a head known only from its digest).
    double sum = 0;
    for (const HeadRef& h : heads_) {
        const float* a = headAttention(*trace_, h, tokens_);
        if (!a) return std::nan("");
        sum += a[static_cast<size_t>(query) * static_cast<size_t>(tokens_) + static_cast<size_t>(key)];
    }
    return sum / heads_.size();
}

double AttentionMatrixController::plotted(int query, int key) const {
    if (!pooled_) return gridValue(map_, key, query);
    const auto span = cellSpan(query, key);
    if (!span) return std::nan("");
    const auto r = std::find(rowEdges_.begin(), rowEdges_.end(), span->rowStart) - rowEdges_.begin();
    const auto c = std::find(colEdges_.begin(), colEdges_.end(), span->colStart) - colEdges_.begin();
    return map_->data()->cell(static_cast<int>(c), static_cast<int>(r));   // cell indices, not coordinates
}

QString AttentionMatrixController::toolTip(int query, int key) const {
    if (query < 0 || key < 0 || query >= tokens_ || key >= keys_) return {};
    const QString tokens = QObject::tr("query %1 \u201c%2\u201d \u2192 key %3 \u201c%4\u201d")
                               .arg(query)
                               .arg(labels_.value(query))
                               .arg(key)
                               .arg(keyLabels_.value(key));
    if (causal_ && key > query)
        return tokens + QObject::tr("\nweight 0: a query never sees later tokens (causal mask)");
    const auto span = cellSpan(query, key);
    if (pooled_ && span && !exactCells_) {
        const QString cell = QObject::tr("\ncell: queries %1-%2, keys %3-%4: %5 %6")
                                 .arg(span->rowStart).arg(span->rowEnd - 1).arg(span->colStart).arg(span->colEnd - 1)
                                 .arg(drawnPooling_ == MatrixPooling::Max && !meanMode_ ? QObject::tr("max") : QObject::tr("mean"))
                                 .arg(plotted(query, key), 0, 'g', 6);
        const double w = weight(query, key);
        return tokens + cell + (std::isnan(w) ? QString() : QObject::tr("\nthis cell's weight %1").arg(w, 0, 'g', 6));
    }
    return tokens + (meanMode_ ? QObject::tr("\nmean weight %1 over %2 heads").arg(weight(query, key), 0, 'g', 6).arg(heads_.size())
                               : QObject::tr("\nweight %1").arg(weight(query, key), 0, 'g', 6));
}

std::optional<MatrixCell> AttentionMatrixController::cellAt(const QPointF& pos) const {
    if (tokens_ <= 0 || !plot_->axisRect()->rect().contains(pos.toPoint())) return std::nullopt;
    const int key = static_cast<int>(std::lround(plot_->xAxis->pixelToCoord(pos.x())));
    const int query = static_cast<int>(std::lround(plot_->yAxis->pixelToCoord(pos.y())));
    if (query < 0 || key < 0 || query >= tokens_ || key >= keys_) return std::nullopt;
    return MatrixCell{query, key};
}

QPointF AttentionMatrixController::cellCenter(MatrixCell cell) const {
    return {plot_->xAxis->coordToPixel(cell.key), plot_->yAxis->coordToPixel(cell.query)};
}

} // namespace headlight
