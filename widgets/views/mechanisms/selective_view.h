#pragma once
// Selective attention (Leviathan et al. 2024): which earlier tokens a query no longer sees, who masked them,
// and, under a memory budget, which tokens each layer keeps.
#include "panel_switch.h"
#include "trace_view.h"

#include <memory>
#include <vector>

class QCustomPlot;
class QHBoxLayout;
class QLabel;
class QPushButton;
class QSlider;
class QSpinBox;

namespace headlight {

class SelectiveController;

class SelectiveView : public TraceView {
    Q_OBJECT
public:
    explicit SelectiveView(HeadSelection* selection, QWidget* parent = nullptr);
    ~SelectiveView() override;

    QString id() const override { return QStringLiteral("selective"); }
    QString title() const override;
    QString explanation() const override;
    void exportFigure(const QString& path, const ExportOptions& options) override;
    // A single column stacks the text, S over F and the budget picture; a double column puts S and F side by side
    // and stays under three quarters of its width, so the figure and its caption fit a page.
    double figureHeightRatioAt(int widthPoints) const override;

    QCustomPlot* plot() const;
    SelectiveController* controller() const { return controller_.get(); }
    QString notice() const;
    // The eviction picture's step (a query position); it follows the selected query until moved.
    QSpinBox* stepBox() const { return stepBox_; }
    QSlider* stepSlider() const { return stepSlider_; }
    // Per-layer budget boxes (0 = unlimited) and the button that asks for a run with them.
    const std::vector<QSpinBox*>& budgetBoxes() const { return budgetBoxes_; }
    // Per-layer sliders beside the boxes: letting go of one asks for a run with every layer's budget.
    const std::vector<QSlider*>& budgetSliders() const { return budgetSliders_; }
    std::vector<int> budgets() const;
    QPushButton* applyBudgetButton() const { return applyBudget_; }

signals:
    // The user asked to rerun with these per-layer budgets (0 = unlimited); the window forwards it to the engine.
    void budgetRequested(std::vector<int> budgets);

protected:
    void refresh() override;

    // The row of buttons that picks the text or S and F while the plot is too short for both.
    PanelSwitch* panelSwitch() const { return panelSwitch_; }

private:
    void syncControls();
    void setStep(int step);
    void redrawStep();

    std::unique_ptr<SelectiveController> controller_;
    QLabel* notice_;
    PanelSwitch* panelSwitch_;   // shown while the plot is too short for the text and S and F together
    QSlider* stepSlider_;
    QSpinBox* stepBox_;
    QHBoxLayout* budgetRow_;
    std::vector<QSpinBox*> budgetBoxes_;
    std::vector<QSlider*> budgetSliders_;
    std::vector<QWidget*> budgetCells_;   // box + slider per layer
    QPushButton* applyBudget_;
    const void* shownTrace_ = nullptr;   // the run the controls were set up for
    int shownQuery_ = -1;
    int step_ = -1;                      // -1: follow the query
};

} // namespace headlight
