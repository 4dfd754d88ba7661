#pragma once
// The attention matrix: one head's (or a mean of heads') T x T weights as a heatmap, zoomable, with tokens on
// both axes; hover a cell for its exact weight, click a row to select that query position.
#include "trace_view.h"
#include "views/attention/attention_matrix_controller.h"

#include <memory>

class QCheckBox;
class QComboBox;
class QCustomPlot;
class QMouseEvent;

namespace headlight {

class AttentionMatrixView : public TraceView {
    Q_OBJECT
public:
    explicit AttentionMatrixView(HeadSelection* selection, QWidget* parent = nullptr);
    ~AttentionMatrixView() override;

    QString id() const override { return QStringLiteral("attention"); }
    QString title() const override { return tr("Attention matrix"); }
    QString explanation() const override;
    void exportFigure(const QString& path, const ExportOptions& options) override;

    void setMode(MatrixMode mode);
    MatrixMode mode() const { return mode_; }
    void setScale(MatrixScale scale);
    MatrixScale scale() const { return scale_; }
    // Long texts: how a cell of several tokens summarises them (one head; the mean modes always average).
    void setPooling(MatrixPooling pooling);
    MatrixPooling pooling() const { return pooling_; }

    AttentionMatrixController* controller() const { return controller_.get(); }
    QCustomPlot* plot() const { return plot_; }

protected:
    void refresh() override;

private:
    void clicked(QMouseEvent* event);
    void hovered(QMouseEvent* event);

    QCustomPlot* plot_;
    QComboBox* modeBox_;
    QCheckBox* logBox_;
    std::unique_ptr<AttentionMatrixController> controller_;
    MatrixMode mode_ = MatrixMode::Head;
    MatrixScale scale_ = MatrixScale::Linear;
    MatrixPooling pooling_ = MatrixPooling::Max;
    QComboBox* poolBox_;
};

} // namespace headlight
