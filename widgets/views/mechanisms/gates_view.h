#pragma once
// Head gates (Voita et al. 2019): which heads the L0-trained gates keep open, per layer.
#include "trace_view.h"

#include <memory>

class QCustomPlot;
class QLabel;

namespace headlight {

class GatesController;

class GatesView : public TraceView {
    Q_OBJECT
public:
    explicit GatesView(HeadSelection* selection, QWidget* parent = nullptr);
    ~GatesView() override;

    QString id() const override { return QStringLiteral("gates"); }
    QString title() const override;
    QString explanation() const override;
    void exportFigure(const QString& path, const ExportOptions& options) override;

    QCustomPlot* plot() const;
    GatesController* controller() const { return controller_.get(); }
    // The line under the plot (layers the run did not capture), empty when there is nothing to say.
    QString notice() const;

protected:
    void refresh() override;

private:
    std::unique_ptr<GatesController> controller_;
    QLabel* notice_;
};

} // namespace headlight
