#pragma once
// The what-if panel: what pruning heads changed. Preset buttons above (the window applies them), the pruned
// heads, loss and perplexity before -> after, for gated models the check that pruning closed gates changes
// nothing, and one figure: KL per position, top-5 predictions before and after, the current head's attention.
#include "trace_view.h"
#include "views/pruning/whatif_summary.h"
#include "what_if_preset.h"

#include <QMetaType>
#include <memory>

class QCustomPlot;
class QLabel;
class QPushButton;
class QScrollArea;
class QSpinBox;

namespace headlight {

class PanelSwitch;
class WhatIfController;

class WhatIfView : public TraceView {
    Q_OBJECT
public:
    explicit WhatIfView(HeadSelection* selection, QWidget* parent = nullptr);
    ~WhatIfView() override;
    // The plot's least height on screen with every panel (the KL bars over the top-k lists); a dock with less
    // room under the lines shows one panel at a time (panelSwitch()), each at least kMinimumPanelHeight, and
    // scrolls below that.
    static constexpr int kMinimumPlotHeight = 380;
    static constexpr int kMinimumPanelHeight = 220;

    QString id() const override { return QStringLiteral("whatif"); }
    QString title() const override;
    QString explanation() const override;
    void exportFigure(const QString& path, const ExportOptions& options) override;
    double figureHeightRatio() const override { return 1.6; }   // two rows of panels under a caption
    double figureHeightRatioAt(int widthPoints) const override {   // the rows side by side across a page
        return widthPoints >= kWideFigurePoints ? 0.9 : figureHeightRatio();
    }

    QCustomPlot* plot() const;
    WhatIfController* controller() const { return controller_.get(); }
    // The lines above the figure and the preset controls (tests, and the window's shortcuts).
    QLabel* prunedLabel() const { return pruned_; }
    QLabel* summaryLabel() const { return summary_; }
    QLabel* checkLabel() const { return check_; }
    const GateCheck& gateCheck() const { return gateCheck_; }
    QPushButton* presetButton(WhatIfPreset preset) const;
    QSpinBox* countBox() const { return count_; }
    PanelSwitch* panelSwitch() const { return panelSwitch_; }

signals:
    // A preset button was pressed; `k` is the spin box's value (the window applies the preset).
    void presetRequested(headlight::WhatIfPreset preset, int k);

protected:
    void refresh() override;

    bool eventFilter(QObject* watched, QEvent* event) override;
    // A figure shows every panel; the screen again the one the room allows (TraceView::exportStyled).
    void arrangeFor(QSize points) override;

private:
    void updateControls();
    // Every panel when the room under the lines allows, else the switch and the chosen panel alone.
    void fitPanels();

    std::unique_ptr<WhatIfController> controller_;
    QLabel* pruned_;
    QLabel* summary_;
    QLabel* check_;
    QPushButton* buttons_[4];   // indexed by WhatIfPreset
    QSpinBox* count_;
    QScrollArea* scroll_;
    PanelSwitch* panelSwitch_;
    bool figureLayout_ = false;   // arranged for a figure: the dock's room does not decide
    int screenPanel_ = -1;        // the panel the dock showed before a figure
    GateCheck gateCheck_;
};

} // namespace headlight

