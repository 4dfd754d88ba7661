#pragma once
// The row of buttons a view shows above its plot while its dock is too short for every panel: one checkable
// button per panel, the chosen one shown alone (PanelLayout, or a view's own panels).
#include <QStringList>
#include <QWidget>

class QButtonGroup;

namespace headlight {

class PanelSwitch : public QWidget {
    Q_OBJECT
public:
    // `prompt` before the buttons (empty: "Dock too short for every panel; show:").
    PanelSwitch(const QStringList& panelNames, QWidget* parent = nullptr, const QString& prompt = QString());
    int chosen() const { return chosen_; }
    // Checks panel i's button (no signal).
    void choose(int i);
    // Renames the buttons (a plot whose panels change with its width); extra names are ignored.
    void setPanelNames(const QStringList& panelNames);

signals:
    void chosenChanged(int panel);

private:
    QButtonGroup* buttons_;
    int chosen_ = 0;
};

} // namespace headlight
