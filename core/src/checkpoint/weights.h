#pragma once
// Internal: a family names each of its tensors once, in a visit over typed slots; loading, initialisation,
// saving and training all go through that one visit (llama.cpp's tensor tables, as a visitor).
#include <functional>
#include <map>
#include <string>
#include <torch/types.h>
#include <torch/utils.h>
#include <vector>

namespace headlight {

using NamedTensors = std::map<std::string, torch::Tensor>;

// How `init` fills a tensor: N(0, std), N(0, 0.02 / sqrt(2 L)) for projections into the residual stream
// (GPT-2's scheme), or a constant.
struct Init {
    enum Kind { Normal, Residual, Constant } kind = Normal;
    double value = 0.02;   // std for Normal, the value for Constant
    static Init normal(double std = 0.02) { return {Normal, std}; }
    static Init residual() { return {Residual, 0.0}; }
    static Init zeros() { return {Constant, 0.0}; }
    static Init ones() { return {Constant, 1.0}; }
    static Init fill(double v) { return {Constant, v}; }
};

struct TensorSlot {
    torch::Tensor* tensor;
    std::string name;               // the name in model.safetensors
    std::vector<int64_t> shape;
    Init init;
    bool optional = false;          // may be absent from a file (e.g. an lm_head that is tied)
    bool optionalButInitialized = false;   // optional in files, yet `init` writes it (BERT's masked-LM head)
    bool mechanism = false;         // a Headlight mechanism's tensor (fine-tuning may add it to a model)
};

using TensorVisitor = std::function<void(const TensorSlot&)>;

// Fills every slot from `tensors`, checking names and shapes; tensors left over are an error naming the first.
// Optional slots stay undefined when absent. Throws headlight::Error naming `source`. Values are not looked at:
// readTensors refuses a file's NaN and infinite values, counted while the file was read; the other tensors a
// model is built from are drawn by WeightInitializer or are a model's own (training).
class WeightPicker {
public:
    WeightPicker(NamedTensors tensors, std::string source) : tensors_(std::move(tensors)), source_(std::move(source)) {}
    void operator()(const TensorSlot& slot);
    void rejectLeftovers() const;
    bool has(const std::string& name) const { return tensors_.count(name) > 0; }

private:
    NamedTensors tensors_;
    std::string source_;
};

// Fills every slot that is not optional (or is optionalButInitialized) with fresh values drawn from `gen` (float32, CPU).
class WeightInitializer {
public:
    WeightInitializer(torch::Generator gen, int nLayer) : gen_(std::move(gen)), nLayer_(nLayer) {}
    void operator()(const TensorSlot& slot);

private:
    torch::Generator gen_;
    int nLayer_;
};

std::string shapeText(const std::vector<int64_t>& shape);

} // namespace headlight
