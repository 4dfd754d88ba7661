#include "views/attention/token_find.h"

#include <algorithm>

namespace headlight {

QList<int> findTokens(const RunSnapshot& run, const QString& query) {
    QList<int> matches;
    if (query.isEmpty() || !run.valid()) return matches;
    const auto& texts = run.trace->tokens;
    for (int i = 0; i < run.tokens(); ++i) {
        // The raw text finds " the" (a leading space), the label finds "␣the" and a vocabulary-less "#12".
        const QString raw = static_cast<size_t>(i) < texts.size() ? QString::fromStdString(texts[static_cast<size_t>(i)]) : QString();
        if (raw.contains(query, Qt::CaseInsensitive) || run.tokenLabel(i).contains(query, Qt::CaseInsensitive)) matches << i;
    }
    return matches;
}

int nextMatch(const QList<int>& matches, int position, bool forward) {
    if (matches.isEmpty()) return -1;
    if (forward) {
        const auto after = std::upper_bound(matches.begin(), matches.end(), position);
        return after == matches.end() ? matches.front() : *after;
    }
    const auto atOrAfter = std::lower_bound(matches.begin(), matches.end(), position);
    return atOrAfter == matches.begin() ? matches.back() : *(atOrAfter - 1);
}

} // namespace headlight
