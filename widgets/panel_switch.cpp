#include "panel_switch.h"

#include <QAbstractButton>
#include <QButtonGroup>
#include <QHBoxLayout>
#include <QLabel>
#include <QToolButton>

namespace headlight {

PanelSwitch::PanelSwitch(const QStringList& panelNames, QWidget* parent, const QString& prompt)
    : QWidget(parent), buttons_(new QButtonGroup(this)) {
    auto* row = new QHBoxLayout(this);
    row->setContentsMargins(4, 2, 4, 0);
    row->addWidget(new QLabel(prompt.isEmpty() ? tr("Dock too short for every panel; show:") : prompt, this));
    for (int i = 0; i < panelNames.size(); ++i) {
        auto* button = new QToolButton(this);
        button->setText(panelNames[i]);
        button->setCheckable(true);
        button->setChecked(i == chosen_);
        button->setToolTip(tr("Make the dock taller to see every panel at once."));
        buttons_->addButton(button, i);
        row->addWidget(button);
    }
    row->addStretch(1);
    connect(buttons_, &QButtonGroup::idClicked, this, [this](int i) {
        chosen_ = i;
        emit chosenChanged(i);
    });
}

void PanelSwitch::choose(int i) {
    chosen_ = i;
    if (QAbstractButton* button = buttons_->button(i)) button->setChecked(true);
}

void PanelSwitch::setPanelNames(const QStringList& panelNames) {
    for (int i = 0; i < panelNames.size(); ++i)
        if (QAbstractButton* button = buttons_->button(i)) button->setText(panelNames[i]);
}

} // namespace headlight
