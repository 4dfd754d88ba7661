#pragma once
// One error type for every bad input: it names the file (or argument) and the problem, on one line.
#include <stdexcept>
#include <string>

namespace headlight {

class Error : public std::runtime_error {
public:
    // `where` is the file path or argument the problem is in; may be empty.
    Error(const std::string& where, const std::string& problem)
        : std::runtime_error(where.empty() ? problem : where + ": " + problem),
          where_(where), problem_(problem) {}

    const std::string& where() const { return where_; }
    const std::string& problem() const { return problem_; }

private:
    std::string where_;
    std::string problem_;
};

} // namespace headlight
