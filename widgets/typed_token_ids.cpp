#include "typed_token_ids.h"

#include "headlight/error.h"

#include <QRegularExpression>
#include <QStringList>
#include <algorithm>
#include <string>

namespace headlight {
namespace {

std::string howToType(int64_t vocabSize) {
    return "this model has no tokenizer files, so the text box takes token ids 0.." + std::to_string(vocabSize - 1) +
           ", separated by spaces or commas (e.g. 12 7 93)";
}

} // namespace

std::vector<int64_t> parseTypedTokenIds(const QString& text, int64_t vocabSize) {
    static const QRegularExpression separators(QStringLiteral("[\\s,]+"));
    const QStringList items = text.split(separators, Qt::SkipEmptyParts);
    if (items.isEmpty()) throw Error("token ids", "none given: " + howToType(vocabSize), ErrorInput::TokenIds);
    std::vector<int64_t> ids;
    ids.reserve(static_cast<size_t>(items.size()));
    for (const QString& item : items) {
        bool ok = false;
        const qlonglong id = item.toLongLong(&ok);
        if (!ok)
            throw Error("token ids", "\"" + printableText(item.toStdString(), 40) + "\" is not a token id: " + howToType(vocabSize),
                        ErrorInput::TokenIds);
        if (id < 0 || id >= vocabSize)
            throw Error("token ids", std::to_string(id) + " is out of range: this model's token ids are 0.." +
                                         std::to_string(vocabSize - 1) + " (vocab_size " + std::to_string(vocabSize) + ")",
                        ErrorInput::TokenIds);
        ids.push_back(id);
    }
    return ids;
}

bool looksLikeTokenIds(const QString& text) {
    static const QRegularExpression idsOnly(QStringLiteral("^[\\s,0-9+-]*[0-9][\\s,0-9+-]*$"));
    return idsOnly.match(text).hasMatch();
}

QString typedTokenIds(const std::vector<int64_t>& ids) {
    QStringList items;
    items.reserve(static_cast<qsizetype>(ids.size()));
    for (int64_t id : ids) items << QString::number(id);
    return items.join(QLatin1Char(' '));
}

std::vector<int64_t> startingTokenIds(int64_t vocabSize, int64_t maxTokens) {
    std::vector<int64_t> ids(static_cast<size_t>(std::max<int64_t>(1, std::min<int64_t>({8, vocabSize, maxTokens}))));
    for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int64_t>(i);
    return ids;
}

} // namespace headlight
