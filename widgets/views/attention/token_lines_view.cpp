#include "views/attention/token_lines_view.h"

#include "views/attention/token_lines_canvas.h"

#include <QScrollArea>

#include <algorithm>

namespace headlight {
namespace {
constexpr int kMaxExportHeight = 2400;   // points: a long text is compressed (labels thin out) rather than cut
constexpr int kMinExportWidth = 480;
}

TokenLinesView::TokenLinesView(HeadSelection* selection, QWidget* parent)
    : TraceView(selection, parent), controller_(std::make_unique<TokenLinesController>()) {
    scroll_ = new QScrollArea(this);
    scroll_->setWidgetResizable(true);
    scroll_->setFrameShape(QFrame::NoFrame);
    canvas_ = new TokenLinesCanvas(controller_.get());
    scroll_->setWidget(canvas_);
    connect(canvas_, &TokenLinesCanvas::tokenClicked, this, [this](int index) { this->selection()->setPosition(index); });
    setContent(scroll_);
}

TokenLinesView::~TokenLinesView() = default;

QString TokenLinesView::explanation() const {
    return tr("<p>Each token appears twice: on the left as a query (the token that is looking), on the right as "
              "a key (the token looked at). A line joins them with an opacity equal to the attention weight, so "
              "solid lines show where this head takes its information from. Hover a token to see only its lines; "
              "select several heads (Ctrl+click in the overview) to compare them in different colours.</p>"
              "<p>Line opacity = <i>p<sub>ij</sub></i> = softmax<sub>j&le;i</sub>(q<sub>i</sub>&middot;k<sub>j</sub> "
              "/ &radic;d); weights under 0.01 are not drawn (a head with none says so).</p>"
              "<p>A long text shows a window of tokens that follows the selected one: lines to tokens outside it "
              "end in short faded stubs at the edge, and the bands above and below count them and name the "
              "strongest; click a band to move the window a page.</p>");
}

void TokenLinesView::refresh() {
    const QString problem = controller_->update(snapshot(), *selection());
    canvas_->setPlotStyle(style());
    canvas_->contentChanged();
    if (!problem.isEmpty()) setUnavailable(problem);
}

double TokenLinesView::figureHeightRatioAt(int widthPoints) const {
    const int T = controller_->tokens();
    if (T <= 0 || T > kEveryRowUpTo || widthPoints <= 0) return 0;
    TokenLinesCanvas probe(controller_.get());   // measured in the figure's style, whatever the screen shows
    probe.setPlotStyle(PlotStyle::publication());
    return layoutPointsFor(probe.sizeHint().height()) / widthPoints;
}

void TokenLinesView::exportFigure(const QString& path, const ExportOptions& requested) {
    const ExportOptions options = figureOptions(requested);
    exportStyled(options, [&] {
        // A canvas of its own: the on-screen one is sized by its scroll area, which would undo the export's size.
        TokenLinesCanvas figure(controller_.get());
        figure.setPlotStyle(style());
        figure.setScrollable(false);
        ExportOptions fitted = options;
        if (fitted.size.isEmpty()) {   // the whole text as laid out (also before the view was ever shown)
            const QSize full = canvas_->size().expandedTo(canvas_->sizeHint());
            fitted.size = QSize(std::max(kMinExportWidth, full.width()), std::min(full.height(), kMaxExportHeight));
        }
        figure.resize(fitted.size);
        exportWidget(&figure, path, fitted);
    });
}

} // namespace headlight
