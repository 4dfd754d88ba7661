// Result files of the pruning what-ifs: float32 and int32 datasets at the root plus string attributes,
// through the HDF5 C API like trace_hdf5.cpp. Layout: docs/pruning.md.
#include "atomic_file.h"
#include "headlight/error.h"
#include "headlight/pruning.h"

#include <hdf5.h>

namespace headlight {
namespace {

// Owns one HDF5 identifier and closes it with the matching function.
class Handle {
public:
    Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
    ~Handle() { if (id_ >= 0) close_(id_); }
    Handle(Handle&& other) noexcept : id_(other.id_), close_(other.close_) { other.id_ = -1; }
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    Handle& operator=(Handle&&) = delete;
    hid_t get() const { return id_; }
    bool ok() const { return id_ >= 0; }
private:
    hid_t id_;
    herr_t (*close_)(hid_t);
};

Handle stringType() {
    Handle t(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(t.get(), H5T_VARIABLE);
    H5Tset_cset(t.get(), H5T_CSET_UTF8);
    return t;
}

// A rank-0 shape is a scalar dataspace (e.g. /baseline_loss).
Handle spaceFor(const std::vector<int64_t>& shape) {
    if (shape.empty()) return Handle(H5Screate(H5S_SCALAR), H5Sclose);
    std::vector<hsize_t> dims(shape.begin(), shape.end());
    return Handle(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
}

void writeDataset(hid_t root, const std::string& path, const std::string& name, hid_t memType, hid_t fileType,
                  const std::vector<int64_t>& shape, const void* data) {
    Handle space = spaceFor(shape);
    Handle ds(H5Dcreate2(root, name.c_str(), fileType, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
    if (!ds.ok()) throw Error(path, "HDF5 error while creating dataset " + name);
    if (H5Dwrite(ds.get(), memType, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) throw Error(path, "HDF5 error while writing " + name);
}

std::vector<int64_t> shapeOf(hid_t ds) {
    Handle space(H5Dget_space(ds), H5Sclose);
    const int rank = H5Sget_simple_extent_ndims(space.get());
    std::vector<hsize_t> dims(static_cast<size_t>(rank > 0 ? rank : 0));
    if (rank > 0) H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
    return std::vector<int64_t>(dims.begin(), dims.end());
}

struct ReadState {
    ResultFile* file;
    std::string path;
};

// Reads one root dataset by name; false on an HDF5 read error.
bool readDataset(hid_t root, const char* name, ReadState* st) {
    Handle ds(H5Dopen2(root, name, H5P_DEFAULT), H5Dclose);
    if (!ds.ok()) return true;   // groups and other objects are not part of this layout
    Handle type(H5Dget_type(ds.get()), H5Tclose);
    const auto shape = shapeOf(ds.get());
    const auto count = static_cast<size_t>(FloatArray::countOf(shape));
    if (H5Tget_class(type.get()) == H5T_INTEGER) {
        std::vector<int32_t> v(count);
        if (H5Dread(ds.get(), H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) < 0) return false;
        st->file->ints[name] = NdArray<int32_t>(shape, std::move(v));
    } else if (H5Tget_class(type.get()) == H5T_FLOAT) {
        std::vector<float> v(count);
        if (H5Dread(ds.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) < 0) return false;
        st->file->floats[name] = FloatArray(shape, std::move(v));
    }
    return true;
}

herr_t readAttribute(hid_t loc, const char* name, const H5A_info_t*, void* data) {
    auto* st = static_cast<ReadState*>(data);
    Handle attr(H5Aopen(loc, name, H5P_DEFAULT), H5Aclose);
    Handle t = stringType();
    char* value = nullptr;
    if (H5Aread(attr.get(), t.get(), &value) >= 0 && value) {
        st->file->attributes[name] = value;
        H5free_memory(value);
    }
    return 0;
}

} // namespace

void writeResultHdf5(const std::string& path, const ResultFile& f) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    AtomicFile out(path);
    {
        Handle file(H5Fcreate(out.tempPath().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
        if (!file.ok()) throw Error(path, "cannot create the HDF5 file");
        for (const auto& [name, a] : f.floats) writeDataset(file.get(), path, name, H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, a.shape(), a.data());
        for (const auto& [name, a] : f.ints) writeDataset(file.get(), path, name, H5T_NATIVE_INT32, H5T_STD_I32LE, a.shape(), a.data());
        for (const auto& [name, value] : f.attributes) {
            Handle t = stringType();
            Handle space(H5Screate(H5S_SCALAR), H5Sclose);
            Handle attr(H5Acreate2(file.get(), name.c_str(), t.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
            const char* p = value.c_str();
            if (!attr.ok() || H5Awrite(attr.get(), t.get(), &p) < 0) throw Error(path, "HDF5 error while writing attribute " + name);
        }
        if (H5Fflush(file.get(), H5F_SCOPE_GLOBAL) < 0) throw Error(path, "cannot write the HDF5 file (disk full?)");
    }
    out.commit();
}

ResultFile readResultHdf5(const std::string& path) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    if (H5Fis_hdf5(path.c_str()) <= 0) throw Error(path, "not an HDF5 file (or not found)");
    Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    if (!file.ok()) throw Error(path, "cannot open the HDF5 file");
    ResultFile out;
    ReadState st{&out, path};
    // By index rather than H5Literate, whose callback type differs between HDF5 1.10 and 1.12.
    H5G_info_t info {};
    if (H5Gget_info(file.get(), &info) < 0) throw Error(path, "HDF5 error while listing datasets");
    for (hsize_t i = 0; i < info.nlinks; ++i) {
        char name[256] = {};
        H5Lget_name_by_idx(file.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name, H5P_DEFAULT);
        if (!readDataset(file.get(), name, &st)) throw Error(path, std::string("HDF5 error while reading ") + name);
    }
    hsize_t idx = 0;
    H5Aiterate2(file.get(), H5_INDEX_NAME, H5_ITER_INC, &idx, readAttribute, &st);
    return out;
}

} // namespace headlight
