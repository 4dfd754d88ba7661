// The three kinds of an encoder-decoder model's attention as one stack of rows (headlight/attention_stack.h).
#include "headlight/attention_stack.h"

#include "headlight/error.h"

#include <algorithm>
#include <map>

namespace headlight {

std::vector<AttentionBlock> attentionBlocks(const ModelConfig& c) {
    if (!c.isEncoderDecoder()) return {{AttentionKind::Self, "", "L", 0, c.nLayer, false, false, c.causal}};
    const int Le = c.encoderDecoder->layers, L = c.nLayer;
    return {{AttentionKind::EncoderSelf, "Encoder self-attention", "E", 0, Le, true, true, false},
            {AttentionKind::DecoderSelf, "Decoder self-attention", "D", Le, L, false, false, true},
            {AttentionKind::Cross, "Cross-attention (target \xe2\x86\x92 source)", "X", Le + L, L, false, true, false}};
}

const AttentionBlock& blockOfRow(const std::vector<AttentionBlock>& blocks, int row) {
    for (const AttentionBlock& b : blocks)
        if (row < b.first + b.rows) return b;
    return blocks.back();
}

std::string rowName(const std::vector<AttentionBlock>& blocks, int row) {
    const AttentionBlock& b = blockOfRow(blocks, row);
    return b.rowPrefix + std::to_string(b.layerOf(row));
}

int stackRows(const ModelConfig& c) { return c.isEncoderDecoder() ? c.encoderDecoder->layers + 2 * c.nLayer : c.nLayer; }

ModelConfig stackedConfig(const ModelConfig& c) {
    ModelConfig stacked = c;
    stacked.nLayer = stackRows(c);
    return stacked;
}

Trace stackedTrace(Trace trace, const ModelConfig& c) {
    if (!c.isEncoderDecoder()) return trace;
    const int Le = c.encoderDecoder->layers, L = c.nLayer, H = c.nHead;
    std::vector<LayerTrace> rows = std::move(trace.encoderLayers);
    trace.encoderLayers.clear();
    std::vector<LayerTrace> cross;
    for (LayerTrace& lt : trace.layers) {
        LayerTrace x;
        x.layer = Le + L + lt.layer;
        x.heads = lt.heads;
        auto it = lt.tensors.find(kCrossAttention);
        if (it != lt.tensors.end()) {
            x.attention = std::move(it->second);
            lt.tensors.erase(it);
            cross.push_back(std::move(x));
        }
        lt.layer += Le;
        rows.push_back(std::move(lt));
    }
    for (LayerTrace& x : cross) rows.push_back(std::move(x));
    trace.layers = std::move(rows);
    // The three masks as one: a kind's missing mask keeps all of its heads.
    std::vector<float> mask(static_cast<size_t>(stackRows(c)) * H, 1.0f);
    auto put = [&](const FloatArray& m, int first, int layers) {
        if (m.rank() == 2 && m.dim(0) == layers && m.dim(1) == H) std::copy(m.begin(), m.end(), mask.begin() + static_cast<size_t>(first) * H);
    };
    put(trace.encoderHeadMask, 0, Le);
    put(trace.headMask, Le, L);
    put(trace.crossHeadMask, Le + L, L);
    trace.headMask = FloatArray({stackRows(c), H}, std::move(mask));
    return trace;
}

Trace unstackedTrace(Trace trace, const std::vector<AttentionBlock>& blocks) {
    if (blocks.size() != 3) return trace;
    const int Le = blocks[0].rows, L = blocks[1].rows;
    std::vector<LayerTrace> rows = std::move(trace.layers);
    trace.layers.clear();
    trace.encoderLayers.clear();
    std::map<int, FloatArray> cross;   // by decoder layer
    for (LayerTrace& lt : rows) {
        const AttentionBlock& b = blockOfRow(blocks, lt.layer);
        lt.layer = b.layerOf(lt.layer);
        if (b.kind == AttentionKind::EncoderSelf) trace.encoderLayers.push_back(std::move(lt));
        else if (b.kind == AttentionKind::DecoderSelf) trace.layers.push_back(std::move(lt));
        else cross[lt.layer] = std::move(lt.attention);
    }
    for (LayerTrace& lt : trace.layers)
        if (auto it = cross.find(lt.layer); it != cross.end()) lt[kCrossAttention] = it->second;
    const FloatArray& m = trace.headMask;
    if (m.rank() == 2 && m.dim(0) == Le + 2 * L) {
        const int64_t H = m.dim(1);
        auto part = [&](int first, int layers) {
            return FloatArray({layers, H}, std::vector<float>(m.begin() + first * H, m.begin() + (first + layers) * H));
        };
        const FloatArray encoder = part(0, Le), decoder = part(Le, L), crossMask = part(Le + L, L);
        trace.encoderHeadMask = encoder;
        trace.crossHeadMask = crossMask;
        trace.headMask = decoder;
    }
    return trace;
}

std::vector<float> parseStackedPruneList(const std::string& spec, const ModelConfig& c, const std::string& argName) {
    if (!c.isEncoderDecoder()) return parsePruneList(spec, c, argName);
    std::string rows;   // the list with every E/D/X head turned into its row of the stack
    const auto blocks = attentionBlocks(c);
    size_t start = 0;
    while (start <= spec.size()) {
        const size_t comma = spec.find(',', start);
        std::string item = spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        for (const AttentionBlock& b : blocks) {
            if (item.empty() || item.substr(0, b.rowPrefix.size()) != b.rowPrefix) continue;
            const size_t dot = item.find('.');
            const std::string layer = item.substr(b.rowPrefix.size(), dot == std::string::npos ? std::string::npos : dot - b.rowPrefix.size());
            if (dot == std::string::npos || layer.empty() || layer.size() > 6 || layer.find_first_not_of("0123456789") != std::string::npos)
                throw Error(argName, "\"" + item + "\" is not a head (use E1.3, D0.2, X0.2 or a row of the stack, e.g. 4.2)");
            const int l = std::stoi(layer);
            if (l >= b.rows)
                throw Error(argName, "head " + item + " does not exist (the model has " + std::to_string(b.rows) + " " +
                                         (b.kind == AttentionKind::EncoderSelf ? "encoder" : b.kind == AttentionKind::DecoderSelf ? "decoder" : "cross-attention") +
                                         " layers)");
            item = std::to_string(b.first + l) + item.substr(dot);
        }
        rows += (rows.empty() ? "" : ",") + item;
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return parsePruneList(rows, stackedConfig(c), argName);
}

void setStackedHeadMask(RunRequest& request, const ModelConfig& c, const std::vector<float>& stacked) {
    if (!c.isEncoderDecoder()) {
        request.headMask = stacked;
        return;
    }
    request.encoderHeadMask.clear();
    request.headMask.clear();
    request.crossHeadMask.clear();
    if (stacked.empty()) return;
    const int Le = c.encoderDecoder->layers, L = c.nLayer;
    const size_t H = static_cast<size_t>(c.nHead);
    if (stacked.size() != static_cast<size_t>(stackRows(c)) * H)
        throw Error("head mask", "has " + std::to_string(stacked.size()) + " values; the model's three kinds of attention have " +
                                     std::to_string(Le) + " + " + std::to_string(L) + " + " + std::to_string(L) + " layers of " +
                                     std::to_string(H) + " heads");
    const auto at = [&](int row) { return stacked.begin() + static_cast<std::ptrdiff_t>(row * H); };
    request.encoderHeadMask.assign(at(0), at(Le));
    request.headMask.assign(at(Le), at(Le + L));
    request.crossHeadMask.assign(at(Le + L), at(Le + 2 * L));
}

} // namespace headlight
