// Every Hugging Face family against transformers itself: ../shared/data/hf-reference holds checkpoints saved by
// transformers with the logits and per-layer attention it computed in float64 (see its README). Plus the
// families' bad inputs, and the mechanisms on a family other than GPT-2.
#include "headlight/engine.h"
#include "headlight/error.h"
#include "headlight/mechanisms/selective_attention.h"
#include "headlight/model_init.h"
#include "headlight/pruning.h"
#include "headlight/safetensors.h"
#include "test_support.h"

#include <QTemporaryDir>
#include <QtTest>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

using namespace headlight;
namespace fs = std::filesystem;

namespace {

const std::string kModels = std::string(HEADLIGHT_SHARED_DIR) + "/data/hf-reference/models/";

double maxAbsError(const FloatArray& a, const FloatArray& b) {
    double diff = 0;
    for (int64_t i = 0; i < a.size(); ++i) diff = std::max(diff, std::abs(double(a.data()[i]) - b.data()[i]));
    return diff;
}

// A copy of a reference model folder whose config.json `edit` changes, for bad-input cases.
std::string editedCopy(const QTemporaryDir& tmp, const std::string& model, const std::function<void(nlohmann::json&)>& edit) {
    const std::string dir = tmp.path().toStdString() + "/" + model;
    fs::create_directories(dir);
    for (const auto& entry : fs::directory_iterator(kModels + model))
        if (entry.is_regular_file()) fs::copy_file(entry.path(), dir + "/" + entry.path().filename().string());
    std::ifstream in(dir + "/config.json");
    nlohmann::json j = nlohmann::json::parse(in);
    edit(j);
    std::ofstream(dir + "/config.json", std::ios::trunc) << j.dump(2);
    return dir;
}

void expectLoadError(const std::string& dir, const std::string& fileEnd, const std::string& fragment) {
    try {
        Engine::load(dir);
        QFAIL(("loaded " + dir).c_str());
    } catch (const Error& e) {
        const std::string what = e.what();
        QVERIFY2(what.find(fragment) != std::string::npos && e.where().size() >= fileEnd.size() &&
                     e.where().compare(e.where().size() - fileEnd.size(), fileEnd.size(), fileEnd) == 0,
                 what.c_str());
    }
}

// Adds raw tensors (name, safetensors dtype, shape, bytes) to the copy's model.safetensors, as older
// conversions carry buffers beside the parameters.
struct RawTensor {
    std::string name, dtype;
    std::vector<int64_t> shape;
    std::string bytes;
};
void appendTensors(const std::string& file, const std::vector<RawTensor>& extra) {
    std::ifstream in(file, std::ios::binary);
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    uint64_t headerLen = 0;
    std::memcpy(&headerLen, all.data(), 8);
    nlohmann::json header = nlohmann::json::parse(all.substr(8, headerLen));
    std::string data = all.substr(8 + headerLen);
    for (const auto& t : extra) {
        header[t.name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {data.size(), data.size() + t.bytes.size()}}};
        data += t.bytes;
    }
    const std::string text = header.dump();
    const uint64_t newLen = text.size();
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(&newLen), 8);
    out << text << data;
}

} // namespace

class TestFamilies : public QObject {
    Q_OBJECT
private slots:
    void matchesTransformers_data() {
        QTest::addColumn<QString>("model");
        for (const char* m : {"gpt2", "gpt2-f16", "bert", "llama", "llama-bf16", "llama-sharded", "qwen2", "qwen3",
                              "mistral", "gpt_neox", "gemma2"})
            QTest::newRow(m) << QString(m);
    }
    void matchesTransformers() {
        QFETCH(QString, model);
        const std::string dir = kModels + model.toStdString();
        const Engine engine = Engine::load(dir);
        const ModelConfig& c = engine.config();
        const auto ref = SafetensorsFile::open(dir + "/reference/reference.safetensors");
        for (int k = 0; k < 2; ++k) {
            const std::string K = std::to_string(k);
            RunRequest r;
            r.tokenIds = test::readIds(ref, "input_ids." + K);
            r.capture.hiddenStates = true;
            const Trace t = engine.run(r);
            const FloatArray logits = ref.readFloat("logits." + K);
            QCOMPARE(t.logits.shape(), logits.shape());
            const double logitError = test::relativeError(t.logits, logits);
            QVERIFY2(logitError < 1e-4, (model.toStdString() + " seq " + K + ": logits off by " + std::to_string(logitError) + " relative").c_str());
            QCOMPARE(int(t.layers.size()), c.nLayer);
            for (int l = 0; l < c.nLayer; ++l) {
                const FloatArray att = ref.readFloat("attentions." + K + "." + std::to_string(l));
                QCOMPARE(t.layers[size_t(l)].attention.shape(), att.shape());   // every query head, GQA included
                const double attError = maxAbsError(t.layers[size_t(l)].attention, att);
                QVERIFY2(attError < 1e-5, (model.toStdString() + " seq " + K + " layer " + std::to_string(l) +
                                           ": attention off by " + std::to_string(attError)).c_str());
            }
            // Entry 0 the embeddings, entry l the input of layer l, the last after the final norm.
            QCOMPARE(int(t.hiddenStates.size()), c.nLayer + 1);
            for (int l = 0; l <= c.nLayer; ++l) {
                const FloatArray hidden = ref.readFloat("hidden_states." + K + "." + std::to_string(l));
                QCOMPARE(t.hiddenStates[size_t(l)].shape(), hidden.shape());
                const double hiddenError = test::relativeError(t.hiddenStates[size_t(l)], hidden);
                QVERIFY2(hiddenError < 1e-4, (model.toStdString() + " seq " + K + " hidden state " + std::to_string(l) +
                                              " off by " + std::to_string(hiddenError) + " relative").c_str());
            }
        }
    }

