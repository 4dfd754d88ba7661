#include "views/pruning/whatif_summary.h"
#include "headlight/mechanisms/head_gates.h"

#include <QObject>
#include <QStringList>

#include <algorithm>

#include <cmath>

namespace headlight {
namespace {

// "+0.767", "-0.250"; a change that rounds to zero reads "+0.000", never "-0.000".
QString signedNumber(double v, int decimals) {
    if (std::abs(v) < 0.5 * std::pow(10.0, -decimals)) v = 0.0;
    return (v >= 0 ? QStringLiteral("+") : QString()) + QString::number(v, 'f', decimals);
}

// Decimals that print every loss of one line alike: 3, or more while a non-zero one would print as 0.000
// (two significant digits of the smallest, at most 6).
int lossDecimals(std::initializer_list<double> values) {
    int decimals = 3;
    for (double v : values)
        if (std::isfinite(v) && v != 0.0 && std::abs(v) < 0.0005)
            decimals = std::max(decimals, std::min(6, 1 - static_cast<int>(std::floor(std::log10(std::abs(v))))));
    return decimals;
}

// "0.004 -> 2.484 (+2.480 nats)": both losses and the change with the same decimals.
QString lossChange(double before, double after) {
    const int d = lossDecimals({before, after});
    return QObject::tr("%1 -> %2 (%3 nats)")
        .arg(QString::number(before, 'f', d), QString::number(after, 'f', d), signedNumber(after - before, d));
}

QString perplexityChange(const RunComparison& c) {
    return QObject::tr("Perplexity %1 -> %2").arg(QString::number(c.perplexityBefore, 'f', 2), QString::number(c.perplexityAfter, 'f', 2));
}

// "0" for an exact zero (the expected value), else three significant digits.
QString logitChange(double v) { return v == 0.0 ? QStringLiteral("0") : QString::number(v, 'g', 3); }

} // namespace

QList<HeadRef> prunedHeads(const RunSnapshot& snapshot) {
    QList<HeadRef> heads;
    if (!snapshot.trace) return heads;
    const FloatArray& mask = snapshot.trace->headMask;   // [L,H]
    if (mask.rank() != 2) return heads;
    for (int l = 0; l < mask.dim(0); ++l)
        for (int h = 0; h < mask.dim(1); ++h)
            if (mask.at({l, h}) == 0.0f) heads << HeadRef{l, h};
    return heads;
}

QString prunedHeadsText(const RunSnapshot& snapshot) {
    const QList<HeadRef> heads = prunedHeads(snapshot);
    if (heads.isEmpty()) return QObject::tr("Nothing pruned");
    QStringList names;
    for (const HeadRef& h : heads)   // an encoder-decoder model's by kind: "X0.1", as --prune takes them
        names << (snapshot.encoderDecoder() ? QStringLiteral("%1.%2").arg(snapshot.rowName(h.layer)).arg(h.head)
                                            : QStringLiteral("%1.%2").arg(h.layer).arg(h.head));
    return QObject::tr("Pruned %1 of %2 heads: %3")
        .arg(heads.size())
        .arg(snapshot.layers() * snapshot.heads())
        .arg(names.join(QStringLiteral(", ")));
}

QString lossSummaryText(const RunComparison& c) {
    // A masked-token model (BERT) has no loss on a plain text, nor does a single token: the distributions say it.
    if (std::isnan(c.lossBefore) || std::isnan(c.lossAfter))
        return QObject::tr("No loss to compare (a masked-token model, or one token): the KL per position and the "
                           "top predictions show what changed (largest logit change %1)")
            .arg(QString::number(c.maxAbsLogitChange, 'g', 3));
    return QObject::tr("Loss %1  %2").arg(lossChange(c.lossBefore, c.lossAfter), perplexityChange(c));
}

QString lossSummaryText(const RunSnapshot& s) {
    const RunComparison& c = *s.comparison;
    const int predictions = static_cast<int>(s.trace->loss.size());
    const ViewPreset& preset = s.model->preset;
    const std::vector<int> scored = scoredPredictions(preset.scored, predictions);
    const double before = meanLossOver(*s.baseline, scored), after = meanLossOver(*s.trace, scored);
    if (static_cast<int>(scored.size()) == predictions || std::isnan(before) || std::isnan(after) ||
        std::isnan(c.lossBefore) || std::isnan(c.lossAfter))
        return lossSummaryText(c);
    const QString where = preset.scoredLabel.isEmpty() ? QObject::tr("the scored predictions") : preset.scoredLabel;
    return QObject::tr("Loss on %1: %2, %3 of %4 predictions scored\nMean over all %4 predictions: %5  %6")
        .arg(where, lossChange(before, after))
        .arg(scored.size())
        .arg(predictions)
        .arg(lossChange(c.lossBefore, c.lossAfter), perplexityChange(c));
}

QString howToPruneText() {
    return QObject::tr("Nothing is pruned, so there is nothing to compare. To prune a head, Shift+click it in the "
                       "overview, or select it and press Space; or use a preset above.");
}

GateCheck checkGates(const RunSnapshot& snapshot) {
    GateCheck check;
    if (!snapshot.valid() || !snapshot.pruned() || !snapshot.model->config.mechanism<HeadGatesConfig>()) return check;
    const QList<HeadRef> heads = prunedHeads(snapshot);
    if (heads.isEmpty()) return check;
    check.pruned = static_cast<int>(heads.size());
    check.maxAbsLogitChange = snapshot.comparison->maxAbsLogitChange;
    // The core's gate metric of each run ([L,H], NaN where not captured). The gate is a parameter: the same in
    // both runs, so either run's capture will do.
    const HeadMetric gate{head_gates::kGate};
    const auto summaries = headSummaries(snapshot);   // held: find() points into it
    const FloatArray* gates = summaries ? summaries->find(gate) : nullptr;
    const FloatArray baselineGates = snapshot.baseline ? computeHeadMetric(gate, *snapshot.baseline, snapshot.model->config) : FloatArray();
    for (const HeadRef& h : heads) {
        float g = gates ? gates->at({h.layer, h.head}) : std::nanf("");
        if (std::isnan(g) && !baselineGates.empty()) g = baselineGates.at({h.layer, h.head});
        if (std::isnan(g)) ++check.notCaptured;
        else if (g != 0.0f) ++check.open;   // closed means exactly 0
    }
    const QString change = logitChange(check.maxAbsLogitChange);
    if (check.open > 0) {
        check.verdict = GateCheck::Verdict::OpenPruned;
        check.text = check.open == 1
                         ? QObject::tr("1 of the %1 pruned heads has an open gate, so the predictions may change "
                                       "(max |\u0394 logit| = %2).").arg(check.pruned).arg(change)
                         : QObject::tr("%1 of the %2 pruned heads have open gates, so the predictions may change "
                                       "(max |\u0394 logit| = %3).").arg(check.open).arg(check.pruned).arg(change);
    } else if (check.notCaptured > 0) {
        check.verdict = GateCheck::Verdict::NotCaptured;
        check.text = QObject::tr("The gates of %1 of the %2 pruned heads were not captured in this run.")
                         .arg(check.notCaptured).arg(check.pruned);
    } else if (check.maxAbsLogitChange <= kUnchangedLogitTolerance) {
        check.verdict = GateCheck::Verdict::Unchanged;
        check.text = QObject::tr("\u2713 Only closed gates are pruned: the logits did not change (max |\u0394 logit| = %1)")
                         .arg(change);
    } else {
        check.verdict = GateCheck::Verdict::Changed;
        check.text = QObject::tr("\u2717 Only closed gates are pruned, yet the logits changed (max |\u0394 logit| = %1). "
                                 "This is a bug: a closed gate multiplies its head's output by 0.")
                         .arg(change);
    }
    return check;
}

QColor GateCheck::color(const PlotStyle& style) const {
    if (verdict == Verdict::Unchanged) return goodColor(style);
    if (verdict == Verdict::Changed) return style.masked;
    return style.foreground;
}

QColor goodColor(const PlotStyle& style) { return style.dark ? QColor(110, 210, 120) : QColor(30, 140, 50); }

} // namespace headlight
