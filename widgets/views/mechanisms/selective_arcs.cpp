#include "views/mechanisms/selective_arcs.h"

#include "views/mechanisms/mechanism_plot.h"

#include <QFontMetrics>
#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <tuple>

namespace headlight {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int kArcPoints = 24;
// Arcs drawn for one query: the most masked keys first. Dozens of arcs into one query merge into a red band.
constexpr int kMaxArcs = 16;
constexpr double kGap = 2.5;            // pixels between two tokens' texts
constexpr int kQueryPadding = 2;        // pixels between the query's text and its box
constexpr double kMostStretch = 2.5;    // a short text spreads to at most this times its written width
constexpr double kUnlaidRoom = 1e9;     // room assumed before the plot has its size: every token
constexpr int kNotLaidOut = 160;        // pixels: a plot narrower than this has not been given its size yet
constexpr double kArcTop = 1.08;   // the highest arc reaches 1; a little room above it
const QString kEllipsis = QStringLiteral("\u2026");

std::vector<int> sorted(const std::set<int>& s) { return {s.begin(), s.end()}; }

// Half an ellipse from x = `from` to x = `to`, `height` above the text, then a gap.
void addArc(QCPCurve* curve, double from, double to, double height) {
    for (int n = 0; n <= kArcPoints; ++n) {
        const double t = M_PI * n / kArcPoints;
        curve->addData(from + (to - from) * (1 - std::cos(t)) / 2, height * std::sin(t));
    }
    curve->addData(kNaN, kNaN);
}

} // namespace

namespace selective {

double windowWidth(const std::vector<int>& window, const std::vector<double>& widths, double ellipsis) {
    const int tokens = static_cast<int>(widths.size());
    if (window.empty()) return tokens > 0 ? ellipsis : 0;
    double width = 0;
    for (int t : window) width += widths[static_cast<size_t>(t)];
    int gaps = (window.front() > 0) + (window.back() < tokens - 1);
    for (size_t n = 1; n < window.size(); ++n) gaps += window[n] > window[n - 1] + 1;
    return width + gaps * ellipsis;
}

std::vector<int> tokenWindow(const std::vector<double>& widths, double ellipsis, int query,
                             const std::vector<std::pair<int, int>>& arcs, double room) {
    const int tokens = static_cast<int>(widths.size());
    std::set<int> chosen;
    for (int t = 0; t < tokens; ++t) chosen.insert(t);
    if (tokens == 0 || windowWidth(sorted(chosen), widths, ellipsis) <= room) return sorted(chosen);
    chosen.clear();
    query = std::clamp(query, 0, tokens - 1);
    // Adds the tokens of `wanted` that exist, if the window still fits.
    auto add = [&](std::initializer_list<int> wanted) {
        std::set<int> next = chosen;
        for (int t : wanted)
            if (t >= 0 && t < tokens) next.insert(t);
        if (windowWidth(sorted(next), widths, ellipsis) > room) return false;
        chosen = std::move(next);
        return true;
    };
    if (!add({query - 2, query - 1, query, query + 1})) chosen.insert(query);   // the query, whatever its width
    // The strongest arcs with a neighbour either side of each end ("a=7": the name, the sign, the value); the
    // first that does not fit ends the list, so the arcs shown are always the strongest.
    for (auto [masker, key] : arcs)
        if (!add({masker - 1, masker, masker + 1, key - 1, key, key + 1}) && !add({masker, key})) break;
    // The rest, one token next to those shown at a time: one that closes a gap (its ellipsis goes) first, then
    // the nearest the query, before it rather than after.
    double width = windowWidth(sorted(chosen), widths, ellipsis);
    for (;;) {
        std::tuple<int, int, int> best{2, 0, 0};
        int pick = -1;
        double pickWidth = 0;
        for (int t : chosen)
            for (int c : {t - 1, t + 1}) {
                if (c < 0 || c >= tokens || chosen.count(c)) continue;
                const bool closes = (c == 0 || chosen.count(c - 1)) && (c == tokens - 1 || chosen.count(c + 1));
                const double next = width + widths[static_cast<size_t>(c)] - (closes ? ellipsis : 0);
                if (next > room) continue;
                const std::tuple<int, int, int> score{closes ? 0 : 1, c > query ? 1 : 0, std::abs(c - query)};
                if (score < best) best = score, pick = c, pickWidth = next;
            }
        if (pick < 0) break;
        chosen.insert(pick);
        width = pickWidth;
    }
    return sorted(chosen);
}

} // namespace selective

