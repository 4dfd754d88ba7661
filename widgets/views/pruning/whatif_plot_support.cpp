#include "views/pruning/whatif_plot_support.h"

#include <QFontMetrics>
#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace headlight::whatif {
namespace {

class TokenTicker : public QCPAxisTicker {
public:
    TokenTicker(QCPAxis* axis, QStringList labels) : axis_(axis), labels_(std::move(labels)) {}

    int usedPixels = -1;   // the axis length the current ticks were fitted to
    int pixels() const {
        return axis_->orientation() == Qt::Horizontal ? axis_->axisRect()->width() : axis_->axisRect()->height();
    }

protected:
    double getTickStep(const QCPRange& range) override {
        usedPixels = pixels();
        // Bottom labels are rotated a quarter turn, so along either axis a label takes one line height.
        const int perLabel = QFontMetrics(axis_->tickLabelFont()).height() + 2;
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
        const double last = std::min(range.upper, labels_.size() - 1.0);
        for (double t = std::max(0.0, std::ceil(range.lower / step) * step); t <= last + 1e-9; t += step) ticks << t;
        return ticks;
    }
    QString getTickLabel(double tick, const QLocale&, QChar, int) override {
        const int i = static_cast<int>(std::lround(tick));
        return i >= 0 && i < labels_.size() ? labels_[i] : QString::number(i);
    }

private:
    QCPAxis* axis_;
    QStringList labels_;
};

// QCPAxis makes its ticks in a protected step, before the layout; this names it so it can run again after.
struct AxisAccess : QCPAxis {
    using QCPAxis::setupTickVectors;
};

} // namespace

void setTokenTicks(QCPAxis* axis, const QStringList& labels) {
    axis->setTicker(QSharedPointer<QCPAxisTicker>(new TokenTicker(axis, labels)));
    const char* connected = "headlightWhatIfTicks";
    if (axis->property(connected).toBool()) return;   // one hook per axis
    axis->setProperty(connected, true);
    QCustomPlot* plot = axis->parentPlot();
    QObject::connect(plot, &QCustomPlot::afterLayout, axis, [axis, plot] {
        auto* ticker = dynamic_cast<TokenTicker*>(axis->ticker().data());
        if (!ticker || std::abs(ticker->usedPixels - ticker->pixels()) <= 8) return;   // same step anyway
        void (QCPAxis::*setup)() = &AxisAccess::setupTickVectors;
        (axis->*setup)();                                  // this drawing (an export, too) gets fitting labels
        plot->replot(QCustomPlot::rpQueuedReplot);         // and the next one margins that fit them
    });
}

QStringList tokenLabels(const RunSnapshot& snapshot) {
    QStringList labels;
    labels.reserve(snapshot.tokens());
    for (int i = 0; i < snapshot.tokens(); ++i) labels << snapshot.tokenLabel(i);
    return labels;
}

const float* headAttention(const Trace& trace, HeadRef head, int tokens) {
    const LayerTrace* layer = trace.layer(head.layer);
    if (!layer) return nullptr;
    const auto at = std::find(layer->heads.begin(), layer->heads.end(), head.head);
    const FloatArray& a = layer->attention;   // [h,T,T]
    if (at == layer->heads.end() || a.rank() != 3 || a.dim(0) != static_cast<int64_t>(layer->heads.size()) ||
        a.dim(1) != tokens || a.dim(2) != tokens)
        return nullptr;
    return a.data() + static_cast<int64_t>(at - layer->heads.begin()) * tokens * tokens;
}

void resizeCells(QCPColorMap* map, int tokens) {
    const QCPRange range = tokens == 1 ? QCPRange(-0.25, 0.25) : QCPRange(0, tokens - 1);
    const int cells = std::max(2, tokens);
    map->data()->setSize(cells, cells);
    map->data()->setRange(range, range);
}

QCPColorGradient divergingGradient(const PlotStyle& style) {
    QCPColorGradient g;
    g.clearColorStops();
    g.setColorStopAt(0.0, QColor(33, 102, 172));
    g.setColorStopAt(0.25, QColor(103, 169, 207));
    g.setColorStopAt(0.5, style.dark ? QColor(60, 60, 60) : QColor(247, 247, 247));   // "no change"
    g.setColorStopAt(0.75, QColor(239, 138, 98));
    g.setColorStopAt(1.0, QColor(178, 24, 43));
    g.setLevelCount(256);
    return g;
}

} // namespace headlight::whatif
