#include "token_ticks.h"

#include <QFont>
#include <QFontMetrics>
#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace headlight {

namespace {

// Token labels at integer ticks, upright, with their positions ("12 x" down a vertical axis, "x" over "12"
// along a horizontal one), thinned to a readable step (1, 2, 5, 10, 20, ...) for the visible range: every
// token while a row is at least a line of text high (a column: its widest label wide).
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
        // The axis' own font: the style's, unless it is the one this ticker shrank it to.
        if (axis_->tickLabelFont() != shrunk_) base_ = axis_->tickLabelFont();
        QFont font = base_;
        double rotation = 0;
        const double perToken = static_cast<double>(usedPixels) / std::max(1.0, range.size());
        const auto perLabel = [&](const QFont& f, double turned) {
            const QFontMetrics fm(f);
            if (axis_->orientation() == Qt::Vertical || turned != 0) return fm.height() + 1.0;   // a line of text and a little air
            int widest = fm.horizontalAdvance(QString::number(std::max<qsizetype>(0, labels_.size() - 1)));
            for (const QString& l : labels_) widest = std::max(widest, fm.horizontalAdvance(l));
            return widest + 4.0;
        };
        // A short text (up to kEveryTokenUpTo tokens in view) names every token, as BertViz and CircuitsVis do:
        // turned to read upwards where upright labels collide, then in a smaller font down to kSmallestPoints.
        // A font chosen to fit exactly would overlap after the next layout shrinks the axis by a few pixels
        // (only a change of more than 8 makes new ticks): it must fit with kSlack to spare.
        const double room = perToken * kSlack;
        const bool few = range.size() <= kEveryTokenUpTo + 1 && !labels_.isEmpty();
        if (few && perLabel(font, 0) > perToken && axis_->orientation() == Qt::Horizontal) rotation = -90;
        if (few && perLabel(font, rotation) > perToken) {
            const double smallest = std::max(kSmallestPoints, kSmallestShare * base_.pointSizeF());
            for (double points = font.pointSizeF() - 0.5; points >= smallest; points -= 0.5) {
                font.setPointSizeF(points);
                if (perLabel(font, rotation) <= room) break;
            }
            if (perLabel(font, rotation) > room) {   // no size fits: thin out in the style's font instead
                font = base_;
                rotation = 0;
            }
        }
        shrunk_ = font;
        if (axis_->tickLabelFont() != font) axis_->setTickLabelFont(font);
        if (axis_->tickLabelRotation() != rotation) axis_->setTickLabelRotation(rotation);
        const double fit = std::max(1.0, static_cast<double>(usedPixels) / perLabel(font, rotation));
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
        if (i >= labels_.size()) return QString::number(i);
        // Turned labels read upwards in one line: "12 x", as down a vertical axis.
        const bool turned = axis_->tickLabelRotation() != 0;
        return tokenTickLabel(i, labels_[i], turned ? Qt::Vertical : axis_->orientation());
    }

private:
    static constexpr int kEveryTokenUpTo = 40;
    static constexpr double kSmallestPoints = 4.5;   // the smallest text a printed figure stays readable in
    static constexpr double kSlack = 0.85;
    static constexpr double kSmallestShare = 0.55;   // of the style's size: smaller reads as a different kind of text
    QCPAxis* axis_;
    QStringList labels_;
    QFont base_, shrunk_;
};

// QCPAxis makes its ticks in a protected step; this names that step so it can run again after the layout.
struct AxisAccess : QCPAxis {
    using QCPAxis::setupTickVectors;
};

} // namespace

QString tokenTickLabel(int position, const QString& token, Qt::Orientation orientation) {
    return orientation == Qt::Horizontal ? token + QLatin1Char('\n') + QString::number(position)
                                         : QString::number(position) + QLatin1Char(' ') + token;
}

void setTokenTicks(QCPAxis* axis, const QStringList& labels) {
    axis->setTickLabelRotation(0);   // upright while they fit: rotated "^" reads as "<", "=" as "||"
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


} // namespace headlight
