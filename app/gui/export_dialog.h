#pragma once
// Asks where and how to export a figure: file (format by suffix), size (a journal column, free, or as on
// screen), PNG resolution, publication style.
#include "figure_export.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QLineEdit;
class QSpinBox;

namespace headlight {

class ExportDialog : public QDialog {
    Q_OBJECT
public:
    ExportDialog(const QString& suggestedPath, int dpi, QWidget* parent = nullptr);
    QString path() const;
    ExportOptions options() const;

private:
    void browse();
    QLineEdit* path_;
    QSpinBox* dpi_;
    QCheckBox* publication_;
    QComboBox* size_;
    QSpinBox* width_;
    QSpinBox* height_;
};

} // namespace headlight
