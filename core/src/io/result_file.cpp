// Result files of the pruning what-ifs: float32 and int32 datasets at the root plus string attributes,
// through the HDF5 C API like trace_hdf5.cpp. Layout: docs/pruning.md.
#include "headlight/result_file.h"

#include "headlight/error.h"
#include "headlight/input_file.h"
#include "io/atomic_file.h"
#include "io/hdf5_util.h"

#include <hdf5.h>

namespace headlight {
namespace {

using h5::Handle;

// Reads one root dataset by name; false on an HDF5 read error.
bool readDataset(hid_t root, const char* name, ResultFile& file, const std::string& path) {
    Handle ds(H5Dopen2(root, name, H5P_DEFAULT), H5Dclose);
    if (!ds.ok()) return true;   // groups and other objects are not part of this layout
    Handle type(H5Dget_type(ds.get()), H5Tclose);
    const auto shape = h5::checkedShapeOf(ds.get(), path, name);
    const auto count = static_cast<size_t>(FloatArray::countOf(shape));
    if (H5Tget_class(type.get()) == H5T_INTEGER) {
        std::vector<int32_t> v(count);
        if (H5Dread(ds.get(), H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) < 0) return false;
        file.ints[name] = NdArray<int32_t>(shape, std::move(v));
    } else if (H5Tget_class(type.get()) == H5T_FLOAT) {
        std::vector<float> v(count);
        if (H5Dread(ds.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) < 0) return false;
        file.floats[name] = FloatArray(shape, std::move(v));
    }
    return true;
}

} // namespace

void writeResultHdf5(const std::string& path, const ResultFile& f) {
    h5::silence();
    AtomicFile out(path);
    {
        Handle file = h5::createInMemory(out);
        for (const auto& [name, a] : f.floats) h5::writeDataset(file.get(), path, name, H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, a.shape(), a.data());
        for (const auto& [name, a] : f.ints) h5::writeDataset(file.get(), path, name, H5T_NATIVE_INT32, H5T_STD_I32LE, a.shape(), a.data());
        for (const auto& [name, value] : f.attributes) h5::writeStringAttribute(file.get(), path, name, value);
        h5::saveImage(file.get(), out);
    }
    out.commit();
}

ResultFile readResultHdf5(const std::string& path) {
    Handle file = h5::openForReading(path);
    ResultFile out;
    // By index rather than H5Literate, whose callback type differs between HDF5 1.10 and 1.12.
    H5G_info_t info {};
    if (H5Gget_info(file.get(), &info) < 0) throw Error(path, "HDF5 error while listing datasets");
    for (hsize_t i = 0; i < info.nlinks; ++i) {
        char name[256] = {};
        H5Lget_name_by_idx(file.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name, H5P_DEFAULT);
        if (!readDataset(file.get(), name, out, path)) throw Error(path, std::string("HDF5 error while reading ") + name);
    }
    out.attributes = h5::readStringAttributes(file.get());
    return out;
}

} // namespace headlight
