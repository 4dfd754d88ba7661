#pragma once
// Head gates (Voita et al. 2019): which heads the L0-trained gates keep open, per layer.
#include "views/mechanisms/head_plot_view.h"

namespace headlight {

class GatesController;

class GatesView : public HeadPlotView {
    Q_OBJECT
public:
    explicit GatesView(HeadSelection* selection, QWidget* parent = nullptr);

    QString id() const override { return QStringLiteral("gates"); }
    QString title() const override;
    QString explanation() const override;
    double figureHeightRatio() const override { return 1.25; }   // the bars over a legend of whole entries
    double figureHeightRatioAt(int widthPoints) const override {   // side by side across a page
        return widthPoints >= kWideFigurePoints ? 0.55 : figureHeightRatio();
    }

    GatesController* controller() const;
};

} // namespace headlight
