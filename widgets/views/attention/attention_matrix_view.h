#pragma once
// The attention matrix: one head's (or a mean of heads') T x T weights as a heatmap, zoomable, with tokens on
// both axes; hover a cell for its exact weight, click a row to select that query position. Ctrl+C and the context
// menu copy a cell or the selected row as tab-separated text.
#include "trace_view.h"
#include "views/attention/attention_matrix_controller.h"

#include <memory>
#include <optional>

class QAction;
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
    void exportFigure(const QString& path, const ExportOptions& requested) override;

    void setMode(MatrixMode mode);
    MatrixMode mode() const { return mode_; }
    void setScale(MatrixScale scale);
    MatrixScale scale() const { return scale_; }
    // Long texts: how a cell of several tokens summarises them (one head; the mean modes always average).
    void setPooling(MatrixPooling pooling);
    MatrixPooling pooling() const { return pooling_; }

    AttentionMatrixController* controller() const { return controller_.get(); }
    // Copy: the cell under the mouse (its weight with both tokens), else the selected query's row; Copy row:
    // the selected query's row (clipboard_text.h has the formats).
    QAction* copyValueAction() const { return copyValue_; }
    QAction* copyRowAction() const { return copyRow_; }
    std::optional<MatrixCell> hoveredCell() const { return hovered_; }
    void copyCell(MatrixCell cell) const;
    void copyRow() const;
    QCustomPlot* plot() const { return plot_; }

protected:
    void refresh() override;
    // A single column puts the colour scale above a matrix as wide as the column and takes the height that keeps
    // it about square; a double column keeps the scale beside it at the requested height.
    double figureHeightRatioAt(int widthPoints) const override {
        return widthPoints < kWideFigurePoints ? kColumnHeightRatio : 0;
    }
    void arrangeFor(QSize points) override;
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    static constexpr double kColumnHeightRatio = 1.35;
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
    QAction* copyValue_;
    QAction* copyRow_;
    std::optional<MatrixCell> hovered_;    // the cell under the mouse
    std::optional<MatrixCell> menuCell_;   // the cell the context menu opened on, while it is open
};

} // namespace headlight
