// config.json and safetensors: round trips, hand-checked half/bfloat16 conversions, bad files.
#include "headlight/error.h"
#include "headlight/model_config.h"
#include "headlight/safetensors.h"
#include "headlight/tokenizer.h"
#include "headlight/trace_hdf5.h"
#include "test_support.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

using namespace headlight;
using nlohmann::json;

namespace {

using namespace headlight::test;

const char* kFullConfig = R"({"model_type": "headlight", "vocab_size": 13, "n_layer": 2, "n_head": 3, "n_embd": 12,
  "n_positions": 32, "layer_norm_epsilon": 1e-6, "activation_function": "gelu_new",
  "headlight": {"head_gates": {"temperature": 0.5, "gamma": -0.2, "zeta": 1.2},
                "adaptive_span": {"max_span": 6, "ramp": 2.5}, "selective_attention": {"selector_head": 2},
                "persistent_memory": {"slots": 3, "replace_mlp": true}}})";

// Hugging Face's GPT-2 config.json, key for key.
const char* kHfGpt2 = R"({"activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "attn_pdrop": 0.1,
  "bos_token_id": 50256, "embd_pdrop": 0.1, "eos_token_id": 50256, "initializer_range": 0.02,
  "layer_norm_epsilon": 1e-05, "model_type": "gpt2", "n_ctx": 1024, "n_embd": 768, "n_head": 12, "n_layer": 12,
  "n_positions": 1024, "resid_pdrop": 0.1, "summary_activation": null, "summary_first_dropout": 0.1,
  "summary_proj_to_labels": true, "summary_type": "cls_index", "summary_use_proj": true,
  "task_specific_params": {"text-generation": {"do_sample": true, "max_length": 50}}, "vocab_size": 50257})";

const float kHalfUlp1 = std::ldexp(1.0f, -11);   // half the spacing of half floats just above 1


QByteArray le(uint64_t v, int bytes) {
    QByteArray out(bytes, 0);
    for (int i = 0; i < bytes; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
    return out;
}

// 8-byte little-endian header length, the header, then `data`.
QByteArray safetensorsBytes(const std::string& header, const QByteArray& data, int64_t lengthOverride = -1) {
    return le(lengthOverride >= 0 ? static_cast<uint64_t>(lengthOverride) : header.size(), 8) +
           QByteArray::fromStdString(header) + data;
}

// what() of the headlight::Error `f` throws; a marker when it throws something else or nothing.

QString configDiff(const ModelConfig& a, const ModelConfig& b) {
    QStringList d;
    auto field = [&](const char* name, bool same) { if (!same) d << name; };
    field("model_type", a.modelType == b.modelType);
    field("vocab_size", a.vocabSize == b.vocabSize);
    field("n_layer", a.nLayer == b.nLayer);
    field("n_head", a.nHead == b.nHead);
    field("n_embd", a.nEmbd == b.nEmbd);
    field("n_positions", a.nPositions == b.nPositions);
    field("layer_norm_epsilon", a.layerNormEpsilon == b.layerNormEpsilon);
    field("activation_function", a.activationFunction == b.activationFunction);
    // Each mechanism: present in both or neither, with the same settings.
    const auto* ga = a.mechanism<HeadGatesConfig>(); const auto* gb = b.mechanism<HeadGatesConfig>();
    field("head_gates", !ga == !gb && (!ga || (ga->temperature == gb->temperature && ga->gamma == gb->gamma && ga->zeta == gb->zeta)));
    const auto* sa = a.mechanism<AdaptiveSpanConfig>(); const auto* sb = b.mechanism<AdaptiveSpanConfig>();
    field("adaptive_span", !sa == !sb && (!sa || (sa->maxSpan == sb->maxSpan && sa->ramp == sb->ramp)));
    const auto* xa = a.mechanism<SelectiveAttentionConfig>(); const auto* xb = b.mechanism<SelectiveAttentionConfig>();
    field("selective_attention", !xa == !xb && (!xa || xa->selectorHead == xb->selectorHead));
    const auto* ma = a.mechanism<PersistentMemoryConfig>(); const auto* mb = b.mechanism<PersistentMemoryConfig>();
    field("persistent_memory", !ma == !mb && (!ma || (ma->slotCount == mb->slotCount && ma->replaceMlp == mb->replaceMlp)));
    return d.join(", ");
}

std::string patched(const char* base, const std::string& patch) {
    json j = json::parse(base);
    j.merge_patch(json::parse(patch));
    return j.dump();
}


// Small valid config.json files of the Hugging Face families, for reading one key at a time.
std::string familyBase(const QString& family) {
    json j = {{"model_type", family.toStdString()}, {"vocab_size", 100}, {"hidden_size", 64}, {"intermediate_size", 96},
              {"num_hidden_layers", 2}, {"num_attention_heads", 4}, {"max_position_embeddings", 256}};
    if (family == "llama" || family == "qwen3") j["num_key_value_heads"] = 2;
    if (family == "mistral") j["num_attention_heads"] = 16;   // the default 8 key/value heads must divide them
    if (family == "qwen2") j["num_attention_heads"] = 32;     // the default 32 likewise
    if (family == "gemma2") j["num_attention_heads"] = 8;     // and Gemma 2's 4
    return j.dump();
}

// `base` with each key of `keys` set to its value (null included, unlike a merge patch, which deletes).
std::string withKeys(const std::string& base, const QString& keys) {
    json j = json::parse(base);
    const json set = json::parse(keys.toStdString());
    for (const auto& item : set.items()) j[item.key()] = item.value();
    return j.dump();
}

// One field of a config as text, for data-driven comparisons ("window:3" is layer 3's sliding window).
QString field(const ModelConfig& c, const QString& name) {
    if (name == "frequency dtype") return QString::fromStdString(c.rotary->frequencyDtype);
    if (name == "theta") return QString::number(c.rotary->theta);
    if (name == "rotary dims") return QString::number(c.rotary->dims);
    if (name == "scaling") return QString::fromStdString(c.rotary->scaling);
    if (name == "original positions") return QString::number(c.rotary->originalMaxPositions);
    if (name == "kv heads") return QString::number(c.kvHeads());
    if (name == "head dim") return QString::number(c.headDim());
    if (name == "attention softcap") return QString::number(c.attnLogitSoftcap);
    if (name == "final softcap") return QString::number(c.finalLogitSoftcap);
    if (name == "scale") return QString::number(c.attentionScale);
    if (name == "activation") return QString::fromStdString(c.activationFunction);
    if (name.startsWith("window:")) return QString::number(c.slidingWindow.at(name.mid(7).toULongLong()));
    return "unknown field " + name;
}

} // namespace

