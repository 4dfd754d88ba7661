#pragma once
// Shared by the test executables: paths, tiny model folders built from explicit tensors, comparisons.
#include "headlight/array.h"
#include "headlight/error.h"
#include "headlight/mechanisms/adaptive_span.h"
#include "headlight/mechanisms/head_gates.h"
#include "headlight/mechanisms/persistent_memory.h"
#include "headlight/mechanisms/selective_attention.h"
#include "headlight/model_config.h"
#include "headlight/safetensors.h"
#include "headlight/trace.h"

#include <QString>
#include <QStringList>
#include <exception>
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

// A copy of model folder `from` in `to` without one mechanism (a sample trained with it, as a model that never
// had it): config.json without its object ("gpt2" when none is left), model.safetensors without the tensors
// whose names contain `tensorName`, and vocab.json. Returns `to`.
std::string withoutMechanism(const std::string& from, const std::string& to, const std::string& mechanism,
                             const std::string& tensorName);

// An int64 tensor of a reference file (token ids), by name; throws headlight::Error when absent or not int64.
std::vector<int64_t> readIds(const SafetensorsFile& file, const std::string& name);

FloatArray constant(std::vector<int64_t> shape, float value);
FloatArray values(std::vector<int64_t> shape, std::vector<float> v);
// Copy of `a` with one element replaced.
FloatArray withValue(const FloatArray& a, int64_t flatIndex, float value);

// Largest absolute difference; -1 when shapes differ.
double maxAbsDiff(const FloatArray& a, const FloatArray& b);
// max |a - b| over max |b|: logits compared relative to their scale.
double relativeError(const FloatArray& a, const FloatArray& b);
QString describe(const FloatArray& a);

// Bit pattern of a float; QCOMPARE is fuzzy for floats, HL_SAME_FLOAT is not.
uint32_t bitsOf(float f);
// Bit-exact comparison (NaN, -0 and shape included); empty when equal.
QString bitDiff(const FloatArray& a, const FloatArray& b);
// `digest`'s pictures of the heads `captured` holds against those heads' [T,T] matrices pooled by hand in cells
// of digest.bin tokens: the max with the same bits, the mean within 1e-6. Empty when they agree, else the first
// cell that does not.
QString pooledDiff(const LayerDigest& digest, const LayerTrace& captured);
// Writes `data` to `path` (aborts the test run when it cannot).
void writeFile(const QString& path, const QByteArray& data);
// Temporary files (*.tmp-*) an atomic write left in `dir`.
QStringList leftovers(const QString& dir);

// what() of the headlight::Error `f` throws; a marker when it throws something else or nothing.
template <typename F>
QString errorOf(F&& f) {
    try {
        f();
    } catch (const Error& e) {
        return QString::fromUtf8(e.what());
    } catch (const std::exception& e) {
        return "NOT a headlight::Error: " + QString::fromUtf8(e.what());
    }
    return "nothing thrown";
}

} // namespace headlight::test

#define HL_SAME_FLOAT(actual, expected)                                                                    \
    QVERIFY2(headlight::test::bitsOf(actual) == headlight::test::bitsOf(expected),                         \
             qPrintable(QString("%1 != %2").arg(double(actual), 0, 'g', 17).arg(double(expected), 0, 'g', 17)))

// Compares two arrays elementwise within `tol`, failing with the largest difference.
#define HL_COMPARE_ARRAYS(actual, expected, tol)                                                               \
    do {                                                                                                       \
        const double hl_diff = headlight::test::maxAbsDiff((actual), (expected));                              \
        QVERIFY2(hl_diff >= 0, qPrintable(QString("shape mismatch: %1 vs %2")                                  \
                                              .arg(QString::fromStdString((actual).shapeString()))             \
                                              .arg(QString::fromStdString((expected).shapeString()))));        \
        QVERIFY2(hl_diff <= (tol), qPrintable(QString("max |diff| = %1 > %2").arg(hl_diff).arg(tol)));         \
    } while (0)
