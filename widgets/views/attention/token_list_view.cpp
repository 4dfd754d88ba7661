#include "views/attention/token_list_view.h"

#include "views/attention/view_support.h"

#include <QLabel>
#include <QListWidget>
#include <QSignalBlocker>
#include <QVBoxLayout>

namespace headlight {

TokenListView::TokenListView(HeadSelection* selection, QWidget* parent) : TraceView(selection, parent) {
    auto* content = new QWidget(this);
    auto* layout = new QVBoxLayout(content);
    layout->setContentsMargins(4, 4, 4, 4);
    caption_ = new QLabel(content);
    caption_->setObjectName(QStringLiteral("tokenCaption"));
    list_ = new QListWidget(content);
    list_->setFlow(QListView::LeftToRight);   // reading order, wrapped like text
    list_->setWrapping(true);
    list_->setResizeMode(QListView::Adjust);
    list_->setSpacing(1);
    list_->setSelectionMode(QAbstractItemView::SingleSelection);
    layout->addWidget(caption_);
    layout->addWidget(list_, 1);
    connect(list_, &QListWidget::currentRowChanged, this, [this](int row) {
        if (row >= 0 && row != this->selection()->position()) this->selection()->setPosition(row);
    });
    setContent(content);
}

QString TokenListView::explanation() const {
    return tr("<p>The whole text as the model reads it: one box per token, its position first. The selected "
              "token (the query every view shows) is highlighted; click a token to select it. The plots label "
              "every token only while there is room, so long texts are read here.</p>");
}

QString TokenListView::caption() const { return caption_->text(); }

void TokenListView::refresh() {
    const RunSnapshot& run = snapshot();
    const int T = run.tokens();
    if (run.trace.get() != shownTrace_) {
        shownTrace_ = run.trace.get();
        const QSignalBlocker block(list_);
        list_->clear();
        for (int i = 0; i < T; ++i) {
            auto* item = new QListWidgetItem(tokenTickLabel(i, run.tokenLabel(i), Qt::Vertical), list_);
            item->setToolTip(tr("Position %1: \u201c%2\u201d").arg(i).arg(run.tokenLabel(i)));
        }
    }
    const int position = shownPosition(*selection(), T);
    const QSignalBlocker block(list_);
    list_->setCurrentRow(position);
    if (QListWidgetItem* item = list_->item(position)) list_->scrollToItem(item);
    caption_->setText(tr("Position %1 of %2: \u201c%3\u201d").arg(position).arg(T).arg(run.tokenLabel(position)));
}

void TokenListView::exportFigure(const QString& path, const ExportOptions& options) {
    exportStyled(options, [&] { exportWidget(list_, path, options); });
}

} // namespace headlight
