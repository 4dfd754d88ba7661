#include "start_page.h"

#include <QCommandLinkButton>
#include <QDir>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QVBoxLayout>

namespace headlight {

StartPage::StartPage(QWidget* parent) : QWidget(parent), recent_(new QVBoxLayout), back_(new QPushButton) {
    auto* inner = new QWidget;
    auto* layout = new QVBoxLayout(inner);
    layout->setContentsMargins(32, 24, 32, 24);
    back_->setObjectName(QStringLiteral("backToModel"));
    back_->hide();
    connect(back_, &QPushButton::clicked, this, &StartPage::backRequested);
    layout->addWidget(back_, 0, Qt::AlignLeft);
    auto* title = new QLabel(tr("<h2>Headlight</h2><p>Open a model, type a text, and see what every attention "
                                "head does: its attention, its gate, its span, what it forgets and what it reads "
                                "from memory.</p>"));
    title->setWordWrap(true);
    layout->addWidget(title);
    layout->addWidget(new QLabel(tr("<b>Sample models</b>")));
    for (const SampleModel& sample : sampleModels()) {
        auto* button = new QCommandLinkButton(sample.name, sample.summary);
        button->setObjectName(QStringLiteral("sample-") + sample.name);
        connect(button, &QPushButton::clicked, this, [this, dir = sample.dir] { emit openRequested(dir); });
        layout->addWidget(button);
    }
    layout->addSpacing(12);
    layout->addWidget(new QLabel(tr("<b>Recent models</b>")));
    layout->addLayout(recent_);
    auto* open = new QPushButton(tr("Open a model folder..."));
    connect(open, &QPushButton::clicked, this, &StartPage::openFolderRequested);
    layout->addWidget(open, 0, Qt::AlignLeft);
    layout->addStretch(1);

    auto* scroll = new QScrollArea(this);
    scroll->setWidget(inner);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(scroll);
}

void StartPage::setOpenModel(const QString& name) {
    back_->setText(tr("\u2190 Back to %1").arg(name));
    back_->setVisible(!name.isEmpty());
}

void StartPage::setRecentModels(const QStringList& dirs) {
    while (QLayoutItem* item = recent_->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    if (dirs.isEmpty()) recent_->addWidget(new QLabel(tr("None yet.")));
    for (const QString& dir : dirs) {
        auto* button = new QPushButton(QDir::toNativeSeparators(dir));
        button->setFlat(true);
        button->setStyleSheet(QStringLiteral("text-align: left;"));
        connect(button, &QPushButton::clicked, this, [this, dir] { emit openRequested(dir); });
        recent_->addWidget(button);
    }
}

} // namespace headlight
