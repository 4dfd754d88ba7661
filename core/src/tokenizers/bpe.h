#pragma once
// Byte-pair encoding as Hugging Face's BPE model does it: characters (or byte-fallback tokens) merged
// by merge rank, lowest rank first, leftmost first on ties.
#include "tokenizers/components.h"

#include <mutex>
#include <unordered_map>

namespace headlight::tok {

struct BpeOptions {
    std::string unkToken;               // empty: unknown characters are dropped, as Hugging Face does
    bool fuseUnk = false;
    bool byteFallback = false;
    bool ignoreMerges = false;
    std::string continuingSubwordPrefix;
    std::string endOfWordSuffix;
};

class BpeModel final : public Model {
public:
    // `merges`: pairs of vocabulary strings in rank order. Throws headlight::Error(path, ...) when a
    // merge names a string that is not in the vocabulary.
    BpeModel(std::shared_ptr<const Vocab> vocab,
             const std::vector<std::pair<std::string, std::string>>& merges, BpeOptions options, const std::string& path);
    void tokenize(const std::string& word, std::vector<int64_t>& ids) const override;

private:
    std::vector<int64_t> mergeWord(const std::string& word) const;
    std::vector<int64_t> mergeSymbols(std::vector<int64_t> symbols) const;

    std::shared_ptr<const Vocab> vocabHolder_;
    const Vocab& vocab_;
    BpeOptions options_;
    std::unordered_map<uint64_t, std::pair<uint32_t, int64_t>> merges_;   // (left id, right id) -> (rank, merged id)
    int64_t unkId_ = -1;
    // Words repeat: remember their ids (bounded, so a long stream cannot grow it without end).
    mutable std::mutex cacheMutex_;
    mutable std::unordered_map<std::string, std::vector<int64_t>> cache_;
};

// Parses merges.txt: an optional "#version" line, then one "a b" pair per line.
std::vector<std::pair<std::string, std::string>> parseMergesText(const std::string& text, const std::string& path);

} // namespace headlight::tok
