#include "cli_args.h"

#include "headlight/error.h"

namespace headlight::cli {

Args::Args(const std::vector<std::string>& argv, const std::set<std::string>& valued, const std::set<std::string>& flags) {
    for (size_t i = 0; i < argv.size(); ++i) {
        const std::string& a = argv[i];
        if (a.rfind("--", 0) != 0 || a == "--") {
            positional_.push_back(a);
            continue;
        }
        if (flags.count(a)) { values_[a] = "1"; continue; }
        if (!valued.count(a)) throw UsageError{a + ": unknown option"};
        if (i + 1 >= argv.size()) throw UsageError{a + ": needs a value"};
        if (values_.count(a)) throw UsageError{a + ": given twice"};
        values_[a] = argv[++i];
    }
}

std::string Args::value(const std::string& option, const std::string& fallback) const {
    auto it = values_.find(option);
    return it == values_.end() ? fallback : it->second;
}

std::string Args::required(const std::string& option) const {
    if (!has(option)) throw UsageError{option + ": required"};
    return value(option);
}

long long Args::integer(const std::string& option, long long fallback) const {
    if (!has(option)) return fallback;
    const std::string v = value(option);
    try {
        size_t used = 0;
        const long long x = std::stoll(v, &used);
        if (used == v.size()) return x;
    } catch (const std::out_of_range&) {
        throw UsageError{option + ": " + printableText(v, 40) + " is out of range"};
    } catch (const std::exception&) {
    }
    throw UsageError{option + ": \"" + printableText(v, 40) + "\" is not an integer"};
}

long long Args::integerIn(const std::string& option, long long fallback, long long lowest, long long highest) const {
    const long long x = integer(option, fallback);
    if (x < lowest || x > highest)
        throw UsageError{option + ": must be in " + std::to_string(lowest) + ".." + std::to_string(highest) + ", got " + std::to_string(x)};
    return x;
}

std::string jsonText(const nlohmann::json& j) { return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace); }

namespace {

// LibTorch's allocators fail with their own text ("DefaultCPUAllocator: can't allocate memory: you tried to
// allocate 106623147024 bytes. Error code 12 ...", "CUDA out of memory. Tried to allocate 20.00 GiB ...");
// whichever command reached one, the user reads one line in our words. "" for any other message.
std::string allocatorFailure(const std::string& message) {
    const bool cpu = message.find("can't allocate memory") != std::string::npos;
    const bool cuda = message.find("CUDA out of memory") != std::string::npos;
    if (!cpu && !cuda) return "";
    std::string size;
    const size_t at = message.find("allocate ", message.find(cpu ? "tried to" : "Tried to"));
    if (at != std::string::npos) {
        size_t used = 0;
        try {
            const double amount = std::stod(message.substr(at + 9), &used);
            const std::string unit = message.substr(at + 9 + used, 6);
            if (unit == " bytes") size = " (" + std::to_string(static_cast<long long>(amount / 1e6)) + " MB more were asked for)";
            else size = " (" + printableText(message.substr(at + 9, used + 4), 20) + " more were asked for)";
        } catch (const std::exception&) {
        }
    }
    return std::string("out of memory") + (cuda ? " on the GPU" : "") + size + "; try a shorter input or capture less";
}

} // namespace

std::string unexpectedErrorText(const std::exception& e) {
    std::string message = e.what();
    message = message.substr(0, message.find('\n'));   // LibTorch's messages span many lines
    if (message.rfind("[json.exception.", 0) == 0)
    {
        const size_t close = message.find("] ");
        message = "unexpected JSON value (" + (close == std::string::npos ? message : message.substr(close + 2)) + ")";
    }
    else if (message == "stoi" || message == "stol" || message == "stoll" || message == "stod")
        message = "a number is out of range";
    else if (const std::string memory = allocatorFailure(message); !memory.empty())
        return memory;
    return "unexpected error: " + printableText(message, 200);
}

void rethrowNamingArgument(const Error& e, const ArgumentNames& names) {
    const auto it = names.find(e.input());
    if (e.input() == ErrorInput::None || it == names.end()) throw e;
    throw Error(it->second.name, e.problem() + it->second.hint, e.input());
}

std::vector<long long> parseIntList(const std::string& text, const std::string& argName) {
    std::vector<long long> out;
    if (text.empty()) throw Error(argName, "is empty");
    size_t start = 0;
    while (true) {
        const size_t comma = text.find(',', start);
        std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        while (!item.empty() && item.front() == ' ') item.erase(item.begin());
        while (!item.empty() && item.back() == ' ') item.pop_back();
        size_t used = 0;
        long long x = 0;
        try {
            x = std::stoll(item, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (item.empty() || used != item.size()) throw Error(argName, "\"" + printableText(item, 40) + "\" is not an integer");
        out.push_back(x);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return out;
}

} // namespace headlight::cli
