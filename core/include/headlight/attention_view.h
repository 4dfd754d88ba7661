#pragma once
// What a view of one head asks of a captured layer: the head's [T,T] matrix, a window of its rows and
// columns, or a pooled overview image of it at the size a screen can show. The matrix stays where the engine
// computed it (a LayerTrace shares its storage); these hand out what is asked, copying only what they return.
#include "headlight/array.h"
#include "headlight/trace.h"

#include <cstdint>

namespace headlight {

// Rows [row0, row0 + rows) and columns [col0, col0 + cols) of a head's matrix; rows or cols < 0 = to the end.
struct AttentionWindow {
    int64_t row0 = 0, rows = -1;
    int64_t col0 = 0, cols = -1;
};

enum class Pooling { Max, Mean };

// Head `head` (a model head index among layer.heads) as [T,T], sharing the layer's storage (no copy).
// Throws headlight::Error when the layer did not capture that head.
FloatArray headAttention(const LayerTrace& layer, int head);

// The window's values, [rows, cols], exact. Throws headlight::Error when it reaches outside the matrix.
FloatArray attentionWindow(const LayerTrace& layer, int head, const AttentionWindow& window);

// The window pooled to at most [outRows, outCols] cells: output row r covers window rows
// [floor(r * rows / outRows), floor((r + 1) * rows / outRows)), and likewise for columns; each cell is the max
// or the mean of the probabilities it covers. A window no larger than the image is returned exactly, one
// value per cell ([rows, cols]), so zooming in ends on the exact values.
FloatArray pooledAttention(const LayerTrace& layer, int head, const AttentionWindow& window, int64_t outRows,
                           int64_t outCols, Pooling pooling);

} // namespace headlight
