// SentencePiece tokenizers (libsentencepiece): Marian's source.spm / target.spm with vocab.json (shared or separate
// vocabularies) and T5's spiece.model, against oracle files that re-implement transformers' MarianTokenizer and
// T5Tokenizer over SentencePiece's own Python bindings (tests/fixtures/sentencepiece/make_fixtures.py); the target
// side end to end through a Marian model; bad folders.
#include "cli_test_support.h"
#include "headlight/engine.h"
#include "headlight/error.h"
#include "headlight/safetensors.h"
#include "headlight/tokenizer.h"
#include "test_support.h"

#include <QTemporaryDir>
#include <QtTest>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

using namespace headlight;
namespace fs = std::filesystem;

namespace {

std::string fixture(const std::string& name) { return test::fixturePath("sentencepiece/" + name); }

std::vector<nlohmann::json> readLines(const std::string& path) {
    std::ifstream in(path);
    std::vector<nlohmann::json> out;
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) out.push_back(nlohmann::json::parse(line));
    return out;
}

// A copy of fixture folder `name` with `edit` applied to its files.
std::string copyOf(const QTemporaryDir& tmp, const std::string& name, const std::function<void(const std::string&)>& edit = {}) {
    const std::string dir = tmp.path().toStdString() + "/" + name;
    fs::create_directories(dir);
    for (const auto& e : fs::directory_iterator(fixture(name))) fs::copy_file(e.path(), dir + "/" + e.path().filename().string());
    if (edit) edit(dir);
    return dir;
}

void expectLoadError(const std::string& dir, const std::string& fragment) {
    try {
        loadTokenizer(dir);
        QFAIL(("loaded " + dir).c_str());
    } catch (const Error& e) {
        QVERIFY2(std::string(e.what()).find(fragment) != std::string::npos, e.what());
        QVERIFY2(std::string(e.what()).find('\n') == std::string::npos, e.what());
    }
}

// A Marian model of the fixture tokenizer's vocabulary (558 tokens, d_model 8, one layer each, 2 heads).
void writeMarianModel(const std::string& dir, int64_t vocab) {
    fs::create_directories(dir);
    const int64_t D = 8, F = 16;
    std::vector<NamedArray> t;
    uint64_t seed = 5;
    auto random = [&](std::vector<int64_t> shape) {
        std::vector<float> v(static_cast<size_t>(FloatArray::countOf(shape)));
        for (float& x : v) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            x = (static_cast<float>(seed >> 40) / float(1ull << 24) - 0.5f) * 0.8f;
        }
        return FloatArray(std::move(shape), std::move(v));
    };
    t.push_back({"model.shared.weight", random({vocab, D})});
    t.push_back({"final_logits_bias", test::constant({1, vocab}, 0.0f)});
    for (const std::string stack : {"encoder", "decoder"}) {
        const std::string p = "model." + stack + ".layers.0.";
        std::vector<std::string> kinds = {"self_attn"};
        if (stack == "decoder") kinds.push_back("encoder_attn");
        for (const auto& k : kinds) {
            for (const char* proj : {"q_proj", "k_proj", "v_proj", "out_proj"}) {
                t.push_back({p + k + "." + proj + ".weight", random({D, D})});
                t.push_back({p + k + "." + proj + ".bias", test::constant({D}, 0.0f)});
            }
            t.push_back({p + k + "_layer_norm.weight", test::constant({D}, 1.0f)});
            t.push_back({p + k + "_layer_norm.bias", test::constant({D}, 0.0f)});
        }
        t.push_back({p + "fc1.weight", random({F, D})});
        t.push_back({p + "fc1.bias", test::constant({F}, 0.0f)});
        t.push_back({p + "fc2.weight", random({D, F})});
        t.push_back({p + "fc2.bias", test::constant({D}, 0.0f)});
        t.push_back({p + "final_layer_norm.weight", test::constant({D}, 1.0f)});
        t.push_back({p + "final_layer_norm.bias", test::constant({D}, 0.0f)});
    }
    writeSafetensors(dir + "/model.safetensors", t);
    const nlohmann::json config = {{"model_type", "marian"}, {"vocab_size", vocab}, {"decoder_vocab_size", vocab}, {"d_model", D},
                                   {"encoder_layers", 1}, {"decoder_layers", 1}, {"encoder_attention_heads", 2},
                                   {"decoder_attention_heads", 2}, {"encoder_ffn_dim", F}, {"decoder_ffn_dim", F},
                                   {"max_position_embeddings", 64}, {"activation_function", "swish"}, {"scale_embedding", true},
                                   {"pad_token_id", vocab - 1}, {"decoder_start_token_id", vocab - 1}, {"eos_token_id", 0}};
    std::ofstream(dir + "/config.json") << config.dump(2);
}

