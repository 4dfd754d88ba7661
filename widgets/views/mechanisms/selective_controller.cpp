#include "views/mechanisms/selective_controller.h"
#include "alike_ticker.h"
#include "headlight/mechanisms/selective_attention.h"

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>

namespace headlight {
namespace {

constexpr double kNoValue = std::numeric_limits<double>::quiet_NaN();
constexpr int kNarrowWidth = 600;     // pixels: narrower plots stack S over F
constexpr int kMatricesHeight = 380;  // pixels: shorter plots leave S and F out

bool hasSelection(const LayerTrace* layer, int tokens) {
    const std::vector<int64_t> square{tokens, tokens};
    return layer && (*layer)[selective_attention::kSelection].shape() == square && (*layer)[selective_attention::kSelectionCumulative].shape() == square;
}

QCPColorMap* makeMap(QCPAxisRect* rect, QCPColorScale* scale, const QString& label) {
    auto* map = new QCPColorMap(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
    map->setColorScale(scale);
    scale->axis()->setLabel(label);
    rect->axis(QCPAxis::atLeft)->setRangeReversed(true);   // query 0 at the top, as in a matrix
    rect->axis(QCPAxis::atBottom)->setLabel(QObject::tr("key j"));
    rect->axis(QCPAxis::atLeft)->setLabel(QObject::tr("query i"));
    return map;
}

void fillSquare(QCPColorMap* map, const FloatArray& values) {
    const int T = static_cast<int>(values.dim(0));
    mech::resizeCells(map, T, T);
    const float* v = values.data();
    float top = 0;
    for (int i = 0; i < T; ++i)
        for (int j = 0; j < T; ++j) {
            map->data()->setCell(j, i, v[static_cast<size_t>(i) * T + j]);
            top = std::max(top, v[static_cast<size_t>(i) * T + j]);
        }
    map->setDataRange(QCPRange(0, top > 0 ? top : 1));
}

} // namespace

SelectiveController::SelectiveController(QCustomPlot* plot) : plot_(plot) { buildLayout(); }

void SelectiveController::buildLayout() {
    QCPLayoutGrid* layout = plot_->plotLayout();
    layout->clear();
    plot_->setAutoAddPlottableToLegend(false);
    tokenTitle_ = new QCPTextElement(plot_, QString());
    tokenRect_ = mech::makeAxisRect(plot_);
    layout->addElement(0, 0, tokenTitle_);
    layout->addElement(1, 0, tokenRect_);

    matrices_ = new QCPLayoutGrid;   // S | F, each a titled section with its colour scale
    layout->addElement(2, 0, matrices_);
    sTitle_ = new QCPTextElement(plot_, QObject::tr("Masking asked by each token, S (shifted down a row)"));
    fTitle_ = new QCPTextElement(plot_, QObject::tr("Masking so far, F (sum of S down to row i)"));
    sRect_ = mech::makeAxisRect(plot_);
    fRect_ = mech::makeAxisRect(plot_);
    auto* sScale = new QCPColorScale(plot_);
    auto* fScale = new QCPColorScale(plot_);
    for (QCPColorScale* scale : {sScale, fScale}) useAlikeTickLabels(scale->axis());
    int column = 0;
    for (auto [title, rect, scale] : {std::tuple{sTitle_, sRect_, sScale}, std::tuple{fTitle_, fRect_, fScale}}) {
        auto* section = new QCPLayoutGrid;
        matrices_->addElement(0, column++, section);   // in the plot first, so the children find their plot
        section->addElement(0, 0, title);
        section->addElement(1, 0, rect);
        section->addElement(1, 1, scale);
        section->setColumnStretchFactors({1, 0.001});
        section->setRowStretchFactors({0.001, 1});
        section->setRowSpacing(0);
    }
    // S over F in a narrow figure (a single column), side by side when wide: decided after every layout.
    QObject::connect(plot_, &QCustomPlot::afterLayout, plot_, [this] {
        // Too short a plot for S and F (a low dock): one of the two panels, legible, as the view's switch chose.
        roomy_ = plot_->viewport().height() >= kMatricesHeight;
        const int shown = roomy_ ? -1 : panelChoice_;
        if (shown != shownPanel_) {
            shownPanel_ = shown;
            mech::showCollapsible(matrices_, shown != kTextPanel);
            for (QCPLayoutElement* e : {static_cast<QCPLayoutElement*>(tokenTitle_), static_cast<QCPLayoutElement*>(tokenRect_)})
                mech::showCollapsible(e, shown != kMatricesPanel);
            if (shown != kMatricesPanel) {   // shown again: the text's own minimum height, inside its axes
                tokenRect_->setSizeConstraintRect(QCPLayoutElement::scrInnerRect);
                tokenRect_->setMinimumSize(0, SelectiveArcs::kMinimumHeight);
            }
            for (auto phase : {QCPLayoutElement::upPreparation, QCPLayoutElement::upMargins, QCPLayoutElement::upLayout})
                plot_->plotLayout()->update(phase);
        }
        const bool narrow = stacksMatrices(plot_->viewport().width());
        if (narrow == (matrices_->wrap() == 1)) return;
        matrices_->setWrap(narrow ? 1 : 0);
        matrices_->setFillOrder(QCPLayoutGrid::foColumnsFirst, true);
        // Stacked, S and F need twice the height: the token line gives some of its own.
        plot_->plotLayout()->setRowStretchFactors({0.001, narrow ? 0.5 : 1.0, narrow ? 3.4 : 2.2, 0.001, narrow ? 0.35 : 0.6});
        for (QCPAxisRect* rect : {sRect_, fRect_})
            for (QCPAxis* axis : {rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft)})
                axis->ticker()->setTickCount(narrow ? 4 : 5);
        for (auto phase : {QCPLayoutElement::upPreparation, QCPLayoutElement::upMargins, QCPLayoutElement::upLayout})
            plot_->plotLayout()->update(phase);
    });
    sMap_ = makeMap(sRect_, sScale, QStringLiteral("S"));
    fMap_ = makeMap(fRect_, fScale, QStringLiteral("F"));

