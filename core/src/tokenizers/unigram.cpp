// Viterbi over a lattice of vocabulary pieces, as tokenizers' Unigram::encode_optimized: for each character
// boundary, the best path ending there, extended by every piece the trie finds starting there.
#include "tokenizers/unigram.h"

#include "headlight/error.h"

#include <algorithm>
#include <cstdio>
#include <limits>

namespace headlight::tok {
namespace {

constexpr double kUnknownPenalty = 10.0;   // tokenizers' K_UNK_PENALTY

struct Node {
    int64_t id = -1;
    double score = 0;
    int64_t start = -1;   // -1: no path reaches this boundary yet
};

} // namespace

UnigramModel::UnigramModel(std::vector<UnigramPiece> pieces, int64_t unkId, bool byteFallback, std::string path)
    : pieces_(std::move(pieces)), unkId_(unkId), byteFallback_(byteFallback), path_(std::move(path)) {
    std::vector<std::string_view> keys;
    keys.reserve(pieces_.size());
    double lowest = std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < pieces_.size(); ++i) {
        keys.emplace_back(pieces_[i].piece);
        ids_.emplace(pieces_[i].piece, static_cast<int64_t>(i));   // of equal pieces the first id, as the trie keeps
        lowest = std::min(lowest, pieces_[i].score);
    }
    unkScore_ = (pieces_.empty() ? 0.0 : lowest) - kUnknownPenalty;
    trie_ = std::make_unique<ByteTrie>(keys);
}

std::vector<std::string> UnigramModel::segment(const std::string& word) const {
    const size_t n = word.size();
    std::vector<Node> best(n + 1);
    best[0].start = 0;
    for (size_t at = 0; at < n;) {
        const size_t charLength = std::min(n - at, static_cast<size_t>(unicode::sequenceLength(static_cast<unsigned char>(word[at]))));
        const double here = best[at].score;
        bool singleCharacterPiece = false;
        uint32_t node = ByteTrie::root();
        for (size_t end = at; end < n;) {
            node = trie_->child(node, static_cast<unsigned char>(word[end]));
            if (node == ByteTrie::kNone) break;
            ++end;
            const uint32_t key = trie_->value(node);
            if (key == ByteTrie::kNone) continue;
            Node& target = best[end];
            const double candidate = pieces_[key].score + here;
            if (target.start < 0 || candidate > target.score) target = {static_cast<int64_t>(key), candidate, static_cast<int64_t>(at)};
            if (end - at == charLength) singleCharacterPiece = true;
        }
        if (!singleCharacterPiece) {
            Node& target = best[at + charLength];
            const double candidate = unkScore_ + here;
            if (target.start < 0 || candidate > target.score) target = {unkId_, candidate, static_cast<int64_t>(at)};
        }
        at += charLength;
    }
    // Back from the end; unknown stretches next to each other become one token.
    std::vector<std::string> out;
    std::string unknown;
    for (size_t end = n; end > 0;) {
        const Node& node = best[end];
        const auto start = static_cast<size_t>(node.start);
        if (unkId_ >= 0 && node.id == unkId_) {
            unknown.insert(0, word, start, end - start);
        } else {
            if (!unknown.empty()) out.push_back(std::move(unknown));
            unknown.clear();
            out.push_back(word.substr(start, end - start));
        }
        end = start;
    }
    if (!unknown.empty()) out.push_back(std::move(unknown));
    std::reverse(out.begin(), out.end());
    return out;
}

void UnigramModel::tokenize(const std::string& word, std::vector<int64_t>& ids) const {
    for (const std::string& piece : segment(word)) {
        const auto it = ids_.find(piece);
        if (it != ids_.end()) {
            ids.push_back(it->second);
            continue;
        }
        if (byteFallback_) {   // every byte as <0xNN> when the vocabulary has them all, else the unknown token
            std::vector<int64_t> bytes;
            for (unsigned char b : piece) {
                char name[8];
                std::snprintf(name, sizeof name, "<0x%02X>", b);
                const auto byte = ids_.find(name);
                if (byte == ids_.end()) break;
                bytes.push_back(byte->second);
            }
            if (bytes.size() == piece.size()) {
                ids.insert(ids.end(), bytes.begin(), bytes.end());
                continue;
            }
        }
        if (unkId_ < 0) throw Error(path_, "model \"Unigram\" has no unk_id for text it cannot cover: " + printableText(piece, 40));
        ids.push_back(unkId_);
    }
}

} // namespace headlight::tok