    // What the families differ in, read from config.json in both the older and the newer style.
    void readsFamilySettings() {
        const auto llama = ModelConfig::fromFile(kModels + "llama/config.json");            // rope_theta at the top
        const auto llamaBf16 = ModelConfig::fromFile(kModels + "llama-bf16/config.json");   // rope_parameters
        for (const auto& c : {llama, llamaBf16}) {
            QCOMPARE(c.kvHeads(), 2);
            QCOMPARE(c.kvHeadOf(3), 1);
            QVERIFY(c.rotary && c.rotary->dims == 16 && c.rotary->theta == 10000.0);
            QVERIFY(!c.tieWordEmbeddings);
        }
        const auto neox = ModelConfig::fromFile(kModels + "gpt_neox/config.json");
        QCOMPARE(neox.rotary->dims, 4);   // 25% of 16
        QVERIFY(neox.parallelResidual);
        const auto gemma = ModelConfig::fromFile(kModels + "gemma2/config.json");
        QCOMPARE(gemma.slidingWindow, (std::vector<int>{8, 0}));
        QCOMPARE(gemma.attnLogitSoftcap, 50.0);
        QCOMPARE(gemma.finalLogitSoftcap, 30.0);
        const auto qwen3 = ModelConfig::fromFile(kModels + "qwen3/config.json");
        QCOMPARE(qwen3.headDim(), 32);
        QVERIFY(qwen3.qkNorm);
        QVERIFY(!ModelConfig::fromFile(kModels + "bert/config.json").causal);
        QCOMPARE(ModelConfig::fromFile(kModels + "mistral/config.json").kvHeads(), 1);
    }

    void rejectsBadConfigs_data() {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("value");
        QTest::addColumn<QString>("fragment");
        QTest::newRow("unknown model_type") << "llama" << "model_type" << "\"falcon\"" << "supported: gpt2, headlight, bert, llama";
        QTest::newRow("rope type") << "llama" << "rope_scaling" << R"({"rope_type": "yarn", "factor": 4})" << "rope type \"yarn\" is not supported";
        QTest::newRow("kv heads") << "llama" << "num_key_value_heads" << "3" << "not divisible by num_key_value_heads";
        QTest::newRow("unknown key") << "qwen2" << "rope_kind" << "1" << "unknown key \"rope_kind\"";
        QTest::newRow("llama window") << "llama" << "sliding_window" << "4" << "unknown key \"sliding_window\"";
        QTest::newRow("activation") << "gpt_neox" << "hidden_act" << "\"mish\"" << "\"mish\" is not supported";
        QTest::newRow("bert decoder") << "bert" << "is_decoder" << "true" << "\"is_decoder\" = true is not supported";
        QTest::newRow("layer types") << "qwen3" << "layer_types" << R"(["full_attention"])" << "one type per layer";
    }
    void rejectsBadConfigs() {
        QFETCH(QString, model);
        QFETCH(QString, key);
        QFETCH(QString, value);
        QFETCH(QString, fragment);
        QTemporaryDir tmp;
        const std::string dir = editedCopy(tmp, model.toStdString(), [&](nlohmann::json& j) {
            j[key.toStdString()] = nlohmann::json::parse(value.toStdString());
        });
        expectLoadError(dir, "config.json", fragment.toStdString());
    }

