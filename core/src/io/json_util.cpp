#include "io/json_util.h"

#include "headlight/input_file.h"

#include <limits>
#include <unordered_set>
#include <vector>

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

std::string readTextFile(const std::string& path, uint64_t maxBytes) { return readRegularFile(path, maxBytes); }

nlohmann::json parse(const char* begin, const char* end, const std::string& source, const std::string& what) {
    const std::string subject = what.empty() ? "not valid JSON" : what + " is not valid JSON";
    // The keys seen so far in each open object (an empty set for each open list), innermost last.
    std::vector<std::unordered_set<std::string>> open;
    using Event = nlohmann::json::parse_event_t;
    const nlohmann::json::parser_callback_t check = [&](int depth, Event event, nlohmann::json& parsed) {
        if (event == Event::object_start || event == Event::array_start) {
            if (depth >= kMaxDepth)
                throw Error(source, (what.empty() ? std::string() : what + ": ") + "nested deeper than " +
                                        std::to_string(kMaxDepth) + " levels");
            open.emplace_back();
        } else if (event == Event::object_end || event == Event::array_end) {
            if (!open.empty()) open.pop_back();
        } else if (event == Event::key && !open.empty()) {
            const auto& key = parsed.get_ref<const std::string&>();
            if (!open.back().insert(key).second)
                throw Error(source, (what.empty() ? std::string() : what + ": ") + "duplicate key \"" +
                                        printableText(key, 40) + "\"");
        }
        return true;
    };
    try {
        return nlohmann::json::parse(begin, end, check);
    } catch (const nlohmann::json::parse_error& e) {
        throw Error(source, subject + " (" + shortParseError(e) + ")");
    } catch (const nlohmann::json::exception&) {
        throw Error(source, subject + " (a number is out of range)");
    }
}

nlohmann::json parse(const std::string& text, const std::string& source, const std::string& what) {
    return parse(text.data(), text.data() + text.size(), source, what);
}

std::string excerpt(const nlohmann::json& v) {
    if (v.is_object()) return v.empty() ? "an empty object" : "an object";
    if (v.is_array()) return v.empty() ? "an empty list" : "a list of " + std::to_string(v.size()) + " items";
    if (v.is_string()) return "\"" + printableText(v.get_ref<const std::string&>(), 40) + "\"";
    return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);   // a number, true, false or null
}

std::string shortParseError(const nlohmann::json::parse_error& e) {
    return "parse error at byte " + std::to_string(e.byte);
}

std::string requireString(const nlohmann::json& j, const char* key, const std::string& source, const std::string& section) {
    const auto& v = require(j, key, source, section);
    if (!v.is_string()) throw Error(source, qualified(key, section) + " must be a string, got " + excerpt(v));
    return v.get<std::string>();
}

double requireNumber(const nlohmann::json& j, const char* key, const std::string& source, const std::string& section) {
    const auto& v = require(j, key, source, section);
    if (!v.is_number()) throw Error(source, qualified(key, section) + " must be a number, got " + excerpt(v));
    return v.get<double>();
}

int requireInt(const nlohmann::json& j, const char* key, const std::string& source, const std::string& section) {
    const auto& v = require(j, key, source, section);
    if (!v.is_number_integer()) throw Error(source, qualified(key, section) + " must be an integer, got " + excerpt(v));
    // Unsigned first: 2^64 - 1 read as int64_t would be -1.
    const bool tooLarge = v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int>::max());
    const auto x = tooLarge ? int64_t{0} : v.get<int64_t>();
    if (tooLarge || x < std::numeric_limits<int>::min() || x > std::numeric_limits<int>::max())
        throw Error(source, qualified(key, section) + " is out of range: " + excerpt(v));
    return static_cast<int>(x);
}

int requirePositiveInt(const nlohmann::json& j, const char* key, const std::string& source, const std::string& section) {
    const int x = requireInt(j, key, source, section);
    if (x <= 0) throw Error(source, qualified(key, section) + " must be positive, got " + std::to_string(x));
    return x;
}

bool requireBool(const nlohmann::json& j, const char* key, const std::string& source, const std::string& section) {
    const auto& v = require(j, key, source, section);
    if (!v.is_boolean()) throw Error(source, qualified(key, section) + " must be true or false, got " + excerpt(v));
    return v.get<bool>();
}

} // namespace headlight::jsonutil
