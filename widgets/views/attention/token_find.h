#pragma once
// Finding a token in a long text (the token list's find box): which positions match, and the next one.
#include "run_snapshot.h"

#include <QList>
#include <QString>

namespace headlight {

// Positions, ascending, of the tokens whose text or display label ("␣the", "#12") contains `query`, ignoring
// case; none for an empty query.
QList<int> findTokens(const RunSnapshot& run, const QString& query);
// The first match after `position` (forward) or before it, wrapping around the text; -1 when there is none.
int nextMatch(const QList<int>& matches, int position, bool forward = true);

} // namespace headlight
