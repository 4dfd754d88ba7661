// Head roles from the scores a run measured (attention/role_digest.cpp), their labels, and the role inputs: the
// rare-token keys, a frequencies file, the repeated-random-tokens probe.
#include "headlight/head_roles.h"

#include "headlight/error.h"
#include "headlight/tokenizer.h"
#include "io/json_util.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <unordered_map>

namespace headlight {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
const char* const kMeasuredIds[kMeasuredRoles] = {"previous_token", "next_token", "first_token",
                                                  "duplicate_token", "induction", "rare_token"};

int measuredRow(const std::string& id) {
    for (int r = 0; r < kMeasuredRoles; ++r)
        if (id == kMeasuredIds[r]) return r;
    return -1;
}

} // namespace

const char* measuredRoleId(int row) { return kMeasuredIds[std::clamp(row, 0, kMeasuredRoles - 1)]; }

const std::vector<std::string>& roleIds() {
    static const std::vector<std::string> ids = {"previous_token", "next_token", "positional", "first_token",
                                                 "duplicate_token", "induction", "rare_token"};
    return ids;
}

std::string roleName(const std::string& id) {
    static const std::unordered_map<std::string, std::string> names = {
        {"previous_token", "Previous token"}, {"next_token", "Next token"}, {"positional", "Positional"},
        {"first_token", "First token (sink)"}, {"duplicate_token", "Duplicate token"}, {"induction", "Induction"},
        {"rare_token", "Rare token"}};
    const auto it = names.find(id);
    return it == names.end() ? id : it->second;
}

bool isRoleId(const std::string& id) { return std::find(roleIds().begin(), roleIds().end(), id) != roleIds().end(); }

const FloatArray* HeadRoles::find(const std::string& role) const {
    for (const auto& [id, a] : scores)
        if (id == role) return &a;
    return nullptr;
}

float HeadRoles::score(const std::string& role, int layer, int head) const {
    const FloatArray* a = find(role);
    if (!a || layer < 0 || layer >= layers || head < 0 || head >= heads) return kNaN;
    return a->data()[static_cast<size_t>(layer) * static_cast<size_t>(heads) + static_cast<size_t>(head)];
}

const std::string& HeadRoles::label(int layer, int head) const {
    static const std::string kNone;
    const size_t i = static_cast<size_t>(layer) * static_cast<size_t>(heads) + static_cast<size_t>(head);
    return layer < 0 || head < 0 || layer >= layers || head >= heads || i >= labels.size() ? kNone : labels[i];
}

void labelRoles(HeadRoles& roles, double threshold) {
    roles.labels.assign(static_cast<size_t>(roles.layers) * static_cast<size_t>(roles.heads), "");
    for (int l = 0; l < roles.layers; ++l)
        for (int h = 0; h < roles.heads; ++h) {
            std::string best;
            float bestScore = 0;
            for (const std::string& id : roleIds()) {
                if (id == "positional") continue;   // previous or next token already
                const float s = roles.score(id, l, h);
                if (std::isnan(s) || s < threshold) continue;
                if (best.empty() || s > bestScore) {   // strictly: a tie stays with the role listed first
                    best = id;
                    bestScore = s;
                }
            }
            roles.labels[static_cast<size_t>(l) * static_cast<size_t>(roles.heads) + static_cast<size_t>(h)] = best;
        }
}

HeadRoles headRoles(const Trace& trace, const ModelConfig& config, double threshold) {
    const int L = config.nLayer, H = config.nHead;
    if (static_cast<int>(trace.roleScores.size()) != L)
        throw Error("roles", "the run did not measure head roles (" + std::to_string(trace.roleScores.size()) + " of " +
                                 std::to_string(L) + " layers)");
    HeadRoles out;
    out.layers = L;
    out.heads = H;
    out.tokens = static_cast<int64_t>(trace.tokenIds.size());
    out.inputs = 1;
    for (const std::string& id : roleIds()) {
        std::vector<float> v(static_cast<size_t>(L) * static_cast<size_t>(H), kNaN);
        for (int l = 0; l < L; ++l) {
            const FloatArray& s = trace.roleScores[static_cast<size_t>(l)];   // [R,H]
            if (s.rank() != 2 || s.dim(0) != kMeasuredRoles || s.dim(1) != H)
                throw Error("roles", "layer " + std::to_string(l) + "'s role scores have shape " + s.shapeString());
            for (int h = 0; h < H; ++h) {
                float value;
                if (id == "positional") {
                    const float p = s.at({0, h}), n = s.at({1, h});
                    value = std::isnan(p) ? n : std::isnan(n) ? p : std::max(p, n);
                } else {
                    value = s.at({measuredRow(id), h});
                }
                v[static_cast<size_t>(l) * static_cast<size_t>(H) + static_cast<size_t>(h)] = value;
            }
        }
        out.scores.emplace_back(id, FloatArray({L, H}, std::move(v)));
    }
    labelRoles(out, threshold);
    return out;
}

