#pragma once
// The lines of the token-lines ("head view") figure: from each query token (left column) to each key it
// attends to (right column), opacity = weight, one colour per selected head. Hovering a token keeps only its
// lines. Lines under kMinWeight are never drawn, which keeps long texts fast and the figure readable.
#include "head_selection.h"
#include "run_snapshot.h"

#include <QColor>
#include <QList>
#include <QStringList>
#include <QVector>
#include <algorithm>
#include <optional>
#include <vector>

namespace headlight {

enum class TokenSide { Query, Key };   // left column, right column

struct TokenRef {
    TokenSide side = TokenSide::Query;
    int index = 0;
    bool operator==(const TokenRef& o) const { return side == o.side && index == o.index; }
    bool operator!=(const TokenRef& o) const { return !(*this == o); }
};

struct TokenLine {
    int query = 0;
    int key = 0;
    float weight = 0;   // the attention weight p[query, key] of this head
    int series = 0;     // index into heads(): which head (and colour) the line belongs to
};

// How a head spreads the attention of a range of queries: when no weight reaches kMinWeight they have no line,
// and the view says why instead of showing an empty canvas.
struct HeadSpread {
    int series = 0;
    float largest = 0;   // the largest weight of any of the queries
    int keys = 0;        // the most keys one of them sees
};

class TokenLinesController {
public:
    static constexpr float kMinWeight = 0.01f;

    // Collects the lines of every selected, captured head. Returns why nothing can be drawn, else "".
    QString update(const RunSnapshot& run, const HeadSelection& selection);

    void setHovered(std::optional<TokenRef> token);
    std::optional<TokenRef> hovered() const { return hovered_; }

    // Lines to draw now: every line, or only the hovered token's.
    QVector<TokenLine> lines() const;
    const QVector<TokenLine>& allLines() const { return lines_; }
    static double opacity(const TokenLine& line);   // the weight, clamped to [0,1]

    // Rows of the two columns: the queries' (left) and the keys' (right) tokens, the same text but for an
    // encoder-decoder model's cross-attention (target on the left, source on the right), whose longer side
    // sets the rows.
    int tokens() const { return static_cast<int>(std::max(labels_.size(), keyLabels_.size())); }
    const QStringList& labels() const { return labels_; }
    const QStringList& keyLabels() const { return keyLabels_; }
    QList<HeadRef> heads() const { return heads_; }
    // "layer 1, head 2" ("cross-attention layer 0, head 2" for an encoder-decoder model's row).
    QString headLabel(HeadRef head) const;
    static QColor seriesColorOf(int series);
    // Head `series`' spread over queries [first, last], and the sentence shown when it has no line there
    // (the whole text: first 0 and last tokens() - 1).
    HeadSpread spreadOf(int series, int first, int last) const;
    QString faintNote(const HeadSpread& spread, int first, int last) const;
    // The selected query position shown highlighted (the last token when none is selected).
    int position() const { return position_; }

private:
    RunSnapshot run_;
    QStringList labels_;
    QStringList keyLabels_;
    QList<HeadRef> heads_;
    QVector<TokenLine> lines_;   // ordered by series, then query, then key
    std::vector<float> rowLargest_;   // [series][query]: each query's largest weight
    bool causal_ = true;
    std::optional<TokenRef> hovered_;
    int position_ = -1;
};

} // namespace headlight
