// libFuzzer: HDF5 traces, written and read back. The fuzzer's bytes become a trace (token ids, token texts of
// any bytes, loss, head mask, captured layers of any shape, context budgets, digests, provenance attributes of
// any text), which
// writeTraceHdf5 must either write or refuse with headlight::Error; what it wrote, readTraceHdf5 must read back
// exactly. Any difference is a finding (abort).
//
// It does not feed damaged files to the reader: only tests and notebooks read traces, and HDF5 parses its own
// container there (Debian's libhdf5 1.10.8 hangs and crashes in H5HG_read on damaged variable-length strings,
// which are the library's to fix: docs/robustness.md). What this holds us to is our own writing and reading.
#include "fuzz_support.h"
#include "headlight/error.h"
#include "headlight/trace_hdf5.h"

#include <utility>
#include <cstring>
#include <string>
#include <vector>

namespace {

// Takes values off the front of the input; zeros once it runs out.
class Bytes {
public:
    Bytes(const uint8_t* data, size_t size) : data_(data), size_(size) {}
    uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
    int64_t integer() {
        uint64_t v = 0;
        for (int i = 0; i < 8; ++i) v = v << 8 | byte();
        return static_cast<int64_t>(v);
    }
    float real() {
        uint32_t bits = 0;
        for (int i = 0; i < 4; ++i) bits = bits << 8 | byte();
        float f;
        std::memcpy(&f, &bits, 4);
        return f;
    }
    std::string text() {
        std::string s(byte() % 24, '\0');
        for (char& c : s) c = static_cast<char>(byte());
        return s;
    }
    headlight::FloatArray array(int rank) {
        std::vector<int64_t> shape;
        for (int i = 0; i < rank; ++i) shape.push_back(byte() % 5);
        std::vector<float> values(static_cast<size_t>(headlight::FloatArray::countOf(shape)));
        for (float& v : values) v = real();
        return headlight::FloatArray(shape, std::move(values));
    }

private:
    const uint8_t* data_;
    size_t size_;
    size_t pos_ = 0;
};

bool sameBits(const headlight::FloatArray& a, const headlight::FloatArray& b) {
    // An empty array with no shape is "absent": written as nothing, read as nothing.
    if (a.empty() && a.shape().empty()) return b.empty() && b.shape().empty();
    return a.shape() == b.shape() && (a.size() == 0 || std::memcmp(a.data(), b.data(), sizeof(float) * static_cast<size_t>(a.size())) == 0);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace headlight;
    Bytes in(data, size);
    Trace trace;
    const int tokens = in.byte() % 9;
    for (int i = 0; i < tokens; ++i) {
        trace.tokenIds.push_back(in.integer());
        trace.tokens.push_back(in.text());
    }
    if (in.byte() % 2) trace.loss = in.array(1);
    if (in.byte() % 2) trace.logits = in.array(2);
    trace.headMask = in.array(2);
    const int layers = in.byte() % 4;
    for (int l = 0, number = 0; l < layers; ++l, number += 1 + in.byte() % 3) {   // ascending, as a run writes them
        LayerTrace lt;
        lt.layer = number;
        for (int h = 0, n = in.byte() % 4; h < n; ++h) lt.heads.push_back(h);
        if (in.byte() % 2) lt.attention = in.array(3);
        // The mechanisms' names, and now and then a name of any bytes (which the writer must store or refuse).
        for (const char* name : {"memory_attention", "gate", "gate_open_probability", "span", "selection",
                                 "selection_cumulative", "evicted_at"})
            if (in.byte() % 2) lt[name] = in.array(1 + in.byte() % 3);
        if (in.byte() % 8 == 0) lt[in.text()] = in.array(1);
        trace.layers.push_back(std::move(lt));
    }
    for (int l = 0, n = in.byte() % 4; l < n; ++l) trace.contextBudget.push_back(in.byte());
    for (int l = 0, n = in.byte() % 3; l < n; ++l) {
        LayerDigest d;
        d.layer = l;
        for (const auto& [name, array] : d.named())
            if (in.byte() % 2) *array = in.array(name.rfind("pooled", 0) == 0 ? 3 : 1);
        d.bin = in.integer();
        trace.digests.push_back(std::move(d));
    }
    Provenance provenance;
    for (int i = 0, n = in.byte() % 4; i < n; ++i) provenance[in.text()] = in.text();

    const std::string path = fuzz::scratchFolder() + "/trace.h5";
    try {
        writeTraceHdf5(path, trace, provenance);
    } catch (const Error&) {
        return 0;   // refused, with a message: nothing to read back
    }
    const LoadedTrace back = readTraceHdf5(path);   // an Error here is a finding too
    const Trace& t = back.trace;
    bool same = t.tokenIds == trace.tokenIds && t.tokens == trace.tokens && sameBits(t.loss, trace.loss) &&
                sameBits(t.logits, trace.logits) && sameBits(t.headMask, trace.headMask) && t.layers.size() == trace.layers.size();
    for (size_t l = 0; same && l < t.layers.size(); ++l) {
        same = t.layers[l].layer == trace.layers[l].layer && t.layers[l].heads == trace.layers[l].heads;
        same = same && sameBits(t.layers[l].attention, trace.layers[l].attention);
        for (const auto& [name, array] : trace.layers[l].tensors) same = same && sameBits(t.layers[l][name], array);
    }
    same = same && t.contextBudget == trace.contextBudget && t.digests.size() == trace.digests.size();
    for (size_t l = 0; same && l < t.digests.size(); ++l) {
        same = t.digests[l].layer == trace.digests[l].layer && t.digests[l].bin == trace.digests[l].bin;
        const auto wrote = std::as_const(trace.digests[l]).named();
        const auto read = std::as_const(t.digests[l]).named();
        same = same && wrote.size() == read.size();
        for (size_t k = 0; same && k < wrote.size(); ++k) same = same && sameBits(*read[k].second, *wrote[k].second);
    }
    for (const auto& [key, value] : provenance) same = same && back.provenance.count(key) && back.provenance.at(key) == value;
    if (!same) std::abort();
    return 0;
}