class TestFormats : public QObject {
    Q_OBJECT
private slots:
    // ---------------------------------------------------------------- config.json
    void configParsesEveryField() {
        ModelConfig e;
        e.modelType = "headlight";
        e.vocabSize = 13, e.nLayer = 2, e.nHead = 3, e.nEmbd = 12, e.nPositions = 32, e.layerNormEpsilon = 1e-6;
        e.mechanisms.set(HeadGatesConfig{0.5, -0.2, 1.2});
        e.mechanisms.set(AdaptiveSpanConfig{6, 2.5});
        e.mechanisms.set(SelectiveAttentionConfig{2});
        e.mechanisms.set(PersistentMemoryConfig{3, true});
        const ModelConfig c = ModelConfig::fromJson(kFullConfig, "c.json");
        QVERIFY2(configDiff(c, e).isEmpty(), qPrintable("differs in " + configDiff(c, e)));
        QCOMPARE(c.activationFunction, std::string("gelu_new"));
        QCOMPARE(c.headDim(), 4);
        QCOMPARE(c.extraKeysPerHead(), 3);
        QVERIFY(!c.hasMlp());
        // Defaults of the optional keys.
        const ModelConfig d = ModelConfig::fromJson(patched(kFullConfig, R"({"layer_norm_epsilon": null,
            "activation_function": null, "headlight": {"head_gates": {"temperature": null, "gamma": null, "zeta": null},
            "selective_attention": {"selector_head": null}, "persistent_memory": {"replace_mlp": null}}})"), "d.json");
        QCOMPARE(d.layerNormEpsilon, 1e-5);
        QCOMPARE(d.mechanism<HeadGatesConfig>()->temperature, 0.33);
        QCOMPARE(d.mechanism<HeadGatesConfig>()->gamma, -0.1);
        QCOMPARE(d.mechanism<HeadGatesConfig>()->zeta, 1.1);
        QCOMPARE(d.mechanism<SelectiveAttentionConfig>()->selectorHead, 0);
        QVERIFY(d.hasMlp());
    }

