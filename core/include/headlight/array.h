#pragma once
// An immutable, row-major n-d array that is cheap to copy (shared storage).
// Results leave the engine as these value types so no LibTorch type crosses the core's API.
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace headlight {

template <typename T>
class NdArray {
public:
    NdArray() = default;

    // Owns `values`; their count must match the shape.
    NdArray(std::vector<int64_t> shape, std::vector<T> values) : shape_(std::move(shape)) {
        if (static_cast<int64_t>(values.size()) != countOf(shape_))
            throw std::invalid_argument("NdArray: value count does not match shape " + shapeString());
        auto owned = std::make_shared<std::vector<T>>(std::move(values));
        data_ = std::shared_ptr<const T>(owned, owned->data());
    }

    // Shares storage owned elsewhere (e.g. a tensor kept alive by `data`'s control block).
    NdArray(std::vector<int64_t> shape, std::shared_ptr<const T> data)
        : shape_(std::move(shape)), data_(std::move(data)) {}

    const std::vector<int64_t>& shape() const { return shape_; }
    int rank() const { return static_cast<int>(shape_.size()); }
    int64_t dim(int i) const { return shape_.at(static_cast<size_t>(i)); }
    int64_t size() const { return data_ ? countOf(shape_) : 0; }
    bool empty() const { return size() == 0; }
    const T* data() const { return data_.get(); }
    const T* begin() const { return data(); }
    const T* end() const { return data() + size(); }

    // Bounds-checked element access by full index, e.g. a.at({h, i, j}).
    const T& at(std::initializer_list<int64_t> index) const {
        if (index.size() != shape_.size())
            throw std::out_of_range("NdArray::at: wrong number of indices for " + shapeString());
        int64_t offset = 0;
        size_t axis = 0;
        for (int64_t i : index) {
            if (i < 0 || i >= shape_[axis])
                throw std::out_of_range("NdArray::at: index out of range for " + shapeString());
            offset = offset * shape_[axis] + i;
            ++axis;
        }
        return data_.get()[offset];
    }

    std::vector<T> toVector() const { return std::vector<T>(begin(), end()); }

    std::string shapeString() const {
        std::string s = "[";
        for (size_t i = 0; i < shape_.size(); ++i)
            s += (i ? "," : "") + std::to_string(shape_[i]);
        return s + "]";
    }

    static int64_t countOf(const std::vector<int64_t>& shape) {
        int64_t n = 1;
        for (int64_t d : shape) n *= d;
        return n;
    }

private:
    std::vector<int64_t> shape_;
    std::shared_ptr<const T> data_;
};

using FloatArray = NdArray<float>;

} // namespace headlight
