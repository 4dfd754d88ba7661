#pragma once
// Small pieces the attention views share: which position and head to show, token axis labels, grids of
// cells on a colour map, and telling clicks from drags.
#include "head_selection.h"
#include "run_snapshot.h"
#include "token_ticks.h"

#include <QString>
#include <QStringList>
#include <functional>

class QCustomPlot;
class QCPAxis;
class QCPColorMap;
class QMouseEvent;

namespace headlight {

// The query position a view shows: the selected one, else (none selected, or past the end) the last token.
int shownPosition(const HeadSelection& selection, int tokens);
// The head of the model nearest to `head` (a selection left over from a larger model).
HeadRef clampedHead(HeadRef head, int layers, int heads);
// Head `head`'s [T,T] attention block (row = query, column = key), or nullptr when the run did not capture it
// or the captured tensor is not [h,tokens,tokens].
const float* headAttention(const Trace& trace, HeadRef head, int tokens);
// Head `head`'s [queries, keys] block in its row of the stack (RunSnapshot::queryCount and keyCount: [T,T] but
// for an encoder-decoder model's encoder [S,S] and cross-attention [T,S]), or nullptr when not captured.
const float* headAttention(const RunSnapshot& run, HeadRef head);
// "layer 1, head 2".
QString headName(HeadRef head);
// "L3 H5", plus " (KV head 1 of 2)" when query heads share key/value heads (grouped-query attention).
QString headTitle(const ModelConfig& config, HeadRef head);
// The same for a row of the run's stack: "encoder layer 1, head 2" and "E1 H2" for an encoder-decoder model
// (its decoder's "D", its cross-attention's "X"), as above for a model of one stack.
QString headName(const RunSnapshot& run, HeadRef head);
QString headTitle(const RunSnapshot& run, HeadRef head);
// Every token's display label, in order.
QStringList tokenLabels(const RunSnapshot& snapshot);
// The labels along a row's query and key axes (tokenLabels but for an encoder-decoder model's source side).
QStringList queryLabels(const RunSnapshot& snapshot, int layer);
QStringList keyLabels(const RunSnapshot& snapshot, int layer);
// Softened `color` for a background (cells, bars) that must not compete with the data.
QColor faded(const QColor& color, int alpha);

// Plain integer ticks 0..count-1 with the given labels (small grids: heads, layers).
void setIndexTicks(QCPAxis* axis, const QStringList& labels);

// Sizes `map` to columns x rows cells centred on integer coordinates 0..n-1. A dimension of one cell is
// stored as two half cells so QCustomPlot still draws it full width (it draws n cells over n-1 intervals).
void resizeGrid(QCPColorMap* map, int columns, int rows);
void setGridValue(QCPColorMap* map, int column, int row, double value);
// The value drawn at cell (column, row).
double gridValue(QCPColorMap* map, int column, int row);

// Calls `onClick` for a mouse press and release at (nearly) the same place, so drags (panning) are no clicks.
void onPlotClick(QCustomPlot* plot, std::function<void(QMouseEvent*)> onClick);

} // namespace headlight