    // Issue 20: checkpoints of older conversions carry buffers (BERT's int64 position ids, GPT-NeoX's bool causal
    // mask, GPT-2's uint8 mask, the rotary frequencies of Llama-2-era and Qwen1.5-era files). Each family skips
    // its own by name, unread whatever the dtype, and the model computes what it computed without them.
    void olderCheckpointsOpen_data() {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("buffers");   // name:dtype:bytes per element, comma-separated
        QTest::newRow("bert") << "bert" << "bert.embeddings.position_ids:I64:8";
        QTest::newRow("gpt2") << "gpt2" << "transformer.h.0.attn.bias:U8:1,transformer.h.0.attn.masked_bias:F32:4";
        QTest::newRow("gpt_neox") << "gpt_neox"
                                  << "gpt_neox.layers.0.attention.bias:BOOL:1,gpt_neox.layers.0.attention.masked_bias:F32:4,"
                                     "gpt_neox.layers.1.attention.rotary_emb.inv_freq:F32:4";
        for (const char* m : {"llama", "mistral", "qwen2", "gemma2"})
            QTest::newRow(m) << m << "model.layers.0.self_attn.rotary_emb.inv_freq:F32:4,model.layers.1.self_attn.rotary_emb.inv_freq:BF16:2";
    }
    void olderCheckpointsOpen() {
        QFETCH(QString, model);
        QFETCH(QString, buffers);
        QTemporaryDir tmp;
        const std::string dir = editedCopy(tmp, model.toStdString(), [](nlohmann::json&) {});
        std::vector<RawTensor> extra;
        for (const QString& b : buffers.split(',')) {
            const QStringList f = b.split(':');
            // Float buffers of all-ones bytes, NaN: a buffer is never read, so what it holds cannot stop the load.
            const char fill = f[1] == "F32" || f[1] == "BF16" ? '\xff' : '\x01';
            extra.push_back({f[0].toStdString(), f[1].toStdString(), {2, 4}, std::string(size_t(8 * f[2].toInt()), fill)});
        }
        appendTensors(dir + "/model.safetensors", extra);
        RunRequest r;
        r.tokenIds = {1, 2, 3, 4};
        const Trace withBuffers = Engine::load(dir).run(r), without = Engine::load(kModels + model.toStdString()).run(r);
        QCOMPARE(withBuffers.logits.toVector(), without.logits.toVector());
        // A tensor that is no buffer of the family is still refused by name.
        appendTensors(dir + "/model.safetensors", {{"model.layers.0.self_attn.rotary_emb.extra", "F32", {1}, std::string(4, '\0')}});
        expectLoadError(dir, "model.safetensors", "rotary_emb.extra");
    }

