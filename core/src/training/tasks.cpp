// The synthetic tasks of docs/tasks.md. Each example is a character string starting with '^' plus a mask of
// the positions whose next-character prediction the task scores.
#include "headlight/tasks.h"

#include "headlight/error.h"
#include "headlight/tokenizer.h"
#include "io/json_util.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>

namespace headlight {
namespace {

const std::string kLetters = "abcdefghijklmnopqrstuvwxyz";

// The longest example any task may make, in characters: far beyond any model's n_positions, and small
// enough that lengths computed from the parameters (4 * assignments + 5) cannot overflow an int.
constexpr int kMaxTaskLength = 1 << 20;

char randomLetter(std::mt19937_64& rng, int count = 26) {
    return kLetters[static_cast<size_t>(std::uniform_int_distribution<int>(0, count - 1)(rng))];
}

// Builds the example from its text and the character indices (into text) that are scored targets.
TaskExample finish(std::string text, const std::vector<size_t>& scoredTargets) {
    TaskExample ex;
    ex.chars = splitUtf8(text, "task");
    ex.text = std::move(text);
    ex.scored.assign(ex.chars.size() - 1, 0);
    for (size_t k : scoredTargets) ex.scored.at(k - 1) = 1;   // target k is predicted at position k - 1
    return ex;
}

// "^a=3;b=7;a=5;?a=5": the answer is the digit last assigned to the queried variable.
class AssignTask final : public Task {
public:
    AssignTask(int variables, int minAssignments, int assignments) : k_(variables), min_(minAssignments), n_(assignments) {}
    std::string name() const override { return "assign"; }
    std::string alphabet() const override { return "^" + kLetters.substr(0, static_cast<size_t>(k_)) + "0123456789=;?"; }
    int maxLength() const override { return 4 * n_ + 5; }
    TaskExample sample(std::mt19937_64& rng) const override {
        std::string text = "^";
        std::map<char, char> last;
        const int n = min_ == n_ ? n_ : std::uniform_int_distribution<int>(min_, n_)(rng);
        for (int i = 0; i < n; ++i) {
            const char v = randomLetter(rng, k_);
            const char d = static_cast<char>('0' + std::uniform_int_distribution<int>(0, 9)(rng));
            last[v] = d;
            text += std::string{v, '=', d, ';'};
        }
        auto it = last.begin();
        std::advance(it, std::uniform_int_distribution<size_t>(0, last.size() - 1)(rng));
        text += std::string{'?', it->first, '=', it->second};
        return finish(text, {text.size() - 1});
    }
private:
    int k_, min_, n_;
};

// "^" + s + s with |s| in [min, max]; scored: the repeated half after its first character.
class InductionTask final : public Task {
public:
    InductionTask(int minLength, int maxLength, std::string letters)
        : min_(minLength), max_(maxLength), letters_(std::move(letters)) {}
    std::string name() const override { return "induction"; }
    std::string alphabet() const override { return "^" + letters_; }
    int maxLength() const override { return 1 + 2 * max_; }
    TaskExample sample(std::mt19937_64& rng) const override {
        const int len = std::uniform_int_distribution<int>(min_, max_)(rng);
        std::string s;
        std::uniform_int_distribution<size_t> pick(0, letters_.size() - 1);
        for (int i = 0; i < len; ++i) s += letters_[pick(rng)];
        std::vector<size_t> targets;
        for (size_t k = static_cast<size_t>(len) + 2; k <= 2 * static_cast<size_t>(len); ++k) targets.push_back(k);
        return finish("^" + s + s, targets);
    }
private:
    int min_, max_;
    std::string letters_;
};

// D source characters where every second one follows a fixed bigram rule from the one before (distance 1),
// then the first T - D of them again (distance D): short- and long-range heads are both needed.
class MixedRangeTask final : public Task {
public:
    MixedRangeTask(int length, int distance, uint64_t secret) : length_(length), distance_(distance) {
        std::mt19937_64 rng(secret ^ 0x6d697865ULL);
        for (char& c : rule_) c = randomLetter(rng);
    }
    std::string name() const override { return "mixed-range"; }
    std::string alphabet() const override { return "^" + kLetters; }
    int maxLength() const override { return length_ + 1; }
    TaskExample sample(std::mt19937_64& rng) const override {
        std::string source;
        std::vector<size_t> targets;
        for (int c = 0; c < distance_; ++c) {
            if (c % 2 == 0) source += randomLetter(rng);
            else {
                source += rule_[static_cast<size_t>(source.back() - 'a')];
                targets.push_back(static_cast<size_t>(c) + 1);
            }
        }
        for (int c = distance_; c < length_; ++c) targets.push_back(static_cast<size_t>(c) + 1);
        return finish("^" + source + source.substr(0, static_cast<size_t>(length_ - distance_)), targets);
    }
private:
    int length_, distance_;
    char rule_[26] = {};
};

// Pairs x pi(x) for a secret permutation pi of the letters: pi must be stored in the weights.
class LookupTask final : public Task {
public:
    LookupTask(int length, uint64_t secret) : length_(length) {
        std::string letters = kLetters;
        std::mt19937_64 rng(secret ^ 0x6c6f6f6bULL);
        std::shuffle(letters.begin(), letters.end(), rng);
        pi_ = letters;
    }
    std::string name() const override { return "lookup"; }
    std::string alphabet() const override { return "^" + kLetters; }
    int maxLength() const override { return length_ + 1; }
    TaskExample sample(std::mt19937_64& rng) const override {
        std::string text = "^";
        std::vector<size_t> targets;
        for (int p = 0; p < length_ / 2; ++p) {
            const char x = randomLetter(rng);
            text += x;
            text += pi_[static_cast<size_t>(x - 'a')];
            targets.push_back(text.size() - 1);
        }
        return finish(text, targets);
    }
private:
    int length_;
    std::string pi_;
};

// Random windows of a user's UTF-8 file, every position scored (character-level language modelling).
class TextTask final : public Task {
public:
    TextTask(const std::string& path, int context) : context_(context) {
        chars_ = splitUtf8(jsonutil::readTextFile(path, jsonutil::kMaxTextFileBytes), path);
        if (static_cast<int>(chars_.size()) < context_ + 1)
            throw Error(path, "has " + std::to_string(chars_.size()) + " characters, fewer than context + 1 = " + std::to_string(context_ + 1));
        std::set<std::string> unique(chars_.begin(), chars_.end());
        unique.erase("^");
        alphabet_ = "^";
        for (const auto& c : unique) alphabet_ += c;
    }
    std::string name() const override { return "text"; }
    std::string alphabet() const override { return alphabet_; }
    int maxLength() const override { return context_ + 1; }
    TaskExample sample(std::mt19937_64& rng) const override {
        const size_t start = std::uniform_int_distribution<size_t>(0, chars_.size() - static_cast<size_t>(context_))(rng);
        std::string text = "^";
        std::vector<size_t> targets;
        for (int i = 0; i < context_; ++i) {
            text += chars_[start + static_cast<size_t>(i)];
            targets.push_back(static_cast<size_t>(i) + 1);
        }
        return finish(text, targets);
    }
private:
    int context_;
    std::vector<std::string> chars_;
    std::string alphabet_;
};

class FixedTextTask final : public Task {
public:
    // Split once here: sample() used to re-split the whole text for every position (quadratic in its length).
    explicit FixedTextTask(std::string text) : text_(text.rfind('^', 0) == 0 ? std::move(text) : "^" + text) {
        const std::vector<std::string> chars = splitUtf8(text_, "--text");
        length_ = static_cast<int>(chars.size());
        std::set<std::string> unique(chars.begin(), chars.end());
        for (const auto& c : unique) alphabet_ += c;
    }
    std::string name() const override { return "fixed-text"; }
    std::string alphabet() const override { return alphabet_; }
    int maxLength() const override { return length_; }
    TaskExample sample(std::mt19937_64&) const override {
        std::vector<size_t> targets;
        for (int k = 1; k < length_; ++k) targets.push_back(static_cast<size_t>(k));
        return finish(text_, targets);
    }
private:
    std::string text_;
    std::string alphabet_;
    int length_ = 0;
};

} // namespace

std::unique_ptr<Task> makeFixedTextTask(const std::string& text) {
    if (text.empty()) throw Error("--text", "is empty; give at least one character");
    // Bytes bound characters from above, and no model has this many positions: refuse before any work.
    if (text.size() > static_cast<size_t>(kMaxTaskLength))
        throw Error("--text", "is " + std::to_string(text.size()) + " bytes long; at most " + std::to_string(kMaxTaskLength) + " are accepted");
    return std::make_unique<FixedTextTask>(text);
}

TaskParams TaskParams::fromJson(const std::string& jsonText, const std::string& source) {
    const nlohmann::json j = jsonutil::parse(jsonText, source, "task");
    if (!j.is_object()) throw Error(source, "task must be a JSON object");
    TaskParams p;
    p.name = jsonutil::requireString(j, "name", source, "task");
    const std::map<std::string, std::set<std::string>> keys = {
        {"assign", {"variables", "assignments", "min_assignments"}}, {"induction", {"min_length", "max_length", "alphabet"}},
        {"mixed-range", {"length", "distance", "secret"}}, {"lookup", {"length", "secret"}}, {"text", {"file", "context"}}};
    auto known = keys.find(p.name);
    if (known == keys.end())
        throw Error(source, "unknown task \"" + p.name + "\" (assign, induction, mixed-range, lookup, text)");
    for (const auto& item : j.items())
        if (item.key() != "name" && !known->second.count(item.key()))
            throw Error(source, "unknown key \"" + item.key() + "\" for task " + p.name);
    const std::string w = "task";
    if (j.contains("variables")) p.variables = jsonutil::requireInt(j, "variables", source, w);
    if (j.contains("assignments")) p.assignments = jsonutil::requireInt(j, "assignments", source, w);
    if (j.contains("min_assignments")) p.minAssignments = jsonutil::requireInt(j, "min_assignments", source, w);
    if (j.contains("alphabet")) p.alphabet = jsonutil::requireString(j, "alphabet", source, w);
    if (j.contains("min_length")) p.minLength = jsonutil::requireInt(j, "min_length", source, w);
    if (j.contains("max_length")) p.maxLength = jsonutil::requireInt(j, "max_length", source, w);
    if (j.contains("length")) p.length = jsonutil::requireInt(j, "length", source, w);
    if (j.contains("distance")) p.distance = jsonutil::requireInt(j, "distance", source, w);
    if (j.contains("secret")) p.secret = static_cast<uint64_t>(jsonutil::requireInt(j, "secret", source, w));
    if (j.contains("file")) p.file = jsonutil::requireString(j, "file", source, w);
    if (j.contains("context")) p.context = jsonutil::requirePositiveInt(j, "context", source, w);
    try {
        makeTask(p);   // validates the values, naming the parameter
    } catch (const Error& e) {
        throw Error(source, e.what());
    }
    return p;
}

std::string TaskParams::toJson() const {
    nlohmann::json t = {{"name", name}};
    if (name == "assign") {
        t["variables"] = variables;
        t["assignments"] = assignments;
        if (minAssignments) t["min_assignments"] = minAssignments;
    }
    if (name == "induction") {
        t["min_length"] = minLength;
        t["max_length"] = maxLength;
        if (!alphabet.empty()) t["alphabet"] = alphabet;
    }
    if (name == "mixed-range" || name == "lookup") { t["length"] = length; t["secret"] = secret; }
    if (name == "mixed-range" && distance) t["distance"] = distance;
    if (name == "text") { t["file"] = file; t["context"] = context; }
    return t.dump();
}

std::unique_ptr<Task> makeTask(const TaskParams& p) {
    const std::string where = "task " + p.name;
    if (p.name == "assign") {
        if (p.variables < 1 || p.variables > 26) throw Error(where, "variables must be 1..26, got " + std::to_string(p.variables));
        if (p.assignments < 1 || p.assignments > (kMaxTaskLength - 5) / 4)
            throw Error(where, "assignments must be 1.." + std::to_string((kMaxTaskLength - 5) / 4) + ", got " + std::to_string(p.assignments));
        if (p.minAssignments < 0 || p.minAssignments > p.assignments)
            throw Error(where, "min_assignments must be 1..assignments (or 0 for a fixed count), got " + std::to_string(p.minAssignments));
        return std::make_unique<AssignTask>(p.variables, p.minAssignments ? p.minAssignments : p.assignments, p.assignments);
    }
    if (p.name == "induction") {
        if (p.maxLength > kMaxTaskLength / 2)
            throw Error(where, "max_length must be at most " + std::to_string(kMaxTaskLength / 2) + ", got " + std::to_string(p.maxLength));
        if (p.minLength < 2 || p.maxLength < p.minLength)
            throw Error(where, "needs 2 <= min_length <= max_length, got " + std::to_string(p.minLength) + ".." + std::to_string(p.maxLength));
        const std::string letters = p.alphabet.empty() ? kLetters : p.alphabet;
        if (std::set<char>(letters.begin(), letters.end()).size() != letters.size() || letters.find('^') != std::string::npos ||
            std::any_of(letters.begin(), letters.end(), [](char c) { return static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e; }))
            throw Error(where, "alphabet must be distinct printable ASCII characters other than '^', got \"" + printableText(p.alphabet, 40) + "\"");
        return std::make_unique<InductionTask>(p.minLength, p.maxLength, letters);
    }
    if (p.name == "mixed-range" || p.name == "lookup") {
        if (p.length < 4 || p.length % 2 != 0 || p.length >= kMaxTaskLength)
            throw Error(where, "length must be even, >= 4 and < " + std::to_string(kMaxTaskLength) + ", got " + std::to_string(p.length));
        if (p.name == "lookup") return std::make_unique<LookupTask>(p.length, p.secret);
        const int distance = p.distance ? p.distance : p.length / 2;
        if (distance < p.length / 2 || distance >= p.length)
            throw Error(where, "distance must be in [length/2, length), got " + std::to_string(distance));
        return std::make_unique<MixedRangeTask>(p.length, distance, p.secret);
    }
    if (p.name == "text") {
        if (p.file.empty()) throw Error(where, "needs \"file\"");
        if (p.context < 1 || p.context >= kMaxTaskLength)
            throw Error(where, "context must be 1.." + std::to_string(kMaxTaskLength - 1) + ", got " + std::to_string(p.context));
        return std::make_unique<TextTask>(p.file, p.context);
    }
    throw Error(where, "unknown task (assign, induction, mixed-range, lookup, text)");
}

} // namespace headlight
