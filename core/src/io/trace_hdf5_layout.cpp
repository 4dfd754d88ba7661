#include "io/trace_hdf5_layout.h"

#include "headlight/head_roles.h"
#include "io/hdf5_util.h"

namespace headlight::h5layout {

using h5::Handle;

void writeFloats(hid_t loc, const std::string& path, const std::string& name, const FloatArray& a) {
    if (a.empty() && a.shape().empty()) return;
    h5::writeDataset(loc, path, name, H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, a.shape(), a.data());
}

void writeLayer(hid_t layers, const std::string& path, const LayerTrace& lt) {
    const std::string group = std::to_string(lt.layer);
    Handle g(H5Gcreate2(layers, group.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
    if (!g.ok()) throw Error(path, "HDF5 error while creating group /layers/" + group);
    std::vector<int32_t> heads(lt.heads.begin(), lt.heads.end());
    h5::writeDataset(g.get(), path, "heads", H5T_NATIVE_INT32, H5T_STD_I32LE, {static_cast<int64_t>(heads.size())}, heads.data());
    writeFloats(g.get(), path, "attention", lt.attention);
    for (const auto& [name, a] : lt.tensors) {
        // A mechanism's capture becomes /layers/<l>/<name>: a plain identifier, never one of the layer's own.
        const bool identifier = !name.empty() && name.size() <= 64 &&
                                name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos;
        if (!identifier || name == "attention" || name == "heads")
            throw Error(path, "\"" + printableText(name, 40) + "\" is not a name for a layer's dataset");
        writeFloats(g.get(), path, name, a);
    }
}

void writeRoles(hid_t root, const std::string& path, const std::vector<FloatArray>& perLayer) {
    if (perLayer.empty()) return;
    Handle g(H5Gcreate2(root, "roles", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
    if (!g.ok()) throw Error(path, "HDF5 error while creating group /roles");
    const auto L = static_cast<int64_t>(perLayer.size()), H = perLayer.front().dim(1);
    for (int r = 0; r < kMeasuredRoles; ++r) {
        std::vector<float> v;   // [L,H]: the role's row of every layer
        for (const FloatArray& a : perLayer) v.insert(v.end(), a.data() + r * H, a.data() + (r + 1) * H);
        writeFloats(g.get(), path, measuredRoleId(r), FloatArray({L, H}, std::move(v)));
    }
}

std::vector<FloatArray> splitRoles(const std::vector<FloatArray>& byRole, const std::string& path) {
    const FloatArray& first = byRole.front();
    if (first.rank() != 2) throw Error(path, "/roles/" + std::string(measuredRoleId(0)) + " is not [layers, heads]");
    const int64_t L = first.dim(0), H = first.dim(1);
    std::vector<FloatArray> out;
    for (int64_t l = 0; l < L; ++l) {
        std::vector<float> v;
        for (int r = 0; r < kMeasuredRoles; ++r) {
            if (byRole[static_cast<size_t>(r)].shape() != first.shape())
                throw Error(path, "/roles/" + std::string(measuredRoleId(r)) + " has shape " + byRole[static_cast<size_t>(r)].shapeString() +
                                      ", not " + first.shapeString());
            v.insert(v.end(), byRole[static_cast<size_t>(r)].data() + l * H, byRole[static_cast<size_t>(r)].data() + (l + 1) * H);
        }
        out.emplace_back(std::vector<int64_t>{kMeasuredRoles, H}, std::move(v));
    }
    return out;
}

void writeAnalyses(hid_t root, const std::string& path, const TraceAnalyses& analyses) {
    writeFloats(root, path, "rollout", analyses.rollout);
    if (const LogitLens* lens = analyses.lens.get()) {
        Handle g(H5Gcreate2(root, "lens", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
        if (!g.ok()) throw Error(path, "HDF5 error while creating group /lens");
        h5::writeDataset(g.get(), path, "top_ids", H5T_NATIVE_INT64, H5T_STD_I64LE, lens->topIds.shape(), lens->topIds.data());
        writeFloats(g.get(), path, "top_probs", lens->topProbs);
        writeFloats(g.get(), path, "target_prob", lens->targetProb);
        h5::writeDataset(g.get(), path, "target_rank", H5T_NATIVE_INT64, H5T_STD_I64LE, lens->targetRank.shape(), lens->targetRank.data());
        h5::writeDataset(g.get(), path, "targets", H5T_NATIVE_INT64, H5T_STD_I64LE, {static_cast<int64_t>(lens->targets.size())},
                         lens->targets.data());
    }
    if (const Attribution* a = analyses.attribution.get()) {
        Handle g(H5Gcreate2(root, "attribution", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
        if (!g.ok()) throw Error(path, "HDF5 error while creating group /attribution");
        const auto C = static_cast<int64_t>(a->terms.size());
        std::vector<double> values;
        std::vector<int32_t> layers, heads;
        std::vector<const char*> names, kinds;
        for (const AttributionTerm& t : a->terms) {
            values.push_back(t.value);
            layers.push_back(t.layer);
            heads.push_back(t.head);
            names.push_back(t.name.c_str());
            kinds.push_back(t.kind.c_str());
        }
        Handle text = h5::stringType();
        h5::writeDataset(g.get(), path, "value", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, {C}, values.data());
        h5::writeDataset(g.get(), path, "name", text.get(), text.get(), {C}, names.data());
        h5::writeDataset(g.get(), path, "kind", text.get(), text.get(), {C}, kinds.data());
        h5::writeDataset(g.get(), path, "layer", H5T_NATIVE_INT32, H5T_STD_I32LE, {C}, layers.data());
        h5::writeDataset(g.get(), path, "head", H5T_NATIVE_INT32, H5T_STD_I32LE, {C}, heads.data());
        const double logits[2] = {a->logit, a->outputLogit};
        const int64_t where[2] = {a->position, a->target};
        h5::writeDataset(g.get(), path, "logit", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, {2}, logits);
        h5::writeDataset(g.get(), path, "position_target", H5T_NATIVE_INT64, H5T_STD_I64LE, {2}, where);
    }
}

void writeRun(hid_t root, const std::string& path, const Trace& trace) {
    h5::writeDataset(root, path, "token_ids", H5T_NATIVE_INT64, H5T_STD_I64LE, {static_cast<int64_t>(trace.tokenIds.size())},
                     trace.tokenIds.data());
    std::vector<const char*> tokens;
    for (const auto& s : trace.tokens) {
        h5::requireNoNul(path, "a token's text", s);
        tokens.push_back(s.c_str());
    }
    Handle t = h5::stringType();
    h5::writeDataset(root, path, "tokens", t.get(), t.get(), {static_cast<int64_t>(tokens.size())}, tokens.data());
    writeFloats(root, path, "logits", trace.logits);
    writeFloats(root, path, "loss", trace.loss);
    writeFloats(root, path, "head_mask", trace.headMask);
    if (trace.isEncoderDecoder()) {
        h5::writeDataset(root, path, "source_ids", H5T_NATIVE_INT64, H5T_STD_I64LE, {static_cast<int64_t>(trace.sourceIds.size())},
                         trace.sourceIds.data());
        std::vector<const char*> source;
        for (const auto& s : trace.sourceTokens) {
            h5::requireNoNul(path, "a token's text", s);
            source.push_back(s.c_str());
        }
        h5::writeDataset(root, path, "source_tokens", t.get(), t.get(), {static_cast<int64_t>(source.size())}, source.data());
        writeFloats(root, path, "encoder_head_mask", trace.encoderHeadMask);
        writeFloats(root, path, "cross_head_mask", trace.crossHeadMask);
    }
    if (!trace.contextBudget.empty()) {
        std::vector<int32_t> budget(trace.contextBudget.begin(), trace.contextBudget.end());
        h5::writeDataset(root, path, "context_budget", H5T_NATIVE_INT32, H5T_STD_I32LE, {static_cast<int64_t>(budget.size())}, budget.data());
    }
    writeRoles(root, path, trace.roleScores);
    if (trace.digests.empty()) return;
    Handle digests(H5Gcreate2(root, "digests", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
    if (!digests.ok()) throw Error(path, "HDF5 error while creating group /digests");
    for (const LayerDigest& d : trace.digests) {
        const std::string name = std::to_string(d.layer);
        Handle g(H5Gcreate2(digests.get(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
        if (!g.ok()) throw Error(path, "HDF5 error while creating group /digests/" + name);
        for (const auto& [field, a] : d.named()) writeFloats(g.get(), path, field, *a);
        const int64_t bin = d.bin;
        h5::writeDataset(g.get(), path, "bin", H5T_NATIVE_INT64, H5T_STD_I64LE, {}, &bin);
    }
}

} // namespace headlight::h5layout
