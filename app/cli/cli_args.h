#pragma once
// A small, strict argument parser: `COMMAND [POSITIONAL...] [--option VALUE | --flag]...`.
#include "headlight/error.h"

#include <map>
#include <nlohmann/json.hpp>
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
    // integer(), then a range check: UsageError "--n: must be in 1..1000000, got 4294967297".
    long long integerIn(const std::string& option, long long fallback, long long lowest, long long highest) const;

private:
    std::vector<std::string> positional_;
    std::map<std::string, std::string> values_;
};

// A JSON summary for stdout, indented; text that is not valid UTF-8 (a --text of raw bytes) is replaced by
// U+FFFD rather than failing the whole output.
std::string jsonText(const nlohmann::json& j);

// One line for an exception that is not a headlight::Error (a library's own message): the first line of it,
// escaped and cut, with the library's prefixes ("[json.exception.type_error.302] ") turned into words.
std::string unexpectedErrorText(const std::exception& e);

// Which argument gave each part of a request (headlight::ErrorInput): the core names the part ("input", "context
// budget"), the command names the argument (--text, --budget). `hint` is added to the problem, e.g. the options
// that would make a capture smaller.
struct ArgumentName {
    std::string name;
    std::string hint;
};
using ArgumentNames = std::map<ErrorInput, ArgumentName>;
// `e` again, naming the argument that gave the part of the request it is about (unchanged when none did).
[[noreturn]] void rethrowNamingArgument(const Error& e, const ArgumentNames& names);
template <class Work>
auto namingArguments(const ArgumentNames& names, Work&& work) -> decltype(work()) {
    try {
        return work();
    } catch (const Error& e) {
        rethrowNamingArgument(e, names);
    }
}

// "1,2,3" -> {1,2,3}; headlight::Error naming `argName` on anything else.
std::vector<long long> parseIntList(const std::string& text, const std::string& argName);

} // namespace headlight::cli