HeadRoles averageRoles(const std::vector<HeadRoles>& runs, double threshold) {
    if (runs.empty()) throw Error("roles", "no input to average roles over");
    HeadRoles out;
    out.layers = runs.front().layers;
    out.heads = runs.front().heads;
    out.tokens = runs.front().tokens;
    const size_t n = static_cast<size_t>(out.layers) * static_cast<size_t>(out.heads);
    for (const std::string& id : roleIds()) {
        std::vector<double> sum(n, 0.0);
        std::vector<int> count(n, 0);
        for (const HeadRoles& r : runs) {
            if (r.layers != out.layers || r.heads != out.heads) throw Error("roles", "role scores of different models");
            const FloatArray* a = r.find(id);
            if (!a) continue;
            for (size_t i = 0; i < n; ++i)
                if (!std::isnan(a->data()[i])) {
                    sum[i] += a->data()[i];
                    ++count[i];
                }
        }
        std::vector<float> v(n, kNaN);
        for (size_t i = 0; i < n; ++i)
            if (count[i] > 0) v[i] = static_cast<float>(sum[i] / count[i]);
        out.scores.emplace_back(id, FloatArray({out.layers, out.heads}, std::move(v)));
    }
    for (const HeadRoles& r : runs) out.inputs += r.inputs;
    labelRoles(out, threshold);
    return out;
}

std::vector<std::pair<int, int>> headsWithRole(const HeadRoles& roles, const std::string& role, double threshold) {
    std::vector<std::pair<int, int>> out;
    for (int l = 0; l < roles.layers; ++l)
        for (int h = 0; h < roles.heads; ++h) {
            const float s = roles.score(role, l, h);
            if (!std::isnan(s) && s >= threshold) out.emplace_back(l, h);
        }
    return out;
}

std::vector<int64_t> rareTokenKeys(const std::vector<int64_t>& ids, const std::vector<double>& counts, bool causal) {
    const auto countOf = [&](int64_t id) {
        return id >= 0 && static_cast<size_t>(id) < counts.size() ? counts[static_cast<size_t>(id)] : 0.0;
    };
    const int64_t T = static_cast<int64_t>(ids.size());
    std::vector<int64_t> keys(static_cast<size_t>(T), -1);
    if (causal) {   // a running minimum over the prefix: the earliest of the rarest
        int64_t best = -1;
        for (int64_t i = 1; i < T; ++i) {
            const int64_t j = i - 1;
            if (best < 0 || countOf(ids[static_cast<size_t>(j)]) < countOf(ids[static_cast<size_t>(best)])) best = j;
            keys[static_cast<size_t>(i)] = best;
        }
        return keys;
    }
    // Every key but i: the earliest of the rarest, or for that query itself the earliest of the rarest of the rest.
    int64_t first = -1, second = -1;
    for (int64_t j = 0; j < T; ++j) {
        const double c = countOf(ids[static_cast<size_t>(j)]);
        if (first < 0 || c < countOf(ids[static_cast<size_t>(first)])) {
            second = first;
            first = j;
        } else if (second < 0 || c < countOf(ids[static_cast<size_t>(second)])) {
            second = j;
        }
    }
    for (int64_t i = 0; i < T; ++i) keys[static_cast<size_t>(i)] = i == first ? second : first;
    return keys;
}

