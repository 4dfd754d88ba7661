#pragma once
// Small pieces the four mechanism views share: where heads sit on a "heads grouped by layer" axis, which
// query token to show, which layers a run did not capture, token and head tick labels, clicks and hover text.
#include "head_selection.h"
#include "panel_layout.h"
#include "plot_style.h"
#include "run_snapshot.h"

#include <QList>
#include <QPen>
#include <QPoint>
#include <QString>
#include <functional>
#include <optional>

class QCPAxis;
class QCPAxisRect;
class QCPColorMap;
class QCPItemText;
class QCPLayer;
class QCPLegend;
class QCPLayoutElement;
class QCustomPlot;

namespace headlight::mech {

// Every head of the model on one x axis, grouped by layer: layer l's head h sits at key l*(H+1)+h, so one empty
// slot separates the layers.
struct HeadGrid {
    int layers = 0;
    int heads = 0;

    double key(int layer, int head) const { return layer * (heads + 1) + head; }
    double layerCenter(int layer) const { return key(layer, 0) + (heads - 1) / 2.0; }
    double lower() const { return -0.8; }
    double upper() const { return key(layers - 1, heads - 1) + 0.8; }
    // The head whose slot contains `key`, or none (the gaps between layers, outside the axis).
    std::optional<HeadRef> headAt(double key) const;
};

// The query token to show: the selected position, or the last token when none (-1) or out of range.
int queryPosition(const RunSnapshot& snapshot, int selectedPosition);

// Layers a view found no data for (trace.layer(l) == nullptr, or without the mechanism's tensor), as one line:
// "Layer 1 was not captured in this run." / "Layers 1, 2 and 5 were not captured in this run." / empty.
QString missingLayersNote(const QList<int>& layers);

// Head numbers along `headAxis` and "layer l" at each group's centre along `layerAxis` (usually the top axis).
void setHeadTicks(QCPAxis* headAxis, QCPAxis* layerAxis, const HeadGrid& grid);
// Upright token labels with positions along `axis` at 0..T-1, as many as fit after each layout (maxLabels is
// no longer needed: the axis length decides).
void setTokenTicks(QCPAxis* axis, const RunSnapshot& snapshot, int maxLabels = 48);

// Clicking a head: select it, or add/remove it with Ctrl (the convention every view follows).
void selectHead(HeadSelection* selection, HeadRef head, Qt::KeyboardModifiers modifiers);

// An axis rect with only its bottom and left axes shown.
QCPAxisRect* makeAxisRect(QCustomPlot* plot);
// Sizes `map` to keys x values cells centred on the integers 0..keys-1 and 0..values-1.
void resizeCells(QCPColorMap* map, int keys, int values);

// A text label at (x, y) in `rect`'s coordinates, clipped to it, in the style's colour and font.
QCPItemText* addLabel(QCustomPlot* plot, QCPAxisRect* rect, double x, double y, const QString& text,
                      const PlotStyle& style);
// A line through (x, 0)-(x, 1) (vertical) or (0, y)-(1, y) (horizontal) in `rect`'s coordinates.
void addVerticalLine(QCustomPlot* plot, QCPAxisRect* rect, double x, const QPen& pen);
void addHorizontalLine(QCustomPlot* plot, QCPAxisRect* rect, double y, const QPen& pen);

using ::headlight::showCollapsible;   // panel_layout.h

// After every layout, puts as many of `legend`'s entries in a row as fit the plot's width whole (at least one):
// one row in a wide dock, several in a single-column figure, never an entry cut short.
void wrapLegendToFit(QCustomPlot* plot, QCPLegend* legend);

// A layer above "main" for marks that must stay on top of plottables created later.
QCPLayer* highlightLayer(QCustomPlot* plot);

// Shows the text `describe` returns for the hovered pixel as a tooltip (hides it for an empty text).
void installHoverText(QCustomPlot* plot, std::function<QString(QPoint)> describe);

} // namespace headlight::mech
