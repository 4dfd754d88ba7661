#include "views/attention/token_list_view.h"

#include "views/attention/clipboard_text.h"
#include "views/attention/token_find.h"
#include "views/attention/view_support.h"

#include <QAction>
#include <QDockWidget>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
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
    find_ = new QLineEdit(content);
    find_->setObjectName(QStringLiteral("tokenFind"));
    find_->setPlaceholderText(tr("Find (Ctrl+F)"));
    find_->setToolTip(tr("Highlights the tokens that contain this text; Enter or F3 selects the next one, "
                         "Shift+Enter or Shift+F3 the previous one"));
    find_->setClearButtonEnabled(true);
    find_->setMaximumWidth(220);
    findStatus_ = new QLabel(content);
    findStatus_->setObjectName(QStringLiteral("tokenFindStatus"));
    list_ = new QListWidget(content);
    list_->setFlow(QListView::LeftToRight);   // reading order, wrapped like text
    list_->setWrapping(true);
    list_->setResizeMode(QListView::Adjust);
    list_->setSpacing(1);
    list_->setSelectionMode(QAbstractItemView::SingleSelection);
    auto* top = new QHBoxLayout;
    top->addWidget(caption_, 1);
    top->addWidget(find_);
    top->addWidget(findStatus_);
    layout->addLayout(top);
    layout->addWidget(list_, 1);
    connect(list_, &QListWidget::currentRowChanged, this, [this](int row) {
        if (row >= 0 && row != this->selection()->position()) this->selection()->setPosition(row);
    });
    connect(find_, &QLineEdit::textChanged, this, [this] { updateMatches(); });
    find_->installEventFilter(this);   // Enter / Shift+Enter: next / previous match; Escape: done

    // Find: window-wide, as in any reader (the views follow the selected token).
    auto* startFind = new QAction(tr("Find a token"), this);
    startFind->setShortcut(QKeySequence::Find);
    startFind->setShortcutContext(Qt::WindowShortcut);
    connect(startFind, &QAction::triggered, this, &TokenListView::startFind);
    auto* next = new QAction(tr("Next match"), this);
    next->setShortcut(QKeySequence::FindNext);
    next->setShortcutContext(Qt::WindowShortcut);
    connect(next, &QAction::triggered, this, [this] { findNext(true); });
    auto* previous = new QAction(tr("Previous match"), this);
    previous->setShortcut(QKeySequence::FindPrevious);
    previous->setShortcutContext(Qt::WindowShortcut);
    connect(previous, &QAction::triggered, this, [this] { findNext(false); });
    addActions({startFind, next, previous});

    copyToken_ = new QAction(tr("Copy token"), content);
    copyToken_->setShortcut(QKeySequence::Copy);
    copyToken_->setShortcutContext(Qt::WidgetShortcut);   // on the list; the find box copies its own text
    copyToken_->setToolTip(tr("The selected token: its position, id and text, tab-separated"));
    connect(copyToken_, &QAction::triggered, this, [this] {
        if (snapshot().valid()) copyToClipboard(tokensText(snapshot(), shownPosition(*this->selection(), snapshot().tokens())));
    });
    list_->addAction(copyToken_);
    copyAll_ = new QAction(tr("Copy all tokens"), content);
    copyAll_->setToolTip(tr("Every token: its position, id and text, tab-separated"));
    connect(copyAll_, &QAction::triggered, this, [this] {
        if (snapshot().valid()) copyToClipboard(tokensText(snapshot()));
    });
    auto* separator = new QAction(content);
    separator->setSeparator(true);
    content->addActions({copyToken_, copyAll_, separator});   // before "Export figure..."
    setContent(content);
}

bool TokenListView::eventFilter(QObject* watched, QEvent* event) {
    if (watched == find_ && event->type() == QEvent::KeyPress) {
        const auto* key = static_cast<QKeyEvent*>(event);
        if (key->key() == Qt::Key_Return || key->key() == Qt::Key_Enter) {
            findNext(!(key->modifiers() & Qt::ShiftModifier));
            return true;
        }
        if (key->key() == Qt::Key_Escape) {
            find_->clear();
            list_->setFocus(Qt::OtherFocusReason);
            return true;
        }
    }
    return TraceView::eventFilter(watched, event);
}

QString TokenListView::explanation() const {
    return tr("<p>The whole text as the model reads it: one box per token, its position first. The selected "
              "token (the query every view shows) is highlighted; click a token to select it. The plots label "
              "every token only while there is room, so long texts are read here.</p>"
              "<p>Find (Ctrl+F) highlights the tokens that contain the text typed; Enter or F3 selects the next "
              "one. Ctrl+C copies the selected token, the context menu every token.</p>");
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
        matches_ = findTokens(run, find_->text());
        showMatches();
    }
    const int position = shownPosition(*selection(), T);
    const QSignalBlocker block(list_);
    list_->setCurrentRow(position);
    if (QListWidgetItem* item = list_->item(position)) list_->scrollToItem(item);
    caption_->setText(tr("Position %1 of %2: \u201c%3\u201d").arg(position).arg(T).arg(run.tokenLabel(position)));
    findStatus_->setText(findStatus());
}

QString TokenListView::findStatus() const {
    if (find_->text().isEmpty()) return {};
    if (matches_.isEmpty()) return tr("no match");
    const int at = static_cast<int>(matches_.indexOf(shownPosition(*selection(), snapshot().tokens())));
    if (at >= 0) return tr("%1 of %2").arg(at + 1).arg(matches_.size());
    return matches_.size() == 1 ? tr("1 match") : tr("%1 matches").arg(matches_.size());
}

bool TokenListView::findNext(bool forward) {
    if (!snapshot().valid()) return false;
    const int next = nextMatch(matches_, shownPosition(*selection(), snapshot().tokens()), forward);
    if (next >= 0) selection()->setPosition(next);   // every view follows; refresh() updates the status
    findStatus_->setText(findStatus());
    return next >= 0;
}

void TokenListView::startFind() {
    if (auto* dock = qobject_cast<QDockWidget*>(parentWidget())) {
        dock->show();
        dock->raise();
    }
    find_->setFocus(Qt::ShortcutFocusReason);
    find_->selectAll();
}

void TokenListView::updateMatches() {
    matches_ = findTokens(snapshot(), find_->text());
    showMatches();
    findStatus_->setText(findStatus());
}

void TokenListView::showMatches() {
    // The matches' boxes in a soft accent colour; the selected one keeps the selection's own.
    const QBrush highlight(faded(style().accent, 70));
    for (int i = 0; i < list_->count(); ++i) list_->item(i)->setBackground(QBrush());
    for (int i : matches_)
        if (QListWidgetItem* item = list_->item(i)) item->setBackground(highlight);
}

void TokenListView::exportFigure(const QString& path, const ExportOptions& options) {
    exportStyled(options, [&] { exportWidget(list_, path, options); });
}

} // namespace headlight
