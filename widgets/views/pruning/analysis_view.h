#pragma once
// The Analysis panel: long pruning analyses on examples the user picks (this text, the model's training task,
// or a text file), run in the background with progress and Cancel. Head importance and single-head ablation
// colour the head overview; pruning curves (several orders on one plot) and, for selective models, the loss
// against the memory that context pruning keeps are plotted here.
#include "analysis_spec.h"
#include "trace_view.h"

#include <map>
#include <memory>

class QAction;
class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTabWidget;
class QToolButton;

namespace headlight {

class PruningCurvePlot;

class AnalysisView : public TraceView {
    Q_OBJECT
public:
    explicit AnalysisView(HeadSelection* selection, QWidget* parent = nullptr);
    ~AnalysisView() override;

    QString id() const override { return QStringLiteral("analysis"); }
    QString title() const override { return tr("Analysis"); }
    QString explanation() const override;
    // The plot on the visible tab (pruning curves, or loss versus memory).
    void exportFigure(const QString& path, const ExportOptions& options) override;

    // What the controls ask for (kind, source, examples, orders, step); the window adds model, device and mask.
    AnalysisSpec specFor(AnalysisKind kind) const;
    void setSourceFile(const QString& path);

    // From the window: the background job's state and its outcome.
    void setRunning(bool running);
    void setProgress(double fraction, const QString& text = {});
    void showResult(const AnalysisResult& result);
    void showError(const QString& message);

    // For tests.
    QComboBox* sourceBox() const { return source_; }
    QSpinBox* examplesBox() const { return examples_; }
    QSpinBox* stepBox() const { return step_; }   // in the orders' menu
    QAction* orderAction(PruneOrder order) const { return orders_.at(order); }
    QToolButton* ordersButton() const { return ordersButton_; }   // its menu checks the orders
    QToolButton* button(AnalysisKind kind) const { return buttons_.at(kind); }
    QPushButton* cancelButton() const { return cancel_; }
    QProgressBar* progressBar() const { return progress_; }
    QWidget* controls() const { return controls_; }   // the rows above the plots
    QLabel* statusLabel() const { return status_; }
    PruningCurvePlot* curvePlot() const { return curves_; }
    PruningCurvePlot* memoryPlot() const { return memory_; }
    QTabWidget* tabs() const { return tabs_; }
    const std::vector<CurveSeries>& shownCurves() const { return shownCurves_; }
    const std::vector<CurveSeries>& shownMemoryCurve() const { return shownMemory_; }

signals:
    void analysisRequested(const headlight::AnalysisSpec& spec);
    void cancelRequested();

protected:
    void refresh() override;

private:
    QWidget* buildControls();
    void buildOrdersMenu();
    void setStatus(const QString& text);   // hidden while empty
    void request(AnalysisKind kind);
    void syncEnabled();

    QComboBox* source_;
    QSpinBox* examples_;
    QPushButton* chooseFile_;
    QLabel* fileLabel_;
    QString file_;
    QSpinBox* step_;
    std::map<PruneOrder, QAction*> orders_;
    QToolButton* ordersButton_;
    std::map<AnalysisKind, QToolButton*> buttons_;
    QPushButton* cancel_;
    QWidget* controls_;
    QWidget* progressRow_;   // shown while an analysis runs
    QProgressBar* progress_;
    QLabel* status_;
    QTabWidget* tabs_;
    PruningCurvePlot* curves_;
    PruningCurvePlot* memory_;
    std::vector<CurveSeries> shownCurves_, shownMemory_;
    std::shared_ptr<const ModelInfo> shownModel_;   // results belong to this model
    bool running_ = false;
};

} // namespace headlight