    evictTitle_ = new QCPTextElement(plot_, QString());
    evictRect_ = mech::makeAxisRect(plot_);
    evictRow_ = new QCPLayoutGrid;
    layout->addElement(3, 0, evictTitle_);
    layout->addElement(4, 0, evictRow_);
    evictRow_->addElement(0, 0, evictRect_);
    auto* legend = new QCPLegend;
    evictRow_->addElement(0, 1, legend);
    evictRow_->setColumnStretchFactors({1, 0.001});
    plot_->legend = legend;   // applyStyle styles it
    evictMap_ = new QCPColorMap(evictRect_->axis(QCPAxis::atBottom), evictRect_->axis(QCPAxis::atLeft));
    evictRect_->axis(QCPAxis::atLeft)->setRangeReversed(true);
    evictRect_->axis(QCPAxis::atLeft)->setLabel(QObject::tr("layer"));
    evictRect_->axis(QCPAxis::atBottom)->setLabel(QObject::tr("token"));
    // S and F get most of the height; the budget picture only what its layers need (none without a budget).
    layout->setRowStretchFactors({0.001, 1.0, 2.2, 0.001, 0.6});
    // Empty bars that only carry the state colours into the legend.
    const char* const stateNames[] = {"not read yet", "evicted", "kept"};   // by EvictionState
    for (int s = 2; s >= 0; --s) {
        swatches_[s] = new QCPBars(evictRect_->axis(QCPAxis::atBottom), evictRect_->axis(QCPAxis::atLeft));
        swatches_[s]->setPen(Qt::NoPen);
        swatches_[s]->setName(QObject::tr(stateNames[s]));
        swatches_[s]->addToLegend(legend);
    }

