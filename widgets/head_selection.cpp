#include "head_selection.h"

#include <algorithm>

namespace headlight {

HeadSelection::HeadSelection(QObject* parent) : QObject(parent) {}

void HeadSelection::setCurrent(HeadRef h) {
    if (heads_.size() == 1 && heads_.front() == h) return;
    heads_ = {h};
    emit headsChanged();
}

void HeadSelection::setHeads(const QList<HeadRef>& heads) {
    QList<HeadRef> unique;
    for (const HeadRef& h : heads)
        if (!unique.contains(h)) unique << h;
    if (unique.isEmpty() || unique == heads_) return;
    heads_ = unique;
    emit headsChanged();
}

void HeadSelection::toggle(HeadRef h) {
    const int at = static_cast<int>(heads_.indexOf(h));
    if (at < 0) {
        heads_.prepend(h);
    } else if (heads_.size() > 1) {
        heads_.removeAt(at);
    } else {
        return;
    }
    emit headsChanged();
}

void HeadSelection::setPosition(int position) {
    if (position < -1) position = -1;
    if (position == position_) return;
    position_ = position;
    emit positionChanged();
}

void HeadSelection::clampTo(int layers, int heads, int tokens) {
    QList<HeadRef> kept;
    for (const HeadRef& h : heads_)
        if (h.layer < layers && h.head < heads && !kept.contains(h)) kept << h;
    if (kept.isEmpty()) kept << HeadRef{std::max(0, layers - 1), 0};
    if (kept != heads_) {
        heads_ = kept;
        emit headsChanged();
    }
    if (position_ >= tokens) setPosition(tokens - 1);
}

} // namespace headlight
