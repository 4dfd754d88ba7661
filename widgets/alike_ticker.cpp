#include "alike_ticker.h"

#include <qcustomplot.h>

#include <cmath>

namespace headlight {
namespace {

class AlikeTicker : public QCPAxisTicker {
protected:
    QVector<double> createTickVector(double tickStep, const QCPRange& range) override {
        decimals_ = stepDecimals(tickStep);   // the step of this layout's ticks sets every label's decimals
        return QCPAxisTicker::createTickVector(tickStep, range);
    }
    QString getTickLabel(double tick, const QLocale& locale, QChar, int) override {
        if (std::abs(tick) < 0.5 * std::pow(10.0, -decimals_)) tick = 0.0;   // never "-0.0"
        return locale.toString(tick, 'f', decimals_);
    }

private:
    int decimals_ = 0;
};

} // namespace

int stepDecimals(double step) {
    if (!(step > 0) || !std::isfinite(step)) return 0;
    for (int d = 0; d < 6; ++d) {
        const double scaled = step * std::pow(10.0, d);
        if (std::abs(scaled - std::round(scaled)) < 1e-6 * std::max(1.0, scaled)) return d;
    }
    return 6;
}

void useAlikeTickLabels(QCPAxis* axis) {
    auto ticker = QSharedPointer<AlikeTicker>::create();
    ticker->setTickCount(axis->ticker()->tickCount());
    axis->setTicker(ticker);
}

} // namespace headlight
