#pragma once
// Paints the token-lines figure: queries in the left column, keys in the right, a line per weight >= 0.01.
// Rows shrink to fit the widget's height (labels thin out when they would overlap), so the same painting
// serves the scrolling view and a fixed-size export.
#include "plot_style.h"
#include "views/attention/token_lines_controller.h"

#include <QWidget>
#include <optional>

namespace headlight {

class TokenLinesCanvas : public QWidget {
    Q_OBJECT
public:
    explicit TokenLinesCanvas(TokenLinesController* controller, QWidget* parent = nullptr);

    void setPlotStyle(const PlotStyle& style);
    // Call after the controller changed: updates the minimum height (a row per token) and repaints.
    void contentChanged();
    // Off while exporting: the figure then fits any height.
    void setScrollable(bool scrollable);

    int preferredRowHeight() const;
    double rowHeight() const;
    double rowCenter(int index) const;
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

private:
    int headerHeight() const;
    double textWidth() const;
    void paintLegend(QPainter& painter);
    void paintLabels(QPainter& painter, const QRect& exposed);

    TokenLinesController* controller_;
    PlotStyle style_;
    bool scrollable_ = true;
};

} // namespace headlight
