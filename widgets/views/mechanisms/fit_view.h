#pragma once
// A fit as it runs (Analysis > Fit): the loss and task loss against the step, and the head gates or spans view
// showing the heads' state at the newest logged step, so one watches heads close and spans shrink. It computes
// nothing: each step's values come from the fit's worker (FitJob) and are drawn as they are.
#include "headlight/model_config.h"
#include "headlight/training.h"
#include "run_snapshot.h"

#include <QWidget>
#include <memory>

class QCustomPlot;
class QCPGraph;
class QLabel;

namespace headlight {

class HeadSelection;
class TraceView;

// A snapshot that carries only the heads' mechanism state ([L,H] arrays by trace name: "gate", "span", ...), as
// one layer trace per layer: what the gates and spans views draw, for a fit's steps and its figures.
RunSnapshot headStateSnapshot(std::shared_ptr<const ModelInfo> model, const std::map<std::string, FloatArray>& heads);

class FitView : public QWidget {
    Q_OBJECT
public:
    explicit FitView(HeadSelection* selection, QWidget* parent = nullptr);

    // A new fit of a model that will have `fitted` (its config with the mechanism), named `name`: the curves are
    // cleared and the view of its mechanism shown.
    void begin(const ModelConfig& fitted, const QString& name);
    // One logged step: the loss curves grow by a point (step 0, before any step, has no loss) and the mechanism
    // view shows the heads after it.
    void addStep(const TrainProgress& progress);

    QCustomPlot* lossPlot() const { return lossPlot_; }
    QCPGraph* lossCurve() const { return loss_; }
    QCPGraph* taskLossCurve() const { return taskLoss_; }
    // The gates or spans view of the fitted model (null before begin()).
    TraceView* mechanismView() const { return mechanism_; }
    int stepsShown() const { return steps_; }

private:
    HeadSelection* selection_;
    std::shared_ptr<const ModelInfo> model_;
    QCustomPlot* lossPlot_;
    QCPGraph* loss_;
    QCPGraph* taskLoss_;
    TraceView* mechanism_ = nullptr;
    QLabel* stepLabel_;
    int steps_ = 0;
};

} // namespace headlight