    void rejectsBadWeights() {
        QTemporaryDir tmp;
        // A tensor of the wrong shape: both shapes named.
        auto dir = editedCopy(tmp, "llama", [](nlohmann::json& j) { j["intermediate_size"] = 97; });
        expectLoadError(dir, "model.safetensors", "tensor \"model.layers.0.mlp.gate_proj.weight\" has shape [96,64], expected [97,64]");
        // A missing shard, and an index that names a file that is not there.
        QTemporaryDir tmp2;
        dir = editedCopy(tmp2, "llama-sharded", [](nlohmann::json&) {});
        fs::remove(dir + "/model-00003-of-00004.safetensors");
        expectLoadError(dir, "model-00003-of-00004.safetensors", "file not found");
        // An index that is a FIFO is named as one (it was "model.safetensors: file not found"); a shard name
        // with a NUL byte is not cut at the NUL.
        QTemporaryDir tmpFifo;
        dir = editedCopy(tmpFifo, "llama-sharded", [](nlohmann::json&) {});
        const std::string index = dir + "/model.safetensors.index.json";
        std::ifstream indexIn(index);
        nlohmann::json indexJson = nlohmann::json::parse(indexIn);
        fs::remove(index);
        QCOMPARE(mkfifo(index.c_str(), 0600), 0);
        expectLoadError(dir, "model.safetensors.index.json", "is not a regular file (a FIFO)");
        fs::remove(index);
        auto& firstShard = indexJson["weight_map"].begin().value();
        firstShard = firstShard.get<std::string>() + std::string("\0.txt", 5);
        std::ofstream(index) << indexJson.dump();
        expectLoadError(dir, "model.safetensors.index.json", "is not a file name in the model folder");
        // More layers than the file holds: the first missing tensor is named (it was "out of memory" at 2^31 - 1,
        // which is now refused by the config before any layer is allocated).
        QTemporaryDir tmpLayers;
        dir = editedCopy(tmpLayers, "llama", [](nlohmann::json& j) { j["num_hidden_layers"] = 65536; });
        expectLoadError(dir, "model.safetensors", "tensor \"model.layers.2.input_layernorm.weight\" is missing");
        dir = editedCopy(tmpLayers, "gpt2", [](nlohmann::json& j) { j["n_layer"] = 2147483647; });
        expectLoadError(dir, "config.json", "\"n_layer\" is 2147483647, more layers than Headlight reads (at most 65536)");
        // Issue 21: NaN in a shard is found as the shard is read, and named with the shard and the tensor as the
        // shard names it.
        QTemporaryDir tmpNan;
        dir = editedCopy(tmpNan, "llama-sharded", [](nlohmann::json&) {});
        const std::string shard = dir + "/model-00002-of-00004.safetensors";
        const SafetensorsEntry target = *SafetensorsFile::open(shard).find("model.layers.0.mlp.up_proj.weight");
        uint64_t headerLen = 0;
        fs::permissions(shard, fs::perms::owner_read | fs::perms::owner_write);   // copied read-only from ../shared
        std::fstream patch(shard, std::ios::in | std::ios::out | std::ios::binary);
        patch.read(reinterpret_cast<char*>(&headerLen), 8);
        const float nan = std::nanf("");
        patch.seekp(static_cast<std::streamoff>(8 + headerLen + target.begin + 4 * 100));
        patch.write(reinterpret_cast<const char*>(&nan), 4);
        patch.close();
        QVERIFY(patch);
        expectLoadError(dir, "model-00002-of-00004.safetensors",
                        "tensor \"model.layers.0.mlp.up_proj.weight\" holds 1 NaN or infinite value (of 6144)");
        // A tensor missing (untied output without lm_head).
        QTemporaryDir tmp3;
        dir = editedCopy(tmp3, "qwen2", [](nlohmann::json& j) { j["tie_word_embeddings"] = false; });
        expectLoadError(dir, "model.safetensors", "tensor \"lm_head.weight\" is missing");
    }

    // Text reaches every family through its own tokenizer, with its special tokens, exactly as Hugging Face's
    // fast tokenizers encode it (the oracle files), and the tokens are shown readably.
    void textThroughTheTokenizer_data() {
        QTest::addColumn<QString>("model");        // a reference config, resized to the tokenizer's vocabulary
        QTest::addColumn<int>("vocab");
        QTest::addColumn<QStringList>("files");    // tokenizer files under ../shared/data
        QTest::addColumn<QString>("oracle");
        const QString f = "hf-reference/tokenizer-files/";
        QTest::newRow("gpt2 + vocab.json/merges.txt") << "gpt2" << 50257
            << QStringList{"gpt2-tokenizer/vocab.json", "gpt2-tokenizer/merges.txt"} << "gpt2";
        QTest::newRow("bert + tokenizer.json") << "bert" << 30522
            << QStringList{f + "bert-uncased-tokenizer-json/tokenizer.json"} << "bert-uncased-tokenizer-json";
        QTest::newRow("llama + sentencepiece BPE") << "llama" << 4000
            << QStringList{f + "sp-bpe-legacy/tokenizer.json"} << "sp-bpe-legacy";
        QTest::newRow("qwen3 + tokenizer.json") << "qwen3" << 151936
            << QStringList{"qwen3-tokenizer/tokenizer.json"} << "qwen3";
    }
    void textThroughTheTokenizer() {
        QFETCH(QString, model);
        QFETCH(int, vocab);
        QFETCH(QStringList, files);
        QFETCH(QString, oracle);
        QTemporaryDir tmp;
        std::ifstream in(kModels + model.toStdString() + "/config.json");
        nlohmann::json j = nlohmann::json::parse(in);
        j["vocab_size"] = vocab;
        const std::string dir = tmp.path().toStdString() + "/m";
        initRandomModel(ModelConfig::fromJson(j.dump(), "config"), 1, dir);
        const std::string data = std::string(HEADLIGHT_SHARED_DIR) + "/data/";
        for (const QString& file : files)
            fs::copy_file(data + file.toStdString(), dir + "/" + fs::path(file.toStdString()).filename().string(),
                          fs::copy_options::overwrite_existing);
        const Engine e = Engine::load(dir);
        std::ifstream lines(data + "hf-reference/tokenizers/" + oracle.toStdString() + ".jsonl");
        std::string line;
        int checked = 0;
        while (std::getline(lines, line) && checked < 40) {
            const auto o = nlohmann::json::parse(line);
            const auto want = o.at("ids").get<std::vector<int64_t>>();
            if (o.at("text").get<std::string>().empty() || want.size() < 2 || want.size() > 100) continue;
            QCOMPARE(e.encode(o.at("text").get<std::string>()), want);
            ++checked;
        }
        QCOMPARE(checked, 40);
        // Every command encodes the same way: the analyses' examples too.
        const std::string text = "The quick brown fox";
        QCOMPARE(e.encode(text).size() > 1, true);
        if (e.config().causal) QCOMPARE(ExampleSet::fromText(e, text).ids.front(), e.encode(text));
        RunRequest r;
        r.tokenIds = e.encode(text);
        const Trace t = e.run(r);
        for (size_t i = 0; i < t.tokens.size(); ++i) {
            QCOMPARE(t.tokens[i], e.tokenizer()->tokenText(t.tokenIds[i]));
            QVERIFY2(t.tokens[i].find("\xC4\xA0") == std::string::npos, t.tokens[i].c_str());   // never a raw 'Ġ'
        }
    }

