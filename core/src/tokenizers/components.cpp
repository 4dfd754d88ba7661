// Shared pieces of the pipeline components: option access and splitting by match ranges.
#include "tokenizers/components.h"

#include "headlight/error.h"

#include <algorithm>

namespace headlight::tok {

Options::Options(const nlohmann::json& j, std::string path, std::string where)
    : j_(j), path_(std::move(path)), where_(std::move(where)) {
    if (!j_.is_object()) fail("expected an object");
}

void Options::fail(const std::string& problem) const { throw Error(path_, where_ + ": " + problem); }

void Options::allowOnly(std::initializer_list<const char*> known) const {
    for (const auto& item : j_.items()) {
        if (item.key() == "type") continue;
        const bool ok = std::any_of(known.begin(), known.end(), [&](const char* k) { return item.key() == k; });
        if (!ok) fail("option \"" + item.key() + "\" is not supported");
    }
}

bool Options::has(const char* key) const { return j_.contains(key) && !j_.at(key).is_null(); }

const nlohmann::json& Options::raw(const char* key) const {
    static const nlohmann::json null;
    return j_.contains(key) ? j_.at(key) : null;
}

bool Options::boolean(const char* key, bool fallback) const {
    if (!has(key)) return fallback;
    if (!j_.at(key).is_boolean()) fail(std::string("option \"") + key + "\" must be true or false");
    return j_.at(key).get<bool>();
}

std::string Options::string(const char* key, const std::string& fallback) const {
    if (!has(key)) return fallback;
    if (!j_.at(key).is_string()) fail(std::string("option \"") + key + "\" must be a string");
    return j_.at(key).get<std::string>();
}

std::string Options::requiredString(const char* key) const {
    if (!has(key)) fail(std::string("option \"") + key + "\" is missing");
    return string(key, {});
}

int64_t Options::integer(const char* key, int64_t fallback) const {
    if (!has(key)) return fallback;
    if (!j_.at(key).is_number_integer()) fail(std::string("option \"") + key + "\" must be an integer");
    return j_.at(key).get<int64_t>();
}

std::string componentType(const nlohmann::json& j, const std::string& path, const std::string& what) {
    if (!j.is_object() || !j.contains("type") || !j.at("type").is_string())
        throw Error(path, what + " has no \"type\" string");
    return j.at("type").get<std::string>();
}

SplitBehavior parseBehavior(const Options& o, const char* key, SplitBehavior fallback) {
    if (!o.has(key)) return fallback;
    const std::string b = o.string(key, {});
    if (b == "Removed") return SplitBehavior::Removed;
    if (b == "Isolated") return SplitBehavior::Isolated;
    if (b == "MergedWithPrevious") return SplitBehavior::MergedWithPrevious;
    if (b == "MergedWithNext") return SplitBehavior::MergedWithNext;
    if (b == "Contiguous") return SplitBehavior::Contiguous;
    o.fail("behavior \"" + b + "\" is not supported");
}

void splitPiece(const Piece& piece, const std::vector<std::pair<size_t, size_t>>& matches, SplitBehavior behavior,
                bool invert, std::vector<Piece>& out) {
    // The piece as consecutive ranges, each flagged as a match or not (empty matches included, as
    // Hugging Face's find_matches reports them).
    struct Range {
        size_t begin, end;
        bool flag;   // match before the behaviour; "remove" after it
    };
    std::vector<Range> ranges;
    size_t prev = 0;
    for (const auto& [b, e] : matches) {
        if (prev != b) ranges.push_back({prev, b, invert});
        ranges.push_back({b, e, !invert});
        prev = e;
    }
    if (prev != piece.text.size() || ranges.empty()) ranges.push_back({prev, piece.text.size(), invert});

    std::vector<Range> parts;
    switch (behavior) {
    case SplitBehavior::Removed:
        parts = ranges;
        break;
    case SplitBehavior::Isolated:
        for (const Range& r : ranges) parts.push_back({r.begin, r.end, false});
        break;
    case SplitBehavior::Contiguous: {
        bool previous = false;
        for (const Range& r : ranges) {
            if (r.flag == previous && !parts.empty()) parts.back().end = r.end;
            else parts.push_back({r.begin, r.end, false});
            previous = r.flag;
        }
        break;
    }
    case SplitBehavior::MergedWithPrevious: {
        bool previous = false;
        for (const Range& r : ranges) {
            if (r.flag && !previous && !parts.empty()) parts.back().end = r.end;
            else parts.push_back({r.begin, r.end, false});
            previous = r.flag;
        }
        break;
    }
    case SplitBehavior::MergedWithNext: {
        bool previous = false;
        for (auto it = ranges.rbegin(); it != ranges.rend(); ++it) {
            if (it->flag && !previous && !parts.empty()) parts.back().begin = it->begin;
            else parts.push_back({it->begin, it->end, false});
            previous = it->flag;
        }
        std::reverse(parts.begin(), parts.end());
        break;
    }
    }
    for (const Range& r : parts) {
        if (r.flag || r.begin == r.end) continue;
        out.push_back({piece.text.substr(r.begin, r.end - r.begin), piece.atStart && r.begin == 0});
    }
}

} // namespace headlight::tok
