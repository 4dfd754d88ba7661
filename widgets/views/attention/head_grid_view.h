#pragma once
// The head grid: a thumbnail of every head's attention pattern, layers down, heads across, framed in the colour
// of the overview's metric. Click selects a head, Ctrl+click adds it, Shift+click prunes or restores it.
#include "trace_view.h"

#include <memory>

class QScrollArea;

namespace headlight {

class HeadGridCanvas;
class HeadGridController;
class HeadOverviewModel;

class HeadGridView : public TraceView {
    Q_OBJECT
public:
    explicit HeadGridView(HeadSelection* selection, QWidget* parent = nullptr);
    ~HeadGridView() override;

    QString id() const override { return QStringLiteral("grid"); }
    QString title() const override { return tr("Head grid"); }
    QString explanation() const override;
    void exportFigure(const QString& path, const ExportOptions& options) override;
    // A grid of square thumbnails: the page's height follows its width (see figureHeightRatioAt).
    bool figureHeightFollowsWidth() const override { return true; }

    // Frames follow this table (the overview's, so both show one metric); without one the view keeps its own.
    void setMetricSource(HeadOverviewModel* model);
    HeadGridController* controller() const { return controller_.get(); }
    // The painted grid (inside a scroll area: it scrolls when the cells would be smaller than kMinCell).
    QWidget* canvas() const;

signals:
    void pruneToggled(int layer, int head);

protected:
    void refresh() override;
    // The page's height follows the grid: layers x heads square thumbnails as wide as the figure allows.
    double figureHeightRatioAt(int widthPoints) const override;

private:
    std::unique_ptr<HeadGridController> controller_;
    HeadOverviewModel* ownMetric_;
    HeadOverviewModel* source_ = nullptr;
    std::shared_ptr<const Trace> metricTrace_;
    QScrollArea* scroll_;
    HeadGridCanvas* canvas_;
};

} // namespace headlight