    void tokenizerLargerThanTheModel() {
        QTemporaryDir tmp;
        const std::string dir = editedCopy(tmp, "qwen3", [](nlohmann::json&) {});
        fs::copy_file(std::string(HEADLIGHT_SHARED_DIR) + "/data/qwen3-tokenizer/tokenizer.json", dir + "/tokenizer.json");
        expectLoadError(dir, "qwen3", "but config.json says vocab_size = 1000");
    }

    // BERT is scored on masked tokens: runs give predictions and no invented next-token loss (its analyses are
    // tested in test_objective).
    void bertHasNoNextTokenLoss() {
        const Engine e = Engine::load(kModels + "bert");
        RunRequest r;
        r.tokenIds = {101, 7, 42, 103, 9, 102};
        const Trace t = e.run(r);
        QCOMPARE(t.objective, std::string("masked token"));
        QVERIFY(t.loss.empty());
        QCOMPARE(t.logits.dim(0), int64_t(6));
    }

    // The mechanisms are independent of the family: a Llama-family model with head gates and adaptive span
    // loads, runs, and closes a head exactly as a pruned head.
    void mechanismsOnLlama() {
        QTemporaryDir tmp;
        std::ifstream in(kModels + "llama/config.json");
        nlohmann::json j = nlohmann::json::parse(in);
        j["headlight"] = {{"head_gates", nlohmann::json::object()}, {"adaptive_span", {{"max_span", 8}, {"ramp", 2}}}};
        const ModelConfig c = ModelConfig::fromJson(j.dump(), "config");
        QVERIFY(c.mechanism<HeadGatesConfig>() && c.mechanism<AdaptiveSpanConfig>());
        const std::string dir = tmp.path().toStdString() + "/llama-mech";
        initRandomModel(c, 3, dir);
        const Engine e = Engine::load(dir);
        RunRequest r;
        for (int t = 0; t < 20; ++t) r.tokenIds.push_back((t * 37 + 5) % c.vocabSize);
        const Trace full = e.run(r);
        QCOMPARE(full.layers[0]["gate"].toVector(), std::vector<float>(4, 1.0f));   // init opens every gate
        QCOMPARE(full.layers[1]["span"].toVector(), std::vector<float>(4, 8.0f));
        // Span 8, ramp 2: nothing 10 or more tokens back.
        const auto& a = full.layers[0].attention;
        QCOMPARE(a.at({0, 15, 5}), 0.0f);
        QVERIFY(a.at({0, 15, 7}) > 0.0f);
        QVERIFY(std::isfinite(full.meanLoss()));
    }

