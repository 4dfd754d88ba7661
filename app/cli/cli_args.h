#pragma once
// A small, strict argument parser: `COMMAND [POSITIONAL...] [--option VALUE | --flag]...`.
#include <map>
#include <set>
#include <string>
#include <vector>

namespace headlight::cli {

// Wrong usage (unknown option, missing value): exit code 2.
struct UsageError {
    std::string message;
};

class Args {
public:
    // `valued` options take a value, `flags` do not; anything else is a UsageError.
    Args(const std::vector<std::string>& argv, const std::set<std::string>& valued, const std::set<std::string>& flags);

    const std::vector<std::string>& positional() const { return positional_; }
    bool has(const std::string& option) const { return values_.count(option) > 0; }
    std::string value(const std::string& option, const std::string& fallback = {}) const;
    std::string required(const std::string& option) const;
    // Parses an integer option; UsageError naming the option when it is not one.
    long long integer(const std::string& option, long long fallback) const;

private:
    std::vector<std::string> positional_;
    std::map<std::string, std::string> values_;
};

// "1,2,3" -> {1,2,3}; headlight::Error naming `argName` on anything else.
std::vector<long long> parseIntList(const std::string& text, const std::string& argName);

} // namespace headlight::cli
