#include "export_dialog.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>

namespace headlight {

ExportDialog::ExportDialog(const QString& suggestedPath, int dpi, QWidget* parent)
    : QDialog(parent), path_(new QLineEdit(suggestedPath, this)), dpi_(new QSpinBox(this)),
      publication_(new QCheckBox(tr("Publication style (white background, print fonts)"), this)) {
    setWindowTitle(tr("Export figure"));
    dpi_->setRange(72, 1200);
    dpi_->setValue(dpi);
    dpi_->setSuffix(tr(" dpi"));
    publication_->setChecked(true);
    auto* browseButton = new QPushButton(tr("Browse..."), this);
    connect(browseButton, &QPushButton::clicked, this, &ExportDialog::browse);
    auto* pathRow = new QHBoxLayout;
    pathRow->addWidget(path_, 1);
    pathRow->addWidget(browseButton);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* form = new QFormLayout(this);
    form->addRow(tr("File (.png, .svg, .pdf)"), pathRow);
    form->addRow(tr("PNG resolution"), dpi_);
    form->addRow(publication_);
    form->addRow(buttons);
    resize(560, sizeHint().height());
}

QString ExportDialog::path() const { return path_->text().trimmed(); }

ExportOptions ExportDialog::options() const {
    ExportOptions o;
    o.dpi = dpi_->value();
    o.publication = publication_->isChecked();
    return o;
}

void ExportDialog::browse() {
    const QString chosen = QFileDialog::getSaveFileName(this, tr("Export figure"), path(),
                                                        tr("PNG image (*.png);;SVG vector (*.svg);;PDF (*.pdf)"));
    if (!chosen.isEmpty()) path_->setText(chosen);
}

} // namespace headlight
