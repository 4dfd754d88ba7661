#include "symbol_glossary.h"

#include "title_text.h"

#include <QCoreApplication>
#include <QPoint>
#include <qcustomplot.h>

namespace headlight {
namespace {
QString tr(const char* text) { return QCoreApplication::translate("headlight::SymbolNote", text); }
} // namespace

const QList<SymbolNote>& symbolNotes() {
    static const QList<SymbolNote> notes = {
        {QStringLiteral("(L0)"),
         tr("L0 (\"L-zero\"): how many heads have a gate that is not 0. Its expected value is the sum of every "
            "head's P(gate open), the penalty training with head gates lowers (Louizos et al. 2018, Voita et al. 2019).")},
        {QStringLiteral("g = 0"), tr("g = 0: the head's gate is exactly 0, so its output is switched off.")},
        {QStringLiteral("P(open)"), tr("P(open): the probability that the head's stochastic gate is not 0.")},
        {QStringLiteral("F \u2265 1"),
         tr("F \u2265 1: fully masked. F is the masking a key has received so far; it is subtracted from every "
            "head's attention logit for that key, and from 1 on the key counts as masked away for this query.")},
        {QStringLiteral("shifted down a row"),
         tr("Shifted down a row: row i of S holds what token i \u2212 1 asked to mask, so a token's request applies "
            "to the queries after it, never to itself (Leviathan et al. 2024).")},
        {QStringLiteral("m_z(x)"),
         tr("m_z(x): the soft mask at distance x of a head with span z; 1 up to z, then falling to 0 over the ramp "
            "R (Sukhbaatar et al. 2019).")},
        {QStringLiteral("max span S"), tr("Max span S: the longest span any head may learn, from the model's config.")},
        {QStringLiteral("KL"),
         tr("KL: the Kullback-Leibler divergence of the pruned run's next-token distribution from the unpruned "
            "one's, in nats; 0 = pruning changed nothing at that position.")},
    };
    return notes;
}

QList<SymbolNote> symbolsIn(const QString& text) {
    QList<SymbolNote> found;
    for (const SymbolNote& note : symbolNotes())
        if (text.contains(note.symbol)) found << note;
    return found;
}

QString symbolToolTip(const QString& text) {
    QStringList lines;
    for (const SymbolNote& note : symbolsIn(text)) lines << note.meaning;
    return lines.join(QLatin1Char('\n'));
}

QString symbolCaptionHtml(const QStringList& texts) {
    const QList<SymbolNote> found = symbolsIn(texts.join(QLatin1Char('\n')));
    if (found.isEmpty()) return {};
    QStringList items;
    for (const SymbolNote& note : found) items << note.meaning.toHtmlEscaped();
    return QStringLiteral("<p><b>%1</b></p><ul><li>%2</li></ul>")
        .arg(tr("Symbols in the titles"), items.join(QStringLiteral("</li><li>")));
}

QStringList plotTitles(const QCustomPlot* plot) {
    QStringList titles;
    if (!plot) return titles;
    for (QCPLayoutElement* element : plot->plotLayout()->elements(true))
        if (auto* title = qobject_cast<QCPTextElement*>(element); title && title->visible())
            titles << unwrappedTitle(title);
    return titles;
}

QString titleToolTipAt(const QCustomPlot* plot, const QPoint& pixel) {
    for (QCPLayoutElement* element : plot->plotLayout()->elements(true))
        if (auto* title = qobject_cast<QCPTextElement*>(element); title && title->visible() && title->outerRect().contains(pixel))
            return symbolToolTip(unwrappedTitle(title));
    return {};
}

} // namespace headlight
