#pragma once
// Predictions: the ten likeliest next tokens at the selected position, and the next-token loss along the text
// (click the loss graph to move the position). Ctrl+C and the context menu copy the top-10 list.
#include "trace_view.h"
#include "views/attention/predictions_controller.h"

#include <memory>

class QAction;
class QCustomPlot;
class QMouseEvent;

namespace headlight {

class PredictionsView : public TraceView {
    Q_OBJECT
public:
    explicit PredictionsView(HeadSelection* selection, QWidget* parent = nullptr);
    ~PredictionsView() override;

    QString id() const override { return QStringLiteral("predictions"); }
    QString title() const override { return tr("Predictions"); }
    QString explanation() const override;
    void exportFigure(const QString& path, const ExportOptions& options) override;
    double figureHeightRatio() const override { return 1.3; }   // the bars over the loss curve

    PredictionsController* controller() const { return controller_.get(); }
    QCustomPlot* plot() const { return plot_; }
    // Copy list: rank, token, id and probability of the top list, tab-separated (clipboard_text.h).
    QAction* copyListAction() const { return copyList_; }
    void copyList() const;

protected:
    void refresh() override;

private:
    void clicked(QMouseEvent* event);
    void hovered(QMouseEvent* event);

    QCustomPlot* plot_;
    std::unique_ptr<PredictionsController> controller_;
    QAction* copyList_;
};

} // namespace headlight