    void configRoundTrip_data() {
        QTest::addColumn<QString>("text");
        QTest::newRow("all mechanisms") << QString(kFullConfig);
        QTest::newRow("gpt2") << QString::fromStdString(test::tinyConfig({}, 3, 4, 16, 50, 64).toJson());
        QTest::newRow("gates only") << QString::fromStdString(patched(kFullConfig, R"({"headlight": {"adaptive_span": null,
            "selective_attention": null, "persistent_memory": null}})"));
        QTest::newRow("memory + span") << QString::fromStdString(test::tinyConfig({"span", "memory"}).toJson());
        QTest::newRow("HF gpt2") << QString(kHfGpt2);
    }
    void configRoundTrip() {
        QFETCH(QString, text);
        const ModelConfig a = ModelConfig::fromJson(text.toStdString(), "a.json");
        const ModelConfig b = ModelConfig::fromJson(a.toJson(), "b.json");
        QVERIFY2(configDiff(a, b).isEmpty(), qPrintable("differs in " + configDiff(a, b)));
        QCOMPARE(b.toJson(), a.toJson());
        QCOMPARE(json::parse(a.toJson()).contains("headlight"), a.modelType == "headlight");
    }

    void configHuggingFaceGpt2() {
        const ModelConfig c = ModelConfig::fromJson(kHfGpt2, "gpt2/config.json");
        const ModelConfig e = test::tinyConfig({}, 12, 12, 768, 50257, 1024);   // gpt2, eps 1e-5, gelu_new
        QVERIFY2(configDiff(c, e).isEmpty(), qPrintable("differs in " + configDiff(c, e)));
        QCOMPARE(c.headDim(), 64);
        QVERIFY(c.hasMlp());
        // Keys newer transformers versions write, at their GPT-2 values.
        const ModelConfig n = ModelConfig::fromJson(patched(kHfGpt2, R"({"n_inner": null, "scale_attn_weights": true,
            "activation_function": "gelu_pytorch_tanh", "torch_dtype": "float32", "use_cache": true})"), "n.json");
        QCOMPARE(n.activationFunction, std::string("gelu_new"));
        QCOMPARE(ModelConfig::fromJson(patched(kHfGpt2, R"({"n_inner": 3072})"), "x").nEmbd, 768);
    }

    void badConfig_data() {
        QTest::addColumn<QString>("edit");   // a JSON merge patch on kFullConfig, or raw text after '!'
        QTest::addColumn<QString>("message");
        QTest::newRow("not JSON") << "!{\"model_type\":" << "not valid JSON";
        QTest::newRow("number overflow") << "!{\"model_type\": \"gpt2\", \"vocab_size\": 1e999}" << "not valid JSON";
        QTest::newRow("not an object") << "![1, 2]" << "expected a JSON object";
        for (const char* key : {"model_type", "vocab_size", "n_layer", "n_head", "n_embd", "n_positions"}) {
            QTest::addRow("missing %s", key) << QString("{\"%1\": null}").arg(key) << QString("missing key \"%1\"").arg(key);
            if (QByteArray(key) == "model_type") continue;
            QTest::addRow("zero %s", key) << QString("{\"%1\": 0}").arg(key) << QString("\"%1\" must be positive, got 0").arg(key);
            QTest::addRow("negative %s", key) << QString("{\"%1\": -3}").arg(key) << QString("\"%1\" must be positive, got -3").arg(key);
        }
        for (const char* key : {"max_span", "ramp"})
            QTest::addRow("missing %s", key) << QString("{\"headlight\": {\"adaptive_span\": {\"%1\": null}}}").arg(key)
                                             << QString("missing key \"headlight.adaptive_span.%1\"").arg(key);
        QTest::newRow("missing slots") << R"({"headlight": {"persistent_memory": {"slots": null}}})" << "missing key \"headlight.persistent_memory.slots\"";
        QTest::newRow("model_type number") << R"({"model_type": 2})" << "\"model_type\" must be a string";
        QTest::newRow("model_type falcon") << R"({"model_type": "falcon"})" << "\"model_type\" \"falcon\" is not supported (supported: gpt2, headlight, bert, llama, mistral, qwen2, qwen3, gpt_neox, gemma2, marian, bart, t5)";
        QTest::newRow("string size") << R"({"n_layer": "2"})" << "\"n_layer\" must be an integer";
        QTest::newRow("float size") << R"({"n_head": 1.5})" << "\"n_head\" must be an integer";
        QTest::newRow("bool size") << R"({"vocab_size": true})" << "\"vocab_size\" must be an integer";
        QTest::newRow("huge size") << R"({"n_positions": 3000000000})" << "\"n_positions\" is out of range";
        QTest::newRow("epsilon string") << R"({"layer_norm_epsilon": "1e-5"})" << "\"layer_norm_epsilon\" must be a number";
        QTest::newRow("epsilon zero") << R"({"layer_norm_epsilon": 0})" << "\"layer_norm_epsilon\" must be a positive number";
        QTest::newRow("activation number") << R"({"activation_function": 1})" << "\"activation_function\" must be a string";
        QTest::newRow("mish") << R"({"activation_function": "mish"})" << "\"activation_function\" = \"mish\" is not supported";
        QTest::newRow("n_embd % n_head") << R"({"n_embd": 13})" << "n_embd (13) is not divisible by n_head (3)";
        QTest::newRow("n_inner string") << R"({"n_inner": "wide"})" << "\"n_inner\" must be an integer";
        QTest::newRow("encoder-decoder") << R"({"is_encoder_decoder": true})" << "\"is_encoder_decoder\" = true is not supported";
        QTest::newRow("cross attention") << R"({"add_cross_attention": true})" << "\"add_cross_attention\" = true is not supported";
        QTest::newRow("unknown top-level key") << R"({"colour": "red"})" << "unknown key \"colour\"";
        QTest::newRow("misspelt key") << R"({"n_embed": 12})" << "unknown key \"n_embed\"";
        QTest::newRow("unknown mechanism") << R"({"headlight": {"dropout_heads": {}}})" << "unknown key \"dropout_heads\" in \"headlight\"";
        QTest::newRow("unknown gates key") << R"({"headlight": {"head_gates": {"beta": 1}}})" << "unknown key \"beta\" in \"headlight.head_gates\"";
        QTest::newRow("unknown span key") << R"({"headlight": {"adaptive_span": {"span": 1}}})" << "unknown key \"span\" in \"headlight.adaptive_span\"";
        QTest::newRow("unknown selective key") << R"({"headlight": {"selective_attention": {"heads": 1}}})" << "unknown key \"heads\" in \"headlight.selective_attention\"";
        QTest::newRow("unknown memory key") << R"({"headlight": {"persistent_memory": {"n_slots": 1}}})" << "unknown key \"n_slots\" in \"headlight.persistent_memory\"";
        QTest::newRow("headlight not object") << R"({"headlight": [1]})" << "\"headlight\" must be an object";
        QTest::newRow("gates not object") << R"({"headlight": {"head_gates": 1}})" << "\"headlight.head_gates\" must be an object";
        QTest::newRow("span not object") << R"({"headlight": {"adaptive_span": true}})" << "\"headlight.adaptive_span\" must be an object";
        QTest::newRow("gamma 0") << R"({"headlight": {"head_gates": {"gamma": 0}}})" << "\"headlight.head_gates.gamma\" must be < 0";
        QTest::newRow("zeta 1") << R"({"headlight": {"head_gates": {"zeta": 1}}})" << "\"headlight.head_gates.zeta\" must be > 1";
        QTest::newRow("temperature 0") << R"({"headlight": {"head_gates": {"temperature": 0}}})" << "\"headlight.head_gates.temperature\" must be > 0";
        QTest::newRow("temperature string") << R"({"headlight": {"head_gates": {"temperature": "hot"}}})" << "\"headlight.head_gates.temperature\" must be a number";
        QTest::newRow("ramp 0") << R"({"headlight": {"adaptive_span": {"ramp": 0}}})" << "\"headlight.adaptive_span.ramp\" must be > 0";
        QTest::newRow("max_span 0") << R"({"headlight": {"adaptive_span": {"max_span": 0}}})" << "\"headlight.adaptive_span.max_span\" must be positive";
        QTest::newRow("max_span float") << R"({"headlight": {"adaptive_span": {"max_span": 2.5}}})" << "\"headlight.adaptive_span.max_span\" must be an integer";
        QTest::newRow("slots 0") << R"({"headlight": {"persistent_memory": {"slots": 0}}})" << "\"headlight.persistent_memory.slots\" must be positive";
        QTest::newRow("selector = n_head") << R"({"headlight": {"selective_attention": {"selector_head": 3}}})" << "\"headlight.selective_attention.selector_head\" = 3 is not a head (n_head = 3)";
        QTest::newRow("selector negative") << R"({"headlight": {"selective_attention": {"selector_head": -1}}})" << "selector_head\" = -1 is not a head";
        QTest::newRow("selector string") << R"({"headlight": {"selective_attention": {"selector_head": "0"}}})" << "selector_head\" must be an integer";
        QTest::newRow("replace_mlp 1") << R"({"headlight": {"persistent_memory": {"replace_mlp": 1}}})" << "\"headlight.persistent_memory.replace_mlp\" must be true or false";
    }
    void badConfig() {
        QFETCH(QString, edit);
        QFETCH(QString, message);
        const std::string text = edit.startsWith('!') ? edit.mid(1).toStdString() : patched(kFullConfig, edit.toStdString());
        const QString err = errorOf([&] { ModelConfig::fromJson(text, "/models/x/config.json"); });
        QVERIFY2(err.startsWith("/models/x/config.json: ") && err.contains(message), qPrintable("got: " + err));
    }

    // Issue 20: Hugging Face families' config.json read as transformers 5 reads it. `dtype` wins over
    // `torch_dtype` unless null (PreTrainedConfig.__post_init__); rope_parameters' entries over the top-level
    // keys, rope_type over type; absent keys take transformers' class defaults (Mistral 8 key/value heads and a
    // 4096 window, Qwen 32 heads, max_window_layers 28 and Qwen3's head_dim 128, Gemma 2's 4 heads, head_dim
    // 256, soft-caps 50 and 30, query_pre_attn_scalar 256, gelu_pytorch_tanh) while null means none.
    void familyConfigReadAsTransformers_data() {
        QTest::addColumn<QString>("family");
        QTest::addColumn<QString>("patch");
        QTest::addColumn<QString>("field");
        QTest::addColumn<QString>("expected");
        auto row = [](const char* name, const char* family, const char* patch, const char* field, const QString& expected) {
            QTest::newRow(name) << QString(family) << QString(patch) << QString(field) << expected;
        };
        row("dtype over torch_dtype", "llama", R"({"dtype": "float32", "torch_dtype": "bfloat16"})", "frequency dtype", "float32");
        row("dtype bfloat16 over torch_dtype", "llama", R"({"dtype": "bfloat16", "torch_dtype": "float32"})", "frequency dtype", "bfloat16");
        row("dtype null: torch_dtype", "llama", R"({"dtype": null, "torch_dtype": "bfloat16"})", "frequency dtype", "bfloat16");
        row("llama3 scaling", "llama", R"({"rope_scaling": {"rope_type": "llama3", "factor": 8, "low_freq_factor": 1,
            "high_freq_factor": 4, "original_max_position_embeddings": 8192}})", "original positions", "8192");
        row("rope_parameters theta wins", "llama", R"({"rope_theta": 500, "rope_parameters": {"rope_type": "default", "rope_theta": 1000}})",
            "theta", "1000");
        row("rope_type over type", "llama", R"({"rope_scaling": {"type": "llama3", "rope_type": "linear", "factor": 2}})", "scaling", "linear");
        row("both theta spellings agreeing", "llama", R"({"rope_theta": 500000, "rotary_emb_base": 500000})", "theta", "500000");
        row("mistral window absent", "mistral", "{}", "window:1", "4096");
        row("mistral window null", "mistral", R"({"sliding_window": null})", "window:1", "0");
        row("mistral key/value heads absent", "mistral", "{}", "kv heads", "8");
        row("mistral key/value heads null", "mistral", R"({"num_key_value_heads": null})", "kv heads", "16");
        row("qwen2 key/value heads absent", "qwen2", "{}", "kv heads", "32");
        row("qwen2 max_window_layers absent: 27", "qwen2", R"({"num_hidden_layers": 30, "use_sliding_window": true, "sliding_window": 5})",
            "window:27", "0");
        row("qwen2 max_window_layers absent: 28", "qwen2", R"({"num_hidden_layers": 30, "use_sliding_window": true, "sliding_window": 5})",
            "window:28", "5");
        row("qwen2 window absent", "qwen2", R"({"num_hidden_layers": 30, "use_sliding_window": true, "max_window_layers": 1})",
            "window:1", "4096");
        row("qwen3 head_dim absent", "qwen3", "{}", "head dim", "128");
        row("qwen3 head_dim null", "qwen3", R"({"head_dim": null})", "head dim", "16");
        row("gemma2 key/value heads", "gemma2", "{}", "kv heads", "4");
        row("gemma2 head_dim", "gemma2", "{}", "head dim", "256");
        row("gemma2 attention softcap", "gemma2", "{}", "attention softcap", "50");
        row("gemma2 final softcap", "gemma2", "{}", "final softcap", "30");
        row("gemma2 softcap null", "gemma2", R"({"attn_logit_softcapping": null})", "attention softcap", "0");
        row("gemma2 query_pre_attn_scalar", "gemma2", "{}", "scale", "0.0625");
        row("gemma2 activation", "gemma2", "{}", "activation", "gelu_pytorch_tanh");
        row("gemma2 both activation spellings", "gemma2", R"({"hidden_act": "gelu", "hidden_activation": "gelu"})", "activation", "gelu");
        row("gemma2 window on even layers", "gemma2", "{}", "window:0", "4096");
        row("gemma2 no window on odd layers", "gemma2", "{}", "window:1", "0");
        row("neox rotary_pct default", "gpt_neox", "{}", "rotary dims", "4");
        row("neox rotary_pct", "gpt_neox", R"({"rotary_pct": 0.5})", "rotary dims", "8");
        row("neox both spellings agreeing", "gpt_neox", R"({"rotary_pct": 0.5, "partial_rotary_factor": 0.5})", "rotary dims", "8");
        row("neox rope_parameters wins", "gpt_neox", R"({"rotary_pct": 0.5, "rope_parameters": {"rope_type": "default",
            "partial_rotary_factor": 1.0, "rope_theta": 10000}})", "rotary dims", "16");
        row("neox rotary_emb_base", "gpt_neox", R"({"rotary_emb_base": 500})", "theta", "500");
    }
    void familyConfigReadAsTransformers() {
        QFETCH(QString, family);
        QFETCH(QString, patch);
        QFETCH(QString, field);
        QFETCH(QString, expected);
        const std::string text = withKeys(familyBase(family), patch);
        ModelConfig c;
        const QString error = errorOf([&] { c = ModelConfig::fromJson(text, "config.json"); });
        QVERIFY2(error == "nothing thrown", qPrintable(error));
        QCOMPARE(::field(c, field), expected);
    }

    // Issue 20: what transformers requires or reads differently is refused, naming the key at fault.
    void badFamilyConfig_data() {
        QTest::addColumn<QString>("family");
        QTest::addColumn<QString>("patch");
        QTest::addColumn<QString>("message");
        const QString llama3 = R"({"rope_scaling": {"rope_type": "llama3", "factor": 8, "low_freq_factor": 1, "high_freq_factor": 4,
                                  "original_max_position_embeddings": 8192}})";
        for (const char* key : {"factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"}) {
            json scaling = json::parse(llama3.toStdString())["rope_scaling"];
            scaling.erase(key);
            QTest::addRow("llama3 without %s", key) << "llama" << QString::fromStdString(json{{"rope_scaling", scaling}}.dump())
                                                    << QString("\"rope_scaling\" of type \"llama3\" needs \"%1\" (transformers requires it)").arg(key);
        }
        QTest::newRow("linear without factor") << "llama" << R"({"rope_scaling": {"rope_type": "linear"}})"
                                               << "\"rope_scaling\" of type \"linear\" needs \"factor\"";
        QTest::newRow("original positions 8192.5") << "llama" << QString(llama3).replace("8192", "8192.5")
                                                   << "\"rope_scaling\".original_max_position_embeddings must be an integer, got 8192.5";
        QTest::newRow("high_freq_factor at low") << "llama" << QString(llama3).replace("\"high_freq_factor\": 4", "\"high_freq_factor\": 1")
                                                 << "high_freq_factor must be greater than low_freq_factor";
        QTest::newRow("max_window_layers 2.5") << "qwen2" << R"({"max_window_layers": 2.5})" << "\"max_window_layers\" must be an integer, got 2.5";
        QTest::newRow("rotary_pct 1.5") << "gpt_neox" << R"({"rotary_pct": 1.5})" << "\"rotary_pct\" must lie in (0, 1], got 1.5";
        QTest::newRow("partial_rotary_factor 0") << "llama" << R"({"partial_rotary_factor": 0})" << "\"partial_rotary_factor\" must lie in (0, 1], got 0";
        QTest::newRow("rope_parameters partial 1.5") << "llama" << R"({"rope_parameters": {"rope_type": "default", "partial_rotary_factor": 1.5}})"
                                                     << "\"rope_parameters\".partial_rotary_factor must lie in (0, 1], got 1.5";
        QTest::newRow("rope_theta 0") << "llama" << R"({"rope_theta": 0})" << "\"rope_theta\" must be > 0, got 0";
        QTest::newRow("scaling factor 0") << "llama" << R"({"rope_scaling": {"rope_type": "linear", "factor": 0}})"
                                          << "\"rope_scaling\".factor must be > 0, got 0";
        QTest::newRow("llama reads no rotary_emb_base") << "llama" << R"({"rotary_emb_base": 500000})"
                                                        << "\"rotary_emb_base\" = 500000 disagrees with \"rope_theta\"";
        QTest::newRow("neox reads no rope_theta") << "gpt_neox" << R"({"rope_theta": 500000})" << "\"rope_theta\" = 500000 disagrees with \"rotary_emb_base\"";
        QTest::newRow("neox spellings disagreeing") << "gpt_neox" << R"({"partial_rotary_factor": 0.5})"
                                                    << "\"partial_rotary_factor\" = 0.5 disagrees with \"rotary_pct\" = 0.25";
        QTest::newRow("llama reads no hidden_activation") << "llama" << R"({"hidden_activation": "gelu"})"
                                                          << "\"hidden_activation\" = \"gelu\" disagrees with \"hidden_act\" = \"silu\"";
        QTest::newRow("gemma2 reads no hidden_act") << "gemma2" << R"({"hidden_act": "relu"})"
                                                    << "\"hidden_act\" = \"relu\" disagrees with \"hidden_activation\" = \"gelu_pytorch_tanh\"";
        QTest::newRow("gemma2 query_pre_attn_scalar null") << "gemma2" << R"({"query_pre_attn_scalar": null})"
                                                           << "\"query_pre_attn_scalar\" must be a positive number";
        QTest::newRow("mistral default heads not dividing") << "mistral" << R"({"num_attention_heads": 12, "hidden_size": 48})"
                                                            << "not divisible by num_key_value_heads (8) (its default for mistral; give it)";
        QTest::newRow("yarn") << "llama" << R"({"rope_scaling": {"rope_type": "yarn", "factor": 4, "beta_fast": 32}})"
                              << "rope type \"yarn\" is not supported";
        QTest::newRow("unknown scaling key") << "llama" << R"({"rope_scaling": {"rope_type": "linear", "factor": 2, "mscale": 1}})"
                                             << "\"rope_scaling\" key \"mscale\" is not supported";
    }
    void badFamilyConfig() {
        QFETCH(QString, family);
        QFETCH(QString, patch);
        QFETCH(QString, message);
        const std::string text = withKeys(familyBase(family), patch);
        const QString err = errorOf([&] { ModelConfig::fromJson(text, "/m/config.json"); });
        QVERIFY2(err.startsWith("/m/config.json: ") && err.contains(message), qPrintable("got: " + err));
        if (patch.contains("rotary_pct")) QVERIFY2(!err.contains("rope_scaling"), qPrintable(err));   // a key the file does not have
    }

    void configFromMissingFile() {
        QTemporaryDir dir;
        QCOMPARE(errorOf([&] { ModelConfig::fromFile(dir.filePath("none.json").toStdString()); }),
                 dir.filePath("none.json") + ": file not found");
        QCOMPARE(errorOf([&] { ModelConfig::fromFile(dir.path().toStdString()); }), dir.path() + ": is a folder, expected a file");
    }

    // ---------------------------------------------------------------- half / bfloat16
    void halfToFloatValues_data() {
        QTest::addColumn<uint>("bits");
        QTest::addColumn<float>("value");
        QTest::newRow("1") << 0x3C00u << 1.0f;
        QTest::newRow("-2") << 0xC000u << -2.0f;
        QTest::newRow("max 65504") << 0x7BFFu << 65504.0f;
        QTest::newRow("smallest subnormal") << 0x0001u << std::ldexp(1.0f, -24);
        QTest::newRow("largest subnormal") << 0x03FFu << 1023 * std::ldexp(1.0f, -24);
        QTest::newRow("smallest normal") << 0x0400u << std::ldexp(1.0f, -14);
        QTest::newRow("1/3 rounded") << 0x3555u << 0.333251953125f;
        QTest::newRow("-subnormal") << 0x8200u << -std::ldexp(1.0f, -15);
        QTest::newRow("inf") << 0x7C00u << std::numeric_limits<float>::infinity();
        QTest::newRow("-inf") << 0xFC00u << -std::numeric_limits<float>::infinity();
    }
    void halfToFloatValues() {
        QFETCH(uint, bits);
        QFETCH(float, value);
        HL_SAME_FLOAT(halfToFloat(static_cast<uint16_t>(bits)), value);
    }

    void floatToHalfRounding_data() {
        QTest::addColumn<float>("value");
        QTest::addColumn<uint>("bits");
        QTest::newRow("1") << 1.0f << 0x3C00u;
        QTest::newRow("1+2^-11 tie to even (down)") << 1.0f + kHalfUlp1 << 0x3C00u;
        QTest::newRow("1+3*2^-11 tie to even (up)") << 1.0f + 3 * kHalfUlp1 << 0x3C02u;
        QTest::newRow("just above the tie") << 1.0f + kHalfUlp1 + std::ldexp(1.0f, -20) << 0x3C01u;
        QTest::newRow("carry into exponent") << 2.0f - kHalfUlp1 << 0x4000u;
        QTest::newRow("0.1") << 0.1f << 0x2E66u;
        QTest::newRow("-2") << -2.0f << 0xC000u;
        QTest::newRow("65504") << 65504.0f << 0x7BFFu;
        QTest::newRow("65519 rounds down") << 65519.0f << 0x7BFFu;
        QTest::newRow("65520 ties to inf") << 65520.0f << 0x7C00u;
        QTest::newRow("70000 overflows") << 70000.0f << 0x7C00u;
        QTest::newRow("-1e9 overflows") << -1e9f << 0xFC00u;
        QTest::newRow("2^-24") << std::ldexp(1.0f, -24) << 0x0001u;
        QTest::newRow("2^-25 ties to zero") << std::ldexp(1.0f, -25) << 0x0000u;
        QTest::newRow("1.5*2^-25") << 1.5f * std::ldexp(1.0f, -25) << 0x0001u;
        QTest::newRow("3*2^-25 ties to even") << 3 * std::ldexp(1.0f, -25) << 0x0002u;
        QTest::newRow("subnormal carries to normal") << std::ldexp(1.0f, -14) - std::ldexp(1.0f, -25) << 0x0400u;
        QTest::newRow("1e-10 underflows") << 1e-10f << 0x0000u;
        QTest::newRow("-0") << -0.0f << 0x8000u;
        QTest::newRow("inf") << std::numeric_limits<float>::infinity() << 0x7C00u;
    }
    void floatToHalfRounding() {
        QFETCH(float, value);
        QFETCH(uint, bits);
        QCOMPARE(uint(floatToHalf(value)), bits);
    }

    void bfloat16_data() {
        QTest::addColumn<float>("value");
        QTest::addColumn<uint>("bits");
        QTest::newRow("1") << 1.0f << 0x3F80u;
        QTest::newRow("1+2^-8 tie to even (down)") << 1.0f + std::ldexp(1.0f, -8) << 0x3F80u;
        QTest::newRow("1+3*2^-8 tie to even (up)") << 1.0f + 3 * std::ldexp(1.0f, -8) << 0x3F82u;
        QTest::newRow("just above the tie") << 1.0f + std::ldexp(1.0f, -8) + std::ldexp(1.0f, -16) << 0x3F81u;
        QTest::newRow("-2") << -2.0f << 0xC000u;
        QTest::newRow("float max rounds to inf") << std::numeric_limits<float>::max() << 0x7F80u;
        QTest::newRow("-inf") << -std::numeric_limits<float>::infinity() << 0xFF80u;
    }
    void bfloat16() {
        QFETCH(float, value);
        QFETCH(uint, bits);
        QCOMPARE(uint(floatToBfloat16(value)), bits);
        const float back = bfloat16ToFloat(static_cast<uint16_t>(bits));
        if (std::isfinite(back)) QVERIFY(std::abs(back - value) <= std::abs(value) * std::ldexp(1.0f, -8));
    }

    void conversionsRoundTripEveryPattern() {
        HL_SAME_FLOAT(bfloat16ToFloat(0x3F80), 1.0f);
        HL_SAME_FLOAT(bfloat16ToFloat(0xC049), -3.140625f);
        QVERIFY(std::isnan(halfToFloat(0x7E00)) && std::isnan(bfloat16ToFloat(floatToBfloat16(std::nanf("")))));
        const uint16_t nanHalf = floatToHalf(std::nanf(""));
        QVERIFY((nanHalf & 0x7C00) == 0x7C00 && (nanHalf & 0x3FF) != 0);
        for (uint32_t h = 0; h <= 0xFFFF; ++h) {
            if ((h & 0x7C00) == 0x7C00 && (h & 0x3FF)) continue;   // NaN payloads
            const auto b = static_cast<uint16_t>(h);
            if (floatToHalf(halfToFloat(b)) != b) QFAIL(qPrintable(QString("half 0x%1 does not round-trip").arg(h, 4, 16)));
            if ((h & 0x7F80) != 0x7F80 && floatToBfloat16(bfloat16ToFloat(b)) != b)
                QFAIL(qPrintable(QString("bfloat16 0x%1 does not round-trip").arg(h, 4, 16)));
        }
    }

    // A file's float16 and bfloat16 tensors are converted by loops the compiler vectorises (issue 21), not by
    // halfToFloat and bfloat16ToFloat one value at a time: both ways give the same bits for all 65,536 patterns,
    // NaN payloads, infinities, subnormals and signed zeros included, wherever a range of them starts.
    void fileConversionsMatchEveryPattern() {
        QByteArray data;
        for (uint32_t h = 0; h <= 0xFFFF; ++h) data += le(h, 2);
        data += data;   // the same 65,536 patterns as bfloat16
        QTemporaryDir dir;
        const QString path = dir.filePath("all.safetensors");
        writeFile(path, safetensorsBytes(R"({"h": {"dtype": "F16", "shape": [65536], "data_offsets": [0, 131072]},
            "b": {"dtype": "BF16", "shape": [256, 256], "data_offsets": [131072, 262144]}})", data));
        const auto f = SafetensorsFile::open(path.toStdString());
        QCOMPARE(f.find("h")->nonFinite, uint64_t(2 * 1024));   // exponent all ones: 2 signs x 1,024 mantissas
        QCOMPARE(f.find("b")->nonFinite, uint64_t(2 * 128));
        const FloatArray h = f.readFloat("h"), b = f.readFloat("b");
        std::vector<float> piece(1000);
        for (uint32_t i = 0; i <= 0xFFFF; ++i) {
            const auto bits = static_cast<uint16_t>(i);
            if (bitsOf(h.data()[i]) != bitsOf(halfToFloat(bits)) || bitsOf(b.data()[i]) != bitsOf(bfloat16ToFloat(bits)))
                QFAIL(qPrintable(QString("0x%1 converts differently").arg(i, 4, 16)));
        }
        for (int64_t first : {0, 1, 31743, 64536}) {   // ranges of a tensor, as loading converts them on threads
            f.copyAsFloat(*f.find("h"), piece.data(), first, 1000);
            QVERIFY(std::memcmp(piece.data(), h.data() + first, 4000) == 0);
        }
        QVERIFY(errorOf([&] { f.copyAsFloat(*f.find("h"), piece.data(), 65000, 1000); }).endsWith("tensor \"h\" has no elements 65000 to 66000"));
    }

    // ---------------------------------------------------------------- safetensors
    void safetensorsRoundTrip_data() {
        QTest::addColumn<int>("dtype");
        QTest::addColumn<float>("relative");   // unit roundoff
        QTest::newRow("F32") << int(DType::F32) << 0.0f;
        QTest::newRow("F16") << int(DType::F16) << std::ldexp(1.0f, -11);
        QTest::newRow("BF16") << int(DType::BF16) << std::ldexp(1.0f, -8);
    }
    void safetensorsRoundTrip() {
        QFETCH(int, dtype);
        QFETCH(float, relative);
        const auto type = static_cast<DType>(dtype);
        QTemporaryDir dir;
        const std::string path = dir.filePath("t.safetensors").toStdString();
        const FloatArray a = test::values({2, 3}, {0.1f, -0.25f, 3.14159f, 1000.7f, -0.7f, 1e-3f});
        std::vector<float> ex = {0.5f, -2.0f, 1.0f, 0.375f, 1024.0f, -0.0078125f};   // exact in every dtype
        if (type == DType::F16) ex.insert(ex.end(), {1.0f + std::ldexp(1.0f, -10), 65504.0f, std::ldexp(1.0f, -24)});
        if (type == DType::BF16) ex.insert(ex.end(), {1.0f + std::ldexp(1.0f, -7), bfloat16ToFloat(0x7F7F), -std::ldexp(1.0f, -133)});
        const FloatArray exact = test::values({static_cast<int64_t>(ex.size())}, ex);
        const FloatArray scalar({}, std::vector<float>{2.5f});
        const std::map<std::string, std::string> meta = {{"format", "pt"}, {"note", "multi\nline \"quoted\" é"}};
        writeSafetensors(path, {{"a", a}, {"b.exact", exact}, {"empty", FloatArray({0, 4}, std::vector<float>{})}, {"s", scalar}}, type, meta);
        const auto f = SafetensorsFile::open(path);
        QCOMPARE(f.path(), path);
        QCOMPARE(f.entries().size(), size_t(4));
        QCOMPARE(f.metadata(), meta);
        QCOMPARE(int(f.find("a")->dtype), dtype);
        QCOMPARE(f.find("a")->shape, (std::vector<int64_t>{2, 3}));
        QCOMPARE(f.find("empty")->shape, (std::vector<int64_t>{0, 4}));
        QVERIFY(f.find("missing") == nullptr);
        const FloatArray r = f.readFloat("a");
        QCOMPARE(r.shape(), a.shape());
        for (int64_t i = 0; i < a.size(); ++i) {
            const float x = a.data()[i];
            const float expect = type == DType::F32 ? x : type == DType::F16 ? halfToFloat(floatToHalf(x)) : bfloat16ToFloat(floatToBfloat16(x));
            HL_SAME_FLOAT(r.data()[i], expect);
            QVERIFY2(std::abs(r.data()[i] - x) <= std::abs(x) * relative, qPrintable(QString("%1 -> %2").arg(x).arg(r.data()[i])));
        }
        QVERIFY2(bitDiff(f.readFloat("b.exact"), exact).isEmpty(), "representable values changed");
        QVERIFY(bitDiff(f.readFloat("s"), scalar).isEmpty());
        QCOMPARE(f.readFloat("empty").size(), int64_t(0));
        QCOMPARE(reinterpret_cast<std::uintptr_t>(f.rawData(*f.find("a"))) % 8, std::uintptr_t(0));
        QCOMPARE(errorOf([&] { f.readFloat("nope"); }), QString::fromStdString(path) + ": tensor \"nope\" is missing");
        QVERIFY(leftovers(dir.path()).isEmpty());
    }

    void safetensorsHeaderIsAligned() {
        QTemporaryDir dir;
        for (int n = 1; n <= 8; ++n) {   // every header length modulo 8
            const QString path = dir.filePath(QString("t%1.safetensors").arg(n));
            writeSafetensors(path.toStdString(), {{std::string(static_cast<size_t>(n), 'w'), test::values({1}, {1.5f})}});
            QFile file(path);
            QVERIFY(file.open(QIODevice::ReadOnly));
            const QByteArray bytes = file.readAll();
            uint64_t headerLen = 0;
            for (int i = 7; i >= 0; --i) headerLen = headerLen << 8 | static_cast<uint8_t>(bytes[i]);
            QCOMPARE((8 + headerLen) % 8, uint64_t(0));
            QCOMPARE(uint64_t(bytes.size()), 8 + headerLen + 4);
            HL_SAME_FLOAT(SafetensorsFile::open(path.toStdString()).readFloat(std::string(static_cast<size_t>(n), 'w')).data()[0], 1.5f);
        }
    }

    // Files written elsewhere: F64 narrows, F16/BF16 bytes are little-endian, integers are not floats.
    void safetensorsForeignDtypes() {
        QTemporaryDir dir;
        const QString path = dir.filePath("f.safetensors");
        QByteArray data;
        for (double d : {1.5, -0.1, std::ldexp(1.0, -30)}) data += QByteArray(reinterpret_cast<const char*>(&d), 8);
        data += le(7, 8) + le(uint64_t(-1), 8) + le(0x3C00, 2) + le(0xC000, 2) + le(0xC049, 2);
        writeFile(path, safetensorsBytes(R"({"d": {"dtype": "F64", "shape": [3], "data_offsets": [0, 24]},
            "i": {"dtype": "I64", "shape": [2], "data_offsets": [24, 40]}, "h": {"dtype": "F16", "shape": [2], "data_offsets": [40, 44]},
            "b": {"dtype": "BF16", "shape": [1, 1], "data_offsets": [44, 46]}, "__metadata__": {"n": 3}})", data));
        const auto f = SafetensorsFile::open(path.toStdString());
        QCOMPARE(f.metadata().at("n"), std::string("3"));
        QCOMPARE(f.readFloat("d").toVector(), (std::vector<float>{1.5f, -0.1f, std::ldexp(1.0f, -30)}));
        QCOMPARE(f.readFloat("h").toVector(), (std::vector<float>{1.0f, -2.0f}));
        QCOMPARE(f.readFloat("b").toVector(), (std::vector<float>{-3.140625f}));
        QCOMPARE(int(f.find("i")->dtype), int(DType::I64));
        QCOMPARE(f.find("i")->begin, uint64_t(24));
        QCOMPARE(f.find("i")->end, uint64_t(40));
        QCOMPARE(errorOf([&] { f.readFloat("i"); }), path + ": tensor \"i\" has dtype I64, expected a floating-point type");
        const QString bad = dir.filePath("x.safetensors");
        QCOMPARE(errorOf([&] { writeSafetensors(bad.toStdString(), {}, DType::I64); }), bad + ": cannot store tensors as I64");
        const QString nowhere = dir.filePath("no/x.safetensors");
        QVERIFY(errorOf([&] { writeSafetensors(nowhere.toStdString(), {}); }).startsWith(nowhere + ": cannot write: folder"));
        QVERIFY(leftovers(dir.path()).isEmpty());
    }

    void badSafetensors_data() {
        QTest::addColumn<QString>("kind");   // "file", "missing" or "folder"
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("message");
        const QByteArray data(16, '\0');
        auto one = [](const char* entry) { return std::string(R"({"a": )") + entry + "}"; };
        QTest::newRow("missing file") << "missing" << QByteArray() << "file not found";
        QTest::newRow("a folder") << "folder" << QByteArray() << "is a folder, expected a file";
        QTest::newRow("empty file") << "file" << QByteArray() << "truncated: shorter than the 8-byte header length";
        QTest::newRow("shorter than 8 bytes") << "file" << QByteArray("abc") << "truncated";
        QTest::newRow("header beyond file") << "file" << safetensorsBytes("{}", data, 4096) << "header length 4096 is beyond the end of the file (26 bytes)";
        QTest::newRow("header length 2^63") << "file" << safetensorsBytes("{}", data, INT64_MAX) << "is beyond the end of the file";
        QTest::newRow("header empty") << "file" << safetensorsBytes("", data) << "header is not valid JSON";
        QTest::newRow("header not JSON") << "file" << safetensorsBytes("{\"a\": ", data) << "header is not valid JSON";
        QTest::newRow("number overflow") << "file" << safetensorsBytes(R"({"__metadata__": {"x": 1e999}})", data) << "header is not valid JSON";
        QTest::newRow("header not object") << "file" << safetensorsBytes("[1]", data) << "header is not a JSON object";
        QTest::newRow("metadata not object") << "file" << safetensorsBytes(R"({"__metadata__": 1})", data) << "\"__metadata__\" is not an object";
        QTest::newRow("entry not object") << "file" << safetensorsBytes(one("3"), data) << "tensor \"a\" needs dtype, shape and data_offsets";
        QTest::newRow("missing dtype") << "file" << safetensorsBytes(one(R"({"shape": [4], "data_offsets": [0, 16]})"), data) << "tensor \"a\" needs dtype";
        QTest::newRow("missing offsets") << "file" << safetensorsBytes(one(R"({"dtype": "F32", "shape": [4]})"), data) << "needs dtype, shape and data_offsets";
        QTest::newRow("unknown dtype") << "file" << safetensorsBytes(one(R"({"dtype": "F8", "shape": [4], "data_offsets": [0, 16]})"), data) << "tensor \"a\" has unknown dtype \"F8\"";
        QTest::newRow("shape not list") << "file" << safetensorsBytes(one(R"({"dtype": "F32", "shape": 4, "data_offsets": [0, 16]})"), data) << "has a shape that is not a list";
        QTest::newRow("negative shape") << "file" << safetensorsBytes(one(R"({"dtype": "F32", "shape": [-4], "data_offsets": [0, 16]})"), data) << "tensor \"a\" has a bad shape [-4]";
        QTest::newRow("float shape") << "file" << safetensorsBytes(one(R"({"dtype": "F32", "shape": [2.0, 2], "data_offsets": [0, 16]})"), data) << "has a bad shape";
        // 2^62 + 1 rows of 4 floats: the element count wraps to 4 in 64 bits, matching the 16 bytes.
        QTest::newRow("shape product overflows") << "file" << safetensorsBytes(one(R"({"dtype": "F32", "shape": [4611686018427387905, 4], "data_offsets": [0, 16]})"), data) << "has a bad shape";
        QTest::newRow("negative offset") << "file" << safetensorsBytes(one(R"({"dtype": "F32", "shape": [4], "data_offsets": [-4, 12]})"), data) << "has bad data_offsets [-4,12]";
        QTest::newRow("three offsets") << "file" << safetensorsBytes(one(R"({"dtype": "F32", "shape": [4], "data_offsets": [0, 8, 16]})"), data) << "has bad data_offsets";
        QTest::newRow("end beyond data") << "file" << safetensorsBytes(one(R"({"dtype": "F32", "shape": [8], "data_offsets": [0, 32]})"), data) << "has data_offsets [0,32] outside the data section (16 bytes";
        QTest::newRow("begin after end") << "file" << safetensorsBytes(one(R"({"dtype": "F32", "shape": [0], "data_offsets": [8, 4]})"), data) << "has data_offsets [8,4] outside the data section";
        QTest::newRow("size mismatch F32") << "file" << safetensorsBytes(one(R"({"dtype": "F32", "shape": [3], "data_offsets": [0, 16]})"), data) << "tensor \"a\" has 16 bytes but shape [3] x F32 needs 12";
        QTest::newRow("size mismatch F16") << "file" << safetensorsBytes(one(R"({"dtype": "F16", "shape": [2, 2], "data_offsets": [0, 16]})"), data) << "has 16 bytes but shape [2,2] x F16 needs 8";
        QTest::newRow("overlap") << "file" << safetensorsBytes(R"({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 12]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}})", data) << "tensors \"a\" and \"b\" overlap";
        QTest::newRow("same range") << "file" << safetensorsBytes(R"({"b": {"dtype": "I32", "shape": [2], "data_offsets": [4, 12]}, "c": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})", data) << "overlap";
    }
    void badSafetensors() {
        QFETCH(QString, kind);
        QFETCH(QByteArray, bytes);
        QFETCH(QString, message);
        QTemporaryDir dir;
        const QString path = dir.filePath("bad.safetensors");
        if (kind == "file") writeFile(path, bytes);
        if (kind == "folder") QVERIFY(QDir(dir.path()).mkdir("bad.safetensors"));
        const QString err = errorOf([&] { SafetensorsFile::open(path.toStdString()); });
        QVERIFY2(err.startsWith(path + ": ") && err.contains(message), qPrintable("got: " + err));
    }

};

QTEST_MAIN(TestFormats)
#include "test_formats.moc"
