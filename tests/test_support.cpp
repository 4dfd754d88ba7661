#include "test_support.h"

#include "headlight/tokenizer.h"

#include <QDir>
#include <QFile>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sys/stat.h>

namespace headlight::test {

std::string sourcePath(const std::string& relative) { return std::string(HEADLIGHT_SOURCE_DIR) + "/" + relative; }
std::string fixturePath(const std::string& relative) { return sourcePath("tests/fixtures/" + relative); }
std::string sharedPath(const std::string& relative) { return std::string(HEADLIGHT_SHARED_DIR) + "/" + relative; }

ModelConfig tinyConfig(const std::vector<std::string>& mechanisms, int layers, int heads, int embd, int vocab, int positions) {
    ModelConfig c;
    c.modelType = mechanisms.empty() ? "gpt2" : "headlight";
    c.vocabSize = vocab;
    c.nLayer = layers;
    c.nHead = heads;
    c.nEmbd = embd;
    c.nPositions = positions;
    for (const auto& m : mechanisms) {
        if (m == "gates") c.mechanisms.set(HeadGatesConfig{});
        else if (m == "span") c.mechanisms.set(AdaptiveSpanConfig{6, 2.0});
        else if (m == "selective") c.mechanisms.set(SelectiveAttentionConfig{0});
        else if (m == "memory") c.mechanisms.set(PersistentMemoryConfig{3, false});
        else if (m == "all-attention") c.mechanisms.set(PersistentMemoryConfig{3, true});
    }
    return c;
}

std::map<std::string, FloatArray> randomWeights(const ModelConfig& c, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> normal(0.0f, 0.3f);
    std::uniform_real_distribution<float> unit(0.0f, 1.0f);
    auto randn = [&](std::vector<int64_t> shape, float offset = 0.0f) {
        std::vector<float> v(static_cast<size_t>(FloatArray::countOf(shape)));
        for (auto& x : v) x = offset + normal(rng);
        return FloatArray(shape, v);
    };
    const int64_t V = c.vocabSize, D = c.nEmbd, P = c.nPositions, H = c.nHead, d = c.headDim(), N = c.extraKeysPerHead();
    std::map<std::string, FloatArray> w;
    w["wte.weight"] = randn({V, D});
    w["wpe.weight"] = randn({P, D});
    for (int l = 0; l < c.nLayer; ++l) {
        const std::string p = "h." + std::to_string(l) + ".";
        w[p + "ln_1.weight"] = randn({D}, 1.0f);
        w[p + "ln_1.bias"] = randn({D});
        w[p + "attn.c_attn.weight"] = randn({D, 3 * D});
        w[p + "attn.c_attn.bias"] = randn({3 * D});
        w[p + "attn.c_proj.weight"] = randn({D, D});
        w[p + "attn.c_proj.bias"] = randn({D});
        if (c.hasMlp()) {
            w[p + "ln_2.weight"] = randn({D}, 1.0f);
            w[p + "ln_2.bias"] = randn({D});
            w[p + "mlp.c_fc.weight"] = randn({D, 4 * D});
            w[p + "mlp.c_fc.bias"] = randn({4 * D});
            w[p + "mlp.c_proj.weight"] = randn({4 * D, D});
            w[p + "mlp.c_proj.bias"] = randn({D});
        }
        if (c.mechanism<HeadGatesConfig>()) w[p + "attn.gate_log_alpha"] = randn({H}, 1.0f);
        if (c.mechanism<AdaptiveSpanConfig>()) {
            std::vector<float> z(static_cast<size_t>(H));
            for (auto& x : z) x = unit(rng);
            w[p + "attn.span_fraction"] = FloatArray({H}, z);
        }
        if (c.mechanism<PersistentMemoryConfig>()) {
            w[p + "attn.memory_key"] = randn({H, N, d});
            w[p + "attn.memory_value"] = randn({H, N, d});
        }
    }
    w["ln_f.weight"] = randn({D}, 1.0f);
    w["ln_f.bias"] = randn({D});
    return w;
}

void writeModel(const std::string& dir, const ModelConfig& c, const std::map<std::string, FloatArray>& weights, DType storeAs) {
    mkdir(dir.c_str(), 0755);
    std::vector<NamedArray> tensors;
    for (const auto& [name, a] : weights) tensors.push_back({name, a});
    writeSafetensors(dir + "/model.safetensors", tensors, storeAs);
    std::ofstream(dir + "/config.json") << c.toJson();
    const std::string alphabet = "^abcdefghijklmnopqrstuvwxyz0123456789 .,;:!?=";
    nlohmann::json v = nlohmann::json::object();
    for (int i = 0; i < c.vocabSize && i < static_cast<int>(alphabet.size()); ++i) v[std::string(1, alphabet[static_cast<size_t>(i)])] = i;
    std::ofstream(dir + "/vocab.json") << v.dump();
}

std::vector<int64_t> readIds(const SafetensorsFile& f, const std::string& name) {
    const SafetensorsEntry* e = f.find(name);
    if (!e || e->dtype != DType::I64) throw Error(f.path(), name + " missing or not int64");
    std::vector<int64_t> ids(static_cast<size_t>(e->numel()));
    std::memcpy(ids.data(), f.rawData(*e), ids.size() * sizeof(int64_t));
    return ids;
}

FloatArray constant(std::vector<int64_t> shape, float value) {
    return FloatArray(shape, std::vector<float>(static_cast<size_t>(FloatArray::countOf(shape)), value));
}

FloatArray values(std::vector<int64_t> shape, std::vector<float> v) { return FloatArray(std::move(shape), std::move(v)); }

FloatArray withValue(const FloatArray& a, int64_t flatIndex, float value) {
    auto v = a.toVector();
    v.at(static_cast<size_t>(flatIndex)) = value;
    return FloatArray(a.shape(), v);
}

double relativeError(const FloatArray& a, const FloatArray& b) {
    double diff = 0, scale = 0;
    for (int64_t i = 0; i < a.size(); ++i) {
        diff = std::max(diff, std::abs(double(a.data()[i]) - b.data()[i]));
        scale = std::max(scale, std::abs(double(b.data()[i])));
    }
    return diff / std::max(scale, 1e-30);
}

double maxAbsDiff(const FloatArray& a, const FloatArray& b) {
    if (a.shape() != b.shape()) return -1;
    double m = 0;
    for (int64_t i = 0; i < a.size(); ++i) {
        const double d = std::fabs(static_cast<double>(a.data()[i]) - static_cast<double>(b.data()[i]));
        if (std::isnan(d)) return INFINITY;
        m = std::max(m, d);
    }
    return m;
}

QString describe(const FloatArray& a) {
    QString s = QString::fromStdString(a.shapeString()) + " {";
    for (int64_t i = 0; i < a.size() && i < 16; ++i) s += (i ? ", " : "") + QString::number(a.data()[i]);
    return s + (a.size() > 16 ? ", ...}" : "}");
}

uint32_t bitsOf(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}

QString bitDiff(const FloatArray& a, const FloatArray& b) {
    if (a.shape() != b.shape())
        return QString("shape %1 vs %2").arg(QString::fromStdString(a.shapeString()), QString::fromStdString(b.shapeString()));
    if (a.size() && std::memcmp(a.data(), b.data(), static_cast<size_t>(a.size()) * 4) != 0) return "values differ";
    return {};
}

QString pooledDiff(const LayerDigest& d, const LayerTrace& captured) {
    const int64_t T = captured.attention.dim(1), bin = d.bin, C = (T + bin - 1) / bin;
    if (d.pooledMax.shape() != std::vector<int64_t>{d.pooledMax.dim(0), C, C} || d.pooledMean.shape() != d.pooledMax.shape())
        return QString("pictures %1, %2 for %3 cells a side").arg(QString::fromStdString(d.pooledMax.shapeString()),
                                                                   QString::fromStdString(d.pooledMean.shapeString())).arg(C);
    for (size_t k = 0; k < captured.heads.size(); ++k) {
        const int64_t h = captured.heads[k];
        std::vector<double> sum(static_cast<size_t>(C * C), 0.0), top(static_cast<size_t>(C * C), 0.0);
        std::vector<int> count(static_cast<size_t>(C * C), 0);
        for (int64_t i = 0; i < T; ++i)
            for (int64_t j = 0; j < T; ++j) {
                const size_t cell = static_cast<size_t>((i / bin) * C + j / bin);
                const double p = captured.attention.at({static_cast<int64_t>(k), i, j});
                sum[cell] += p;
                top[cell] = std::max(top[cell], p);
                ++count[cell];
            }
        for (int64_t r = 0; r < C; ++r)
            for (int64_t c = 0; c < C; ++c) {
                const size_t cell = static_cast<size_t>(r * C + c);
                const float max = d.pooledMax.at({h, r, c}), mean = d.pooledMean.at({h, r, c});
                if (bitsOf(max) != bitsOf(static_cast<float>(top[cell])) || std::fabs(mean - sum[cell] / count[cell]) >= 1e-6)
                    return QString("head %1 cell (%2, %3): max %4 mean %5, by hand %6 and %7")
                        .arg(h).arg(r).arg(c).arg(double(max)).arg(double(mean)).arg(top[cell]).arg(sum[cell] / count[cell]);
            }
    }
    return {};
}

std::string withoutMechanism(const std::string& from, const std::string& to, const std::string& mechanism,
                             const std::string& tensorName) {
    QDir().mkpath(QString::fromStdString(to));
    QFile in(QString::fromStdString(from + "/config.json"));
    in.open(QIODevice::ReadOnly);
    nlohmann::json config = nlohmann::json::parse(in.readAll().toStdString());
    config["headlight"].erase(mechanism);
    if (config["headlight"].empty()) {
        config.erase("headlight");
        config["model_type"] = "gpt2";
    }
    writeFile(QString::fromStdString(to + "/config.json"), QByteArray::fromStdString(config.dump(2)));
    const auto file = SafetensorsFile::open(from + "/model.safetensors");
    std::vector<NamedArray> kept;
    for (const auto& e : file.entries())
        if (e.name.find(tensorName) == std::string::npos) kept.push_back({e.name, file.readFloat(e.name)});
    writeSafetensors(to + "/model.safetensors", kept);
    QFile::copy(QString::fromStdString(from + "/vocab.json"), QString::fromStdString(to + "/vocab.json"));
    return to;
}

void writeFile(const QString& path, const QByteArray& data) {
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) qFatal("cannot write %s", qPrintable(path));
    f.write(data);
}

QStringList leftovers(const QString& dir) { return QDir(dir).entryList({"*.tmp-*"}, QDir::AllEntries | QDir::Hidden); }

} // namespace headlight::test