SelectiveArcs::SelectiveArcs(QCustomPlot* plot, QCPAxisRect* rect, QCPTextElement* title)
    : plot_(plot), rect_(rect), title_(title) {
    for (QCPAxis* axis : rect_->axes()) axis->setVisible(false);   // the tokens themselves are the labels
    rect_->setMinimumSize(0, kMinimumHeight);
    // The window follows the panel's width (a resize, a figure's size); the text row its height.
    QObject::connect(plot_, &QCustomPlot::afterLayout, rect_, [this] {
        if (query_ < 0) return;
        if (std::abs(room() - room_) > 1 || plot_->viewport().width() != titleWidth_) {
            rebuild();
            plot_->replot(QCustomPlot::rpQueuedReplot);   // the next drawing lays out the title's new lines
        } else {
            placeRows();
        }
    });
}

void SelectiveArcs::clear() {
    for (QCPCurve* c : curves_) plot_->removePlottable(c);
    for (QCPItemText* t : texts_) plot_->removeItem(t);
    curves_.clear();
    texts_.clear();
    slots_.clear();
    centres_.clear();
    lines_.clear();
    wanted_.clear();
    strength_.clear();
    evicted_.clear();
    widths_.clear();
    query_ = -1;
    room_ = 0;
    width_ = 0;
}

void SelectiveArcs::show(const RunSnapshot& snapshot, int query, const std::vector<MaskedKey>& masked,
                         const std::vector<int>& evicted, const QString& summary, const PlotStyle& style) {
    clear();
    snapshot_ = snapshot;
    style_ = style;
    summary_ = summary;
    query_ = query;
    evicted_ = evicted;
    // The most masked first; among the fully masked, the clearest single decision (largest S from one token).
    std::vector<const MaskedKey*> strongest;
    for (const MaskedKey& m : masked) strongest.push_back(&m);
    std::stable_sort(strongest.begin(), strongest.end(), [](const MaskedKey* a, const MaskedKey* b) {
        return std::tie(a->opacity, a->topContribution) > std::tie(b->opacity, b->topContribution);
    });
    for (const MaskedKey* m : strongest) {
        const int from = m->maskedBy >= 0 ? m->maskedBy : query;   // no single masker: the query itself
        if (from == m->key) continue;
        wanted_.push_back({from, m->key});
        strength_.push_back(m->opacity);
    }
    // Every token as wide as its text and a little space, so the text reads as written ("a=7;") and no two
    // labels touch: maskers are measured in bold, the query in bold with its box.
    std::set<int> bold;
    for (size_t a = 0; a < wanted_.size() && a < static_cast<size_t>(kMaxArcs); ++a) bold.insert(wanted_[a].first);
    QFont boldFont = style_.font;
    boldFont.setBold(true);
    const QFontMetricsF regular(style_.font), strong(boldFont);
    for (int t = 0; t < snapshot_.tokens(); ++t) {
        const QString label = snapshot_.tokenLabel(t);
        const double text = t == query_ || bold.count(t) ? strong.horizontalAdvance(label) : regular.horizontalAdvance(label);
        widths_.push_back(text + kGap + (t == query_ ? 2 * kQueryPadding : 0));
    }
    ellipsisWidth_ = regular.horizontalAdvance(kEllipsis) + kGap;
    rebuild();
}

double SelectiveArcs::room() const {
    // A plot this narrow has not been given its size yet (an unshown widget is 100 x 30): its first real
    // layout decides, and until then every token is shown.
    if (plot_->viewport().width() < kNotLaidOut) return kUnlaidRoom;
    return std::max(rect_->rect().width() - 8.0, 0.0);
}

