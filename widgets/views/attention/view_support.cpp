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

const float* headAttention(const Trace& trace, HeadRef head, int tokens) {
    const LayerTrace* lt = trace.layer(head.layer);
    if (!lt || tokens <= 0) return nullptr;
    const auto at = std::find(lt->heads.begin(), lt->heads.end(), head.head);
    if (at == lt->heads.end()) return nullptr;
    const FloatArray& a = lt->attention;   // [h,T,T]
    if (a.rank() != 3 || a.dim(0) != static_cast<int64_t>(lt->heads.size()) || a.dim(1) != tokens ||
        a.dim(2) != tokens)
        return nullptr;
    return a.data() + static_cast<int64_t>(at - lt->heads.begin()) * tokens * tokens;
}

QString headName(HeadRef head) {
    return QObject::tr("layer %1, head %2").arg(head.layer).arg(head.head);
}

QStringList tokenLabels(const RunSnapshot& snapshot) {
    QStringList labels;
    labels.reserve(snapshot.tokens());
    for (int i = 0; i < snapshot.tokens(); ++i) labels << snapshot.tokenLabel(i);
    return labels;
}

QColor faded(const QColor& color, int alpha) {
    QColor c = color;
    c.setAlpha(alpha);
    return c;
}

namespace {

// Token labels at integer ticks, thinned to a readable step (1, 2, 5, 10, 20, ...) for the visible range.
class TokenTicker : public QCPAxisTicker {
public:
    TokenTicker(QCPAxis* axis, QStringList labels) : axis_(axis), labels_(std::move(labels)) {}

    // The axis length the last ticks were fitted to. QCustomPlot makes ticks before it lays out the plot, so
    // after a resize they fit the old length; setTokenTicks' afterLayout hook then makes them again.
    int usedPixels = -1;
    int pixels() const {
        return axis_->orientation() == Qt::Horizontal ? axis_->axisRect()->width() : axis_->axisRect()->height();
    }

protected:
    double getTickStep(const QCPRange& range) override {
        usedPixels = pixels();
        const int perLabel = QFontMetrics(axis_->tickLabelFont()).height() + 3;
        const double fit = std::max(1.0, static_cast<double>(usedPixels) / perLabel);
        const double raw = std::max(1.0, range.size() / fit);
        for (double decade = 1; decade < 1e12; decade *= 10)
            for (double m : {1.0, 2.0, 5.0})
                if (m * decade >= raw) return m * decade;
        return raw;
    }
    int getSubTickCount(double) override { return 0; }
    QVector<double> createTickVector(double step, const QCPRange& range) override {
        QVector<double> ticks;
        const double last = labels_.isEmpty() ? range.upper : std::min(range.upper, labels_.size() - 1.0);
        for (double t = std::max(0.0, std::ceil(range.lower / step) * step); t <= last + 1e-9; t += step) ticks << t;
        return ticks;
    }
    QString getTickLabel(double tick, const QLocale&, QChar, int) override {
        const int i = static_cast<int>(std::lround(tick));
        return i < labels_.size() ? labels_[i] : QString::number(i);
    }

private:
    QCPAxis* axis_;
    QStringList labels_;
};

// QCPAxis makes its ticks in a protected step; this names that step so it can run again after the layout.
struct AxisAccess : QCPAxis {
    using QCPAxis::setupTickVectors;
};

} // namespace

void setTokenTicks(QCPAxis* axis, const QStringList& labels) {
    axis->setTicker(QSharedPointer<QCPAxisTicker>(new TokenTicker(axis, labels)));
    const char* connected = "headlightTokenTicks";
    if (axis->property(connected).toBool()) return;   // one check per axis, however often the labels change
    axis->setProperty(connected, true);
    QCustomPlot* plot = axis->parentPlot();
    QObject::connect(plot, &QCustomPlot::afterLayout, axis, [axis, plot] {
        auto* ticker = dynamic_cast<TokenTicker*>(axis->ticker().data());
        // A few pixels never change the (1, 2, 5) step; ignoring them rules out replotting back and forth.
        if (!ticker || std::abs(ticker->usedPixels - ticker->pixels()) <= 8) return;
        void (QCPAxis::*setup)() = &AxisAccess::setupTickVectors;
        (axis->*setup)();                                  // this drawing (an export, too) gets fitting labels
        plot->replot(QCustomPlot::rpQueuedReplot);         // and the next one margins that fit them
    });
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
