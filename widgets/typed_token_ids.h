#pragma once
// Token ids typed in the text box, for a model folder without tokenizer files: "12 7 93" or "12,7,93".
#include <QString>
#include <cstdint>
#include <vector>

namespace headlight {

// The ids in `text`, separated by spaces and/or commas. Throws headlight::Error (ErrorInput::TokenIds), one line
// naming the first item that is not an id or the first id outside 0..vocabSize-1, and how to type ids.
std::vector<int64_t> parseTypedTokenIds(const QString& text, int64_t vocabSize);
// Whether `text` is meant as token ids (only digits, signs, spaces and commas), right or wrong.
bool looksLikeTokenIds(const QString& text);
// The ids as the text box shows them: "12 7 93".
QString typedTokenIds(const std::vector<int64_t>& ids);
// What a model without a tokenizer opens on when the text box holds no ids (a text written for another model):
// ids 0, 1, 2, ... (at most 8, within vocabSize and maxTokens).
std::vector<int64_t> startingTokenIds(int64_t vocabSize, int64_t maxTokens);

} // namespace headlight
