#include "views/attention/token_lines_canvas.h"

#include "views/attention/view_support.h"

#include <QFontMetricsF>
#include <QMouseEvent>
#include <QWheelEvent>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <array>
#include <map>
#include <cmath>

namespace headlight {
namespace {
constexpr int kMargin = 8;
constexpr int kOpacityLevels = 64;
constexpr int kManyLines = 300;   // more lines in view are drawn thin and without antialiasing: Qt hands every
                                   // wide antialiased stroke to its thread pool, ~0.1 ms each (measured)
constexpr double kLeastStubOpacity = 0.15;   // a stub of lines at 0.01 must still be seen
}

TokenLinesCanvas::TokenLinesCanvas(TokenLinesController* controller, QWidget* parent)
    : QWidget(parent), controller_(controller), style_(PlotStyle::fromPalette(palette())) {
    setMouseTracking(true);
    setAttribute(Qt::WA_OpaquePaintEvent);
}

void TokenLinesCanvas::setPlotStyle(const PlotStyle& style) {
    style_ = style;
    update();
}

void TokenLinesCanvas::contentChanged() {
    windowShift_ = 0;
    setMinimumHeight(headerHeight() + 3 * preferredRowHeight() + kMargin);   // a few rows: the window does the rest
    updateGeometry();
    update();
}

int TokenLinesCanvas::rowCount() const {
    const int T = controller_->tokens();
    const double available = height() - headerHeight() - kMargin;
    if (T <= 0 || available / T >= kMinFitRow) return std::max(0, T);
    return std::clamp(static_cast<int>((available - 2 * markerHeight()) / preferredRowHeight()), 1, T);
}

int TokenLinesCanvas::firstRow() const {
    const int T = controller_->tokens(), rows = rowCount();
    if (rows >= T) return 0;
    // The selected position two thirds down: most of a causal query's keys come before it.
    const int position = std::clamp(controller_->position(), 0, T - 1);
    return std::clamp(position - rows * 2 / 3 + windowShift_, 0, T - rows);
}

void TokenLinesCanvas::scrollRows(int rows) {
    const int before = firstRow();
    windowShift_ += rows;
    const int T = controller_->tokens(), count = rowCount();
    const int position = std::clamp(controller_->position(), 0, std::max(0, T - 1));
    windowShift_ = firstRow() - (position - count * 2 / 3);   // clamped: no shift builds up past the ends
    if (firstRow() != before) update();
}

void TokenLinesCanvas::wheelEvent(QWheelEvent* event) {
    if (rowCount() >= controller_->tokens()) return QWidget::wheelEvent(event);
    scrollRows(-event->angleDelta().y() / 40);   // 3 rows a notch
    event->accept();
}

int TokenLinesCanvas::preferredRowHeight() const {
    // A line of text and no more: a 25-token text fits a dock without scrolling (rows grow when there is room).
    return static_cast<int>(std::ceil(QFontMetricsF(style_.font).height())) + 1;
}

int TokenLinesCanvas::headerHeight() const {
    // The legend's two lines (paintLegend) and 2 px, so its second line never touches the first row's labels.
    return static_cast<int>(std::ceil(QFontMetricsF(style_.font).height() * 2)) + kMargin + 2;
}

int TokenLinesCanvas::markerHeight() const { return static_cast<int>(std::ceil(QFontMetricsF(style_.font).height())) + 2; }

double TokenLinesCanvas::rowsTop() const { return headerHeight() + (windowed() ? markerHeight() : 0); }

// Label columns: wide enough for short tokens, leaving the rest of a wide widget to the lines.
double TokenLinesCanvas::textWidth() const { return std::clamp((width() - 2.0 * kMargin) * 0.3, 40.0, 160.0); }

double TokenLinesCanvas::rowHeight() const {
    const int rows = std::max(1, rowCount());
    const double available = (height() - rowsTop() - kMargin - (windowed() ? markerHeight() : 0)) / static_cast<double>(rows);
    return std::clamp(available, 0.5, preferredRowHeight() * 1.5);
}

double TokenLinesCanvas::rowCenter(int index) const {
    return rowsTop() + (index - firstRow() + 0.5) * rowHeight();
}

QPointF TokenLinesCanvas::tokenAnchor(TokenRef token) const {
    const double x = token.side == TokenSide::Query ? kMargin + textWidth() + 4 : width() - kMargin - textWidth() - 4;
    return {x, rowCenter(token.index)};
}

std::optional<TokenRef> TokenLinesCanvas::tokenAt(const QPointF& pos) const {
    const int T = controller_->tokens();
    if (T <= 0) return std::nullopt;
    const int row = static_cast<int>(std::floor((pos.y() - rowsTop()) / rowHeight()));
    if (row < 0 || row >= rowCount()) return std::nullopt;
    const int index = firstRow() + row;
    if (index < 0 || index >= T) return std::nullopt;
    if (pos.x() >= kMargin && pos.x() <= kMargin + textWidth() + 4) return TokenRef{TokenSide::Query, index};
    if (pos.x() >= width() - kMargin - textWidth() - 4 && pos.x() <= width() - kMargin)
        return TokenRef{TokenSide::Key, index};
    return std::nullopt;
}

QSize TokenLinesCanvas::sizeHint() const {
    const int rows = std::clamp(controller_->tokens(), 1, 48);   // a long text asks no more than a window's height
    return {360, headerHeight() + rows * preferredRowHeight() + kMargin};
}

void TokenLinesCanvas::paintLegend(QPainter& painter) {
    const QFontMetricsF metrics(style_.font);
    double x = kMargin;
    const double y = kMargin + metrics.ascent();
    const QList<HeadRef> heads = controller_->heads();
    painter.setPen(style_.foreground);
    for (int k = 0; k < heads.size(); ++k) {
        const QString name = controller_->headLabel(heads[k]);
        const QString more = tr("+%1 more").arg(heads.size() - k);
        if (k > 0 && x + 14 + metrics.horizontalAdvance(name) + metrics.horizontalAdvance(more) > width() - kMargin) {
            painter.drawText(QPointF(x, y), more);   // the rest would not fit on the line
            break;
        }
        painter.fillRect(QRectF(x, y - metrics.ascent() + 2, 10, 10), TokenLinesController::seriesColorOf(k));
        x += 14;
        painter.drawText(QPointF(x, y), name);
        x += metrics.horizontalAdvance(name) + 14;
    }
    painter.setPen(faded(style_.foreground, 150));
    QString key = tr("query \u2192 key, opacity = weight (\u2265 %1)").arg(TokenLinesController::kMinWeight);
    const int T = controller_->tokens(), first = firstRow(), rows = rowCount();
    if (rows < T)   // a window of a long text: which part, and that lines to the rest run to its edges
        key += tr("; tokens %1\u2013%2 of %3 (wheel or click \u2191 \u2193: move)").arg(first).arg(first + rows - 1).arg(T);
    painter.drawText(QPointF(kMargin, y + metrics.height()), metrics.elidedText(key, Qt::ElideRight, width() - 2 * kMargin));
}

void TokenLinesCanvas::paintLabels(QPainter& painter, const QRect& exposed) {
    const QFontMetricsF metrics(style_.font);
    const int T = controller_->tokens();
    const double row = rowHeight();
    const int stride = std::max(1, static_cast<int>(std::ceil(metrics.height() / row)));   // no overlapping labels
    const std::optional<TokenRef> hovered = controller_->hovered();
    const int position = controller_->position();
    const double text = textWidth();
    const int window = firstRow();
    const double top = rowsTop();
    const int first = std::max(window, window + static_cast<int>((exposed.top() - top) / row) - 1);
    const int last = std::min({T - 1, window + rowCount() - 1, window + static_cast<int>((exposed.bottom() - top) / row) + 1});
    for (int i = first; i <= last; ++i) {
        for (TokenSide side : {TokenSide::Query, TokenSide::Key}) {
            const bool isHovered = hovered && hovered->side == side && hovered->index == i;
            const bool isPosition = side == TokenSide::Query && i == position;
            const QRectF box(side == TokenSide::Query ? kMargin : width() - kMargin - text,
                             top + (i - window) * row, text, row);
            if (isHovered || isPosition) painter.fillRect(box, faded(style_.accent, isHovered ? 110 : 60));
            if (i % stride != 0 && !isHovered && !isPosition) continue;
            QFont font = style_.font;
            font.setBold(isHovered || isPosition);
            painter.setFont(font);
            painter.setPen(style_.foreground);
            const QRectF textBox(box.left(), box.center().y() - metrics.height() / 2, box.width(), metrics.height());
            const QStringList& labels = side == TokenSide::Query ? controller_->labels() : controller_->keyLabels();
            if (i >= labels.size()) continue;   // cross-attention: the shorter side's column ends early
            const QString label = metrics.elidedText(labels.value(i), Qt::ElideRight, text - 4);
            painter.drawText(textBox.adjusted(2, 0, -2, 0),
                             (side == TokenSide::Query ? Qt::AlignRight : Qt::AlignLeft) | Qt::AlignVCenter, label);
        }
    }
}

QString TokenLinesCanvas::edgeText(const EdgeMarker& marker, bool above) const {
    if (marker.count == 0) return {};
    const TokenLine& s = marker.strongest;
    const auto token = [&](int i, const QStringList& labels) { return QStringLiteral("%1 \u2018%2\u2019").arg(i).arg(labels.value(i)); };
    return tr("%1 %2 %3 to tokens %4 \u00b7 strongest %5: %6 \u2192 %7")
        .arg(above ? QStringLiteral("\u2191") : QStringLiteral("\u2193"))
        .arg(marker.count)
        .arg(marker.count == 1 ? tr("line") : tr("lines"))
        .arg(above ? tr("above") : tr("below"))
        .arg(QString::number(s.weight, 'f', 2), token(s.query, controller_->labels()), token(s.key, controller_->keyLabels()));
}

QString TokenLinesCanvas::markerText(bool above) const {
    if (!windowed()) return {};
    const TokenLinesWindow lines = window();
    return edgeText(above ? lines.above : lines.below, above);
}

QRectF TokenLinesCanvas::markerRect(bool above) const {
    const double y = above ? headerHeight() : rowsTop() + rowCount() * rowHeight();
    return {static_cast<double>(kMargin), y, width() - 2.0 * kMargin, static_cast<double>(markerHeight())};
}

QStringList TokenLinesCanvas::notes() const {
    // Every line of the text, not only the hovered token's: a head without a line here is what needs saying.
    const int first = firstRow(), last = first + rowCount() - 1, series = controller_->heads().size();
    std::vector<bool> touches(static_cast<size_t>(series), false);
    for (const TokenLine& line : controller_->allLines())
        if ((line.query >= first && line.query <= last) || (line.key >= first && line.key <= last))
            touches[static_cast<size_t>(line.series)] = true;
    QStringList out;
    for (int k = 0; k < series; ++k)
        if (!touches[static_cast<size_t>(k)]) out << controller_->faintNote(controller_->spreadOf(k, first, last), first, last);
    return out;
}

void TokenLinesCanvas::paintEvent(QPaintEvent* event) {
    QPainter painter(this);
    const QRect exposed = event->rect();
    painter.fillRect(exposed, style_.background);
    painter.setFont(style_.font);
    if (exposed.top() < headerHeight()) paintLegend(painter);
    const TokenLinesWindow lines = window();
    paintInside(painter, lines.inside, exposed);
    paintStubs(painter, lines);
    paintLabels(painter, exposed);
    paintNotes(painter);
}

void TokenLinesCanvas::paintInside(QPainter& painter, const QVector<TokenLine>& inside, const QRect& exposed) {
    const double left = tokenAnchor({TokenSide::Query, 0}).x(), right = tokenAnchor({TokenSide::Key, 0}).x();
    // Only the exposed rows (with a causal mask the key end is the upper one; without, either).
    const double top = std::max<double>(exposed.top() - 2.0, rowsTop());
    const double bottom = std::min<double>(exposed.bottom() + 2.0, rowsTop() + rowCount() * rowHeight());
    // Segments landing on the same pixels (distant queries drawn to one key) merge into one line of their
    // combined opacity 1 - prod(1 - weight): what drawing them over each other shows, at a fraction of the cost.
    struct Merged {
        QLineF segment;
        double transparency = 1.0;
    };
    std::map<std::array<long, 5>, Merged> merged;   // (series, pixel ends) -> line
    for (const TokenLine& line : inside) {
        const double yQuery = rowCenter(line.query), yKey = rowCenter(line.key);
        if (std::max(yQuery, yKey) < top || std::min(yQuery, yKey) > bottom) continue;
        // Only the exposed part: a line across thousands of rows costs QPainter its full length otherwise.
        const auto at = [&](double y) { return QPointF(left + (right - left) * (y - yQuery) / (yKey - yQuery), y); };
        // An end outside the exposed rows is moved onto its edge (yQuery != yKey then: no 0/0).
        const QPointF from = yQuery > bottom ? at(bottom) : yQuery < top ? at(top) : QPointF(left, yQuery);
        const QPointF to = yKey < top ? at(top) : yKey > bottom ? at(bottom) : QPointF(right, yKey);
        const std::array<long, 5> key{line.series, std::lround(from.x()), std::lround(from.y()), std::lround(to.x()),
                                      std::lround(to.y())};
        Merged& m = merged.try_emplace(key, Merged{QLineF(from, to)}).first->second;
        m.transparency *= 1.0 - TokenLinesController::opacity(line);
    }
    const bool many = static_cast<int>(merged.size()) > kManyLines;
    painter.setRenderHint(QPainter::Antialiasing, !many);
    const double width = many ? 1.0 : rowHeight() >= 6 ? 2.0 : 1.0;
    // Drawn in batches of one pen (series, opacity in 1/64 steps): switching pens per line costs too.
    std::map<int, QVector<QLineF>> batches;
    for (const auto& [key, m] : merged) {
        const long level = std::lround((1.0 - m.transparency) * kOpacityLevels);
        if (level > 0) batches[static_cast<int>(key[0] * (kOpacityLevels + 1) + level)] << m.segment;
    }
    for (const auto& [pen, segments] : batches) {
        QColor color = TokenLinesController::seriesColorOf(pen / (kOpacityLevels + 1));
        color.setAlphaF(static_cast<float>(pen % (kOpacityLevels + 1)) / kOpacityLevels);
        painter.setPen(QPen(color, width));
        painter.drawLines(segments);
    }
    painter.setRenderHint(QPainter::Antialiasing, false);
}

void TokenLinesCanvas::paintStubs(QPainter& painter, const TokenLinesWindow& lines) {
    if (lines.stubs.isEmpty()) return;
    const double left = tokenAnchor({TokenSide::Query, 0}).x(), right = tokenAnchor({TokenSide::Key, 0}).x();
    const double length = std::clamp((right - left) * 0.2, 12.0, 48.0);
    QFont small = style_.font;
    if (small.pointSizeF() > 0) small.setPointSizeF(small.pointSizeF() * 0.8);
    const QFontMetricsF metrics(small);
    const bool counts = rowHeight() >= metrics.height() * 0.9;   // room for a count beside each stub
    painter.save();   // stubs (and their counts) stay within the rows: the edge bands hold the markers
    painter.setClipRect(QRectF(0, rowsTop(), width(), rowCount() * rowHeight()));
    painter.setRenderHint(QPainter::Antialiasing, true);
    painter.setFont(small);
    for (const LineStub& stub : lines.stubs) {
        // Towards the other column and the edge its lines leave by, fading out: "more lines, that way".
        const QPointF start = tokenAnchor(stub.token);
        const double dx = stub.token.side == TokenSide::Query ? length : -length;
        const QPointF end = start + QPointF(dx, stub.up ? -length * 0.5 : length * 0.5);
        QColor color = TokenLinesController::seriesColorOf(stub.series);
        color.setAlphaF(static_cast<float>(std::max(stub.opacity, kLeastStubOpacity)));
        // Faded in three steps rather than a gradient pen: PDF writers drop a gradient's transparency.
        for (int step = 0; step < 3; ++step) {
            QColor piece = color;
            piece.setAlphaF(color.alphaF() * (1.0f - step / 3.0f));
            painter.setPen(QPen(piece, 2.0, Qt::SolidLine, Qt::FlatCap));
            painter.drawLine(start + (end - start) * (step / 3.0), start + (end - start) * ((step + 1) / 3.0));
        }
        if (!counts || stub.count < 2) continue;
        const QString count = QString::number(stub.count);
        const double w = metrics.horizontalAdvance(count);
        const QPointF at(stub.token.side == TokenSide::Query ? end.x() + 2 : end.x() - 2 - w, end.y() + metrics.ascent() / 2);
        painter.setPen(faded(TokenLinesController::seriesColorOf(stub.series), 220));
        painter.drawText(at, count);
    }
    painter.restore();
    const QFontMetricsF font(style_.font);
    painter.setPen(faded(style_.foreground, 200));
    for (bool above : {true, false}) {
        const QString text = edgeText(above ? lines.above : lines.below, above);
        const QRectF box = markerRect(above);
        painter.drawText(box, Qt::AlignCenter, font.elidedText(text, Qt::ElideRight, box.width()));
    }
}

void TokenLinesCanvas::paintNotes(QPainter& painter) {
    const QStringList lines = notes();
    if (lines.isEmpty()) return;
    // Between the columns, over any lines of the other heads: the reason an expected line is missing.
    const double left = tokenAnchor({TokenSide::Query, 0}).x() + 4, right = tokenAnchor({TokenSide::Key, 0}).x() - 4;
    const QString text = lines.join(QLatin1Char('\n'));
    const QFontMetricsF metrics(style_.font);
    const int flags = Qt::AlignCenter | Qt::TextWordWrap;
    const QRectF needed = metrics.boundingRect(QRectF(0, 0, right - left, 1e6), flags, text);
    const double rowsBottom = rowsTop() + rowCount() * rowHeight();
    const double y = std::max(rowsTop(), (rowsTop() + rowsBottom - needed.height()) / 2);
    const QRectF box(left, y, right - left, needed.height());
    painter.fillRect(box.adjusted(-2, -2, 2, 2), faded(style_.background, 230));
    painter.setPen(style_.foreground);
    painter.drawText(box, flags, text);
}

void TokenLinesCanvas::mouseMoveEvent(QMouseEvent* event) {
    const std::optional<TokenRef> token = tokenAt(event->position());
    if (token != controller_->hovered()) {
        controller_->setHovered(token);
        update();
    }
    QWidget::mouseMoveEvent(event);
}

void TokenLinesCanvas::mousePressEvent(QMouseEvent* event) {
    if (event->button() == Qt::LeftButton) {
        if (const std::optional<TokenRef> token = tokenAt(event->position())) emit tokenClicked(token->index);
        for (bool above : {true, false})   // an edge marker turns the window a page its way
            if (windowed() && markerRect(above).contains(event->position())) scrollRows((above ? -1 : 1) * std::max(1, rowCount() - 1));
    }
    QWidget::mousePressEvent(event);
}

void TokenLinesCanvas::leaveEvent(QEvent* event) {
    if (controller_->hovered()) {
        controller_->setHovered(std::nullopt);
        update();
    }
    QWidget::leaveEvent(event);
}

} // namespace headlight
