// HDF5 traces through the C API, with RAII handles. Layout: docs/trace-format.md.
#include "headlight/trace_hdf5.h"

#include "io/atomic_file.h"
#include "io/hdf5_util.h"
#include "io/trace_hdf5_layout.h"
#include "headlight/input_file.h"
#include "headlight/error.h"
#include "headlight/head_roles.h"

#include <algorithm>
#include <functional>
#include <hdf5.h>

namespace headlight {
namespace {

using h5::Handle;
using h5::shapeOf;
using h5::stringType;

void check(herr_t status, const std::string& path, const std::string& what) {
    if (status < 0) throw Error(path, "HDF5 error while " + what);
}

// --- reading ---

// "/layers/12" -> 12 (`group` is "/layers/" or "/digests/"); Error naming `path` for any other group name.
int layerNumber(const std::string& name, const std::string& path, const std::string& group) {
    const bool digits = !name.empty() && name.size() <= 9 && name.find_first_not_of("0123456789") == std::string::npos;
    if (!digits) throw Error(path, group + printableText(name, 40) + " is not a layer number");
    return std::stoi(name);   // at most 9 digits: fits an int
}

bool exists(hid_t loc, const std::string& name) { return H5Lexists(loc, name.c_str(), H5P_DEFAULT) > 0; }

// The names of a group's links (its datasets), at most a few hundred bytes each.
std::vector<std::string> linkNames(hid_t group, const std::string& path) {
    H5G_info_t info {};
    if (H5Gget_info(group, &info) < 0) throw Error(path, "cannot list a layer's datasets");
    std::vector<std::string> names;
    for (hsize_t i = 0; i < info.nlinks; ++i) {
        char name[256] = {};
        if (H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name, H5P_DEFAULT) < 0 ||
            std::char_traits<char>::length(name) >= sizeof name - 1)
            throw Error(path, "a layer holds a dataset whose name cannot be read");
        names.emplace_back(name);
    }
    return names;
}

FloatArray readFloats(hid_t loc, const std::string& name, const std::string& path) {
    if (!exists(loc, name)) return {};
    Handle ds(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), H5Dclose);
    if (!ds.ok()) throw Error(path, "cannot open dataset " + name);
    auto shape = h5::checkedShapeOf(ds.get(), path, name);
    std::vector<float> values(static_cast<size_t>(FloatArray::countOf(shape)));
    check(H5Dread(ds.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), path, "reading " + name);
    return FloatArray(shape, std::move(values));
}

template <typename T>
std::vector<T> readInts(hid_t loc, const std::string& name, hid_t memType, const std::string& path) {
    Handle ds(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), H5Dclose);
    if (!ds.ok()) throw Error(path, "missing dataset " + name + " (not a Headlight trace?)");
    std::vector<T> values(static_cast<size_t>(FloatArray::countOf(h5::checkedShapeOf(ds.get(), path, name))));
    check(H5Dread(ds.get(), memType, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), path, "reading " + name);
    return values;
}

std::vector<std::string> readStrings(hid_t loc, const std::string& name, const std::string& path) {
    Handle ds(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), H5Dclose);
    if (!ds.ok()) throw Error(path, "missing dataset " + name + " (not a Headlight trace?)");
    Handle space(H5Dget_space(ds.get()), H5Sclose);
    std::vector<char*> ptrs(static_cast<size_t>(FloatArray::countOf(h5::checkedShapeOf(ds.get(), path, name))));
    Handle t = stringType();
    check(H5Dread(ds.get(), t.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()), path, "reading " + name);
    std::vector<std::string> out;
    for (char* p : ptrs) out.emplace_back(p ? p : "");
    H5Dvlen_reclaim(t.get(), space.get(), H5P_DEFAULT, ptrs.data());
    return out;
}

