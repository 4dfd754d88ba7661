#pragma once
// A trie of byte strings, compact enough for hundreds of thousands of keys: nodes are numbered breadth first,
// so each node's children are one sorted run of the node arrays (found by binary search), and a node costs
// 9 bytes (17 with the Aho-Corasick links). WordPiece walks it for the longest vocabulary entry at a
// position; the added-token matcher adds Aho-Corasick links to find every key in one pass over a text.
#include <cstdint>
#include <string_view>
#include <vector>

namespace headlight::tok {

class ByteTrie {
public:
    static constexpr uint32_t kNone = UINT32_MAX;

    // Key i of `keys` is value i; of equal keys the first is kept. With `reversed`, each key is stored back to
    // front (for matching a text from its end).
    ByteTrie(const std::vector<std::string_view>& keys, bool reversed = false);

    static constexpr uint32_t root() { return 0; }
    // The node reached from `node` by `byte`, or kNone.
    uint32_t child(uint32_t node, unsigned char byte) const;
    // The index of the key that ends at `node`, or kNone.
    uint32_t value(uint32_t node) const { return value_[node]; }
    size_t nodes() const { return value_.size(); }

    // Aho-Corasick: after addFailureLinks(), next() follows a text byte by byte, and longestKey() gives the
    // longest key that is a suffix of what was read (kNone when none is). Both cost amortised O(1) per byte.
    void addFailureLinks();
    uint32_t next(uint32_t node, unsigned char byte) const;
    uint32_t longestKey(uint32_t node) const { return output_[node]; }

private:
    std::vector<uint32_t> childBegin_;   // children of node v: [childBegin_[v], childBegin_[v + 1])
    std::vector<unsigned char> edge_;    // the byte leading into each node (unused for the root)
    std::vector<uint32_t> value_;
    std::vector<uint32_t> fail_, output_;
};

} // namespace headlight::tok