    // Zero-shot selective attention (LoadOptions::selectorHead) on every causal family: the same model as the
    // folder with selective attention in its config.json, bit for bit; F the running sum of S down the queries;
    // and in layer 0 (whose input the selection cannot change) every head's attention is the plain run's,
    // multiplied by exp(-F) and renormalised: F is subtracted from every head's logits.
    void zeroShotSelectiveOnEveryFamily_data() {
        QTest::addColumn<QString>("model");
        for (const char* m : {"gpt2", "llama", "mistral", "qwen2", "qwen3", "gemma2", "gpt_neox"}) QTest::newRow(m) << m;
    }
    void zeroShotSelectiveOnEveryFamily() {
        QFETCH(QString, model);
        const std::string dir = kModels + model.toStdString();
        QTemporaryDir tmp;
        const std::string configured = editedCopy(tmp, model.toStdString(), [](nlohmann::json& j) {
            j["headlight"] = {{"selective_attention", {{"selector_head", 1}}}};
        });
        LoadOptions options;
        options.selectorHead = 1;
        const Engine zeroShot = Engine::load(dir, options), plain = Engine::load(dir), trained = Engine::load(configured);
        QVERIFY(zeroShot.config().mechanism<SelectiveAttentionConfig>());
        QCOMPARE(zeroShot.config().mechanism<SelectiveAttentionConfig>()->selectorHead, 1);
        QCOMPARE(zeroShot.zeroShotSelectorHead(), 1);   // trained with it or without: -1
        QCOMPARE(trained.zeroShotSelectorHead(), -1);
        QCOMPARE(plain.zeroShotSelectorHead(), -1);
        RunRequest r;
        for (int t = 0; t < 14; ++t) r.tokenIds.push_back((t * 37 + 5) % zeroShot.config().vocabSize);
        const Trace z = zeroShot.run(r), p = plain.run(r), c = trained.run(r);
        QVERIFY(test::bitDiff(z.logits, c.logits).isEmpty());
        QVERIFY(maxAbsError(z.logits, p.logits) > 1e-4);   // the selection changed the predictions
        const int64_t T = static_cast<int64_t>(r.tokenIds.size());
        for (size_t l = 0; l < z.layers.size(); ++l) {
            const LayerTrace& zl = z.layers[l];
            const auto mine = zl.named(), theirs = c.layers[l].named();
            QCOMPARE(mine.size(), theirs.size());
            for (size_t k = 0; k < mine.size(); ++k) {
                QCOMPARE(mine[k].first, theirs[k].first);
                QVERIFY2(test::bitDiff(*mine[k].second, *theirs[k].second).isEmpty(), mine[k].first.c_str());
            }
            const FloatArray &S = zl["selection"], &F = zl["selection_cumulative"];
            QCOMPARE(F.shape(), (std::vector<int64_t>{T, T}));
            for (int64_t j = 0; j < T; ++j) {
                double sum = 0;
                for (int64_t i = 0; i < T; ++i) {
                    sum += S.at({i, j});
                    QVERIFY(std::abs(F.at({i, j}) - sum) <= 1e-5 * std::max(1.0, sum));
                    if (j >= i || j == 0) QCOMPARE(F.at({i, j}), 0.0f);   // only earlier tokens, never the first
                }
            }
        }
        const FloatArray& F0 = z.layers[0]["selection_cumulative"];
        double largest = 0;
        for (int64_t k = 0; k < F0.size(); ++k) largest = std::max(largest, double(F0.data()[k]));
        QVERIFY(largest > 0.01);
        const FloatArray &zp = z.layers[0].attention, &pp = p.layers[0].attention;
        for (int64_t h = 0; h < zp.dim(0); ++h)
            for (int64_t i = 0; i < T; ++i) {
                double norm = 0;
                for (int64_t j = 0; j < T; ++j) norm += pp.at({h, i, j}) * std::exp(-double(F0.at({i, j})));
                for (int64_t j = 0; j < T; ++j)
                    QVERIFY(std::abs(zp.at({h, i, j}) - pp.at({h, i, j}) * std::exp(-double(F0.at({i, j}))) / norm) < 2e-5);
            }
    }

    // What zero-shot selection cannot be added to: a bidirectional model, a model that has it, a head it lacks.
    void zeroShotSelectiveRefuses() {
        LoadOptions options;
        options.selectorHead = 0;
        const auto expectError = [&](const std::string& dir, const std::string& where, const std::string& fragment) {
            try {
                Engine::load(dir, options);
                QFAIL(("loaded " + dir).c_str());
            } catch (const Error& e) {
                QCOMPARE(e.where(), where);
                QVERIFY2(e.problem().find(fragment) != std::string::npos, e.what());
            }
        };
        expectError(kModels + "bert", "--selective", "needs a causal model");
        expectError(test::sourcePath("sample_models/assign-selective"), "--selective", "already has selective attention");
        options.selectorHead = 4;
        expectError(kModels + "gpt2", "--selector-head", "4 is not a head of this model (n_head = 4)");
    }
};

QTEST_GUILESS_MAIN(TestFamilies)
#include "test_families.moc"
