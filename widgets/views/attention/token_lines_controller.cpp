#include "token_lines_controller.h"

#include "plot_style.h"
#include "view_support.h"

#include <algorithm>

namespace headlight {

QString TokenLinesController::update(const RunSnapshot& run, const HeadSelection& selection) {
    run_ = run;
    labels_.clear();
    keyLabels_.clear();
    heads_.clear();
    lines_.clear();
    rowLargest_.clear();
    if (run.tokens() <= 0) return QObject::tr("This run has no tokens.");
    if (run.trace->layers.empty()) return QObject::tr("This run kept no attention weights (capture was off).");
    const HeadRef current = clampedHead(selection.current(), run.layers(), run.heads());
    if (!headAttention(run, current)) {
        const QString name = headName(run, current);
        return QObject::tr("%1 was not captured in this run.").arg(name.left(1).toUpper() + name.mid(1));
    }
    // The current head's kind of attention sets the two columns (an encoder-decoder model's cross-attention:
    // target tokens on the left, source tokens on the right); other selected heads of that kind join it.
    const AttentionKind kind = run.blockOf(current.layer).kind;
    for (const HeadRef& h : selection.heads()) {   // the current head first; uncaptured extras are left out
        const HeadRef c = clampedHead(h, run.layers(), run.heads());
        if (!heads_.contains(c) && run.blockOf(c.layer).kind == kind && headAttention(run, c)) heads_ << c;
    }
    const int T = run.queryCount(current.layer), K = run.keyCount(current.layer);
    labels_ = queryLabels(run, current.layer);
    keyLabels_ = headlight::keyLabels(run, current.layer);
    position_ = shownPosition(selection, T);
    causal_ = run.causalAt(current.layer);
    if (hovered_ && hovered_->index >= tokens()) hovered_.reset();

    for (int series = 0; series < heads_.size(); ++series) {
        const float* a = headAttention(run, heads_[series]);   // [T,K]
        for (int i = 0; i < T; ++i) {
            float largest = 0;
            for (int j = 0, last = causal_ ? i : K - 1; j <= last; ++j) {   // causal: no later keys
                const float w = a[static_cast<size_t>(i) * K + j];
                largest = std::max(largest, w);
                if (w >= kMinWeight) lines_.push_back(TokenLine{i, j, w, series});
            }
            rowLargest_.push_back(largest);
        }
    }
    return {};
}

void TokenLinesController::setHovered(std::optional<TokenRef> token) {
    if (token && (token->index < 0 || token->index >= tokens())) token.reset();
    hovered_ = token;
}

QVector<TokenLine> TokenLinesController::lines() const {
    if (!hovered_) return lines_;
    QVector<TokenLine> kept;
    for (const TokenLine& line : lines_)
        if ((hovered_->side == TokenSide::Query ? line.query : line.key) == hovered_->index) kept << line;
    return kept;
}

double TokenLinesController::opacity(const TokenLine& line) {
    return std::clamp(static_cast<double>(line.weight), 0.0, 1.0);
}

HeadSpread TokenLinesController::spreadOf(int series, int first, int last) const {
    HeadSpread spread{series, 0.0f, 0};
    const int T = static_cast<int>(labels_.size());   // queries
    first = std::max(first, 0);
    last = std::min(last, T - 1);
    if (series < 0 || series >= heads_.size() || first > last) return spread;
    for (int i = first; i <= last; ++i)
        spread.largest = std::max(spread.largest, rowLargest_[static_cast<size_t>(series) * T + i]);
    spread.keys = causal_ ? last + 1 : static_cast<int>(keyLabels_.size());   // the last query sees the most keys
    return spread;
}

QString TokenLinesController::faintNote(const HeadSpread& spread, int first, int last) const {
    const QString name = headName(run_, heads_.value(spread.series));
    const QString largest = QString::number(spread.largest, 'g', 2);
    if (first <= 0 && last >= tokens() - 1)
        return QObject::tr("No weight of %1 reaches %2: its attention is spread over up to %3 keys (largest weight %4).")
            .arg(name).arg(kMinWeight).arg(spread.keys).arg(largest);
    return QObject::tr("No weight of %1 from or to tokens %2\u2013%3 reaches %4: their attention is spread over up to "
                       "%5 keys (largest weight %6).")
        .arg(name).arg(first).arg(last).arg(kMinWeight).arg(spread.keys).arg(largest);
}

QString TokenLinesController::headLabel(HeadRef head) const { return headName(run_, head); }

QColor TokenLinesController::seriesColorOf(int series) { return seriesColor(series); }

} // namespace headlight
