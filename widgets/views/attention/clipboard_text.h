#pragma once
// What the Copy actions put on the clipboard: tab-separated text (a header line, then one line per item) that
// pastes into a spreadsheet or a script. The numbers are the run's, written in full (the shortest text that reads
// back as the same float or double); tokens are their display labels (whitespace made visible), so a token never
// breaks a line or a column.
#include "run_snapshot.h"

#include <QString>

namespace headlight {

class AttentionMatrixController;
class PredictionsController;
struct MatrixCell;

// A float (weights are stored as float32) or a double, in full: "0.1", "0.123456791", "1e-05"; "" for NaN.
QString exactNumber(float value);
QString exactNumber(double value);

// heads ("1.0", or "0.0+0.1" for a mean), query, query token, key, key token, weight: the cell as the matrix
// shows it (the mean of those heads in the mean modes).
QString matrixCellText(const AttentionMatrixController& matrix, const RunSnapshot& run, MatrixCell cell);
// key, key token, weight: every key of query `query`'s row (keys after the query read 0 in a causal model).
QString matrixRowText(const AttentionMatrixController& matrix, const RunSnapshot& run, int query);
// rank (1 = likeliest), token, id, probability: the predictions' top list at their position.
QString predictionsText(const PredictionsController& predictions);
// position, id, token: every token of the run, or only `position` (>= 0).
QString tokensText(const RunSnapshot& run, int position = -1);

// Puts `text` on the system clipboard.
void copyToClipboard(const QString& text);

} // namespace headlight
