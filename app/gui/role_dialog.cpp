#include "role_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

namespace headlight {

RoleDialog::RoleDialog(const HeadRoles& roles, QWidget* parent) : QDialog(parent), roles_(roles) {
    setWindowTitle(tr("Select heads by role"));
    roleBox_ = new QComboBox(this);
    for (const std::string& id : roleIds()) roleBox_->addItem(QString::fromStdString(roleName(id)), QString::fromStdString(id));
    roleBox_->setCurrentIndex(roleBox_->findData(QStringLiteral("induction")));
    threshold_ = new QDoubleSpinBox(this);
    threshold_->setRange(0.0, 1.0);
    threshold_->setSingleStep(0.05);
    threshold_->setDecimals(2);
    threshold_->setValue(kRoleThreshold);
    threshold_->setToolTip(tr("The share of a query's attention on the role's keys, averaged over the queries that "
                              "qualify (docs/head-roles.md)"));
    matches_ = new QLabel(this);
    matches_->setWordWrap(true);
    auto* form = new QFormLayout;
    form->addRow(tr("Role:"), roleBox_);
    form->addRow(tr("Score at least:"), threshold_);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    ok_ = buttons->button(QDialogButtonBox::Ok);
    ok_->setText(tr("Select"));
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(matches_);
    layout->addWidget(new QLabel(tr("Then press Space in the head overview (or Analysis > Prune the selected heads) to "
                                    "switch them all off as one what-if."), this));
    layout->addWidget(buttons);
    connect(roleBox_, QOverload<int>::of(&QComboBox::currentIndexChanged), this, &RoleDialog::updateMatches);
    connect(threshold_, QOverload<double>::of(&QDoubleSpinBox::valueChanged), this, &RoleDialog::updateMatches);
    updateMatches();
}

std::string RoleDialog::role() const { return roleBox_->currentData().toString().toStdString(); }
double RoleDialog::threshold() const { return threshold_->value(); }
void RoleDialog::setRole(const std::string& role) { roleBox_->setCurrentIndex(roleBox_->findData(QString::fromStdString(role))); }
void RoleDialog::setThreshold(double threshold) { threshold_->setValue(threshold); }

QList<HeadRef> RoleDialog::matchingHeads() const {
    QList<HeadRef> heads;
    for (const auto& [layer, head] : headsWithRole(roles_, role(), threshold())) heads << HeadRef{layer, head};
    return heads;
}

void RoleDialog::updateMatches() {
    const QList<HeadRef> heads = matchingHeads();
    QStringList names;
    for (const HeadRef& h : heads.mid(0, 24)) names << QStringLiteral("L%1.H%2").arg(h.layer).arg(h.head);
    if (heads.size() > 24) names << QStringLiteral("\u2026");
    matches_->setText(heads.isEmpty() ? tr("No head reaches this score on this text.")
                                      : tr("%n head(s): %1", nullptr, static_cast<int>(heads.size())).arg(names.join(QStringLiteral(", "))));
    ok_->setEnabled(!heads.isEmpty());
}

} // namespace headlight
