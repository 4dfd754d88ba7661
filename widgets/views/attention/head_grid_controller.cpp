#include "views/attention/head_grid_controller.h"

#include "views/attention/head_overview_model.h"
#include "views/attention/view_support.h"

#include <QFontMetrics>
#include <QPainter>

#include <algorithm>
#include <cmath>

namespace headlight {
namespace {

// Viridis, as the attention matrix draws weights.
QRgb viridis(double t) {
    static const QColor stops[] = {{68, 1, 84},    {72, 40, 120},  {62, 74, 137},  {49, 104, 142}, {38, 130, 142},
                                   {31, 158, 137}, {53, 183, 121}, {110, 206, 88}, {253, 231, 37}};
    t = std::clamp(t, 0.0, 1.0) * 8.0;
    const int i = std::min(7, static_cast<int>(t));
    const double f = t - i;
    const QColor& a = stops[i];
    const QColor& b = stops[i + 1];
    return qRgb(static_cast<int>(a.red() + f * (b.red() - a.red())), static_cast<int>(a.green() + f * (b.green() - a.green())),
                static_cast<int>(a.blue() + f * (b.blue() - a.blue())));
}

// One head's [T,K] block (K = T but for cross-attention) as an n x m picture: row r is query row (r+1)*T/n - 1
// (the block's last query, the one that sees the most keys), column c the largest weight over keys of block c,
// so thin diagonals and single-token stripes stay visible however long the text.
QImage thumbnailOf(const float* a, int T, int K) {
    const int n = std::min(T, HeadGridController::kMaxThumb), m = std::min(K, HeadGridController::kMaxThumb);
    std::vector<float> cells(static_cast<size_t>(n) * m, 0.0f);
    float largest = 0;
    for (int r = 0; r < n; ++r) {
        const int i = static_cast<int>((static_cast<int64_t>(r) + 1) * T / n) - 1;
        const float* row = a + static_cast<int64_t>(i) * K;
        for (int c = 0; c < m; ++c) {
            const int from = static_cast<int>(static_cast<int64_t>(c) * K / m);
            const int to = std::max(from + 1, static_cast<int>((static_cast<int64_t>(c) + 1) * K / m));
            float v = 0;
            for (int j = from; j < to; ++j) v = std::max(v, row[j]);
            cells[static_cast<size_t>(r) * m + c] = v;
            largest = std::max(largest, v);
        }
    }
    QImage image(m, n, QImage::Format_RGB32);
    const float scale = largest > 0 ? 1.0f / largest : 0.0f;
    for (int r = 0; r < n; ++r) {
        auto* line = reinterpret_cast<QRgb*>(image.scanLine(r));
        for (int c = 0; c < m; ++c) line[c] = viridis(cells[static_cast<size_t>(r) * m + c] * scale);
    }
    return image;
}

} // namespace

QColor HeadGridController::frameColor(double v, double low, double high) {
    if (!std::isfinite(v)) return QColor(150, 150, 150);
    const double t = high > low ? std::clamp((v - low) / (high - low), 0.0, 1.0) : 0.5;
    // From a light sand to a dark red-orange: apart from viridis' blues and greens inside the thumbnails.
    const QColor a(253, 224, 160), b(179, 40, 0);
    return QColor(static_cast<int>(a.red() + t * (b.red() - a.red())), static_cast<int>(a.green() + t * (b.green() - a.green())),
                  static_cast<int>(a.blue() + t * (b.blue() - a.blue())));
}

void HeadGridController::setRun(const RunSnapshot& run) {
    if (run.trace == run_.trace && run.model == run_.model) return;
    run_ = run;
    layers_ = run.layers();
    heads_ = run.heads();
    // An encoder-decoder model's three kinds of attention, each a block of rows under its name.
    blockStarts_.clear();
    blockNames_.clear();
    if (run.encoderDecoder())
        for (const AttentionBlock& b : run.model->blocks) {
            blockStarts_ << b.first;
            blockNames_ << QString::fromStdString(b.name);
        }
    thumbs_.assign(static_cast<size_t>(layers_) * heads_, QImage());
    for (int l = 0; l < layers_; ++l) {
        // A long run keeps one head's matrix: every head's thumbnail comes from the max-pooled picture the
        // engine made of it in the forward pass (the same picture for every head, captured or not).
        const LayerDigest* d = run.trace->digest(l);
        const bool pooled = d && d->bin > 0 && d->pooledMax.rank() == 3 && d->pooledMax.dim(0) == heads_;
        for (int h = 0; h < heads_; ++h) {
            QImage& thumb = thumbs_[static_cast<size_t>(l) * heads_ + h];
            if (pooled) {
                const int64_t side = d->pooledMax.dim(1);
                thumb = thumbnailOf(d->pooledMax.data() + h * side * side, static_cast<int>(side), static_cast<int>(side));
            } else if (const float* a = headAttention(run, HeadRef{l, h})) {
                thumb = thumbnailOf(a, run.queryCount(l), run.keyCount(l));
            }
        }
    }
}

const QImage& HeadGridController::thumbnail(int layer, int head) const {
    static const QImage none;
    if (layer < 0 || head < 0 || layer >= layers_ || head >= heads_) return none;
    return thumbs_[static_cast<size_t>(layer) * heads_ + head];
}

QSize HeadGridController::minimumSize(const QFont& font) const {
    const QFontMetrics fm(font);
    const int labelW = fm.horizontalAdvance(QStringLiteral("L00")) + 6;
    const int labelH = fm.height() + 2;
    return {labelW + heads_ * (kMinCell + 1) + 4,
            labelH + fm.height() / 2 + layers_ * (kMinCell + 1) + blockHeaders(fm) + 3 * fm.height() + 12};
}

int HeadGridController::heightFor(int width, const QFont& font) const {
    if (layers_ <= 0 || heads_ <= 0) return 0;
    const QFontMetrics fm(font);
    const int labelW = fm.horizontalAdvance(QStringLiteral("L%1").arg(std::max(0, layers_ - 1))) + 6;
    const int pitch = std::max(kMinCell + 1, (width - labelW - 4) / heads_);
    const int cell = pitch - (pitch >= 24 ? 3 : pitch >= 12 ? 2 : 1);
    const int top = std::max(4, (fm.height() - cell) / 2 + 3);   // as layout() places the first row, and a margin
    // + 2: the figure's height goes through whole points and back to pixels, and one pixel short costs every
    // row a pixel of pitch.
    return fm.height() + 2 + top + layers_ * pitch + blockHeaders(fm) + legendFor(width - labelW - 4, fm, cell >= kMinTaggedCell).height + 2;
}

int HeadGridController::blockHeaders(const QFontMetrics& fm) const { return blockStarts_.size() * (fm.height() + 4); }

int HeadGridController::blockIndex(int layer) const {
    int k = -1;
    for (int b = 0; b < blockStarts_.size(); ++b)
        if (layer >= blockStarts_[b]) k = b;
    return k;
}

int HeadGridController::rowTop(int layer) const {
    return origin_.y() + layer * (cell_ + gap_) + (blockIndex(layer) + 1) * blockHeader_;
}

QRect HeadGridController::blockLabelRect(int block) const {
    if (block < 0 || block >= blockStarts_.size()) return {};
    const int top = rowTop(blockStarts_[block]) - blockHeader_;
    return {labelWidth_ > 0 ? 2 : 0, top + 1, size_.width() - 4, blockHeader_ - 3};
}

QString HeadGridController::legendName() const { return QObject::tr("Frame: %1").arg(metric_->metricName()); }

std::pair<QString, QString> HeadGridController::scaleTexts() const {
    const auto [low, high] = frameRange();
    return {metric_->formatCell(low), metric_->formatCell(high)};
}

int HeadGridController::scaleWidth(int width, const QFontMetrics& fm) const {
    const auto [low, high] = scaleTexts();
    const int lowW = fm.horizontalAdvance(low) + 4, highW = fm.horizontalAdvance(high) + 4;
    return lowW + std::clamp(width - lowW - highW - 8, 20, 120) + 4 + highW;
}

QString HeadGridController::marksText() const {
    bool closed = false, pruned = false;
    for (int l = 0; l < layers_; ++l)
        for (int h = 0; h < heads_; ++h) {
            closed = closed || metric_->isClosed(l, h);
            pruned = pruned || metric_->isPruned(l, h);
        }
    QStringList marks;   // as the overview's legend words them
    if (closed) marks << QObject::tr("\u2715 gate closed");
    if (pruned) marks << QObject::tr("\u2571 pruned in this run (dashed)");
    return marks.join(QStringLiteral("   "));
}

HeadGridController::Legend HeadGridController::legendFor(int width, const QFontMetrics& fm, bool withRoles) const {
    Legend legend;
    if (!metric_) return legend;
    if (withRoles) legend.roleTexts = metric_->roleLegendEntries();
    // Name, colour scale and marks side by side while they fit: a legend of three full lines took a third of
    // a two-layer grid's figure.
    const QString marks = marksText();
    const int widths[3] = {fm.horizontalAdvance(legendName()), scaleWidth(width, fm),
                           marks.isEmpty() ? 0 : fm.horizontalAdvance(marks)};
    QRect* boxes[3] = {&legend.name, &legend.scale, &legend.marks};
    const int space = fm.horizontalAdvance(QStringLiteral("   ")), line = fm.height() + 2;
    int x = 0, y = 0;
    for (int k = 0; k < 3; ++k) {
        if (widths[k] == 0) continue;
        if (x > 0 && x + widths[k] > width) {
            x = 0;
            y += line;
        }
        *boxes[k] = QRect(x, y, widths[k], fm.height());
        x += widths[k] + space;
    }
    for (const QString& text : legend.roleTexts) {   // each tag's meaning, flowing on
        const int w = fm.horizontalAdvance(text);
        if (x > 0 && x + w > width) {
            x = 0;
            y += line;
        }
        legend.roles << QRect(x, y, w, fm.height());
        x += w + space;
    }
    legend.height = y + line + 4;   // and the gap above it
    return legend;
}

void HeadGridController::layout(QSize size, const QFont& font) {
    size_ = size;
    const QFontMetrics fm(font);
    labelWidth_ = fm.horizontalAdvance(QStringLiteral("L%1").arg(std::max(0, layers_ - 1))) + 6;
    labelHeight_ = fm.height() + 2;
    blockHeader_ = blockStarts_.isEmpty() ? 0 : fm.height() + 4;
    if (layers_ <= 0 || heads_ <= 0) {
        legend_ = legendFor(size.width() - labelWidth_ - 4, fm);
        legendHeight_ = legend_.height;
        cell_ = 0;
        return;
    }
    const int width = size.width() - labelWidth_ - 4;
    // The role tags' key takes legend lines: with it the cells may become too small for the tags, then without it.
    int pitch = 0;
    for (bool withRoles : {true, false}) {
        legend_ = legendFor(width, fm, withRoles);
        legendHeight_ = legend_.height;
        const int height = size.height() - labelHeight_ - legendHeight_ - 4 - blockHeaders(fm);
        pitch = std::max(kMinCell + 1, std::min(width / heads_, height / layers_));
        tagsShown_ = withRoles && !legend_.roleTexts.isEmpty() && pitch - (pitch >= 24 ? 3 : pitch >= 12 ? 2 : 1) >= kMinTaggedCell;
        if (tagsShown_ || legend_.roleTexts.isEmpty()) break;
    }
    gap_ = pitch >= 24 ? 3 : pitch >= 12 ? 2 : 1;
    cell_ = pitch - gap_;
    // Centred horizontally, top-aligned.
    const int used = heads_ * pitch;
    // A row label is a font height tall, centred on its row: the first keeps clear of the column labels.
    origin_ = QPoint(labelWidth_ + std::max(0, (width - used) / 2), labelHeight_ + std::max(2, (fm.height() - cell_) / 2 + 1));
    // Labels every head when they fit the pitch, else every 2nd, 5th, 10th...
    auto stepFor = [pitch](int textSize) {
        for (int s : {1, 2, 5, 10, 20, 50})
            if (s * pitch >= textSize + 2) return s;
        return 100;
    };
    labelColumnWidth_ = fm.horizontalAdvance(QStringLiteral("H%1").arg(std::max(0, heads_ - 1)));
    columnStep_ = stepFor(labelColumnWidth_);
    rowStep_ = stepFor(fm.height());
    // The legend under the grid, from its left edge (or the labels' when the grid is centred in a wide page).
    int extent = 0;
    for (const QRect& r : {legend_.name, legend_.scale, legend_.marks}) extent = std::max(extent, r.right() + 1);
    for (const QRect& r : legend_.roles) extent = std::max(extent, r.right() + 1);
    const int left = origin_.x() + extent <= size.width() ? origin_.x() : labelWidth_;
    const QPoint at(left, rowTop(std::max(0, layers_ - 1)) + pitch + 4);
    for (QRect* r : {&legend_.name, &legend_.scale, &legend_.marks})
        if (!r->isNull()) r->translate(at);
    for (QRect& r : legend_.roles) r.translate(at);
}

QRect HeadGridController::cellRect(HeadRef head) const {
    const int pitch = cell_ + gap_;
    return {origin_.x() + head.head * pitch, rowTop(head.layer), cell_, cell_};
}

std::optional<HeadRef> HeadGridController::headAt(QPoint pixel) const {
    const int pitch = cell_ + gap_;
    if (cell_ <= 0 || pixel.x() < origin_.x() || pixel.y() < origin_.y()) return std::nullopt;
    const int h = (pixel.x() - origin_.x()) / pitch;
    if (h >= heads_) return std::nullopt;
    for (int l = 0; l < layers_; ++l)   // rows sit below their block's name: no one pitch from the top
        if (pixel.y() >= rowTop(l) && pixel.y() < rowTop(l) + pitch) return HeadRef{l, h};
    return std::nullopt;
}

QString HeadGridController::rowLabel(int layer) const { return run_.rowName(layer); }

QRect HeadGridController::rowLabelRect(int layer) const {
    const QRect cell = cellRect(HeadRef{layer, 0});
    const int h = labelHeight_ - 2;   // the font's height
    return {0, cell.center().y() - h / 2, labelWidth_ - 4, h};
}

QRect HeadGridController::columnLabelRect(int head) const {
    const QRect cell = cellRect(HeadRef{0, head});
    const int width = labelColumnWidth_ + 2;   // "H<last head>", the widest
    return {cell.center().x() - width / 2, 0, width, labelHeight_};
}

HeadGridController::HeadMark HeadGridController::markOf(HeadRef head) const {
    HeadMark mark;
    if (!metric_) return mark;
    const QRect r = cellRect(head);
    const bool pruned = metric_->isPruned(head.layer, head.head), closed = metric_->isClosed(head.layer, head.head);
    if (closed) mark.solid = {QLine(r.topLeft(), r.bottomRight()), QLine(r.bottomLeft(), r.topRight())};
    if (pruned) mark.dashed = {QLine(r.bottomLeft(), r.topRight())};
    mark.dimmed = pruned || closed;
    return mark;
}

std::pair<double, double> HeadGridController::frameRange() const { return metric_ ? metric_->colorRange() : std::pair{0.0, 1.0}; }

QString HeadGridController::toolTip(HeadRef head) const {
    if (head.layer < 0 || head.head < 0 || head.layer >= layers_ || head.head >= heads_ || !run_.valid()) return {};
    QString tip = headTitle(run_, head);
    if (run_.encoderDecoder()) tip += QLatin1Char('\n') + QString::fromStdString(run_.blockOf(head.layer).name);
    if (metric_) {
        const QString unit = metric_->metricUnit();
        const double v = metric_->value(head.layer, head.head);
        tip += QStringLiteral("\n%1: %2%3").arg(metric_->metricName(), HeadOverviewModel::format(v),
                                                 unit.isEmpty() || !std::isfinite(v) ? QString() : QLatin1Char(' ') + unit);
        if (metric_->isClosed(head.layer, head.head)) tip += QObject::tr("\nGate closed (g = 0)");
        if (metric_->isPruned(head.layer, head.head)) tip += QObject::tr("\nPruned in this run");
    }
    if (thumbnail(head.layer, head.head).isNull()) tip += QObject::tr("\nNot captured in this run");
    return tip + QObject::tr("\nClick: select  |  Shift+click: prune or restore");
}

void HeadGridController::paint(QPainter& p, const PlotStyle& style, const QList<HeadRef>& selected) const {
    p.fillRect(QRect(QPoint(0, 0), size_), style.background);
    if (cell_ <= 0) return;
    p.setFont(style.font);
    p.setPen(style.foreground);
    const QFontMetrics fm(style.font);
    // Labels in their whole boxes, never clipped to a thin cell row (which would cut the "L" in half).
    for (int h = 0; h < heads_; h += columnStep_)
        p.drawText(columnLabelRect(h), Qt::AlignHCenter | Qt::AlignBottom | Qt::TextDontClip, QStringLiteral("H%1").arg(h));
    for (int l = 0; l < layers_; l += rowStep_)
        p.drawText(rowLabelRect(l), Qt::AlignRight | Qt::AlignVCenter | Qt::TextDontClip, rowLabel(l));
    for (int b = 0; b < blockStarts_.size(); ++b)
        p.drawText(blockLabelRect(b), Qt::AlignLeft | Qt::AlignVCenter, blockNames_[b]);
    const auto [low, high] = frameRange();
    const int frame = cell_ >= 24 ? 3 : cell_ >= 12 ? 2 : 1;
    for (int l = 0; l < layers_; ++l)
        for (int h = 0; h < heads_; ++h) {
            const QRect r = cellRect(HeadRef{l, h});
            if (metric_) p.fillRect(r, frameColor(metric_->value(l, h), low, high));
            const QImage& thumb = thumbnail(l, h);
            const QRect inner = metric_ ? r.adjusted(frame, frame, -frame, -frame) : r;
            if (thumb.isNull()) p.fillRect(inner, style.grid);
            else p.drawImage(inner, thumb);
            const HeadMark mark = markOf(HeadRef{l, h});
            if (mark.dimmed) p.fillRect(inner, QColor(128, 128, 128, 170));
            p.setPen(QPen(style.masked, frame));
            for (const QLine& line : mark.solid) p.drawLine(line);
            p.setPen(QPen(style.masked, frame, Qt::DashLine));
            for (const QLine& line : mark.dashed) p.drawLine(line);
            const QString tag = metric_ && tagsShown_ ? metric_->roleTag(l, h) : QString();
            if (!tag.isEmpty()) {   // the head's role, small, in the thumbnail's upper left corner
                QFont tagFont = style.font;
                tagFont.setPointSizeF(std::max(5.0, style.font.pointSizeF() * 0.7));
                p.setFont(tagFont);
                const QRect box = QFontMetrics(tagFont).boundingRect(tag).adjusted(-1, 0, 1, 0);
                const QRect at(inner.topLeft(), box.size());
                p.fillRect(at, faded(style.background, 210));
                p.setPen(style.foreground);
                p.drawText(at, Qt::AlignCenter, tag);
                p.setFont(style.font);
            }
        }
    for (int k = 0; k < selected.size(); ++k) {
        const HeadRef s = selected[k];
        if (s.layer < 0 || s.head < 0 || s.layer >= layers_ || s.head >= heads_) continue;
        p.setPen(QPen(style.accent, k == 0 ? 2 : 1));
        p.setBrush(Qt::NoBrush);
        p.drawRect(cellRect(s).adjusted(-1, -1, 0, 0));
    }
    if (!metric_) return;
    // The frame legend: "Frame: <metric>", a strip from the lowest to the highest value, the marks' key.
    p.setPen(style.foreground);
    p.drawText(legend_.name, Qt::AlignLeft | Qt::AlignVCenter | Qt::TextDontClip, legendName());
    const auto [lowText, highText] = scaleTexts();
    const QRect scale = legend_.scale;
    const int lowW = fm.horizontalAdvance(lowText) + 4, highW = fm.horizontalAdvance(highText) + 4;
    const int stripW = scale.width() - lowW - highW - 4;
    p.drawText(QRect(scale.left(), scale.top(), lowW, scale.height()), Qt::AlignLeft | Qt::AlignVCenter, lowText);
    for (int x = 0; x < stripW; ++x)
        p.fillRect(QRect(scale.left() + lowW + x, scale.top() + 2, 1, scale.height() - 4), frameColor(x, 0, stripW - 1));
    p.drawText(QRect(scale.right() + 1 - highW, scale.top(), highW, scale.height()), Qt::AlignLeft | Qt::AlignVCenter, highText);
    p.setPen(style.masked);
    if (!legend_.marks.isNull()) p.drawText(legend_.marks, Qt::AlignLeft | Qt::AlignVCenter | Qt::TextDontClip, marksText());
    p.setPen(style.foreground);
    for (int k = 0; k < legend_.roles.size(); ++k)
        p.drawText(legend_.roles[k], Qt::AlignLeft | Qt::AlignVCenter | Qt::TextDontClip, legend_.roleTexts[k]);
}

} // namespace headlight
