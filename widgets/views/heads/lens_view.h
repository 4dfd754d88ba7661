#pragma once
// The Lens view: the logit lens of the run (docs/head-roles.md) as a rows x positions grid. It asks for the lens
// when it is shown on a run without one (the window computes it on the worker); click a cell to select its
// position everywhere, hover for the top predictions.
#include "trace_view.h"

#include <memory>

class QCustomPlot;
class QMouseEvent;

namespace headlight {

class LensController;

class LensView : public TraceView {
    Q_OBJECT
public:
    explicit LensView(HeadSelection* selection, QWidget* parent = nullptr);
    ~LensView() override;

    QString id() const override { return QStringLiteral("lens"); }
    QString title() const override { return tr("Logit lens"); }
    QString explanation() const override;
    void exportFigure(const QString& path, const ExportOptions& options) override;

    LensController* controller() const { return controller_.get(); }
    QCustomPlot* plot() const { return plot_; }

signals:
    // The run on screen has no lens yet and the view is visible: the window computes it.
    void lensWanted();

protected:
    void refresh() override;
    void showEvent(QShowEvent* event) override;
    double figureHeightRatio() const override { return 0.75; }

private:
    void clicked(QMouseEvent* event);
    void hovered(QMouseEvent* event);

    QCustomPlot* plot_;
    std::unique_ptr<LensController> controller_;
};

} // namespace headlight
