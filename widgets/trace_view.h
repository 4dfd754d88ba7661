#pragma once
// The base of every view: it receives run snapshots and the shared selection, redraws itself, explains itself,
// exports its figure, and says plainly when the model lacks what it shows.
#include "figure_export.h"
#include "head_selection.h"
#include "plot_style.h"
#include "run_snapshot.h"

#include <QWidget>
#include <functional>

class QLabel;
class QStackedLayout;

namespace headlight {

class TraceView : public QWidget {
    Q_OBJECT
public:
    explicit TraceView(HeadSelection* selection, QWidget* parent = nullptr);

    virtual QString id() const = 0;           // the CLI's --view name: "overview", "attention", ...
    virtual QString title() const = 0;        // dock title
    virtual QString explanation() const = 0;  // the Explain panel: a short plain explanation and its formula (HTML)

    // Stores the run and redraws (selection changes redraw too).
    void setSnapshot(const RunSnapshot& snapshot);
    const RunSnapshot& snapshot() const { return snapshot_; }

    // Writes the figure to `path` (.png, .svg or .pdf). Throws headlight::Error naming the path.
    virtual void exportFigure(const QString& path, const ExportOptions& options) = 0;

    // The size in points the figure is written at for `requested`: a size preset fixes a journal column's width;
    // views that stack several panels keep that width and take the height their panels need (at least
    // figureHeightRatio() x the width). An empty size (the view as on screen) stays empty, and so does a height
    // asked for (exactHeight: a free size, the CLI's --height).
    QSize figurePoints(QSize requested, bool exactHeight = false) const;
    // True for a view whose content has one shape (a grid of square cells): figureHeightRatioAt() then sets the
    // figure's height exactly, below the requested one too, as any other height would leave a blank band.
    virtual bool figureHeightFollowsWidth() const { return false; }

    // `controls` (a row of buttons and boxes) in a frame that scrolls sideways when the dock is narrower, so that
    // no row of controls sets the window's smallest width.
    static QWidget* scrollSideways(QWidget* controls);

    // Runs `f` with the view drawn as its figures are (the publication style), then redraws it for the screen.
    void withFigureStyle(const std::function<void()>& f) { exportStyled(ExportOptions{}, f); }
    // The same, arranged as a figure of `options.size` points is (panels side by side across a page).
    void withFigure(const ExportOptions& options, const std::function<void()>& f) { exportStyled(options, f); }

    // For the Explain panel: the symbols this view's plot titles use now, explained (HTML; empty for none).
    QString symbolCaption() const;

    // Non-empty when the view shows a message instead of a plot ("This model has no head gates.").
    QString unavailableReason() const { return unavailable_; }

    HeadSelection* selection() const { return selection_; }
    // The colours to draw with now: the palette's, or the print style while a publication export runs.
    PlotStyle style() const;

signals:
    // After every redraw (the bench times text change -> all views repainted).
    void refreshed();
    // The user asked to export this view's figure (context menu); the window shows the dialog.
    void exportRequested(headlight::TraceView* view);

protected:
    // Redraw from snapshot() and selection() (always valid here). Called for new snapshots, selection and
    // palette changes. A view that cannot show this model calls setUnavailable(reason) instead of drawing.
    virtual void refresh() = 0;
    // The plot area; the base adds "Export figure..." to its context menu.
    void setContent(QWidget* content);
    // From refresh(): show `reason` instead of the content for this snapshot.
    void setUnavailable(const QString& reason);
    // Runs `write` with the view redrawn in the export's style (publication or on-screen), then restores it.
    void exportStyled(const ExportOptions& options, const std::function<void()>& write);
    // Height / width of this view's figures at a column's width (0: the requested height as it is).
    virtual double figureHeightRatio() const { return 0; }
    // The same at a figure `widthPoints` wide, for views that lay their panels out side by side when there is
    // room (a double column) and stack them in a single column. figureHeightRatio() unless overridden.
    virtual double figureHeightRatioAt(int widthPoints) const {
        (void)widthPoints;
        return figureHeightRatio();
    }
    // Figures at least this wide (a double column) lay a view's panels side by side.
    static constexpr int kWideFigurePoints = 400;
    // Arranges the view for a figure `points` wide and tall (empty: back to the screen's arrangement).
    virtual void arrangeFor(QSize /*points*/) {}
    // `options` with its size made figurePoints(options.size).
    ExportOptions figureOptions(const ExportOptions& options) const;
    void changeEvent(QEvent* event) override;

private:
    void redraw();
    void showCurrent();

    HeadSelection* selection_;
    RunSnapshot snapshot_;
    QString unavailable_;
    QStackedLayout* stack_;
    QLabel* message_;
    QWidget* content_ = nullptr;
    bool publication_ = false;
};

} // namespace headlight
