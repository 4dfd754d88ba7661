#pragma once
// The head overview: every head of the model at once, coloured by a chosen metric; click to select a head,
// Shift+click (or Space on the current head) to prune or restore it.
#include "trace_view.h"

#include <memory>

class QComboBox;
class QCustomPlot;
class QKeyEvent;
class QMouseEvent;

namespace headlight {

class HeadOverviewModel;
class OverviewController;

class OverviewView : public TraceView {
    Q_OBJECT
public:
    explicit OverviewView(HeadSelection* selection, QWidget* parent = nullptr);
    ~OverviewView() override;

    QString id() const override { return QStringLiteral("overview"); }
    QString title() const override { return tr("Head overview"); }
    QString explanation() const override;
    void exportFigure(const QString& path, const ExportOptions& options) override;

    // The colour metric by id (see HeadOverviewModel::setMetric); the window persists metric().
    void setMetric(const QString& id);
    QString metric() const;   // the requested id (kept across models that lack it)

    HeadOverviewModel* model() const { return model_; }
    OverviewController* controller() const { return controller_.get(); }
    QCustomPlot* plot() const { return plot_; }
    QComboBox* metricBox() const { return metricBox_; }

signals:
    // The user picked another metric.
    void metricChanged(const QString& id);
    // The user asked to prune the head, or restore it when pruned (the window owns the head mask).
    void pruneToggled(int layer, int head);
    // Space with several heads selected (Select heads by role): prune them all, or restore them, as one what-if.
    void pruneHeadsToggled(const QList<headlight::HeadRef>& heads);

protected:
    void refresh() override;
    void keyPressEvent(QKeyEvent* event) override;

private:
    void fillMetricBox();
    void clicked(QMouseEvent* event);

    HeadOverviewModel* model_;
    QCustomPlot* plot_;
    QComboBox* metricBox_;
    std::unique_ptr<OverviewController> controller_;
    // The run the model was computed for (held, so a new run is never mistaken for it).
    std::shared_ptr<const Trace> shownTrace_;
    std::shared_ptr<const ModelInfo> shownModel_;
    std::shared_ptr<const HeadScores> shownScores_;
};

} // namespace headlight
