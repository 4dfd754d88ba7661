#include "views/attention/clipboard_text.h"

#include "views/attention/attention_matrix_controller.h"
#include "views/attention/predictions_controller.h"

#include <QClipboard>
#include <QGuiApplication>
#include <QStringList>
#include <charconv>
#include <cmath>

namespace headlight {
namespace {

template <typename T>
QString shortest(T value) {
    if (std::isnan(value)) return {};
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    return QString::fromLatin1(buffer, static_cast<qsizetype>(result.ptr - buffer));
}

QString line(const QStringList& fields) { return fields.join(QLatin1Char('\t')) + QLatin1Char('\n'); }

// The heads a matrix shows, as --head writes them: "1.0", or "0.0+0.1" for a mean of heads.
QString headsText(const AttentionMatrixController& matrix) {
    QStringList heads;
    for (const HeadRef& h : matrix.shownHeads()) heads << QStringLiteral("%1.%2").arg(h.layer).arg(h.head);
    return heads.join(QLatin1Char('+'));
}

} // namespace

QString exactNumber(float value) { return shortest(value); }
QString exactNumber(double value) { return shortest(value); }

QString matrixCellText(const AttentionMatrixController& matrix, const RunSnapshot& run, MatrixCell cell) {
    // The weights are float32, and so are the matrix's means of heads (a long text's is rounded to float32 too).
    const double w = matrix.weight(cell.query, cell.key);
    return line({QStringLiteral("heads"), QStringLiteral("query"), QStringLiteral("query token"), QStringLiteral("key"),
                 QStringLiteral("key token"), QStringLiteral("weight")}) +
           line({headsText(matrix), QString::number(cell.query), run.tokenLabel(cell.query), QString::number(cell.key),
                 run.tokenLabel(cell.key), exactNumber(static_cast<float>(w))});
}

QString matrixRowText(const AttentionMatrixController& matrix, const RunSnapshot& run, int query) {
    // The weight column names the row: "weight (heads 0.1, query 3)".
    QString text = line({QStringLiteral("key"), QStringLiteral("key token"),
                         QStringLiteral("weight (heads %1, query %2)").arg(headsText(matrix)).arg(query)});
    for (int key = 0; key < matrix.tokens(); ++key)
        text += line({QString::number(key), run.tokenLabel(key), exactNumber(static_cast<float>(matrix.weight(query, key)))});
    return text;
}

QString predictionsText(const PredictionsController& predictions) {
    QString text = line({QStringLiteral("rank"), QStringLiteral("token"), QStringLiteral("id"),
                         QStringLiteral("probability (after position %1)").arg(predictions.position())});
    const QVector<Prediction> top = predictions.predictions();
    for (int r = 0; r < top.size(); ++r)
        text += line({QString::number(r + 1), top[r].label, QString::number(top[r].id), exactNumber(top[r].probability)});
    return text;
}

QString tokensText(const RunSnapshot& run, int position) {
    QString text = line({QStringLiteral("position"), QStringLiteral("id"), QStringLiteral("token")});
    const int first = position >= 0 ? position : 0, last = position >= 0 ? position + 1 : run.tokens();
    for (int i = first; i < last && i < run.tokens(); ++i)
        text += line({QString::number(i), QString::number(run.trace->tokenIds[static_cast<size_t>(i)]), run.tokenLabel(i)});
    return text;
}

void copyToClipboard(const QString& text) { QGuiApplication::clipboard()->setText(text); }

} // namespace headlight
