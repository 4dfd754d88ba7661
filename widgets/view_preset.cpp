#include "view_preset.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>

namespace headlight {

ViewPreset readViewPreset(const QString& modelDir) {
    ViewPreset preset;
    QFile file(modelDir + QStringLiteral("/view.json"));
    if (!file.open(QIODevice::ReadOnly)) return preset;
    const QJsonObject o = QJsonDocument::fromJson(file.readAll()).object();
    preset.positionFromEnd = std::max(0, o.value(QStringLiteral("position_from_end")).toInt(0));
    const QJsonArray head = o.value(QStringLiteral("head")).toArray();
    if (head.size() == 2) {
        preset.layer = head.at(0).toInt(-1);
        preset.head = head.at(1).toInt(-1);
    }
    preset.view = o.value(QStringLiteral("view")).toString();
    const QString scored = o.value(QStringLiteral("scored")).toString();
    if (!scored.isEmpty()) preset.scored = scored;
    preset.scoredLabel = o.value(QStringLiteral("scored_label")).toString();
    preset.note = o.value(QStringLiteral("note")).toString();
    preset.caption = o.value(QStringLiteral("caption")).toString();
    return preset;
}

std::vector<int> scoredPredictions(const QString& rule, int predictions) {
    std::vector<int> out;
    if (predictions <= 0) return out;
    if (rule == QLatin1String("last")) {
        out.push_back(predictions - 1);
    } else if (rule == QLatin1String("second_half")) {
        // "^" + n tokens + the same n again: T = 2n + 1 tokens, T - 1 predictions; the copy's tokens are
        // n + 2 .. 2n (the first of the copy cannot be known), predicted at positions n + 1 .. 2n - 1.
        const int n = predictions / 2;
        for (int i = n + 1; i < predictions; ++i) out.push_back(i);
    } else if (rule == QLatin1String("odd")) {
        for (int i = 1; i < predictions; i += 2) out.push_back(i);
    } else {
        for (int i = 0; i < predictions; ++i) out.push_back(i);
    }
    return out;
}

} // namespace headlight
