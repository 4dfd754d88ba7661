#pragma once
// What the token-lines canvas draws when a long text shows only a window of its rows. A line with both ends in
// the window is drawn whole. A line with one end outside is not drawn across the window: thousands of rows
// away, it would run almost vertically and, with its neighbours, pile into an opaque bar at the column. It
// becomes a short fading stub at its end inside the window (one per token, head and direction, as opaque as
// the strongest line it stands for, with their count) and is counted in the marker at the window's edge it leaves by. Lines with both
// ends outside concern no token in view and are left out.
#include "views/attention/token_lines_controller.h"

#include <QVector>

namespace headlight {

// The lines of one token in the window whose other ends lie beyond one edge, drawn as one stub.
struct LineStub {
    TokenRef token;       // the end inside the window
    int series = 0;
    bool up = false;      // the other ends lie above the window (else below)
    int count = 0;        // lines it stands for
    double opacity = 0;   // the strongest line's: fifty weak lines stay a faint stub (the count says how many)
};

// The lines leaving the window by one edge: how many and the strongest (count 0: none).
struct EdgeMarker {
    int count = 0;
    TokenLine strongest;
};

struct TokenLinesWindow {
    QVector<TokenLine> inside;   // both ends in the window
    QVector<LineStub> stubs;     // ordered by token side, index, series, direction
    EdgeMarker above, below;
};

// Splits `lines` for the window of rows [first, first + rows).
TokenLinesWindow splitForWindow(const QVector<TokenLine>& lines, int first, int rows);

} // namespace headlight
