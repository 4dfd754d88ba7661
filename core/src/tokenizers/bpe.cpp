// BPE: symbols from the word's characters, then repeated merges of the best-ranked adjacent pair.
#include "tokenizers/bpe.h"

#include "headlight/error.h"

#include <functional>
#include <queue>

namespace headlight::tok {
namespace {

uint64_t pairKey(int64_t a, int64_t b) { return static_cast<uint64_t>(a) << 32 | static_cast<uint32_t>(b); }
constexpr size_t kCacheLimit = 100000;

} // namespace

BpeModel::BpeModel(std::shared_ptr<const Vocab> vocab,
                   const std::vector<std::pair<std::string, std::string>>& merges, BpeOptions options,
                   const std::string& path)
    : vocabHolder_(std::move(vocab)), vocab_(*vocabHolder_), options_(std::move(options)) {
    const size_t prefixLength = options_.continuingSubwordPrefix.size();
    merges_.reserve(merges.size());
    std::string merged;
    for (size_t rank = 0; rank < merges.size(); ++rank) {
        const std::string& a = merges[rank].first;   // not a structured binding: the lambda below captures it
        const std::string& b = merges[rank].second;
        const auto ia = vocab_.find(a), ib = vocab_.find(b);
        // Tokens are quoted cut to 40 bytes: a merge of two 1 MB strings must not become a 2 MB message.
        const auto merge = [&] { return "merge " + std::to_string(rank + 1) + " (" + quotedText(a + " " + b) + "): "; };
        if (ia == vocab_.end()) throw Error(path, merge() + quotedText(a) + " is not in the vocabulary");
        if (ib == vocab_.end()) throw Error(path, merge() + quotedText(b) + " is not in the vocabulary");
        // The right part of a merge carries the continuing-subword prefix; the merged token does not repeat it.
        const size_t skip = b.compare(0, prefixLength, options_.continuingSubwordPrefix) == 0 ? prefixLength : 0;
        merged.assign(a).append(b, skip, std::string::npos);
        const auto im = vocab_.find(merged);
        if (im == vocab_.end()) throw Error(path, merge() + "the result " + quotedText(merged) + " is not in the vocabulary");
        merges_[pairKey(ia->second, ib->second)] = {static_cast<uint32_t>(rank), im->second};   // a repeated pair: the last wins
    }
    if (!options_.unkToken.empty()) {
        auto it = vocab_.find(options_.unkToken);
        if (it == vocab_.end()) throw Error(path, "unk_token " + quotedText(options_.unkToken) + " is not in the vocabulary");
        unkId_ = it->second;
    }
}

void BpeModel::tokenize(const std::string& word, std::vector<int64_t>& ids) const {
    if (word.empty()) return;
    if (options_.ignoreMerges) {
        auto it = vocab_.find(word);
        if (it != vocab_.end()) {
            ids.push_back(it->second);
            return;
        }
    }
    {
        std::lock_guard<std::mutex> lock(cacheMutex_);
        auto it = cache_.find(word);
        if (it != cache_.end()) {
            ids.insert(ids.end(), it->second.begin(), it->second.end());
            return;
        }
    }
    std::vector<int64_t> result = mergeWord(word);
    ids.insert(ids.end(), result.begin(), result.end());
    std::lock_guard<std::mutex> lock(cacheMutex_);
    if (cache_.size() >= kCacheLimit) cache_.clear();
    cache_.emplace(word, std::move(result));
}

std::vector<int64_t> BpeModel::mergeWord(const std::string& word) const {
    std::vector<int64_t> symbols;
    int64_t pendingUnk = -1;   // an unknown stretch not yet emitted (fuse_unk grows it)
    static const char* kHex = "0123456789ABCDEF";
    for (size_t i = 0; i < word.size();) {
        const size_t len = unicode::sequenceLength(static_cast<unsigned char>(word[i]));
        const bool first = i == 0, last = i + len >= word.size();
        std::string s = word.substr(i, len);
        i += len;
        if (!first) s = options_.continuingSubwordPrefix + s;
        if (last) s += options_.endOfWordSuffix;
        auto it = vocab_.find(s);
        if (it != vocab_.end()) {
            if (pendingUnk >= 0) symbols.push_back(pendingUnk);
            pendingUnk = -1;
            symbols.push_back(it->second);
            continue;
        }
        if (options_.byteFallback) {
            std::vector<int64_t> bytes;
            for (char c : s) {
                const auto b = static_cast<unsigned char>(c);
                auto bt = vocab_.find(std::string("<0x") + kHex[b >> 4] + kHex[b & 15] + ">");
                if (bt == vocab_.end()) break;
                bytes.push_back(bt->second);
            }
            if (bytes.size() == s.size()) {
                // As in Hugging Face, a pending unknown is not emitted before byte tokens.
                symbols.insert(symbols.end(), bytes.begin(), bytes.end());
                continue;
            }
        }
        if (unkId_ >= 0) {
            if (pendingUnk >= 0 && !options_.fuseUnk) symbols.push_back(pendingUnk);
            pendingUnk = unkId_;
        }
    }
    if (pendingUnk >= 0) symbols.push_back(pendingUnk);

    return mergeSymbols(std::move(symbols));
}

// Merges the best pair until none is left: lowest rank, then leftmost. A queue of candidate pairs over a
// linked list of symbols keeps long words (a run of 100 000 spaces is one word) at n log n.
std::vector<int64_t> BpeModel::mergeSymbols(std::vector<int64_t> symbols) const {
    if (symbols.size() < 2) return symbols;
    const size_t n = symbols.size();
    std::vector<size_t> next(n), prev(n);
    std::vector<bool> alive(n, true);
    for (size_t i = 0; i < n; ++i) {
        next[i] = i + 1;   // n: none
        prev[i] = i == 0 ? n : i - 1;
    }
    struct Candidate {
        uint32_t rank;
        size_t pos;   // the left symbol
        int64_t merged;
        bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
    };
    std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue;
    auto consider = [&](size_t left) {
        if (left >= n || next[left] >= n) return;
        auto m = merges_.find(pairKey(symbols[left], symbols[next[left]]));
        if (m != merges_.end()) queue.push({m->second.first, left, m->second.second});
    };
    for (size_t i = 0; i + 1 < n; ++i) consider(i);
    while (!queue.empty()) {
        const Candidate c = queue.top();
        queue.pop();
        // Skip candidates made stale by earlier merges: the pair at `pos` must still produce `merged`.
        if (!alive[c.pos] || next[c.pos] >= n) continue;
        auto m = merges_.find(pairKey(symbols[c.pos], symbols[next[c.pos]]));
        if (m == merges_.end() || m->second.second != c.merged) continue;
        const size_t right = next[c.pos];
        symbols[c.pos] = c.merged;
        alive[right] = false;
        next[c.pos] = next[right];
        if (next[right] < n) prev[next[right]] = c.pos;
        if (prev[c.pos] < n) consider(prev[c.pos]);
        consider(c.pos);
    }
    std::vector<int64_t> out;
    for (size_t i = 0; i < n; i = next[i]) out.push_back(symbols[i]);
    return out;
}

std::vector<std::pair<std::string, std::string>> parseMergesText(const std::string& text, const std::string& path) {
    std::vector<std::pair<std::string, std::string>> out;
    size_t lineNo = 0;
    for (size_t at = 0; at < text.size();) {
        size_t end = text.find('\n', at);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(at, end - at);
        at = end + 1;
        ++lineNo;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || (lineNo == 1 && line.rfind("#version", 0) == 0)) continue;
        const size_t space = line.find(' ');
        if (space == std::string::npos || space == 0 || space + 1 == line.size() || line.find(' ', space + 1) != std::string::npos)
            throw Error(path, "line " + std::to_string(lineNo) + " is not two tokens separated by one space");
        out.emplace_back(line.substr(0, space), line.substr(space + 1));
    }
    return out;
}

} // namespace headlight::tok
