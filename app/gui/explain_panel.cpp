#include "explain_panel.h"

#include "trace_view.h"

namespace headlight {

ExplainPanel::ExplainPanel(QWidget* parent) : QTextBrowser(parent) {
    setOpenExternalLinks(true);
    setObjectName(QStringLiteral("explainPanel"));
    setHtml(tr("<p>Click a view to see what it shows and how it is computed.</p>"));
}

void ExplainPanel::explain(const TraceView* view) {
    view_ = view;
    if (!view) return;
    QString html = QStringLiteral("<h3>%1</h3>%2").arg(view->title().toHtmlEscaped(), view->explanation());
    if (!view->unavailableReason().isEmpty())
        html += QStringLiteral("<p><i>%1</i></p>").arg(view->unavailableReason().toHtmlEscaped());
    else
        html += view->symbolCaption();   // the symbols its titles use now ("(L0)", "F ≥ 1"), in words
    setHtml(html);
}

} // namespace headlight