    arcs_ = std::make_unique<SelectiveArcs>(plot_, tokenRect_, tokenTitle_);
}

void SelectiveController::choosePanel(int panel) {
    panelChoice_ = panel == kMatricesPanel ? kMatricesPanel : kTextPanel;
    plot_->replot();   // the next layout shows it while the plot is short
}

void SelectiveController::clearQuery() {
    arcs_->clear();   // its items first: clearItems() below deletes them
    masked_.clear();
    plot_->clearItems();
    notice_.clear();
}

QString SelectiveController::update(const RunSnapshot& snapshot, const HeadSelection& selection,
                                    const PlotStyle& style, int step) {
    clearQuery();
    snapshot_ = snapshot;
    if (!snapshot.model->config.mechanism<SelectiveAttentionConfig>()) return QObject::tr("This model has no selective attention.");
    const int T = snapshot.tokens(), L = snapshot.layers();
    layer_ = std::clamp(selection.current().layer, 0, std::max(L - 1, 0));
    query_ = mech::queryPosition(snapshot, selection.position());
    step_ = std::clamp(step < 0 ? query_ : step, 0, std::max(T - 1, 0));

    QList<int> missing;
    for (int l = 0; l < L; ++l)
        if (!hasSelection(snapshot.trace->layer(l), T)) missing << l;
    if (missing.size() == L)
        return mech::missingLayersNote(missing) + QObject::tr(" Capture a layer to see what it masks.");
    notice_ = mech::missingLayersNote(missing);

    applyStyle(plot_, style);
    const LayerTrace* layer = snapshot.trace->layer(layer_);
    if (!hasSelection(layer, T)) layer = nullptr;
    drawMatrices(layer, style);
    if (layer) {
        drawTokens(*layer, style);
    } else {
        tokenTitle_->setText(QObject::tr("Layer %1").arg(layer_));
        tokenRect_->axis(QCPAxis::atBottom)->setRange(-0.6, T - 0.4);
        tokenRect_->axis(QCPAxis::atLeft)->setRange(0, 1);
        mech::addLabel(plot_, tokenRect_, (T - 1) / 2.0, 0.5,
                       QObject::tr("Layer %1 was not captured in this run.").arg(layer_), style);
    }
    drawEvictions(style);
    plot_->replot();
    return {};
}

void SelectiveController::drawMatrices(const LayerTrace* layer, const PlotStyle& style) {
    for (QCPColorMap* map : {sMap_, fMap_}) applyHeatGradient(map, style);
    const int T = snapshot_.tokens();
    if (layer != matricesOf_) {
        matricesOf_ = layer;
        if (layer) {
            fillSquare(sMap_, (*layer)[selective_attention::kSelection]);
            fillSquare(fMap_, (*layer)[selective_attention::kSelectionCumulative]);
        } else {
            for (QCPColorMap* map : {sMap_, fMap_}) map->data()->clear();
        }
    }
    for (QCPAxisRect* rect : {sRect_, fRect_}) {
        rect->axis(QCPAxis::atBottom)->setRange(-0.5, T - 0.5);
        rect->axis(QCPAxis::atLeft)->setRange(-0.5, T - 0.5);
        if (!layer) continue;
        // The query being shown, as a line across both matrices.
        QColor color = style.accent;
        color.setAlpha(200);
        mech::addHorizontalLine(plot_, rect, query_, QPen(color, 1, Qt::DashLine));
    }
}

void SelectiveController::drawTokens(const LayerTrace& layer, const PlotStyle& style) {
    const int T = snapshot_.tokens(), i = query_;
    const float* S = layer[selective_attention::kSelection].data();
    const float* F = layer[selective_attention::kSelectionCumulative].data();
    auto at = [T](const float* m, int row, int col) { return static_cast<double>(m[static_cast<size_t>(row) * T + col]); };
    for (int j = 0; j < i; ++j) {
        const double f = at(F, i, j);
        if (!(f > 0)) continue;
        MaskedKey m;
        m.key = j;
        m.cumulative = f;
        m.opacity = std::min(f, 1.0);
        for (int k = 0; k <= i; ++k)
            if (at(S, k, j) > m.topContribution) {
                m.topContribution = at(S, k, j);
                m.topRow = k;
            }
        m.maskedBy = m.topRow - 1;
        masked_.push_back(m);
    }
    std::vector<int> evicted;   // keys a memory budget evicted before this query could see them
    if (layer[selective_attention::kEvictedAt].size() == T)
        for (int j = 0; j < i; ++j) {
            const float step = layer[selective_attention::kEvictedAt].data()[j];
            if (step >= 0 && step <= i) evicted.push_back(j);
        }
    const auto fully = std::count_if(masked_.begin(), masked_.end(), [](const MaskedKey& m) { return m.cumulative >= 1; });
    // Two parts the title may put on one line or two, as its width allows.
    const QString summary = QObject::tr("Layer %1, query %2 '%3'").arg(layer_).arg(i).arg(snapshot_.tokenLabel(i)) + QLatin1Char('\n') +
                            QObject::tr("%1 of %2 earlier tokens masked, %3 fully (F \u2265 1)").arg(masked_.size()).arg(i).arg(fully);
    arcs_->show(snapshot_, i, masked_, evicted, summary, style);
}

bool SelectiveController::stacksMatrices(int widthPixels) { return widthPixels < kNarrowWidth; }

std::optional<int> SelectiveController::tokenAtPixel(QPoint pixel) const {
    const int T = snapshot_.tokens();
    if (T == 0) return std::nullopt;
    if (tokenRect_->rect().contains(pixel)) return arcs_->tokenAtPixel(pixel);
    double coord = kNoValue;
    if (sRect_->rect().contains(pixel))
        coord = sRect_->axis(QCPAxis::atLeft)->pixelToCoord(pixel.y());
    else if (fRect_->rect().contains(pixel))
        coord = fRect_->axis(QCPAxis::atLeft)->pixelToCoord(pixel.y());
    const long token = std::lround(coord);
    if (std::isnan(coord) || token < 0 || token >= T) return std::nullopt;
    return static_cast<int>(token);
}

QString SelectiveController::describeAt(QPoint pixel) const {
    for (QCPAxisRect* rect : {sRect_, fRect_}) {
        const LayerTrace* layer = snapshot_.trace ? snapshot_.trace->layer(layer_) : nullptr;
        if (!rect->rect().contains(pixel) || !hasSelection(layer, snapshot_.tokens())) continue;
        const long j = std::lround(rect->axis(QCPAxis::atBottom)->pixelToCoord(pixel.x()));
        const long i = std::lround(rect->axis(QCPAxis::atLeft)->pixelToCoord(pixel.y()));
        if (i < 0 || j < 0 || i >= snapshot_.tokens() || j >= snapshot_.tokens()) return {};
        return QObject::tr("query %1 '%2', key %3 '%4'\nS = %5 (from token %6)\nF = %7")
            .arg(i)
            .arg(snapshot_.tokenLabel(static_cast<int>(i)))
            .arg(j)
            .arg(snapshot_.tokenLabel(static_cast<int>(j)))
            .arg((*layer)[selective_attention::kSelection].at({i, j}), 0, 'f', 3)
            .arg(i > 0 ? QString::number(i - 1) : QObject::tr("none"))
            .arg((*layer)[selective_attention::kSelectionCumulative].at({i, j}), 0, 'f', 3);
    }
    if (!tokenRect_->rect().contains(pixel)) return {};
    const auto token = tokenAtPixel(pixel);
    if (!token) return arcs_->describeGapAt(pixel);
    QString text = QObject::tr("token %1 '%2'").arg(*token).arg(snapshot_.tokenLabel(*token));
    for (const MaskedKey& m : masked_) {
        if (m.key != *token) continue;
        text += QObject::tr("\nF = %1: masked %2% for query %3").arg(m.cumulative, 0, 'f', 3).arg(m.opacity * 100, 0, 'f', 0).arg(query_);
        if (m.maskedBy >= 0)
            text += QObject::tr("\nlargest share: S = %1 from token %2 '%3'")
                        .arg(m.topContribution, 0, 'f', 3)
                        .arg(m.maskedBy)
                        .arg(snapshot_.tokenLabel(m.maskedBy));
    }
    if (*token == query_) text += QObject::tr("\n(the query)");
    return text;
}

} // namespace headlight