// /layers/<l> or /encoder_layers/<l>: each layer's heads, "attention" and its named tensors, ascending.
std::vector<LayerTrace> readLayers(hid_t root, const std::string& group, const std::string& path) {
    std::vector<LayerTrace> out;
    if (!exists(root, group)) return out;
    Handle layers(H5Gopen2(root, group.c_str(), H5P_DEFAULT), H5Gclose);
    H5G_info_t info {};
    if (!layers.ok() || H5Gget_info(layers.get(), &info) < 0) throw Error(path, "/" + group + " is not a group");
    for (hsize_t i = 0; i < info.nlinks; ++i) {
        char name[64] = {};
        H5Lget_name_by_idx(layers.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name, H5P_DEFAULT);
        Handle g(H5Gopen2(layers.get(), name, H5P_DEFAULT), H5Gclose);
        if (!g.ok()) throw Error(path, "/" + group + "/" + std::string(name) + " is not a group");
        LayerTrace lt;
        lt.layer = layerNumber(name, path, "/" + group + "/");
        for (int32_t h : readInts<int32_t>(g.get(), "heads", H5T_NATIVE_INT32, path)) lt.heads.push_back(h);
        for (const std::string& dataset : linkNames(g.get(), path)) {
            if (dataset == "heads") continue;
            FloatArray values = readFloats(g.get(), dataset, path);
            if (dataset == "attention") lt.attention = std::move(values);
            else lt.tensors[dataset] = std::move(values);   // a mechanism's or cross_attention, by its name
        }
        out.push_back(std::move(lt));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.layer < b.layer; });
    return out;
}

} // namespace

void checkTraceOutputPath(const std::string& path) { AtomicFile check(path); }

void writeTraceHdf5(const std::string& path, const Trace& trace, const Provenance& provenance) {
    writeTraceHdf5(path, trace, provenance, TraceAnalyses{});
}

