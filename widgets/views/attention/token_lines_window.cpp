#include "views/attention/token_lines_window.h"

#include <algorithm>
#include <map>
#include <tuple>

namespace headlight {

TokenLinesWindow splitForWindow(const QVector<TokenLine>& lines, int first, int rows) {
    TokenLinesWindow out;
    const int last = first + rows - 1;
    const auto inWindow = [&](int index) { return index >= first && index <= last; };
    // (side, index, series, up) -> stub: a map keeps the stubs in a stable order for drawing and tests.
    std::map<std::tuple<int, int, int, bool>, LineStub> stubs;
    for (const TokenLine& line : lines) {
        const bool queryIn = inWindow(line.query), keyIn = inWindow(line.key);
        if (queryIn && keyIn) {
            out.inside << line;
            continue;
        }
        if (!queryIn && !keyIn) continue;
        const TokenRef token = queryIn ? TokenRef{TokenSide::Query, line.query} : TokenRef{TokenSide::Key, line.key};
        const bool up = (queryIn ? line.key : line.query) < first;
        LineStub& stub = stubs[{static_cast<int>(token.side), token.index, line.series, up}];
        if (stub.count == 0) stub = LineStub{token, line.series, up, 0, 0.0};
        stub.count += 1;
        stub.opacity = std::max(stub.opacity, TokenLinesController::opacity(line));
        EdgeMarker& edge = up ? out.above : out.below;
        if (edge.count == 0 || line.weight > edge.strongest.weight) edge.strongest = line;
        edge.count += 1;
    }
    for (const auto& [key, stub] : stubs) out.stubs << stub;
    return out;
}

} // namespace headlight
