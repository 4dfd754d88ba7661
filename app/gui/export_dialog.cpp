#include "export_dialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
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
      publication_(new QCheckBox(tr("Publication style (white background, print fonts)"), this)),
      size_(new QComboBox(this)), width_(new QSpinBox(this)), height_(new QSpinBox(this)) {
    setWindowTitle(tr("Export figure"));
    path_->setObjectName(QStringLiteral("exportPath"));
    dpi_->setRange(72, 1200);
    dpi_->setValue(dpi);
    dpi_->setSuffix(tr(" dpi"));
    publication_->setChecked(true);
    // A journal column's width (the figure is laid out for it: nothing clipped), a free size, or as on screen.
    for (const FigureSizePreset& p : figureSizePresets()) size_->addItem(p.name, p.id);
    size_->addItem(tr("Free size"), QStringLiteral("free"));
    size_->addItem(tr("As on screen"), QStringLiteral("screen"));
    size_->setObjectName(QStringLiteral("figureSize"));
    for (QSpinBox* box : {width_, height_}) {
        box->setRange(100, 10000);
        box->setSuffix(tr(" pt"));
    }
    width_->setValue(480);
    height_->setValue(360);
    auto syncFree = [this] {
        const bool free = size_->currentData().toString() == QLatin1String("free");
        width_->setEnabled(free);
        height_->setEnabled(free);
    };
    connect(size_, &QComboBox::currentIndexChanged, this, syncFree);
    syncFree();
    auto* freeRow = new QHBoxLayout;
    freeRow->addWidget(width_);
    freeRow->addWidget(new QLabel(QStringLiteral("x"), this));
    freeRow->addWidget(height_);
    freeRow->addStretch(1);
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
    form->addRow(tr("Size"), size_);
    form->addRow(tr("Free size"), freeRow);
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
    const QString size = size_->currentData().toString();
    if (size == QLatin1String("free")) {
        o.size = QSize(width_->value(), height_->value());
        o.exactHeight = true;
    }
    else if (size != QLatin1String("screen")) o.size = figureSizeFor(size);
    return o;
}

void ExportDialog::browse() {
    const QString chosen = QFileDialog::getSaveFileName(this, tr("Export figure"), path(),
                                                        tr("PNG image (*.png);;SVG vector (*.svg);;PDF (*.pdf)"));
    if (!chosen.isEmpty()) path_->setText(chosen);
}

} // namespace headlight
