#include "panel_layout.h"

#include <qcustomplot.h>

#include <numeric>

namespace headlight {

void showCollapsible(QCPLayoutElement* element, bool show) {
    QList<QCPLayoutElement*> all{element};
    if (auto* layout = qobject_cast<QCPLayout*>(element)) all << layout->elements(true);
    // Showing again shows what hiding hid (and `element` itself), not what was hidden before: a plot's legend
    // left hidden in its axis rect's inset stays hidden.
    constexpr const char* kCollapsed = "headlightCollapsed";
    for (QCPLayoutElement* e : all) {
        if (!e) continue;
        if (!show && e->visible()) {
            e->setProperty(kCollapsed, true);
            e->setVisible(false);
        } else if (show && (e == element || e->property(kCollapsed).toBool())) {
            e->setProperty(kCollapsed, QVariant());
            e->setVisible(true);
        }
        e->setSizeConstraintRect(QCPLayoutElement::scrOuterRect);
        // Height 0: the element's own minimum; 1 px: collapsed. The width it was given stays (a title's 1 px
        // lets a long title be clipped rather than widen its column).
        e->setMinimumSize(e->minimumSize().width(), show ? 0 : 1);
        e->setMaximumSize(QWIDGETSIZE_MAX, show ? QWIDGETSIZE_MAX : 0);
        if (auto* rect = qobject_cast<QCPAxisRect*>(e)) {
            rect->setAutoMargins(show ? QCP::msAll : QCP::msNone);
            if (!show) rect->setMargins(QMargins());
        }
    }
}

PanelLayout::PanelLayout(QCustomPlot* plot, QList<Panel> panels) : plot_(plot), panels_(std::move(panels)) {
    arrange(Arrangement::Stacked);
}

int PanelLayout::stackedMinimumHeight() const {
    return std::accumulate(panels_.begin(), panels_.end(), 0, [](int sum, const Panel& p) { return sum + p.minimumHeight; });
}

void PanelLayout::takeRows() {
    for (const Panel& panel : panels_)
        for (QCPLayoutElement* row : panel.rows)
            if (row->layout()) row->layout()->take(row);
    QCPLayoutGrid* top = plot_->plotLayout();
    for (QCPLayoutGrid* column : columns_) {
        top->take(column);
        delete column;
    }
    columns_.clear();
    top->simplify();
}

void PanelLayout::arrange(Arrangement arrangement, int only) {
    takeRows();
    arrangement_ = arrangement;
    only_ = only >= 0 && only < count() ? only : -1;
    QCPLayoutGrid* top = plot_->plotLayout();
    int row = 0;
    for (int p = 0; p < count(); ++p) {
        const Panel& panel = panels_[p];
        QCPLayoutGrid* into = top;
        int firstRow = row;
        if (arrangement == Arrangement::SideBySide) {
            into = new QCPLayoutGrid;
            top->addElement(0, p, into);   // in the plot first, so the rows find their plot
            columns_ << into;
            firstRow = 0;
        }
        for (int r = 0; r < panel.rows.size(); ++r) {
            into->addElement(firstRow + r, 0, panel.rows[r]);
            into->setRowStretchFactor(firstRow + r, r < panel.stretch.size() ? panel.stretch[r] : 1.0);
        }
        if (arrangement == Arrangement::Stacked) row += static_cast<int>(panel.rows.size());
        for (QCPLayoutElement* element : panel.rows) showCollapsible(element, isShown(p));
    }
    if (arrangement == Arrangement::SideBySide)
        for (int p = 0; p < count(); ++p) top->setColumnStretchFactor(p, isShown(p) ? 1.0 : 0.001);
    // A hidden panel's rows keep the least room a row can have.
    if (arrangement == Arrangement::Stacked && only_ >= 0) {
        int r = 0;
        for (int p = 0; p < count(); ++p)
            for (int i = 0; i < panels_[p].rows.size(); ++i, ++r)
                if (!isShown(p)) top->setRowStretchFactor(r, 0.001);
    }
}

} // namespace headlight
