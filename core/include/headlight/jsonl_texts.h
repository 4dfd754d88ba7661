#pragma once
// The texts of a JSON-lines file, as `headlight-cli tokenize --jsonl` reads them (core/src/tokenizers/load.cpp).
#include <cstdint>
#include <string>
#include <vector>

namespace headlight {

// One text: the "text" of a line, and where it came from ("FILE: line 3").
struct JsonlText {
    std::string where;
    std::string text;
};

// The texts of a JSON-lines file of {"text": ...} objects (a regular file of at most `maxBytes`; blank lines
// skipped). Each line is parsed as strictly as every JSON file we read (no key twice, bounded nesting);
// headlight::Error naming the file and the line otherwise.
std::vector<JsonlText> readJsonlTexts(const std::string& path, uint64_t maxBytes);

} // namespace headlight
