#pragma once
// Analysis > Select heads by role: a role and a threshold, and the heads of the run on screen that reach it
// (their role scores come with the run, headlight/head_roles.h). OK selects them all; Space then prunes them
// as one what-if.
#include "head_selection.h"

#include "headlight/head_roles.h"

#include <QDialog>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QPushButton;

namespace headlight {

class RoleDialog : public QDialog {
    Q_OBJECT
public:
    RoleDialog(const HeadRoles& roles, QWidget* parent = nullptr);

    // The heads whose chosen role's score is at or above the threshold, layer by layer.
    QList<HeadRef> matchingHeads() const;
    std::string role() const;
    double threshold() const;
    void setRole(const std::string& role);
    void setThreshold(double threshold);

private:
    void updateMatches();

    HeadRoles roles_;
    QComboBox* roleBox_;
    QDoubleSpinBox* threshold_;
    QLabel* matches_;
    QPushButton* ok_ = nullptr;
};

} // namespace headlight
