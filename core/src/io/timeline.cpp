// timeline.h5: flat datasets over the logged steps, written through the analyses' result-file format.
#include "headlight/timeline.h"

#include "headlight/error.h"
#include "headlight/result_file.h"

#include <algorithm>
#include <cmath>

namespace headlight {
namespace {

constexpr const char* kScalars[] = {"loss", "task_loss", "lambda", "learning_rate"};

double& scalarOf(TimelineStep& s, const std::string& name) {
    if (name == "loss") return s.loss;
    if (name == "task_loss") return s.taskLoss;
    if (name == "lambda") return s.lambda;
    return s.learningRate;
}

} // namespace

void Timeline::write(const std::string& path) const {
    ResultFile f;
    const int64_t n = static_cast<int64_t>(steps.size());
    std::vector<int32_t> step;
    for (const auto& s : steps) step.push_back(s.step);
    f.ints["step"] = NdArray<int32_t>({n}, step);
    for (const char* name : kScalars) {
        std::vector<float> v;
        for (auto s : steps) v.push_back(static_cast<float>(scalarOf(s, name)));
        f.floats[name] = FloatArray({n}, v);
    }
    if (!steps.empty())
        for (const auto& [name, first] : steps.front().heads) {
            std::vector<float> v;
            for (const auto& s : steps) {
                const auto it = s.heads.find(name);
                if (it == s.heads.end() || it->second.shape() != first.shape()) throw Error(path, "the timeline's " + name + " changes shape");
                v.insert(v.end(), it->second.begin(), it->second.end());
            }
            f.floats[name] = FloatArray({n, first.dim(0), first.dim(1)}, v);
        }
    f.attributes["format"] = "headlight-timeline";
    f.attributes["lambda_key"] = lambdaKey;
    writeResultHdf5(path, f);
}

Timeline Timeline::read(const std::string& path) {
    const ResultFile f = readResultHdf5(path);
    const auto format = f.attributes.find("format");
    if (format == f.attributes.end() || format->second != "headlight-timeline") throw Error(path, "is not a Headlight timeline (no format attribute)");
    const auto stepIt = f.ints.find("step");
    if (stepIt == f.ints.end() || stepIt->second.rank() != 1) throw Error(path, "has no /step dataset");
    const int64_t n = stepIt->second.dim(0);
    Timeline t;
    if (const auto key = f.attributes.find("lambda_key"); key != f.attributes.end()) t.lambdaKey = key->second;
    t.steps.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
        t.steps[static_cast<size_t>(i)].step = stepIt->second.data()[i];
        if (i > 0 && t.steps[static_cast<size_t>(i)].step <= t.steps[static_cast<size_t>(i - 1)].step)
            throw Error(path, "/step is not ascending at entry " + std::to_string(i));
    }
    for (const auto& [key, a] : f.floats) {
        const std::string name = key;   // a structured binding cannot be captured (C++17)
        const bool scalar = std::find_if(std::begin(kScalars), std::end(kScalars), [&](const char* s) { return name == s; }) != std::end(kScalars);
        if (scalar) {
            if (a.rank() != 1 || a.dim(0) != n) throw Error(path, "/" + name + " does not have one value per step");
            for (int64_t i = 0; i < n; ++i) scalarOf(t.steps[static_cast<size_t>(i)], name) = a.data()[i];
            continue;
        }
        if (a.rank() != 3 || a.dim(0) != n) throw Error(path, "/" + name + " is not [steps, layers, heads]");
        const int64_t L = a.dim(1), H = a.dim(2);
        for (int64_t i = 0; i < n; ++i)
            t.steps[static_cast<size_t>(i)].heads[name] =
                FloatArray({L, H}, std::vector<float>(a.data() + i * L * H, a.data() + (i + 1) * L * H));
    }
    return t;
}

void Timeline::truncateAfter(int step) {
    steps.erase(std::remove_if(steps.begin(), steps.end(), [&](const TimelineStep& s) { return s.step > step; }), steps.end());
}

} // namespace headlight
