#pragma once
// A plot of several panels (each a title, an axis rect, a legend: rows of the plot's layout), arranged for where
// it is read: stacked in a tall dock, side by side in a wide figure, or one at a time in a dock too short for all
// of them to be read (the view shows a switch then). Below a panel's minimum height its ticks run into each other
// and its legend is cut, so a short dock shows one readable panel rather than several unreadable ones.
#include <QList>
#include <QString>

class QCustomPlot;
class QCPLayoutElement;
class QCPLayoutGrid;

namespace headlight {

// Shows `element` (and everything inside it), or hides it and collapses its room to a pixel: a hidden layout
// element otherwise keeps its room.
void showCollapsible(QCPLayoutElement* element, bool show);

struct Panel {
    QString name;                        // the switch's button text, e.g. "(a) Masks"
    QList<QCPLayoutElement*> rows;       // top to bottom; the plot's layout owns them
    QList<double> stretch;               // per row: 0.001 for a title or a legend (their own height), else a share
    int minimumHeight = 150;             // pixels below which the panel cannot be read
};

class PanelLayout {
public:
    enum class Arrangement { Stacked, SideBySide };

    // Puts the panels' rows into `plot`'s layout (emptied before: plotLayout()->clear()), stacked, every panel shown.
    PanelLayout(QCustomPlot* plot, QList<Panel> panels);

    int count() const { return static_cast<int>(panels_.size()); }
    const Panel& panel(int i) const { return panels_[i]; }
    // The height every panel needs stacked (the sum of their minimum heights).
    int stackedMinimumHeight() const;

    // Stacked or side by side; `only` >= 0 shows that panel alone (the others collapsed to nothing), -1 all.
    void arrange(Arrangement arrangement, int only = -1);
    Arrangement arrangement() const { return arrangement_; }
    int shownPanel() const { return only_; }   // -1: all
    bool isShown(int panel) const { return only_ < 0 || only_ == panel; }

private:
    void takeRows();

    QCustomPlot* plot_;
    QList<Panel> panels_;
    QList<QCPLayoutGrid*> columns_;   // SideBySide: one grid per panel in the plot's first row
    Arrangement arrangement_ = Arrangement::Stacked;
    int only_ = -1;
};

} // namespace headlight
