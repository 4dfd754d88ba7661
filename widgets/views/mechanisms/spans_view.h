#pragma once
// Adaptive attention span (Sukhbaatar et al. 2019): how far back each head can look.
#include "views/mechanisms/head_plot_view.h"

namespace headlight {

class SpansController;

class SpansView : public HeadPlotView {
    Q_OBJECT
public:
    explicit SpansView(HeadSelection* selection, QWidget* parent = nullptr);

    QString id() const override { return QStringLiteral("spans"); }
    QString title() const override;
    QString explanation() const override;
    double figureHeightRatio() const override { return 1.7; }   // the soft masks over the sorted spans, two legends
    double figureHeightRatioAt(int widthPoints) const override {   // side by side across a page
        return widthPoints >= kWideFigurePoints ? 0.5 : figureHeightRatio();
    }

    SpansController* controller() const;
};

} // namespace headlight
