#include "view_support.h"

#include <QFontMetrics>
#include <QMouseEvent>
#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <memory>

namespace headlight {

int shownPosition(const HeadSelection& selection, int tokens) {
    const int p = selection.position();
    if (p < 0 || p >= tokens) return tokens - 1;
    return p;
}

HeadRef clampedHead(HeadRef head, int layers, int heads) {
    return HeadRef{std::clamp(head.layer, 0, std::max(0, layers - 1)), std::clamp(head.head, 0, std::max(0, heads - 1))};
}

namespace {
const float* rowAttention(const Trace& trace, HeadRef head, int queries, int keys) {
    const LayerTrace* lt = trace.layer(head.layer);
    if (!lt || queries <= 0 || keys <= 0) return nullptr;
    const auto at = std::find(lt->heads.begin(), lt->heads.end(), head.head);
    if (at == lt->heads.end()) return nullptr;
    const FloatArray& a = lt->attention;   // [h,queries,keys]
    if (a.rank() != 3 || a.dim(0) != static_cast<int64_t>(lt->heads.size()) || a.dim(1) != queries || a.dim(2) != keys)
        return nullptr;
    return a.data() + static_cast<int64_t>(at - lt->heads.begin()) * queries * keys;
}
} // namespace

const float* headAttention(const Trace& trace, HeadRef head, int tokens) { return rowAttention(trace, head, tokens, tokens); }

const float* headAttention(const RunSnapshot& run, HeadRef head) {
    if (!run.valid()) return nullptr;
    return rowAttention(*run.trace, head, run.queryCount(head.layer), run.keyCount(head.layer));
}

QString headName(HeadRef head) {
    return QObject::tr("layer %1, head %2").arg(head.layer).arg(head.head);
}

QString headTitle(const ModelConfig& config, HeadRef head) {
    QString title = QStringLiteral("L%1 H%2").arg(head.layer).arg(head.head);
    if (config.kvHeads() < config.nHead && head.head >= 0 && head.head < config.nHead)
        title += QObject::tr(" (KV head %1 of %2)").arg(config.kvHeadOf(head.head)).arg(config.kvHeads());
    return title;
}

QStringList tokenLabels(const RunSnapshot& snapshot) {
    QStringList labels;
    labels.reserve(snapshot.tokens());
    for (int i = 0; i < snapshot.tokens(); ++i) labels << snapshot.tokenLabel(i);
    return labels;
}

QString headName(const RunSnapshot& run, HeadRef head) {
    if (!run.encoderDecoder()) return headName(head);
    const AttentionBlock b = run.blockOf(head.layer);
    const QString kind = b.kind == AttentionKind::EncoderSelf ? QObject::tr("encoder layer")
                         : b.kind == AttentionKind::Cross     ? QObject::tr("cross-attention layer")
                                                              : QObject::tr("decoder layer");
    return QObject::tr("%1 %2, head %3").arg(kind).arg(b.layerOf(head.layer)).arg(head.head);
}

QString headTitle(const RunSnapshot& run, HeadRef head) {
    if (!run.valid()) return {};
    if (!run.encoderDecoder()) return headTitle(run.model->config, head);
    return QStringLiteral("%1 H%2").arg(run.rowName(head.layer)).arg(head.head);
}

QStringList queryLabels(const RunSnapshot& snapshot, int layer) {
    QStringList labels;
    for (int i = 0; i < snapshot.queryCount(layer); ++i) labels << snapshot.queryLabel(layer, i);
    return labels;
}

QStringList keyLabels(const RunSnapshot& snapshot, int layer) {
    QStringList labels;
    for (int j = 0; j < snapshot.keyCount(layer); ++j) labels << snapshot.keyLabel(layer, j);
    return labels;
}

QColor faded(const QColor& color, int alpha) {
    QColor c = color;
    c.setAlpha(alpha);
    return c;
}

void setIndexTicks(QCPAxis* axis, const QStringList& labels) {
    QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
    for (int i = 0; i < labels.size(); ++i) ticker->addTick(i, labels[i]);
    axis->setTicker(ticker);
}

void resizeGrid(QCPColorMap* map, int columns, int rows) {
    auto range = [](int n) { return n == 1 ? QCPRange(-0.25, 0.25) : QCPRange(0, std::max(1, n - 1)); };
    map->data()->setSize(columns == 1 ? 2 : columns, rows == 1 ? 2 : rows);
    map->data()->setRange(range(columns), range(rows));
}

void setGridValue(QCPColorMap* map, int column, int row, double value) {
    QCPColorMapData* d = map->data();
    const bool doubleColumn = d->keyRange().lower < 0, doubleRow = d->valueRange().lower < 0;
    for (int c = doubleColumn ? 0 : column; c <= (doubleColumn ? 1 : column); ++c)
        for (int r = doubleRow ? 0 : row; r <= (doubleRow ? 1 : row); ++r) d->setCell(c, r, value);
}

double gridValue(QCPColorMap* map, int column, int row) {
    return map->data()->data(column, row);
}

void onPlotClick(QCustomPlot* plot, std::function<void(QMouseEvent*)> onClick) {
    auto pressedAt = std::make_shared<QPoint>(-100000, -100000);
    QObject::connect(plot, &QCustomPlot::mousePress, plot,
                     [pressedAt](QMouseEvent* e) { *pressedAt = e->position().toPoint(); });
    QObject::connect(plot, &QCustomPlot::mouseRelease, plot, [pressedAt, onClick](QMouseEvent* e) {
        if (e->button() == Qt::LeftButton && (e->position().toPoint() - *pressedAt).manhattanLength() <= 3)
            onClick(e);
    });
}

} // namespace headlight