// The sanitizer build cannot load the SentencePiece module (docs/robustness.md): it refuses the files in one line.
#ifdef HEADLIGHT_SANITIZED
#define NEEDS_SENTENCEPIECE_MODULE()                                                                               \
    do {                                                                                                           \
        try {                                                                                                      \
            loadTokenizer(fixture("marian"));                                                                      \
            QFAIL("a sanitizer build loaded a SentencePiece model");                                               \
        } catch (const Error& e) {                                                                                 \
            QVERIFY2(std::string(e.what()).find("cannot be read in a sanitizer build") != std::string::npos, e.what()); \
        }                                                                                                          \
        QSKIP("the SentencePiece module cannot be loaded under AddressSanitizer");                                 \
    } while (false)
#else
#define NEEDS_SENTENCEPIECE_MODULE() \
    do {                             \
    } while (false)
#endif

} // namespace

class TestSentencePiece : public QObject {
    Q_OBJECT

private slots:
    void marianMatchesTransformers_data() {
        QTest::addColumn<QString>("folder");
        QTest::addColumn<bool>("target");
        for (const char* f : {"marian", "marian-separate"})
            for (bool target : {false, true})
                QTest::newRow((std::string(f) + (target ? " target" : " source")).c_str()) << QString(f) << target;
    }
    void marianMatchesTransformers() {
        NEEDS_SENTENCEPIECE_MODULE();
        QFETCH(QString, folder);
        QFETCH(bool, target);
        const auto tok = loadTokenizer(fixture(folder.toStdString()));
        QVERIFY(tok);
        QVERIFY(tok->kind().find("sentencepiece") == 0);
        const auto lines = readLines(fixture(folder.toStdString() + (target ? ".target.jsonl" : ".source.jsonl")));
        QVERIFY(lines.size() > 150);
        int fallbacks = 0;
        for (const auto& l : lines) {
            const std::string text = l.at("text");
            const auto ids = target ? tok->encodeTarget(text) : tok->encode(text);
            QVERIFY2(ids == l.at("ids").get<std::vector<int64_t>>(), qPrintable(QString::fromStdString(l.dump())));
            if (l.contains("oov")) {   // pieces outside vocab.json take SentencePiece's own id, as transformers 5 does
                ++fallbacks;
                continue;
            }
            std::vector<std::string> pieces;
            for (int64_t id : ids) pieces.push_back(target ? tok->targetTokenPiece(id) : tok->tokenPiece(id));
            QVERIFY2(pieces == l.at("tokens").get<std::vector<std::string>>(), qPrintable(QString::fromStdString(l.dump())));
        }
        QVERIFY(fallbacks > 10);   // the oracle exercises the fallback
    }

    void spieceMatchesT5Tokenizer() {
        NEEDS_SENTENCEPIECE_MODULE();
        QTemporaryDir tmp;
        // The folder without its tokenizer.json: spiece.model and tokenizer_config.json alone.
        const std::string dir = copyOf(tmp, "t5", [](const std::string& d) { fs::remove(d + "/tokenizer.json"); });
        const auto tok = loadTokenizer(dir);
        QVERIFY(tok);
        QCOMPARE(tok->kind(), std::string("sentencepiece (spiece.model)"));
        QCOMPARE(tok->vocabSize(), int64_t(608));   // 600 pieces and 8 sentinels
        QCOMPARE(tok->tokenPiece(607), std::string("<extra_id_0>"));
        for (const auto& l : readLines(fixture("t5.jsonl"))) {
            const auto ids = tok->encode(l.at("text"));
            QVERIFY2(ids == l.at("ids").get<std::vector<int64_t>>(), qPrintable(QString::fromStdString(l.dump())));
        }
        for (const auto& l : readLines(fixture("t5.decode.jsonl")))
            QCOMPARE(tok->decode(l.at("ids").get<std::vector<int64_t>>()), l.at("decoded").get<std::string>());
    }

    // The same tokenizer as transformers' converter writes it to tokenizer.json: the Unigram model (Viterbi) under
    // the Precompiled normalizer (SentencePiece's charsmap, grapheme by grapheme as Hugging Face's tokenizers reads
    // it). Where tokenizers' reading differs from SentencePiece's the oracle says so (fast_may_differ, fast_ids:
    // the fast tokenizer's ids as the fixture script simulates them).
    void unigramTokenizerJsonMatches() {
        const auto tok = loadTokenizer(fixture("t5"));
        QVERIFY(tok);
        QCOMPARE(tok->kind(), std::string("tokenizer.json: Unigram"));
        int differing = 0;
        for (const auto& l : readLines(fixture("t5.jsonl"))) {
            const bool differs = l.value("fast_may_differ", false);
            differing += differs;
            const auto expected = l.at(differs ? "fast_ids" : "ids").get<std::vector<int64_t>>();
            QVERIFY2(tok->encode(l.at("text")) == expected, qPrintable(QString::fromStdString(l.dump())));
        }
        QVERIFY(differing > 5);
        for (const auto& l : readLines(fixture("t5.decode.jsonl")))
            QCOMPARE(tok->decode(l.at("ids").get<std::vector<int64_t>>()), l.at("decoded").get<std::string>());
    }

