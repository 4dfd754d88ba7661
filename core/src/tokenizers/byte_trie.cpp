// The trie is built level by level from the sorted keys: the keys below a node are one run of the sorted
// list, and its children are that run's groups by the next byte, so nodes come out breadth first.
#include "tokenizers/byte_trie.h"

#include <algorithm>
#include <numeric>

namespace headlight::tok {

ByteTrie::ByteTrie(const std::vector<std::string_view>& keys, bool reversed) {
    const auto byteAt = [&](uint32_t key, size_t depth) {
        const std::string_view k = keys[key];
        return static_cast<unsigned char>(reversed ? k[k.size() - 1 - depth] : k[depth]);
    };
    std::vector<uint32_t> order(keys.size());
    std::iota(order.begin(), order.end(), 0u);
    // Stable: of equal keys, the first stays first and becomes the value.
    std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
        const size_t common = std::min(keys[a].size(), keys[b].size());
        for (size_t d = 0; d < common; ++d)
            if (byteAt(a, d) != byteAt(b, d)) return byteAt(a, d) < byteAt(b, d);
        return keys[a].size() < keys[b].size();
    });

    struct Pending {
        uint32_t lo, hi;   // the run of `order` below this node
        uint32_t depth;
    };
    std::vector<Pending> pending{{0, static_cast<uint32_t>(order.size()), 0}};
    value_.push_back(kNone);
    edge_.push_back(0);
    for (uint32_t v = 0; v < value_.size(); ++v) {
        auto [lo, hi, depth] = pending[v];
        for (; lo < hi && keys[order[lo]].size() == depth; ++lo)   // keys ending here sort first
            if (value_[v] == kNone) value_[v] = order[lo];
        childBegin_.push_back(static_cast<uint32_t>(value_.size()));
        while (lo < hi) {
            const unsigned char b = byteAt(order[lo], depth);
            uint32_t end = lo + 1;
            while (end < hi && byteAt(order[end], depth) == b) ++end;
            value_.push_back(kNone);
            edge_.push_back(b);
            pending.push_back({lo, end, depth + 1});
            lo = end;
        }
    }
    childBegin_.push_back(static_cast<uint32_t>(value_.size()));
}

uint32_t ByteTrie::child(uint32_t node, unsigned char byte) const {
    const auto first = edge_.begin() + childBegin_[node], last = edge_.begin() + childBegin_[node + 1];
    const auto it = std::lower_bound(first, last, byte);
    return it != last && *it == byte ? static_cast<uint32_t>(it - edge_.begin()) : kNone;
}

void ByteTrie::addFailureLinks() {
    const size_t n = value_.size();
    fail_.assign(n, root());
    output_.assign(n, kNone);   // the root's value (an empty key) never counts as a match
    // Breadth first, so a node's failure link is known before its children need it.
    for (uint32_t v = 0; v < n; ++v) {
        for (uint32_t c = childBegin_[v]; c < childBegin_[v + 1]; ++c) {
            if (v != root()) {
                uint32_t f = fail_[v];
                while (true) {
                    const uint32_t x = child(f, edge_[c]);
                    if (x != kNone) {
                        fail_[c] = x;
                        break;
                    }
                    if (f == root()) break;
                    f = fail_[f];
                }
            }
            output_[c] = value_[c] != kNone ? value_[c] : output_[fail_[c]];
        }
    }
}

uint32_t ByteTrie::next(uint32_t node, unsigned char byte) const {
    while (true) {
        const uint32_t x = child(node, byte);
        if (x != kNone) return x;
        if (node == root()) return root();
        node = fail_[node];
    }
}

} // namespace headlight::tok
