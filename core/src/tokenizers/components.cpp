// Shared pieces of the pipeline components: option access and splitting by match ranges.
#include "tokenizers/components.h"

#include "headlight/error.h"

#include <algorithm>

namespace headlight::tok {

void GrowthBudget::charge(const Stage& stage, size_t bytes) {
    auto it = std::find_if(written_.begin(), written_.end(), [&](const auto& w) { return w.first == &stage; });
    if (it == written_.end()) it = written_.insert(written_.end(), {&stage, 0});
    if (bytes > limit_ - it->second)
        throw Error(stage.path, stage.label + " grows the text beyond " + std::to_string(limit_) + " bytes (at most " +
                                    std::to_string(kGrowthFactor) + " times the input + " + std::to_string(kGrowthSlack) + ")");
    it->second += bytes;
}

std::string Normalizer::normalize(const std::string& text) const {
    GrowthBudget budget(text.size());
    return normalize(text, budget);
}

void PreTokenizer::split(std::vector<Piece>& pieces) const {
    size_t bytes = 0;
    for (const Piece& p : pieces) bytes += p.text.size();
    GrowthBudget budget(bytes);
    split(pieces, budget);
}

std::vector<std::string> Decoder::decode(std::vector<std::string> tokens) const {
    size_t bytes = tokens.size();
    for (const std::string& t : tokens) bytes += t.size();
    GrowthBudget budget(bytes);
    return decode(std::move(tokens), budget);
}

std::string componentLabel(const std::string& what, const std::string& position, const std::string& type) {
    return what + (position.empty() ? "" : " #" + position) + " " + quotedText(type);
}

std::string itemPosition(const std::string& position, size_t index) {
    return (position.empty() ? "" : position + ".") + std::to_string(index + 1);
}

std::string quotedText(const std::string& text) { return "\"" + printableText(text, 40) + "\""; }

std::vector<std::pair<size_t, size_t>> literalMatches(const std::string& text, const std::string& literal) {
    std::vector<std::pair<size_t, size_t>> out;
    if (literal.empty()) return out;
    for (size_t at = text.find(literal); at != std::string::npos; at = text.find(literal, at + literal.size()))
        out.emplace_back(at, at + literal.size());
    return out;
}

Options::Options(const nlohmann::json& j, std::string path, std::string where)
    : j_(j), path_(std::move(path)), where_(std::move(where)) {
    if (!j_.is_object()) fail("expected an object");
}

void Options::fail(const std::string& problem) const { throw Error(path_, where_ + ": " + problem); }

void Options::allowOnly(std::initializer_list<const char*> known) const {
    for (const auto& item : j_.items()) {
        if (item.key() == "type") continue;
        const bool ok = std::any_of(known.begin(), known.end(), [&](const char* k) { return item.key() == k; });
        if (!ok) fail("option " + quotedText(item.key()) + " is not supported");
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
    o.fail("behavior " + quotedText(b) + " is not supported");
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
