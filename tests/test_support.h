#pragma once
// Shared by the test executables: paths, tiny model folders built from explicit tensors, comparisons.
#include "headlight/array.h"
#include "headlight/model_config.h"
#include "headlight/safetensors.h"

#include <QString>
#include <map>
#include <string>
#include <vector>

namespace headlight::test {

std::string sourcePath(const std::string& relative);   // under the repository root
std::string fixturePath(const std::string& relative);  // under tests/fixtures
std::string sharedPath(const std::string& relative);   // under ../shared

// A small config with the given mechanisms switched on ("gates", "span", "selective", "memory", "all-attention").
ModelConfig tinyConfig(const std::vector<std::string>& mechanisms = {}, int layers = 2, int heads = 2, int embd = 8,
                       int vocab = 11, int positions = 16);

// Random weights (seeded, std 0.3, non-trivial LayerNorms) for every tensor `config` needs, HF names.
std::map<std::string, FloatArray> randomWeights(const ModelConfig& config, uint64_t seed);

// Writes config.json, model.safetensors and a vocab.json of the first vocab_size characters of
// "^abcdefghijklmnopqrstuvwxyz0123456789" into `dir` (created).
void writeModel(const std::string& dir, const ModelConfig& config, const std::map<std::string, FloatArray>& weights,
                DType storeAs = DType::F32);

FloatArray constant(std::vector<int64_t> shape, float value);
FloatArray values(std::vector<int64_t> shape, std::vector<float> v);
// Copy of `a` with one element replaced.
FloatArray withValue(const FloatArray& a, int64_t flatIndex, float value);

// Largest absolute difference; -1 when shapes differ.
double maxAbsDiff(const FloatArray& a, const FloatArray& b);
QString describe(const FloatArray& a);

} // namespace headlight::test

// Compares two arrays elementwise within `tol`, failing with the largest difference.
#define HL_COMPARE_ARRAYS(actual, expected, tol)                                                               \
    do {                                                                                                       \
        const double hl_diff = headlight::test::maxAbsDiff((actual), (expected));                              \
        QVERIFY2(hl_diff >= 0, qPrintable(QString("shape mismatch: %1 vs %2")                                  \
                                              .arg(QString::fromStdString((actual).shapeString()))             \
                                              .arg(QString::fromStdString((expected).shapeString()))));        \
        QVERIFY2(hl_diff <= (tol), qPrintable(QString("max |diff| = %1 > %2").arg(hl_diff).arg(tol)));         \
    } while (0)
