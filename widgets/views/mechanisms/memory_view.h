#pragma once
// Persistent memory (all-attention layers): how much attention goes to learned memory slots instead of tokens.
#include "views/mechanisms/head_plot_view.h"

namespace headlight {

class MemoryController;

class MemoryView : public HeadPlotView {
    Q_OBJECT
public:
    explicit MemoryView(HeadSelection* selection, QWidget* parent = nullptr);

    QString id() const override { return QStringLiteral("memory"); }
    QString title() const override;
    QString explanation() const override;
    double figureHeightRatio() const override { return 1.5; }   // memory shares over the query heatmap
    double figureHeightRatioAt(int widthPoints) const override {   // side by side across a page
        return widthPoints >= kWideFigurePoints ? 0.5 : figureHeightRatio();
    }

    MemoryController* controller() const;
};

} // namespace headlight
