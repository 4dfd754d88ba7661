#pragma once
// The token list: the whole text as its tokens, in reading order and wrapped like text, each with its position;
// the selected position is highlighted and clicking a token selects it. For long texts, where the plots'
// axes can only label some tokens. A find box (Ctrl+F) highlights the tokens that contain what is typed; Enter and
// F3 select the next one (Shift: the previous one). Ctrl+C and the context menu copy tokens as tab-separated text.
#include "trace_view.h"

#include <QList>

class QAction;
class QLabel;
class QLineEdit;
class QListWidget;

namespace headlight {

class TokenListView : public TraceView {
    Q_OBJECT
public:
    explicit TokenListView(HeadSelection* selection, QWidget* parent = nullptr);

    QString id() const override { return QStringLiteral("tokens"); }
    QString title() const override { return tr("Tokens"); }
    QString explanation() const override;
    void exportFigure(const QString& path, const ExportOptions& options) override;

    QListWidget* list() const { return list_; }
    // "Position 12 of 69: "x"" for the selected token.
    QString caption() const;

    // Find: the box, the positions that match it (ascending), and "3 of 12", "12 matches", "no match" or "".
    QLineEdit* findBox() const { return find_; }
    QList<int> matches() const { return matches_; }
    QString findStatus() const;
    // Selects the next (or previous) match after the selected position, wrapping; false when nothing matches.
    bool findNext(bool forward = true);
    // Ctrl+F: shows this view's dock and puts the cursor in the find box.
    void startFind();

    // Copy token (Ctrl+C): the selected token; Copy all tokens: every token (position, id, token).
    QAction* copyTokenAction() const { return copyToken_; }
    QAction* copyAllAction() const { return copyAll_; }

protected:
    void refresh() override;
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void updateMatches();
    void showMatches();

    QLabel* caption_;
    QLineEdit* find_;
    QLabel* findStatus_;
    QListWidget* list_;
    QAction* copyToken_;
    QAction* copyAll_;
    const Trace* shownTrace_ = nullptr;
    QList<int> matches_;
};

} // namespace headlight
