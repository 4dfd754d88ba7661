#pragma once
// Paints the token-lines figure: queries in the left column, keys in the right, a line per weight >= 0.01.
// The figure always fits the widget, never scrolls: rows shrink to fit the whole text (labels thin out when
// they would overlap) while they stay at least kMinFitRow pixels; a longer text shows a window of readable rows
// around the selected position (the wheel moves it). Lines to tokens outside the window become short faded
// stubs with their count, summed up in a marker at the window's edge (see token_lines_window.h).
#include "plot_style.h"
#include "views/attention/token_lines_controller.h"
#include "views/attention/token_lines_window.h"

#include <QWidget>
#include <optional>

namespace headlight {

class TokenLinesCanvas : public QWidget {
    Q_OBJECT
public:
    explicit TokenLinesCanvas(TokenLinesController* controller, QWidget* parent = nullptr);

    void setPlotStyle(const PlotStyle& style);
    // Smallest row height at which the whole text is shown at once (else a window of rows).
    static constexpr double kMinFitRow = 6.0;

    // Call after the controller changed (a new run, head or position): recentres the window and repaints.
    void contentChanged();
    // Kept for the export, which used to turn scrolling off: the canvas never scrolls now.
    void setScrollable(bool) { contentChanged(); }

    int preferredRowHeight() const;
    double rowHeight() const;
    // Token `index`'s row centre (outside the widget's rows for tokens outside the window).
    double rowCenter(int index) const;
    // The tokens shown: [firstRow(), firstRow() + rowCount()); every token when the text fits.
    int firstRow() const;
    int rowCount() const;
    bool windowed() const { return rowCount() < controller_->tokens(); }
    // The window's lines: those drawn whole, the stubs and the edge markers.
    TokenLinesWindow window() const { return splitForWindow(controller_->lines(), firstRow(), rowCount()); }
    // The edge markers' text ("" for an edge no line leaves by) and where it is drawn.
    QString markerText(bool above) const;
    QRectF markerRect(bool above) const;
    // Why a selected head draws nothing: a note for each head without a line to or from a token in view (no
    // weight reaches kMinWeight there), centred between the columns.
    QStringList notes() const;
    // Moves the window by `rows` (clamped to the text).
    void scrollRows(int rows);
    // The token label under a widget position, if any.
    std::optional<TokenRef> tokenAt(const QPointF& pos) const;
    QPointF tokenAnchor(TokenRef token) const;   // where its lines start or end
    QSize sizeHint() const override;

signals:
    void tokenClicked(int index);

protected:
    void paintEvent(QPaintEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void leaveEvent(QEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;

private:
    int headerHeight() const;
    QString edgeText(const EdgeMarker& marker, bool above) const;
    int markerHeight() const;   // the band above and below a window's rows that holds its edge marker
    double rowsTop() const;
    double textWidth() const;
    void paintLegend(QPainter& painter);
    void paintLabels(QPainter& painter, const QRect& exposed);
    void paintInside(QPainter& painter, const QVector<TokenLine>& inside, const QRect& exposed);
    void paintStubs(QPainter& painter, const TokenLinesWindow& window);
    void paintNotes(QPainter& painter);

    TokenLinesController* controller_;
    PlotStyle style_;
    int windowShift_ = 0;   // rows the wheel moved the window from its place around the position
};

} // namespace headlight
