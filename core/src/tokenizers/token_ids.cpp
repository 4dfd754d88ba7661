// The ids of a pipeline, checked before the tokenizer sizes its tables by them: a 293-byte tokenizer.json whose
// one added token says id 200000000 used to fill 3.4 GB with an id table before anything looked at the id.
#include "headlight/error.h"
#include "tokenizers/components.h"
#include "tokenizers/pipeline.h"

#include <unordered_map>

namespace headlight::tok {

void checkTokenIds(PipelineParts& parts) {
    const Vocab& vocab = *parts.vocab;
    const int64_t tokens = static_cast<int64_t>(vocab.size());
    for (const auto& [token, id] : vocab) {
        if (id < 0) throw Error(parts.path, "token " + quotedText(token) + " has a negative id " + std::to_string(id));
        if (id >= tokens + kMaxUnusedIds)
            throw Error(parts.path, "token " + quotedText(token) + " has id " + std::to_string(id) + ", but the vocabulary has " +
                                        std::to_string(tokens) + " tokens (ids may leave at most " + std::to_string(kMaxUnusedIds) +
                                        " unused)");
    }
    // Hugging Face numbers added tokens itself, whatever ids the file gives (it warns only when a vocabulary
    // token's id differs): an empty token is ignored, a repeated one keeps its first id and takes the later
    // options, one in the vocabulary has the vocabulary's id, and the others follow the vocabulary in order.
    // A file whose ids differ would encode to other ids than Hugging Face's: refused.
    const std::string& addedPath = parts.addedPath.empty() ? parts.path : parts.addedPath;
    std::vector<AddedToken> kept;
    std::unordered_map<std::string, size_t> index;   // content -> position in `kept`
    int64_t next = tokens;
    for (AddedToken& t : parts.added) {
        if (t.content.empty()) continue;
        const std::string what = t.where + " " + quotedText(t.content) + ": id " + std::to_string(t.id);
        auto seen = index.find(t.content);
        if (seen != index.end()) {
            AddedToken& first = kept[seen->second];
            if (t.id != first.id) throw Error(addedPath, what + ", but the same token came before with id " + std::to_string(first.id));
            t.special = t.special || first.special;   // Hugging Face's set of special tokens only grows
            first = std::move(t);
            continue;
        }
        auto inVocab = vocab.find(t.content);
        if (inVocab != vocab.end() && inVocab->second != t.id)
            throw Error(addedPath, what + ", but the vocabulary gives it id " + std::to_string(inVocab->second));
        if (inVocab == vocab.end() && t.id != next)
            throw Error(addedPath, what + ", but Hugging Face numbers it " + std::to_string(next) +
                                       " (added tokens outside the vocabulary follow its " + std::to_string(tokens) + " tokens, in order)");
        if (inVocab == vocab.end()) ++next;
        index.emplace(t.content, kept.size());
        kept.push_back(std::move(t));
    }
    parts.added = std::move(kept);
}

} // namespace headlight::tok
