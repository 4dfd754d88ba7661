#pragma once
// The selection every view shares: the current head, any further selected heads, and the selected token.
#include <QList>
#include <QObject>

namespace headlight {

struct HeadRef {
    int layer = 0;
    int head = 0;
    bool operator==(const HeadRef& o) const { return layer == o.layer && head == o.head; }
    bool operator!=(const HeadRef& o) const { return !(*this == o); }
    bool operator<(const HeadRef& o) const { return layer != o.layer ? layer < o.layer : head < o.head; }
};

class HeadSelection : public QObject {
    Q_OBJECT
public:
    explicit HeadSelection(QObject* parent = nullptr);

    HeadRef current() const { return heads_.front(); }
    // Every selected head, the current one first (views that show several heads use them all).
    QList<HeadRef> heads() const { return heads_; }
    bool isSelected(HeadRef h) const { return heads_.contains(h); }
    // The selected token (query position) of the run; -1 when none is selected.
    int position() const { return position_; }

    // Selects exactly `h`.
    void setCurrent(HeadRef h);
    // Selects exactly `heads` (the first current); ignored when empty.
    void setHeads(const QList<HeadRef>& heads);
    // Adds `h` (making it current) or removes it; the last selected head cannot be removed.
    void toggle(HeadRef h);
    void setPosition(int position);
    // Keeps the selection valid for a model of `layers` x `heads` and a run of `tokens` tokens.
    void clampTo(int layers, int heads, int tokens);

signals:
    void headsChanged();
    void positionChanged();

private:
    QList<HeadRef> heads_{HeadRef{}};
    int position_ = -1;
};

} // namespace headlight
