#pragma once
// What each head does, scored from its attention (docs/head-roles.md): previous- and next-token heads and
// Voita et al.'s positional heads, attention sinks (Xiao et al. 2023), duplicate-token and induction heads
// (Olsson et al. 2022) and Voita et al.'s rare-token heads. A run measures the scores of every head block by
// block in its forward pass (CaptureSpec::roles), so a long input keeps no [T,T]; this header turns them into
// [L,H] scores and labels. Qt-free, torch-free.
#include "headlight/array.h"
#include "headlight/model_config.h"
#include "headlight/trace.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace headlight {

class Tokenizer;

// The roles a forward pass measures, in the order of Trace::roleScores' rows. With A a head's attention [T,T]
// (rows are queries) and x the token ids, each is a mean over the queries i that qualify of:
//   previous_token  A[i,i-1]                       (i = 1..T-1)
//   next_token      A[i,i+1]                       (i = 0..T-2; 0 for causal models)
//   first_token     A[i,0]                         (i = 1..T-1: an attention sink)
//   duplicate_token sum of A[i,j] over j < i with x_j = x_i        (the i that have such a j)
//   induction       sum of A[i,j] over 1 <= j < i with x_{j-1} = x_i (the i that have such a j)
//   rare_token      A[i,r(i)], r(i) the rarest key visible to i other than i (the i that have one; needs counts)
// A role no query qualifies for is NaN (JSON null).
enum class MeasuredRole { PreviousToken, NextToken, FirstToken, DuplicateToken, Induction, RareToken };
constexpr int kMeasuredRoles = 6;
const char* measuredRoleId(int row);

// Every role reported, in display order: the measured ones with positional (Voita et al.: max(previous_token,
// next_token)) after next_token.
const std::vector<std::string>& roleIds();
// "Previous token", "Induction", ...: the id as a reader sees it.
std::string roleName(const std::string& id);
bool isRoleId(const std::string& id);

// A head is labelled with the role of its highest score at or above this (docs/head-roles.md says why 0.4).
constexpr double kRoleThreshold = 0.4;

struct HeadRoles {
    int layers = 0;
    int heads = 0;
    int64_t tokens = 0;   // tokens of the input (the first input's, when averaged)
    int inputs = 0;       // inputs averaged
    // [L,H] per role, in roleIds() order; NaN: no query of any input qualified.
    std::vector<std::pair<std::string, FloatArray>> scores;
    // L*H row-major: the label of each head ("" when no role reaches the threshold). Positional is a summary
    // of previous and next token and is never a label; a tie goes to the role listed first.
    std::vector<std::string> labels;

    const FloatArray* find(const std::string& role) const;
    float score(const std::string& role, int layer, int head) const;   // NaN when absent
    const std::string& label(int layer, int head) const;
};

// The roles of one run that measured them (CaptureSpec::roles); throws Error("roles") when it did not.
HeadRoles headRoles(const Trace& trace, const ModelConfig& config, double threshold = kRoleThreshold);
// The mean over inputs of each head's score (skipping inputs where a role had no qualifying query), relabelled.
HeadRoles averageRoles(const std::vector<HeadRoles>& runs, double threshold = kRoleThreshold);
// Sets `roles.labels` from its scores.
void labelRoles(HeadRoles& roles, double threshold = kRoleThreshold);
// Heads whose `role` score is at or above `threshold`, as (layer, head) pairs in layer-major order.
std::vector<std::pair<int, int>> headsWithRole(const HeadRoles& roles, const std::string& role, double threshold);

// Per query i, the key rare_token reads: among the keys visible to i other than i itself (j < i for causal
// models, every j != i otherwise), the one whose token has the smallest count (an id beyond `counts` counts 0;
// ties: the earliest); -1 when i sees no other key.
std::vector<int64_t> rareTokenKeys(const std::vector<int64_t>& ids, const std::vector<double>& counts, bool causal);

// A frequencies file: a JSON object mapping token text (as the tokenizer's vocabulary spells it, or as it
// decodes) or a decimal id to a count >= 0. Returns counts by id (vocabSize entries; ids not named count 0).
// Error naming the file for anything else (not an object, a count that is not a number >= 0, a key that is no
// token of the vocabulary).
std::vector<double> readTokenFrequencies(const std::string& path, const Tokenizer* tokenizer, int64_t vocabSize);

// The standard induction probe: the tokenizer's own start token when it adds one, then `n` ids drawn uniformly
// (seeded) from the vocabulary's ids that are not special tokens, then those `n` again.
std::vector<int64_t> repeatedRandomTokens(const Tokenizer* tokenizer, int64_t vocabSize, int n, uint64_t seed);

// {"layers", "heads", "tokens", "inputs", "threshold", "scores": {role: [[H] x L]}, "roles": [[label x H] x L]}
std::string headRolesJson(const HeadRoles& roles, double threshold = kRoleThreshold);

} // namespace headlight
