#pragma once
// Plot titles use words first and a few symbols after them ("(L0)", "F \u2265 1", "shifted down a row"). Each
// symbol has a plain explanation here: hovering a title shows the ones it uses, and the Explain panel lists
// those of the view it explains.
#include <QList>
#include <QString>
#include <QStringList>

class QCustomPlot;
class QPoint;

namespace headlight {

struct SymbolNote {
    QString symbol;    // as it appears in titles
    QString meaning;   // one or two plain sentences
};

// Every note, in a fixed order.
const QList<SymbolNote>& symbolNotes();
// The notes whose symbol appears in `text` (in symbolNotes() order, each once).
QList<SymbolNote> symbolsIn(const QString& text);
// "symbol: meaning" lines for the symbols in `text`; empty when it uses none.
QString symbolToolTip(const QString& text);
// An HTML paragraph explaining the symbols used in any of `texts`; empty when they use none.
QString symbolCaptionHtml(const QStringList& texts);
// The text of every visible title element of `plot` (as the view set it, before wrapping).
QStringList plotTitles(const QCustomPlot* plot);
// The tooltip for the title under `pixel`, if a title is there and uses a symbol; else empty.
QString titleToolTipAt(const QCustomPlot* plot, const QPoint& pixel);

} // namespace headlight