void SelectiveArcs::rebuild() {
    for (QCPCurve* c : curves_) plot_->removePlottable(c);
    for (QCPItemText* t : texts_) plot_->removeItem(t);
    curves_.clear();
    texts_.clear();
    lines_.clear();
    room_ = room();
    const int T = snapshot_.tokens();
    std::vector<std::pair<int, int>> candidates(wanted_.begin(), wanted_.begin() + std::min<size_t>(wanted_.size(), kMaxArcs));
    const std::vector<int> window = selective::tokenWindow(widths_, ellipsisWidth_, query_, candidates, room_);
    slots_.clear();
    centres_.clear();
    width_ = 0;
    auto place = [this](int token) {   // left to right, each slot as wide as its text
        const double w = token < 0 ? ellipsisWidth_ : widths_[static_cast<size_t>(token)];
        slots_.push_back(token);
        centres_.push_back(width_ + w / 2);
        width_ += w;
    };
    for (size_t n = 0; n < window.size(); ++n) {
        if (window[n] > (n == 0 ? 0 : window[n - 1] + 1)) place(-1);
        place(window[n]);
    }
    if (!window.empty() && window.back() < T - 1) place(-1);

    // The arcs whose two ends are shown, the strongest first (tokenWindow kept them a prefix of the list).
    std::vector<size_t> drawn;
    for (size_t a = 0; a < candidates.size(); ++a)
        if (slotOf(candidates[a].first) && slotOf(candidates[a].second)) drawn.push_back(a);
    double farthest = 1;
    for (size_t a : drawn) farthest = std::max(farthest, std::abs(xOf(wanted_[a].first) - xOf(wanted_[a].second)));
    // One curve per pen alpha, the weakest created first so the strongest lie on top. Arc height grows with the
    // distance it spans, so arcs from one masker to several keys nest instead of merging.
    std::map<int, QCPCurve*> byAlpha;
    QCPAxis* x = rect_->axis(QCPAxis::atBottom);
    QCPAxis* y = rect_->axis(QCPAxis::atLeft);
    std::set<int> maskers;
    for (auto a = drawn.rbegin(); a != drawn.rend(); ++a) {
        const auto [from, key] = wanted_[*a];
        const int alpha = static_cast<int>(std::lround(std::max(strength_[*a], 0.25) * 255));   // faint, still visible
        QCPCurve*& curve = byAlpha[alpha];
        if (!curve) {
            curve = new QCPCurve(x, y);
            QColor color = style_.masked;
            color.setAlpha(alpha);
            curve->setPen(QPen(color, 1.5));
            curves_.push_back(curve);
        }
        addArc(curve, xOf(from), xOf(key), 0.15 + 0.85 * std::abs(xOf(from) - xOf(key)) / farthest);
        lines_.push_back({from, key});
        maskers.insert(from);
    }

    QColor faint = style_.foreground;
    faint.setAlpha(140);
    for (size_t s = 0; s < slots_.size(); ++s) {
        const int token = slots_[s];
        QCPItemText* text = mech::addLabel(plot_, rect_, centres_[s], 0, token < 0 ? kEllipsis : snapshot_.tokenLabel(token), style_);
        text->setPositionAlignment(Qt::AlignCenter);
        text->setPadding(QMargins());
        QFont font = style_.font;
        if (token < 0) text->setColor(faint);
        if (isEvicted(token)) {   // gone for good: struck out, not crossed over
            font.setStrikeOut(true);
            text->setColor(faint);
        }
        if (maskers.count(token)) {   // the masker, named once however many arcs leave it
            font.setBold(true);
            text->setColor(style_.masked);
        }
        if (token == query_) {
            font.setBold(true);
            text->setColor(style_.accent);
            text->setPen(QPen(style_.accent, 1));
            text->setPadding(QMargins(kQueryPadding, 1, kQueryPadding, 1));   // room for its box
        }
        text->setFont(font);
        texts_.push_back(text);
    }
    writeTitle();
    placeRows();
}

void SelectiveArcs::placeRows() {
    // Along x, one unit a pixel of the text as measured, stretched at most kMostStretch to fill a wide panel and
    // centred there (a short text on a wide screen stays text, not a row of far-apart glyphs).
    const double width = std::max(rect_->rect().width(), 1);
    const double span = std::max(width_ + 8, width / kMostStretch);
    rect_->axis(QCPAxis::atBottom)->setRange(width_ / 2 - span / 2, width_ / 2 + span / 2);
    // The text in a band one line high under y = 0, the arcs from 0 up to 1.
    QFont bold = style_.font;
    bold.setBold(true);
    const int band = QFontMetrics(bold).height() + 6;
    const int height = std::max(rect_->rect().height(), 2 * band);
    const double bottom = -kArcTop * band / (height - band);
    rect_->axis(QCPAxis::atLeft)->setRange(bottom, kArcTop);
    for (size_t s = 0; s < texts_.size(); ++s) texts_[s]->position->setCoords(centres_[s], bottom / 2);
}

