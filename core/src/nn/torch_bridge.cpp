#include "nn/torch_bridge.h"

#include "headlight/error.h"

#include <ATen/Context.h>
#include <torch/cuda.h>
#include <torch/nn/functional/linear.h>

namespace headlight {

FloatArray toArray(torch::Tensor t) {
    t = t.detach().to(torch::kCPU, torch::kFloat).contiguous();
    std::vector<int64_t> shape(t.sizes().begin(), t.sizes().end());
    auto holder = std::make_shared<torch::Tensor>(std::move(t));
    std::shared_ptr<const float> data(holder, holder->data_ptr<float>());
    return FloatArray(std::move(shape), std::move(data));
}

torch::Tensor toTensor(const FloatArray& a, const torch::Device& device) {
    auto t = torch::empty(a.shape(), torch::kFloat);
    if (a.size()) std::memcpy(t.data_ptr<float>(), a.data(), static_cast<size_t>(a.size()) * sizeof(float));
    return t.to(device);
}

torch::Device parseDevice(const std::string& spec, const std::string& argName) {
    if (spec == "cpu") return torch::kCPU;
    if (spec.rfind("cuda", 0) == 0) {
        int index = -1;
        if (spec.size() > 4) {
            if (spec[4] != ':' || spec.size() == 5 || spec.find_first_not_of("0123456789", 5) != std::string::npos)
                throw Error(argName, "\"" + printableText(spec, 40) + "\" is not a device (use cpu, cuda or cuda:N)", ErrorInput::Device);
            if (spec.size() > 5 + 4) throw Error(argName, "\"" + printableText(spec, 40) + "\": no such CUDA device", ErrorInput::Device);   // stoi would overflow
            index = std::stoi(spec.substr(5));
        }
        if (!at::globalContext().hasCUDA())
            throw Error(argName, "cuda requested, but this build's LibTorch has no CUDA support (use --device cpu)", ErrorInput::Device);
        const auto count = static_cast<int>(torch::cuda::device_count());
        if (count == 0) throw Error(argName, "cuda requested, but no CUDA device is visible", ErrorInput::Device);
        if (index >= count)
            throw Error(argName, "cuda:" + std::to_string(index) + " requested, but only " + std::to_string(count) + " CUDA device(s) exist", ErrorInput::Device);
        return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index < 0 ? 0 : index));
    }
    throw Error(argName, "\"" + printableText(spec, 40) + "\" is not a device (use cpu, cuda or cuda:N)", ErrorInput::Device);
}

namespace {

// Whether this LibTorch multiplies float16 matrices on the CPU (LibTorch 1.13 has no CPU kernels for them;
// later versions do). Asked of the library once instead of assumed from its version.
bool cpuHalfProducts() {
    static const bool works = [] {
        try {
            const auto a = torch::ones({2, 2}, torch::kHalf);
            (void)torch::matmul(a, a);
            (void)torch::nn::functional::linear(a.unsqueeze(0), a);
            return true;
        } catch (const c10::Error&) {
            return false;
        }
    }();
    return works;
}

} // namespace

torch::ScalarType parseDtype(const std::string& spec, const torch::Device& device, const std::string& argName) {
    if (spec == "float32") return torch::kFloat;
    if (spec == "bfloat16") return torch::kBFloat16;
    if (spec == "float16") {
        if (device.is_cpu() && !cpuHalfProducts())
            throw Error(argName, "float16 is not available on the CPU with this LibTorch (no float16 matrix products); use bfloat16, or float16 on cuda");
        return torch::kHalf;
    }
    throw Error(argName, "\"" + printableText(spec, 40) + "\" is not a dtype (use float32, bfloat16 or float16)");
}

std::string dtypeName(torch::ScalarType dtype) {
    return dtype == torch::kBFloat16 ? "bfloat16" : dtype == torch::kHalf ? "float16" : "float32";
}

} // namespace headlight
