#pragma once
// Typed access to JSON values with one-line errors naming the file and the key, and the one JSON parser every
// reader of user files goes through (bounded nesting, no duplicate keys).
#include "headlight/error.h"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace headlight::jsonutil {

// Deeper nesting is refused when parsing: serialising or copying a value recurses once per level, so an
// unbounded depth would let a small file overflow the stack. Our files nest at most about 8 levels.
constexpr int kMaxDepth = 64;

// Parses `text`; Error naming `source` for invalid JSON ("`what` is not valid JSON (parse error at byte N)"),
// nesting deeper than kMaxDepth, a duplicate key in one object (JSON leaves it undefined which value counts)
// or a number out of range. `what` names the part ("header", "task"); empty means the whole file.
nlohmann::json parse(const std::string& text, const std::string& source, const std::string& what = {});
nlohmann::json parse(const char* begin, const char* end, const std::string& source, const std::string& what = {});

// A short, escaped description of a value for a message: a number, true/false/null, a quoted string cut to
// 40 bytes, or "an object" / "a list of N items". Never the whole value (it may be megabytes).
std::string excerpt(const nlohmann::json& v);

// A user file read whole (regular files only, see headlight/input_file.h), at most `maxBytes`.
constexpr uint64_t kMaxJsonFileBytes = 512ull << 20;
std::string readTextFile(const std::string& path, uint64_t maxBytes = kMaxJsonFileBytes);
// A text a training run learns from (the text task, fit --text-file): held whole in memory, as one string per
// character (about 32 bytes each) or as token ids.
constexpr uint64_t kMaxTextFileBytes = 32ull << 20;
std::string shortParseError(const nlohmann::json::parse_error& e);

// `section` prefixes the key in messages ("headlight.adaptive_span.ramp").
std::string requireString(const nlohmann::json& j, const char* key, const std::string& source, const std::string& section = {});
double requireNumber(const nlohmann::json& j, const char* key, const std::string& source, const std::string& section = {});
int requireInt(const nlohmann::json& j, const char* key, const std::string& source, const std::string& section = {});
int requirePositiveInt(const nlohmann::json& j, const char* key, const std::string& source, const std::string& section = {});
bool requireBool(const nlohmann::json& j, const char* key, const std::string& source, const std::string& section = {});

} // namespace headlight::jsonutil
