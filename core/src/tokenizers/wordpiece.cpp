// WordPiece: at each position the longest vocabulary entry that matches, shrinking one character at a time.
#include "tokenizers/wordpiece.h"

#include "headlight/error.h"

namespace headlight::tok {

WordPieceModel::WordPieceModel(std::shared_ptr<const Vocab> vocab, const std::string& unkToken,
                               std::string continuingSubwordPrefix, size_t maxInputCharsPerWord, const std::string& path)
    : vocabHolder_(std::move(vocab)), vocab_(*vocabHolder_), prefix_(std::move(continuingSubwordPrefix)), maxChars_(maxInputCharsPerWord) {
    auto it = vocab_.find(unkToken);
    if (it == vocab_.end()) throw Error(path, "unk_token \"" + unkToken + "\" is not in the vocabulary");
    unkId_ = it->second;
}

void WordPieceModel::tokenize(const std::string& word, std::vector<int64_t>& ids) const {
    if (word.empty()) return;
    size_t chars = 0;
    for (char c : word) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    if (chars > maxChars_) {
        ids.push_back(unkId_);
        return;
    }
    std::vector<int64_t> pieces;
    for (size_t start = 0; start < word.size();) {
        size_t end = word.size();
        int64_t found = -1;
        while (start < end) {
            const std::string candidate = (start > 0 ? prefix_ : std::string()) + word.substr(start, end - start);
            auto it = vocab_.find(candidate);
            if (it != vocab_.end()) {
                found = it->second;
                break;
            }
            do --end; while (end > start && (static_cast<unsigned char>(word[end]) & 0xC0) == 0x80);   // one character back
        }
        if (found < 0) {
            ids.push_back(unkId_);
            return;
        }
        pieces.push_back(found);
        start = end;
    }
    ids.insert(ids.end(), pieces.begin(), pieces.end());
}

} // namespace headlight::tok
