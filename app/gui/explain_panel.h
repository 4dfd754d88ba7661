#pragma once
// The Explain panel: for the view in focus, a short plain explanation and its formula, for teaching.
#include <QTextBrowser>

namespace headlight {

class TraceView;

class ExplainPanel : public QTextBrowser {
    Q_OBJECT
public:
    explicit ExplainPanel(QWidget* parent = nullptr);
    void explain(const TraceView* view);
    const TraceView* explained() const { return view_; }

private:
    const TraceView* view_ = nullptr;
};

} // namespace headlight
