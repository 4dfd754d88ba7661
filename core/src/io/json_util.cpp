#include "io/json_util.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <sys/stat.h>

namespace headlight::jsonutil {
namespace {

std::string qualified(const char* key, const std::string& section) {
    return "\"" + (section.empty() ? std::string(key) : section + "." + key) + "\"";
}

const nlohmann::json& require(const nlohmann::json& j, const char* key, const std::string& source,
                              const std::string& section) {
    if (!j.contains(key)) throw Error(source, "missing key " + qualified(key, section));
    return j.at(key);
}

} // namespace

std::string readTextFile(const std::string& path) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) throw Error(path, "file not found");
    if (S_ISDIR(st.st_mode)) throw Error(path, "is a folder, expected a file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(path, std::string("cannot open (") + std::strerror(errno) + ")");
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string shortParseError(const nlohmann::json::parse_error& e) {
    return "parse error at byte " + std::to_string(e.byte);
}

std::string requireString(const nlohmann::json& j, const char* key, const std::string& source, const std::string& section) {
    const auto& v = require(j, key, source, section);
    if (!v.is_string()) throw Error(source, qualified(key, section) + " must be a string, got " + v.dump());
    return v.get<std::string>();
}

double requireNumber(const nlohmann::json& j, const char* key, const std::string& source, const std::string& section) {
    const auto& v = require(j, key, source, section);
    if (!v.is_number()) throw Error(source, qualified(key, section) + " must be a number, got " + v.dump());
    return v.get<double>();
}

int requireInt(const nlohmann::json& j, const char* key, const std::string& source, const std::string& section) {
    const auto& v = require(j, key, source, section);
    if (!v.is_number_integer()) throw Error(source, qualified(key, section) + " must be an integer, got " + v.dump());
    const auto x = v.get<int64_t>();
    if (x < std::numeric_limits<int>::min() || x > std::numeric_limits<int>::max())
        throw Error(source, qualified(key, section) + " is out of range: " + v.dump());
    return static_cast<int>(x);
}

int requirePositiveInt(const nlohmann::json& j, const char* key, const std::string& source, const std::string& section) {
    const int x = requireInt(j, key, source, section);
    if (x <= 0) throw Error(source, qualified(key, section) + " must be positive, got " + std::to_string(x));
    return x;
}

bool requireBool(const nlohmann::json& j, const char* key, const std::string& source, const std::string& section) {
    const auto& v = require(j, key, source, section);
    if (!v.is_boolean()) throw Error(source, qualified(key, section) + " must be true or false, got " + v.dump());
    return v.get<bool>();
}

} // namespace headlight::jsonutil
