#pragma once
// Typed access to JSON values with one-line errors naming the file and the key.
#include "headlight/error.h"

#include <nlohmann/json.hpp>
#include <string>

namespace headlight::jsonutil {

std::string readTextFile(const std::string& path);
std::string shortParseError(const nlohmann::json::parse_error& e);

// `section` prefixes the key in messages ("headlight.adaptive_span.ramp").
std::string requireString(const nlohmann::json& j, const char* key, const std::string& source, const std::string& section = {});
double requireNumber(const nlohmann::json& j, const char* key, const std::string& source, const std::string& section = {});
int requireInt(const nlohmann::json& j, const char* key, const std::string& source, const std::string& section = {});
int requirePositiveInt(const nlohmann::json& j, const char* key, const std::string& source, const std::string& section = {});
bool requireBool(const nlohmann::json& j, const char* key, const std::string& source, const std::string& section = {});

} // namespace headlight::jsonutil