void writeTraceHdf5(const std::string& path, const Trace& trace, const Provenance& provenance, const TraceAnalyses& analyses) {
    h5::silence();
    AtomicFile out(path);
    {
        Handle file = h5::createInMemory(out);
        const hid_t root = file.get();
        h5layout::writeRun(root, path, trace);
        Handle layers(H5Gcreate2(root, "layers", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
        if (!layers.ok()) throw Error(path, "HDF5 error while creating group /layers");
        for (const auto& lt : trace.layers) h5layout::writeLayer(layers.get(), path, lt);
        if (trace.isEncoderDecoder()) {
            Handle encoder(H5Gcreate2(root, "encoder_layers", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
            if (!encoder.ok()) throw Error(path, "HDF5 error while creating group /encoder_layers");
            for (const auto& lt : trace.encoderLayers) h5layout::writeLayer(encoder.get(), path, lt);
        }
        h5layout::writeAnalyses(root, path, analyses);
        for (const auto& [key, value] : provenance) h5::writeStringAttribute(root, path, key, value);
        h5::saveImage(root, out);
    }
    out.commit();
}

LoadedTrace readTraceHdf5(const std::string& path) {
    Handle file = h5::openForReading(path);
    const hid_t root = file.get();
    LoadedTrace out;
    Trace& t = out.trace;
    t.tokenIds = readInts<int64_t>(root, "token_ids", H5T_NATIVE_INT64, path);
    t.tokens = readStrings(root, "tokens", path);
    t.logits = readFloats(root, "logits", path);
    t.loss = readFloats(root, "loss", path);
    t.headMask = readFloats(root, "head_mask", path);
    t.layers = readLayers(root, "layers", path);
    if (exists(root, "source_ids")) {   // an encoder-decoder model's run
        t.sourceIds = readInts<int64_t>(root, "source_ids", H5T_NATIVE_INT64, path);
        t.sourceTokens = readStrings(root, "source_tokens", path);
        t.encoderHeadMask = readFloats(root, "encoder_head_mask", path);
        t.crossHeadMask = readFloats(root, "cross_head_mask", path);
        t.encoderLayers = readLayers(root, "encoder_layers", path);
    }
    if (exists(root, "context_budget"))
        for (int32_t k : readInts<int32_t>(root, "context_budget", H5T_NATIVE_INT32, path)) t.contextBudget.push_back(k);
    if (exists(root, "digests")) {
        Handle digests(H5Gopen2(root, "digests", H5P_DEFAULT), H5Gclose);
        if (!digests.ok()) throw Error(path, "/digests is not a group");
        for (const std::string& name : linkNames(digests.get(), path)) {
            Handle g(H5Gopen2(digests.get(), name.c_str(), H5P_DEFAULT), H5Gclose);
            if (!g.ok()) throw Error(path, "/digests/" + name + " is not a group");
            LayerDigest d;
            d.layer = layerNumber(name, path, "/digests/");
            for (const auto& [field, array] : d.named()) *array = readFloats(g.get(), field, path);
            const std::vector<int64_t> bin = readInts<int64_t>(g.get(), "bin", H5T_NATIVE_INT64, path);
            if (bin.size() != 1) throw Error(path, "/digests/" + name + "/bin is not one number");
            d.bin = bin.front();
            t.digests.push_back(std::move(d));
        }
        std::sort(t.digests.begin(), t.digests.end(), [](const auto& a, const auto& b) { return a.layer < b.layer; });
    }
    if (exists(root, "roles")) {
        Handle roles(H5Gopen2(root, "roles", H5P_DEFAULT), H5Gclose);
        if (!roles.ok()) throw Error(path, "/roles is not a group");
        std::vector<FloatArray> byRole;
        for (int r = 0; r < kMeasuredRoles; ++r) byRole.push_back(readFloats(roles.get(), measuredRoleId(r), path));
        t.roleScores = h5layout::splitRoles(byRole, path);
    }
    out.analyses.rollout = readFloats(root, "rollout", path);
    if (exists(root, "lens")) {
        Handle g(H5Gopen2(root, "lens", H5P_DEFAULT), H5Gclose);
        if (!g.ok()) throw Error(path, "/lens is not a group");
        auto lens = std::make_shared<LogitLens>();
        lens->topProbs = readFloats(g.get(), "top_probs", path);
        lens->targetProb = readFloats(g.get(), "target_prob", path);
        if (lens->topProbs.rank() != 3 || lens->targetProb.rank() != 2) throw Error(path, "/lens/top_probs or target_prob has the wrong rank");
        lens->rows = static_cast<int>(lens->topProbs.dim(0));
        lens->tokens = lens->topProbs.dim(1);
        lens->topK = static_cast<int>(lens->topProbs.dim(2));
        lens->topIds = LongArray(lens->topProbs.shape(), readInts<int64_t>(g.get(), "top_ids", H5T_NATIVE_INT64, path));
        lens->targetRank = LongArray(lens->targetProb.shape(), readInts<int64_t>(g.get(), "target_rank", H5T_NATIVE_INT64, path));
        lens->targets = readInts<int64_t>(g.get(), "targets", H5T_NATIVE_INT64, path);
        lens->tokenIds = t.tokenIds;
        lens->tokenTexts = t.tokens;
        out.analyses.lens = std::move(lens);
    }
    if (exists(root, "attribution")) {
        Handle g(H5Gopen2(root, "attribution", H5P_DEFAULT), H5Gclose);
        if (!g.ok()) throw Error(path, "/attribution is not a group");
        auto a = std::make_shared<Attribution>();
        const auto values = readInts<double>(g.get(), "value", H5T_NATIVE_DOUBLE, path);
        const auto names = readStrings(g.get(), "name", path), kinds = readStrings(g.get(), "kind", path);
        const auto layers = readInts<int32_t>(g.get(), "layer", H5T_NATIVE_INT32, path), heads = readInts<int32_t>(g.get(), "head", H5T_NATIVE_INT32, path);
        if (names.size() != values.size() || kinds.size() != values.size() || layers.size() != values.size() || heads.size() != values.size())
            throw Error(path, "/attribution's datasets differ in length");
        for (size_t i = 0; i < values.size(); ++i) {
            a->terms.push_back({kinds[i], names[i], layers[i], heads[i], values[i]});
            a->termSum += values[i];
        }
        const auto scalars = readInts<double>(g.get(), "logit", H5T_NATIVE_DOUBLE, path);
        const auto where = readInts<int64_t>(g.get(), "position_target", H5T_NATIVE_INT64, path);
        if (scalars.size() != 2 || where.size() != 2) throw Error(path, "/attribution/logit or position_target is not two numbers");
        a->logit = scalars[0];
        a->outputLogit = scalars[1];
        a->position = where[0];
        a->target = where[1];
        out.analyses.attribution = std::move(a);
    }
    out.provenance = h5::readStringAttributes(root);
    if (out.provenance.count("device")) t.device = out.provenance["device"];
    return out;
}

} // namespace headlight
