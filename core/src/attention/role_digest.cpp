// Role scores as sums over query rows: one gather for the roles that read one key per query (previous, next,
// first, rare), one matrix-vector product over the block for those that read a set of keys (duplicate,
// induction), so a block costs no [H,n,keys] temporary.
#include "attention/role_digest.h"

#include "headlight/head_roles.h"
#include "mechanisms/mechanism.h"

#include <limits>
#include <unordered_set>

namespace headlight {

RoleProbe RoleProbe::make(const std::vector<int64_t>& ids, const std::vector<int64_t>& rareKeys, const torch::Device& device) {
    const auto T = static_cast<int64_t>(ids.size());
    RoleProbe p;
    std::vector<int64_t> previous(ids.size(), -1);
    for (int64_t j = 1; j < T; ++j) previous[static_cast<size_t>(j)] = ids[static_cast<size_t>(j - 1)];
    const double others = static_cast<double>(std::max<int64_t>(T - 1, 0));
    p.queries[static_cast<int>(MeasuredRole::PreviousToken)] = others;
    p.queries[static_cast<int>(MeasuredRole::NextToken)] = others;
    p.queries[static_cast<int>(MeasuredRole::FirstToken)] = others;
    // Duplicate: x_i seen before i. Induction: x_i seen at some j-1 with j < i, i.e. before i - 1.
    std::unordered_set<int64_t> seen, seenBeforePrevious;
    double duplicates = 0, inductions = 0;
    for (int64_t i = 0; i < T; ++i) {
        const int64_t x = ids[static_cast<size_t>(i)];
        if (seen.count(x)) ++duplicates;
        if (seenBeforePrevious.count(x)) ++inductions;
        seen.insert(x);
        if (i >= 1) seenBeforePrevious.insert(ids[static_cast<size_t>(i - 1)]);
    }
    p.queries[static_cast<int>(MeasuredRole::DuplicateToken)] = duplicates;
    p.queries[static_cast<int>(MeasuredRole::Induction)] = inductions;
    const auto longs = torch::TensorOptions().dtype(torch::kLong);
    p.ids = torch::tensor(ids, longs).to(device);
    p.previous = torch::tensor(previous, longs).to(device);
    if (!rareKeys.empty()) {
        double rare = 0;
        for (int64_t k : rareKeys) rare += k >= 0;
        p.queries[static_cast<int>(MeasuredRole::RareToken)] = rare;
        p.rareKey = torch::tensor(rareKeys, longs).to(device);
    }
    return p;
}

RoleDigest::RoleDigest(const RoleProbe& probe, int64_t heads)
    : probe_(probe), sums_(torch::zeros({heads, kMeasuredRoles}, torch::TensorOptions().dtype(torch::kDouble).device(probe.ids.device()))) {}

void RoleDigest::add(const torch::Tensor& probs, int64_t row0, int64_t col0) {
    const int64_t H = probs.size(0), n = probs.size(1), keys = probs.size(2);
    const auto longs = torch::TensorOptions().dtype(torch::kLong).device(probs.device());
    const auto rows = torch::arange(row0, row0 + n, longs);                       // [n] i
    const auto cols = torch::arange(col0, col0 + keys, longs);                    // [keys] j
    // Sum over the block's rows of A[i, key(i)], rows whose key is -1 or outside the block adding 0.
    auto single = [&](const torch::Tensor& key) {                                  // key: [n]
        const auto local = key - col0;
        const auto inBlock = (key >= 0).logical_and(local >= 0).logical_and(local < keys);
        const auto picked = probs.gather(2, local.clamp(0, keys - 1).view({1, n, 1}).expand({H, n, 1})).squeeze(2);   // [H,n]
        return (picked * inBlock.to(probs.scalar_type())).sum(1);                   // [H]
    };
    // Sum over the block of A[i,j] where mask[i,j]: one matrix-vector product over the flattened block.
    const auto flat = probs.reshape({H, n * keys});
    auto masked = [&](const torch::Tensor& mask) { return torch::mv(flat, mask.to(probs.scalar_type()).reshape({n * keys})); };
    const auto earlier = cols.unsqueeze(0) < rows.unsqueeze(1);                     // [n,keys] j < i
    const auto x = probe_.ids.narrow(0, row0, n).unsqueeze(1);                      // [n,1]
    const auto none = torch::full({n}, -1, longs);
    std::vector<torch::Tensor> parts(kMeasuredRoles);
    parts[static_cast<int>(MeasuredRole::PreviousToken)] = single(rows - 1);
    parts[static_cast<int>(MeasuredRole::NextToken)] = single(rows + 1);
    parts[static_cast<int>(MeasuredRole::FirstToken)] = single(torch::where(rows >= 1, torch::zeros_like(rows), none));
    parts[static_cast<int>(MeasuredRole::DuplicateToken)] = masked(earlier.logical_and(probe_.ids.narrow(0, col0, keys).unsqueeze(0) == x));
    parts[static_cast<int>(MeasuredRole::Induction)] = masked(earlier.logical_and(probe_.previous.narrow(0, col0, keys).unsqueeze(0) == x));
    parts[static_cast<int>(MeasuredRole::RareToken)] =
        probe_.rareKey.defined() ? single(probe_.rareKey.narrow(0, row0, n)) : torch::zeros({H}, probs.options());
    sums_ += torch::stack(parts, 1).to(torch::kDouble);
}

void RoleDigest::finish(LayerCapture& out) const {
    std::vector<double> queries(probe_.queries.begin(), probe_.queries.end());
    if (!probe_.rareKey.defined()) queries[static_cast<int>(MeasuredRole::RareToken)] = 0;
    const auto count = torch::tensor(queries, torch::kDouble).to(sums_.device());
    auto means = sums_ / count.clamp_min(1);
    means = torch::where(count > 0, means, torch::full_like(means, std::numeric_limits<double>::quiet_NaN()));
    out.roleScores = means.to(torch::kFloat);
}

} // namespace headlight