void SelectiveArcs::writeTitle() {
    QStringList parts = summary_.split(QLatin1Char('\n'));
    const int drawn = static_cast<int>(lines_.size()), wanted = arcsWanted();
    if (wanted > 0) {
        parts << QObject::tr("arcs: masker (bold) \u2192 masked, darker = more");
        if (drawn < wanted) parts << QObject::tr("the %1 strongest of %2").arg(drawn).arg(wanted);
    }
    int shown = 0;
    for (int t : slots_) shown += t >= 0;
    if (shown < snapshot_.tokens()) parts << QObject::tr("%1 of %2 tokens shown").arg(shown).arg(snapshot_.tokens());
    if (std::any_of(slots_.begin(), slots_.end(), [this](int t) { return isEvicted(t); }))
        parts << QObject::tr("struck out: evicted by the budget");
    // As many parts on a line as fit the plot's width, so a single-column figure wraps instead of cutting.
    titleWidth_ = plot_->viewport().width();
    const QFontMetrics metrics(title_->font());
    QStringList lines;
    for (const QString& part : parts) {
        const QString joined = lines.isEmpty() ? part : lines.back() + QStringLiteral("; ") + part;
        if (!lines.isEmpty() && metrics.horizontalAdvance(joined) <= titleWidth_ - 12)
            lines.back() = joined;
        else
            lines << part;
    }
    title_->setText(lines.join(QLatin1Char('\n')));
}

bool SelectiveArcs::isEvicted(int token) const {
    return token >= 0 && std::find(evicted_.begin(), evicted_.end(), token) != evicted_.end();
}

std::optional<int> SelectiveArcs::slotOf(int token) const {
    const auto at = std::find(slots_.begin(), slots_.end(), token);
    if (token < 0 || at == slots_.end()) return std::nullopt;
    return static_cast<int>(at - slots_.begin());
}

double SelectiveArcs::xOf(int token) const {
    const auto slot = slotOf(token);
    return slot ? centres_[static_cast<size_t>(*slot)] : std::numeric_limits<double>::quiet_NaN();
}

std::optional<int> SelectiveArcs::slotAt(double x) const {
    // The slot whose text spans x: the first whose right edge lies beyond it.
    for (size_t s = 0; s < slots_.size(); ++s) {
        const double half = (slots_[s] < 0 ? ellipsisWidth_ : widths_[static_cast<size_t>(slots_[s])]) / 2;
        if (x <= centres_[s] + half) return x >= centres_[s] - half ? std::optional<int>(static_cast<int>(s)) : std::nullopt;
    }
    return std::nullopt;
}

std::optional<int> SelectiveArcs::tokenAt(double x) const {
    const auto slot = slotAt(x);
    if (!slot || slots_[static_cast<size_t>(*slot)] < 0) return std::nullopt;
    return slots_[static_cast<size_t>(*slot)];
}

std::optional<int> SelectiveArcs::slotAtPixel(QPoint pixel) const {
    if (!rect_->rect().contains(pixel)) return std::nullopt;
    return slotAt(rect_->axis(QCPAxis::atBottom)->pixelToCoord(pixel.x()));
}

std::optional<int> SelectiveArcs::tokenAtPixel(QPoint pixel) const {
    if (!rect_->rect().contains(pixel)) return std::nullopt;
    return tokenAt(rect_->axis(QCPAxis::atBottom)->pixelToCoord(pixel.x()));
}

QString SelectiveArcs::describeGapAt(QPoint pixel) const {
    const auto slot = slotAtPixel(pixel);
    if (!slot || slots_[static_cast<size_t>(*slot)] >= 0) return {};
    const size_t s = static_cast<size_t>(*slot);
    const int first = s > 0 ? slots_[s - 1] + 1 : 0;
    const int last = s + 1 < slots_.size() ? slots_[s + 1] - 1 : snapshot_.tokens() - 1;
    return QObject::tr("tokens %1 to %2, left out to keep the text legible (click a token to move the window)")
        .arg(first)
        .arg(last);
}

} // namespace headlight
