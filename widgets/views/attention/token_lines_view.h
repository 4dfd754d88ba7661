#pragma once
// Token lines (the "head view"): the run's tokens twice, queries left and keys right, joined by lines whose
// opacity is the attention weight; several selected heads in distinct colours; hover a token for its lines.
#include "trace_view.h"
#include "views/attention/token_lines_controller.h"

#include <memory>

class QScrollArea;

namespace headlight {

class TokenLinesCanvas;

class TokenLinesView : public TraceView {
    Q_OBJECT
public:
    explicit TokenLinesView(HeadSelection* selection, QWidget* parent = nullptr);
    ~TokenLinesView() override;

    QString id() const override { return QStringLiteral("lines"); }
    QString title() const override { return tr("Token lines"); }
    QString explanation() const override;
    void exportFigure(const QString& path, const ExportOptions& requested) override;

    TokenLinesController* controller() const { return controller_.get(); }
    TokenLinesCanvas* canvas() const { return canvas_; }

protected:
    void refresh() override;
    // A short text (up to kEveryRowUpTo tokens) takes the height that gives every token its own labelled row at
    // the figure's font, as BertViz does; a longer one keeps the requested height and shows a window of rows.
    double figureHeightRatioAt(int widthPoints) const override;

private:
    static constexpr int kEveryRowUpTo = 40;
    std::unique_ptr<TokenLinesController> controller_;
    QScrollArea* scroll_;
    TokenLinesCanvas* canvas_;
};

} // namespace headlight
