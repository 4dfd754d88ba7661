// WordPiece: at each position the longest vocabulary entry that matches (the prefix first after the word's
// start), found by walking the vocabulary's trie; Hugging Face tries shrinking candidates one character at a
// time, which finds the same entry.
#include "tokenizers/wordpiece.h"

#include "headlight/error.h"

#include <string_view>

namespace headlight::tok {
namespace {

bool isContinuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

std::vector<std::string_view> keysOf(const Vocab& vocab, std::vector<int64_t>& ids) {
    std::vector<std::string_view> keys;
    keys.reserve(vocab.size());
    ids.reserve(vocab.size());
    for (const auto& [token, id] : vocab) {
        keys.push_back(token);
        ids.push_back(id);
    }
    return keys;
}

} // namespace

WordPieceModel::WordPieceModel(std::shared_ptr<const Vocab> vocab, const std::string& unkToken,
                               std::string continuingSubwordPrefix, size_t maxInputCharsPerWord, const std::string& path)
    : vocabHolder_(std::move(vocab)), maxChars_(maxInputCharsPerWord), trie_(keysOf(*vocabHolder_, ids_)) {
    auto it = vocabHolder_->find(unkToken);
    if (it == vocabHolder_->end()) throw Error(path, "unk_token \"" + printableText(unkToken, 40) + "\" is not in the vocabulary");
    unkId_ = it->second;
    afterPrefix_ = ByteTrie::root();
    for (char c : continuingSubwordPrefix) {
        afterPrefix_ = trie_.child(afterPrefix_, static_cast<unsigned char>(c));
        if (afterPrefix_ == ByteTrie::kNone) break;
    }
}

void WordPieceModel::tokenize(const std::string& word, std::vector<int64_t>& ids) const {
    if (word.empty()) return;
    size_t chars = 0;
    for (char c : word) chars += !isContinuation(c);
    if (chars > maxChars_) {
        ids.push_back(unkId_);
        return;
    }
    std::vector<int64_t> pieces;
    for (size_t start = 0; start < word.size();) {
        // Walk down from the root (or from the prefix's node) as far as the word allows; the deepest node
        // that ends an entry at a character boundary, past `start`, is the longest match.
        uint32_t node = start == 0 ? ByteTrie::root() : afterPrefix_;
        size_t matchEnd = start;
        int64_t found = -1;
        for (size_t at = start; node != ByteTrie::kNone && at < word.size();) {
            node = trie_.child(node, static_cast<unsigned char>(word[at++]));
            if (node == ByteTrie::kNone) break;
            const bool boundary = at == word.size() || !isContinuation(word[at]);
            if (boundary && trie_.value(node) != ByteTrie::kNone) {
                found = ids_[trie_.value(node)];
                matchEnd = at;
            }
        }
        if (found < 0) {
            ids.push_back(unkId_);
            return;
        }
        pieces.push_back(found);
        start = matchEnd;
    }
    ids.insert(ids.end(), pieces.begin(), pieces.end());
}

} // namespace headlight::tok
