#pragma once
// The Attribution view: direct logit attribution of the model's top prediction at the selected position
// (docs/head-roles.md), the largest terms as bars. It asks for the attribution when the position changes while
// it is shown; clicking a head's bar selects that head everywhere.
#include "trace_view.h"

#include <memory>

class QCustomPlot;
class QMouseEvent;

namespace headlight {

class AttributionController;

class AttributionView : public TraceView {
    Q_OBJECT
public:
    explicit AttributionView(HeadSelection* selection, QWidget* parent = nullptr);
    ~AttributionView() override;

    QString id() const override { return QStringLiteral("attribution"); }
    QString title() const override { return tr("Attribution"); }
    QString explanation() const override;
    void exportFigure(const QString& path, const ExportOptions& options) override;

    AttributionController* controller() const { return controller_.get(); }
    QCustomPlot* plot() const { return plot_; }

signals:
    // The run on screen has no attribution at the shown position and the view is visible: the window computes it.
    void attributionWanted(int position);

protected:
    void refresh() override;
    void showEvent(QShowEvent* event) override;
    // Tall enough for every bar's label in a line of its own, whatever the width: 14 points a bar and 90 for the
    // title, axis and legend, at least half the width.
    double figureHeightRatioAt(int widthPoints) const override;

private:
    void clicked(QMouseEvent* event);
    void hovered(QMouseEvent* event);
    void askIfMissing();

    QCustomPlot* plot_;
    std::unique_ptr<AttributionController> controller_;
};

} // namespace headlight
