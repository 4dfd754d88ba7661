#pragma once
// Reads tokenizer.json in one streaming pass. The model's vocabulary and merges (hundreds of thousands of
// entries in large tokenizers) go straight into their tables instead of a JSON tree, which would cost most
// of the load time; everything else becomes an ordinary JSON value (with "vocab": {} and "merges": []).
#include "tokenizers/components.h"

namespace headlight::tok {

struct ModelTables {
    std::shared_ptr<Vocab> vocab = std::make_shared<Vocab>();
    std::vector<std::pair<std::string, std::string>> merges;
    bool hasVocab = false, hasMerges = false;   // read from model.vocab (an object) / model.merges (a list)
};

// headlight::Error naming `path` when the file is missing or not JSON, or an entry is malformed.
nlohmann::json readTokenizerJson(const std::string& path, ModelTables& tables);

} // namespace headlight::tok
