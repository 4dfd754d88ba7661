#pragma once
// The token list: the whole text as its tokens, in reading order and wrapped like text, each with its position;
// the selected position is highlighted and clicking a token selects it. For long texts, where the plots'
// axes can only label some tokens.
#include "trace_view.h"

class QLabel;
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

protected:
    void refresh() override;

private:
    QLabel* caption_;
    QListWidget* list_;
    const Trace* shownTrace_ = nullptr;
};

} // namespace headlight
