#pragma once
// The HDF5 C API pieces both of our file formats use (traces: trace_hdf5.cpp, analysis results:
// result_file.cpp): RAII handles, opening a file to read, UTF-8 string attributes, shapes, datasets written whole.
#include "headlight/error.h"
#include "headlight/input_file.h"
#include "io/atomic_file.h"

#include <hdf5.h>
#include <map>
#include <string>
#include <vector>

namespace headlight::h5 {

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

// Our errors name the file; HDF5's own stack printout would only repeat them on stderr. And no exit handler:
// HDF5's closes ids still open at exit, and crashes on a file whose close failed (a full disk under the
// streamed writer, trace_hdf5_stream.cpp). Every file we open is closed, or its temporary removed, before we
// return, so the handler has nothing to do. It must be refused before HDF5's first call, which this is.
inline void silence() {
    static const bool noExitHandler = [] { return H5dont_atexit() >= 0; }();
    (void)noExitHandler;
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

// A new file that HDF5 keeps in memory (the core driver, no backing store). HDF5 itself never writes to disk:
// on a full disk a file id whose close failed would stay open, and HDF5's shutdown at exit would crash on it.
// saveImage() writes the finished file through `out`, checking every write.
inline Handle createInMemory(const AtomicFile& out) {
    Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
    if (!fapl.ok() || H5Pset_fapl_core(fapl.get(), 4 << 20, 0) < 0) throw Error(out.path(), "HDF5 error while setting up the file");
    // Named after the temporary (unique to this process), which it never touches.
    Handle file(H5Fcreate(out.tempPath().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), H5Fclose);
    if (!file.ok()) throw Error(out.path(), "cannot create the HDF5 file");
    return file;
}

// An existing HDF5 file opened read-only; Error naming `path` when it is not a regular file (HDF5 would wait
// forever on a FIFO), not an HDF5 file, or cannot be opened.
inline Handle openForReading(const std::string& path) {
    silence();
    requireRegularFile(path);
    if (H5Fis_hdf5(path.c_str()) <= 0) throw Error(path, "not an HDF5 file");
    Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    if (!file.ok()) throw Error(path, "cannot open the HDF5 file");
    return file;
}

// The bytes of an in-memory file, written to out's temporary (not committed).
inline void saveImage(hid_t file, AtomicFile& out) {
    if (H5Fflush(file, H5F_SCOPE_GLOBAL) < 0) throw Error(out.path(), "HDF5 error while finishing the file");
    const ssize_t size = H5Fget_file_image(file, nullptr, 0);
    if (size <= 0) throw Error(out.path(), "HDF5 error while finishing the file");
    std::vector<char> image(static_cast<size_t>(size));
    if (H5Fget_file_image(file, image.data(), image.size()) != size) throw Error(out.path(), "HDF5 error while finishing the file");
    out.write(image.data(), image.size());
}

inline Handle stringType() {
    Handle t(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(t.get(), H5T_VARIABLE);
    H5Tset_cset(t.get(), H5T_CSET_UTF8);
    return t;
}

inline std::vector<int64_t> shapeOf(hid_t ds) {
    Handle space(H5Dget_space(ds), H5Sclose);
    const int rank = H5Sget_simple_extent_ndims(space.get());
    std::vector<hsize_t> dims(static_cast<size_t>(rank > 0 ? rank : 0));
    if (rank > 0) H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
    return std::vector<int64_t>(dims.begin(), dims.end());
}

// The largest dataset a reader accepts, in elements: a damaged or hostile file may declare any size, and
// reading allocates it all first.
constexpr int64_t kMaxReadElements = int64_t{1} << 31;

// shapeOf, checked: Error naming `path` and the dataset when a dimension or the element count is too large.
inline std::vector<int64_t> checkedShapeOf(hid_t ds, const std::string& path, const std::string& name) {
    Handle space(H5Dget_space(ds), H5Sclose);
    const int rank = H5Sget_simple_extent_ndims(space.get());
    if (rank < 0 || rank > 32) throw Error(path, "dataset " + name + " has an unreadable shape");
    std::vector<hsize_t> dims(static_cast<size_t>(rank));
    if (rank > 0 && H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0)
        throw Error(path, "dataset " + name + " has an unreadable shape");
    int64_t count = 1;
    for (hsize_t d : dims) {
        if (d > static_cast<hsize_t>(kMaxReadElements) || (d != 0 && count > kMaxReadElements / static_cast<int64_t>(d)))
            throw Error(path, "dataset " + name + " is too large to read (over " + std::to_string(kMaxReadElements) + " elements)");
        count *= static_cast<int64_t>(d);
    }
    return std::vector<int64_t>(dims.begin(), dims.end());
}

// A dataset `name` under `loc` holding `data` (rank 0 = a scalar). Throws Error naming `path`.
inline void writeDataset(hid_t loc, const std::string& path, const std::string& name, hid_t memType, hid_t fileType,
                         const std::vector<int64_t>& shape, const void* data) {
    std::vector<hsize_t> dims(shape.begin(), shape.end());
    Handle space(dims.empty() ? H5Screate(H5S_SCALAR) : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                 H5Sclose);
    Handle ds(H5Dcreate2(loc, name.c_str(), fileType, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
    if (!ds.ok()) throw Error(path, "HDF5 error while creating dataset " + name);
    if (H5Dwrite(ds.get(), memType, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) throw Error(path, "HDF5 error while writing " + name);
}

// HDF5's strings are C strings: a NUL byte would cut the text short without a word, so it is refused instead.
// (Token texts never hold one: display labels escape control characters; docs/tokenizers.md.)
inline void requireNoNul(const std::string& path, const std::string& what, const std::string& value) {
    if (value.find('\0') != std::string::npos)
        throw Error(path, what + " holds a NUL byte, which an HDF5 string cannot store");
}

inline void writeStringAttribute(hid_t loc, const std::string& path, const std::string& name, const std::string& value) {
    requireNoNul(path, "an attribute name", name);
    requireNoNul(path, "attribute " + printableText(name, 40), value);
    Handle t = stringType();
    Handle space(H5Screate(H5S_SCALAR), H5Sclose);
    Handle attr(H5Acreate2(loc, name.c_str(), t.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    if (!attr.ok()) throw Error(path, "HDF5 error while creating attribute " + printableText(name, 40));
    const char* p = value.c_str();
    if (H5Awrite(attr.get(), t.get(), &p) < 0) throw Error(path, "HDF5 error while writing attribute " + printableText(name, 40));
}

// Every string attribute of `loc` (others are skipped).
inline std::map<std::string, std::string> readStringAttributes(hid_t loc) {
    std::map<std::string, std::string> out;
    hsize_t idx = 0;
    H5Aiterate2(
        loc, H5_INDEX_NAME, H5_ITER_INC, &idx,
        [](hid_t l, const char* name, const H5A_info_t*, void* data) -> herr_t {
            Handle attr(H5Aopen(l, name, H5P_DEFAULT), H5Aclose);
            Handle t = stringType();
            char* value = nullptr;
            if (H5Aread(attr.get(), t.get(), &value) >= 0 && value) {
                (*static_cast<std::map<std::string, std::string>*>(data))[name] = value;
                H5free_memory(value);
            }
            return 0;
        },
        &out);
    return out;
}

} // namespace headlight::h5