std::vector<double> readTokenFrequencies(const std::string& path, const Tokenizer* tokenizer, int64_t vocabSize) {
    const nlohmann::json j = jsonutil::parse(jsonutil::readTextFile(path), path);
    if (!j.is_object()) throw Error(path, "a frequencies file is a JSON object of token -> count, not " + jsonutil::excerpt(j));
    std::unordered_map<std::string, int64_t> byText;
    if (tokenizer)
        for (int64_t id = vocabSize - 1; id >= 0; --id) {   // descending: the lowest id wins a shared spelling
            byText[tokenizer->tokenPiece(id)] = id;
            byText[tokenizer->tokenText(id)] = id;
        }
    std::vector<double> counts(static_cast<size_t>(vocabSize), 0.0);
    for (const auto& [key, value] : j.items()) {
        if (!value.is_number() || !(value.get<double>() >= 0) || !std::isfinite(value.get<double>()))
            throw Error(path, "the count of \"" + key + "\" is " + jsonutil::excerpt(value) + ", not a number >= 0");
        int64_t id = -1;
        if (const auto it = byText.find(key); it != byText.end()) {
            id = it->second;
        } else if (!key.empty() && key.size() <= 18 && std::all_of(key.begin(), key.end(), [](char c) { return c >= '0' && c <= '9'; })) {
            id = std::stoll(key);
        }
        if (id < 0 || id >= vocabSize)
            throw Error(path, "\"" + key.substr(0, 40) + "\" is not a token of the model's vocabulary (" + std::to_string(vocabSize) + " ids)");
        counts[static_cast<size_t>(id)] = value.get<double>();
    }
    return counts;
}

std::vector<int64_t> repeatedRandomTokens(const Tokenizer* tokenizer, int64_t vocabSize, int n, uint64_t seed) {
    if (n < 1) throw Error("--repeated-random", "needs at least 1 token, got " + std::to_string(n));
    // The start token: what encoding adds in front of a text (BOS, [CLS], our character models' '^').
    std::vector<int64_t> out;
    if (tokenizer) {
        const std::vector<int64_t> with = tokenizer->encode("a", true), without = tokenizer->encode("a", false);
        if (with.size() > without.size() && !with.empty() && (without.empty() || with.front() != without.front()))
            out.push_back(with.front());
    }
    std::vector<int64_t> pool;
    for (int64_t id = 0; id < vocabSize; ++id) {
        const bool start = !out.empty() && id == out.front();
        if (!start && (!tokenizer || (!tokenizer->isSpecial(id) && !tokenizer->tokenPiece(id).empty()))) pool.push_back(id);
    }
    if (pool.empty()) throw Error("--repeated-random", "the vocabulary has no ordinary token to draw");
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<size_t> pick(0, pool.size() - 1);
    std::vector<int64_t> drawn(static_cast<size_t>(n));
    for (auto& id : drawn) id = pool[pick(rng)];
    out.insert(out.end(), drawn.begin(), drawn.end());
    out.insert(out.end(), drawn.begin(), drawn.end());
    return out;
}

std::string headRolesJson(const HeadRoles& roles, double threshold) {
    nlohmann::json scores = nlohmann::json::object();
    for (const auto& [id, a] : roles.scores) {
        nlohmann::json rows = nlohmann::json::array();
        for (int l = 0; l < roles.layers; ++l) {
            nlohmann::json row = nlohmann::json::array();
            for (int h = 0; h < roles.heads; ++h) {
                const float s = a.at({l, h});
                row.push_back(std::isnan(s) ? nlohmann::json(nullptr) : nlohmann::json(s));
            }
            rows.push_back(row);
        }
        scores[id] = rows;
    }
    nlohmann::json labels = nlohmann::json::array();
    for (int l = 0; l < roles.layers; ++l) {
        nlohmann::json row = nlohmann::json::array();
        for (int h = 0; h < roles.heads; ++h) row.push_back(roles.label(l, h));
        labels.push_back(row);
    }
    nlohmann::json j;
    j["layers"] = roles.layers;
    j["heads"] = roles.heads;
    j["tokens"] = roles.tokens;
    j["inputs"] = roles.inputs;
    j["threshold"] = threshold;
    j["scores"] = scores;
    j["roles"] = labels;
    return j.dump(1);
}

} // namespace headlight
