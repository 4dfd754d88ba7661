#include "views/attention/head_grid_view.h"

#include "views/attention/head_grid_controller.h"
#include "views/attention/head_overview_model.h"

#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QScrollArea>
#include <QToolTip>
#include <QVBoxLayout>

#include <functional>

namespace headlight {
namespace {
constexpr double kMostFigureRatio = 2.5;   // a grid of many more layers than heads: narrower cells, not a strip
}

// Paints the controller's grid and turns clicks into selection and pruning.
class HeadGridCanvas : public QWidget {
public:
    HeadGridCanvas(HeadGridController* controller, std::function<PlotStyle()> style, QWidget* parent)
        : QWidget(parent), controller_(controller), style_(std::move(style)) {
        setMouseTracking(true);
    }
    std::function<void(HeadRef, Qt::KeyboardModifiers)> onClick;
    std::function<QList<HeadRef>()> selected;

    void relayout() {
        const PlotStyle s = style_();
        setMinimumSize(controller_->minimumSize(s.font));
        controller_->layout(size(), s.font);
        update();
    }

protected:
    void resizeEvent(QResizeEvent*) override { controller_->layout(size(), style_().font); }
    void paintEvent(QPaintEvent*) override {
        const PlotStyle s = style_();
        controller_->layout(size(), s.font);
        QPainter p(this);
        controller_->paint(p, s, selected ? selected() : QList<HeadRef>{});
    }
    void mouseReleaseEvent(QMouseEvent* event) override {
        if (event->button() != Qt::LeftButton || !onClick) return;
        if (const auto head = controller_->headAt(event->position().toPoint())) onClick(*head, event->modifiers());
    }
    bool event(QEvent* event) override {
        if (event->type() == QEvent::ToolTip) {
            auto* help = static_cast<QHelpEvent*>(event);
            const auto head = controller_->headAt(help->pos());
            if (head) QToolTip::showText(help->globalPos(), controller_->toolTip(*head), this, controller_->cellRect(*head));
            else QToolTip::hideText();
            return true;
        }
        return QWidget::event(event);
    }

private:
    HeadGridController* controller_;
    std::function<PlotStyle()> style_;
};

HeadGridView::HeadGridView(HeadSelection* selection, QWidget* parent)
    : TraceView(selection, parent), controller_(std::make_unique<HeadGridController>()),
      ownMetric_(new HeadOverviewModel(this)) {
    scroll_ = new QScrollArea(this);
    scroll_->setWidgetResizable(true);
    scroll_->setFrameShape(QFrame::NoFrame);
    canvas_ = new HeadGridCanvas(controller_.get(), [this] { return style(); }, scroll_);
    scroll_->setWidget(canvas_);
    canvas_->selected = [this] { return this->selection()->heads(); };
    canvas_->onClick = [this](HeadRef head, Qt::KeyboardModifiers mods) {
        if (mods & Qt::ControlModifier) {
            this->selection()->toggle(head);
        } else if (mods & Qt::ShiftModifier) {
            this->selection()->setCurrent(head);
            emit pruneToggled(head.layer, head.head);
        } else {
            this->selection()->setCurrent(head);
        }
    };
    controller_->setMetric(ownMetric_);
    setContent(scroll_);
}

HeadGridView::~HeadGridView() = default;

QWidget* HeadGridView::canvas() const { return canvas_; }

QString HeadGridView::explanation() const {
    return tr("<p>Every head's attention pattern at once (like BertViz' model view): one row per layer, one column "
              "per head, each thumbnail the head's query x key matrix (queries down), scaled to its own largest "
              "weight. Diagonal lines are heads that look a fixed distance back; a bright first column, heads that "
              "rest on the first token; vertical stripes, heads that all read one token.</p>"
              "<p>The frame's colour is the metric chosen in the Head overview (light = low, dark = high). "
              "Click a head to select it, Ctrl+click to add it, Shift+click to prune or restore it; hover for "
              "its numbers. Long texts are sampled: each thumbnail row is one query, each column the largest "
              "weight over a block of keys.</p>");
}

void HeadGridView::setMetricSource(HeadOverviewModel* model) {
    source_ = model;
    controller_->setMetric(model ? model : ownMetric_);
    if (model) connect(model, &QAbstractItemModel::modelReset, canvas_, [this] { canvas_->update(); });
}

void HeadGridView::refresh() {
    const RunSnapshot& run = snapshot();
    if (run.trace->layers.empty()) {
        setUnavailable(tr("This run kept no attention weights (capture was off)."));
        return;
    }
    controller_->setRun(run);
    if (!source_ && run.trace != metricTrace_) {   // stand-alone (the CLI's figures): its own table
        metricTrace_ = run.trace;
        ownMetric_->setSnapshot(run);
    }
    canvas_->relayout();
}

double HeadGridView::figureHeightRatioAt(int widthPoints) const {
    // Measured as the figure is laid out: its width in layout pixels, the figures' font.
    const int width = layoutPixelsFor(QSize(widthPoints, widthPoints)).width();
    if (width <= 0 || controller_->layers() <= 0) return 0;
    return std::min(kMostFigureRatio, controller_->heightFor(width, PlotStyle::publication().font) / double(width));
}

void HeadGridView::exportFigure(const QString& path, const ExportOptions& requested) {
    const ExportOptions options = figureOptions(requested);
    exportStyled(options, [&] {
        // A canvas of its own: the on-screen one is sized by its scroll area, which would undo the figure's size.
        HeadGridCanvas figure(controller_.get(), [this] { return style(); }, nullptr);
        figure.selected = canvas_->selected;
        figure.resize(canvas_->size());   // the view as on screen when no size is asked for
        exportWidget(&figure, path, options);
    });
    canvas_->relayout();   // the shared layout back to the screen's canvas
}

} // namespace headlight