    void rejectsBadFolders() {
        NEEDS_SENTENCEPIECE_MODULE();
        QTemporaryDir tmp;
        expectLoadError(copyOf(tmp, "marian", [](const std::string& d) { fs::remove(d + "/target.spm"); }),
                        "target.spm: file not found");
        expectLoadError(copyOf(tmp, "marian-separate", [](const std::string& d) { fs::remove(d + "/target_vocab.json"); }),
                        "target_vocab.json: file not found (tokenizer_config.json says separate_vocabs)");
        QTemporaryDir corrupt;
        expectLoadError(copyOf(corrupt, "marian", [](const std::string& d) { std::ofstream(d + "/source.spm", std::ios::trunc) << "not a model"; }),
                        "source.spm: is not a SentencePiece model");
        QTemporaryDir empty;
        expectLoadError(copyOf(empty, "marian", [](const std::string& d) { std::ofstream(d + "/source.spm", std::ios::trunc); }),
                        "source.spm: is empty");
        QTemporaryDir foreign;   // a vocabulary of another model's pieces
        expectLoadError(copyOf(foreign, "marian", [](const std::string& d) {
                            std::ofstream(d + "/vocab.json", std::ios::trunc) << R"({"</s>": 0, "<unk>": 1, "x": 2, "<pad>": 3})";
                        }),
                        "do not belong together");
        QTemporaryDir noUnk;
        expectLoadError(copyOf(noUnk, "marian", [](const std::string& d) {
                            nlohmann::json v = nlohmann::json::parse(std::ifstream(d + "/vocab.json"));
                            v.erase("<unk>");
                            std::ofstream(d + "/vocab.json", std::ios::trunc) << v.dump();
                        }),
                        "has no \"<unk>\" token");
        QTemporaryDir legacy;
        expectLoadError(copyOf(legacy, "t5", [](const std::string& d) {
                            fs::remove(d + "/tokenizer.json");
                            std::ofstream(d + "/tokenizer_config.json", std::ios::trunc) << R"({"legacy": false, "extra_ids": 8})";
                        }),
                        "\"legacy\": false is not supported");
    }

    // A Marian model with the fixture's tokenizer: --text is the source, --target the decoder's input after the
    // start token, each side through its own .spm; a model whose vocabulary is smaller than the tokenizer's is refused.
    void marianModelTakesText() {
        NEEDS_SENTENCEPIECE_MODULE();
        using namespace cli_test;
        QTemporaryDir tmp;
        const std::string dir = copyOf(tmp, "marian");
        writeMarianModel(dir, 558);
        const Engine engine = Engine::load(dir);
        const auto tok = loadTokenizer(fixture("marian"));
        const auto source = tok->encode("Hello world."), target = tok->encodeTarget("Hello world.");
        QVERIFY(source != target);   // two models, one vocabulary
        QCOMPARE(engine.encode("Hello world."), source);
        QCOMPARE(engine.encodeTarget("Hello world."), target);
        const auto s = runOk({"run", QString::fromStdString(dir), "--text", "Hello world.", "--target", "Hello world."});
        QVERIFY(!QTest::currentTestFailed());
        QCOMPARE(s["source_ids"].get<std::vector<int64_t>>(), source);
        std::vector<int64_t> decoder{557};
        decoder.insert(decoder.end(), target.begin(), target.end());
        QCOMPARE(s["decoder_ids"].get<std::vector<int64_t>>(), decoder);
        const auto t = runOk({"tokenize", QString::fromStdString(dir), "--text", "Hello world.", "--target"});
        QVERIFY(!QTest::currentTestFailed());
        QCOMPARE(t["ids"].get<std::vector<int64_t>>(), target);

        QTemporaryDir small;
        const std::string smallDir = copyOf(small, "marian");
        writeMarianModel(smallDir, 100);
        try {
            Engine::load(smallDir);
            QFAIL("loaded a model smaller than its tokenizer");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("source ids up to 557") != std::string::npos, e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestSentencePiece)
#include "test_sentencepiece.moc"
