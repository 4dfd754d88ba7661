// Training: gradient checks of each loss term, Hard Concrete sampling against P(open), and the trainer's
// guarantees (loss goes down, same seed same weights, resume equals uninterrupted). This suite reaches into
// core/src for the loss functions, so it is the one test that includes LibTorch.
// Before Qt: LibTorch's script headers name a method `slots`, which Qt defines as a macro.
#include <torch/autograd.h>
#include <torch/serialize.h>

#include "attention/attention.h"
#include "mechanisms/adaptive_span.h"
#include "mechanisms/head_gates.h"
#include "mechanisms/selective_attention.h"
#include "model/transformer.h"
#include "headlight/safetensors.h"
#include "headlight/error.h"
#include "headlight/mechanism_report.h"
#include "headlight/training.h"
#include "headlight/engine.h"
#include "headlight/model_init.h"
#include "headlight/tokenizer.h"
#include "gradient_check.h"
#include "test_support.h"
#include "nn/torch_bridge.h"
#include "training/training_losses.h"

#include <QDir>
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>
#include <nlohmann/json.hpp>
#include <tuple>

using namespace headlight;

namespace {

// A tiny model in float64 so finite differences are accurate.
Transformer tinyModel(const std::vector<std::string>& mechanisms) {
    const ModelConfig c = test::tinyConfig(mechanisms, 2, 3, 6, 7, 8);
    NamedTensors t;
    for (const auto& [name, a] : test::randomWeights(c, 21)) t[name] = toTensor(a).to(torch::kDouble).set_requires_grad(true);
    return Transformer(c, t, "tiny");
}

TrainConfig tinyTraining(int steps) {
    return TrainConfig::fromJson(R"({"model": {"n_layer": 1, "n_head": 2, "n_embd": 16,
        "headlight": {"head_gates": {}, "adaptive_span": {"max_span": 12, "ramp": 2}, "selective_attention": {},
                      "persistent_memory": {"slots": 2}}},
        "task": {"name": "mixed-range", "length": 8}, "steps": )" + std::to_string(steps) +
        R"(, "batch_size": 16, "learning_rate": 1e-2, "warmup_steps": 2, "seed": 3, "l0_lambda": 0.01,
        "span_lambda": 0.001, "checkpoint_every": 4, "log_every": 1})", "TRAIN.json");
}

// Counts the tensors of a torch::save archive (optimizer.pt), nested archives included, and whether every
// one of them is a CPU tensor as stored (read without mapping to a device).
int storedTensors(torch::serialize::InputArchive& archive, bool& allCpu) {
    int n = 0;
    for (const auto& key : archive.keys()) {
        c10::IValue value;
        torch::serialize::InputArchive nested;
        if (archive.try_read(key, value) && value.isTensor()) {
            ++n;
            allCpu = allCpu && value.toTensor().device().is_cpu();
        } else if (archive.try_read(key, nested)) {
            n += storedTensors(nested, allCpu);
        }
    }
    return n;
}

// The devices this LibTorch can train on here.
std::vector<std::string> devices() { return Engine::cudaAvailable() ? std::vector<std::string>{"cpu", "cuda"} : std::vector<std::string>{"cpu"}; }

TrainConfig onDevice(TrainConfig c, const std::string& device) {
    c.device = device;
    return c;
}

QByteArray fileBytes(const QString& path) {
    QFile f(path);
    f.open(QIODevice::ReadOnly);
    return f.readAll();
}


// A downloaded-style start for fine-tuning: GPT-2's byte-level BPE files (50257 ids) beside random weights of a
// 2-layer GPT-2 whose vocab_size is `vocab` (smaller than 50257: a tokenizer the embedding cannot hold).
std::string bpeStart(const QString& dir, int vocab, int positions = 64) {
    const std::string start = dir.toStdString();
    const ModelConfig c = ModelConfig::fromJson(R"({"model_type": "gpt2", "vocab_size": )" + std::to_string(vocab) +
                                                    R"(, "n_layer": 2, "n_head": 2, "n_embd": 16, "n_positions": )" +
                                                    std::to_string(positions) + "}", "config");
    initRandomModel(c, 5, start);
    QFile::remove(QString::fromStdString(start + "/vocab.json"));   // init's character vocabulary, for small sizes
    for (const char* f : {"vocab.json", "merges.txt"})
        QFile::copy(QString::fromStdString(test::sharedPath(std::string("data/gpt2-tokenizer/") + f)),
                    QString::fromStdString(start + "/" + f));
    return start;
}

// Every file of a folder with its bytes, to show that a refused command left it as it was.
std::map<QString, QByteArray> folderBytes(const QString& dir) {
    std::map<QString, QByteArray> files;
    for (const QString& name : QDir(dir).entryList(QDir::Files)) files[name] = fileBytes(dir + "/" + name);
    return files;
}

} // namespace

class TestTraining : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { torch::set_num_threads(1); }

    void l0PenaltyGradient() {
        Transformer m = tinyModel({"gates"});
        auto la = m.mechanisms(1)["gate_log_alpha"];
        QVERIFY(test::gradientError([&] { return l0Penalty(m.mechanismHost()); }, la) < 1e-7);
        // d/d log_alpha of (1/L) sigmoid(a - t ln(-gamma/zeta)) = (1/L) s (1 - s)
        auto y = l0Penalty(m.mechanismHost());
        auto g = torch::autograd::grad({y}, {la})[0];
        const double shift = 0.33 * std::log(0.1 / 1.1);
        const double s = 1.0 / (1.0 + std::exp(-(la[0].item<double>() - shift)));
        QVERIFY(std::fabs(g[0].item<double>() - 0.5 * s * (1 - s)) < 1e-12);
    }

    void spanPenaltyGradient() {
        Transformer m = tinyModel({"span"});
        auto z = m.mechanisms(0)["span_fraction"];
        auto g = torch::autograd::grad({spanPenalty(m.mechanismHost())}, {z})[0];
        for (int h = 0; h < 3; ++h) QVERIFY(std::fabs(g[h].item<double>() - 6.0 / 3.0) < 1e-12);   // max_span / H
        QVERIFY(test::gradientError([&] { return spanPenalty(m.mechanismHost()); }, z) < 1e-7);
    }

    void selectiveMemoryLossGradient() {
        // F away from the kinks (tau = 1, and ties in the max) so central differences are exact enough.
        auto f = (torch::rand({2, 5, 5}, torch::TensorOptions().dtype(torch::kDouble)) * 0.8 + 0.05).set_requires_grad(true);
        auto g = torch::rand({2, 5, 5}, torch::TensorOptions().dtype(torch::kDouble)) * 0.8 + 0.05;
        QVERIFY(test::gradientError([&] { return selectiveMemoryLoss({f, g}, 2); }, f) < 1e-7);
        // Hand value: F = 0 keeps every visible token: max_i M_i = T, so the loss is (1 / (L T)) * L * T = 1.
        auto zero = torch::zeros({1, 4, 4}, torch::kDouble);
        QCOMPARE(selectiveMemoryLoss({zero, zero}, 2).item<double>(), 1.0);
        // F >= tau on every earlier key masks them all: M_i = 1 (the query itself has F_ii = 0).
        auto full = torch::full({1, 4, 4}, 3.0, torch::kDouble);
        full.diagonal(0, 1, 2).zero_();
        QCOMPARE(selectiveMemoryLoss({full}, 1).item<double>(), 1.0 / 4.0 + 0.0 * 3);
    }

    void taskLossGradient() {
        auto logits = torch::randn({2, 4, 5}, torch::kDouble).set_requires_grad(true);
        // Next-token targets of ids {0,3,1,4}, {2,2,0,1} with scored flags {1,0,1}, {0,1,1}; -1 = not scored.
        auto targets = torch::tensor({3, -1, 4, -1, -1, 0, 1, -1}, torch::kLong).view({2, 4});
        QVERIFY(test::gradientError([&] { return scoredCrossEntropy(logits, targets); }, logits) < 1e-7);
        QVERIFY(torch::autograd::grad({scoredCrossEntropy(logits, targets)}, {logits})[0].select(1, 1).select(0, 0).abs().sum().item<double>() == 0);
        double expected = 0;   // by hand: the mean over the four scored positions of logsumexp(row) - row[target]
        for (auto [b, t, y] : {std::tuple{0, 0, 3}, std::tuple{0, 2, 4}, std::tuple{1, 1, 0}, std::tuple{1, 2, 1}}) {
            double sum = 0;
            for (int v = 0; v < 5; ++v) sum += std::exp(logits[b][t][v].item<double>());
            expected += std::log(sum) - logits[b][t][y].item<double>();
        }
        QVERIFY(std::abs(scoredCrossEntropy(logits, targets).item<double>() - expected / 4) < 1e-12);
    }

    // The share of Hard Concrete samples that are non-zero is P(open), for every log_alpha.
    void hardConcreteSamplesMatchOpenProbability() {
        HeadGatesConfig g;
        auto la = torch::tensor({-3.0, -0.5, 0.0, 1.0, 4.0});
        torch::Generator gen = at::make_generator<at::CPUGeneratorImpl>(5);
        auto open = torch::zeros({5});
        const int n = 20000;
        for (int k = 0; k < n; ++k) open += (sampleHardConcrete(g, la, gen) > 0).to(torch::kFloat);
        auto expected = gateOpenProbability(g, la);
        for (int h = 0; h < 5; ++h)
            QVERIFY2(std::fabs(open[h].item<double>() / n - expected[h].item<double>()) < 0.015,
                     qPrintable(QString("head %1: %2 vs %3").arg(h).arg(open[h].item<double>() / n).arg(expected[h].item<double>())));
    }

    void trainingReducesTheLoss() {
        QTemporaryDir dir;
        std::vector<double> losses;
        train(tinyTraining(40), dir.filePath("m").toStdString(), false, [&](const TrainProgress& p) { losses.push_back(p.taskLoss); });
        QCOMPARE(losses.size(), size_t(40));
        double first = 0, last = 0;
        for (int i = 0; i < 5; ++i) { first += losses[static_cast<size_t>(i)]; last += losses[losses.size() - 1 - static_cast<size_t>(i)]; }
        QVERIFY2(last < 0.8 * first, qPrintable(QString("loss %1 -> %2").arg(first / 5).arg(last / 5)));
        // The folder is a model everything else loads.
        const Engine e = Engine::load(dir.filePath("m").toStdString());
        QCOMPARE(e.config().nLayer, 1);
        QVERIFY(e.tokenizer() != nullptr);
    }

    // The mechanisms do not depend on the family: a Llama (grouped-query attention, rotary, SwiGLU) with head
    // gates and adaptive span trains, saves in the Hugging Face layout, and loads back.
    void llamaWithMechanismsTrains() {
        QTemporaryDir dir;
        const auto tc = TrainConfig::fromJson(R"({"model": {"model_type": "llama", "hidden_size": 16, "intermediate_size": 32,
            "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "rms_norm_eps": 1e-6,
            "headlight": {"head_gates": {}, "adaptive_span": {"max_span": 12, "ramp": 2}}},
            "task": {"name": "mixed-range", "length": 8}, "steps": 40, "batch_size": 16, "learning_rate": 1e-2,
            "warmup_steps": 2, "seed": 3, "l0_lambda": 0.01, "span_lambda": 0.001, "checkpoint_every": 20, "log_every": 1})",
                                              "TRAIN.json");
        std::vector<double> losses;
        train(tc, dir.filePath("m").toStdString(), false, [&](const TrainProgress& p) { losses.push_back(p.taskLoss); });
        double first = 0, last = 0;
        for (int i = 0; i < 5; ++i) { first += losses[static_cast<size_t>(i)]; last += losses[losses.size() - 1 - static_cast<size_t>(i)]; }
        QVERIFY2(last < 0.8 * first, qPrintable(QString("loss %1 -> %2").arg(first / 5).arg(last / 5)));
        const auto file = SafetensorsFile::open(dir.filePath("m/model.safetensors").toStdString());
        QVERIFY(file.find("model.layers.1.self_attn.gate_log_alpha") && file.find("model.layers.0.self_attn.span_fraction"));
        QVERIFY(file.find("model.layers.0.self_attn.k_proj.weight")->shape == (std::vector<int64_t>{8, 16}));   // 2 KV heads of 4
        const Engine e = Engine::load(dir.filePath("m").toStdString());
        QCOMPARE(e.config().modelType, std::string("llama"));
        RunRequest r;
        r.tokenIds = e.encode("^abcabcab");
        const Trace t = e.run(r);
        QCOMPARE(t.layers[1].attention.dim(0), int64_t(4));
        QVERIFY(t.layers[0]["gate"].size() == 4 && t.layers[0]["span"].size() == 4);
        QVERIFY(t.layers[0]["span"].toVector() != std::vector<float>(4, 12.0f));   // the spans learned
    }

    // A downloaded checkpoint with a byte-level BPE tokenizer (GPT-2's files) fine-tuned with head gates on the
    // text task: its own tokens, every next token scored; the result keeps the tokenizer and opens as a model.
    void bpeCheckpointFineTunes() {
        QTemporaryDir dir;
        const std::string start = dir.filePath("gpt2-tiny").toStdString();
        const ModelConfig c = ModelConfig::fromJson(R"({"model_type": "gpt2", "vocab_size": 50257, "n_layer": 2,
            "n_head": 2, "n_embd": 16, "n_positions": 64})", "config");
        initRandomModel(c, 5, start);
        for (const char* f : {"vocab.json", "merges.txt"})   // init writes no vocabulary this large
            QVERIFY(QFile::copy(QString::fromStdString(test::sharedPath(std::string("data/gpt2-tokenizer/") + f)),
                                QString::fromStdString(start + "/" + f)));
        const QString text = dir.filePath("text.txt");
        test::writeFile(text, QByteArray("The cat sat on the mat. ").repeated(40));
        const nlohmann::json tc = {{"init_from", start}, {"model", {{"headlight", {{"head_gates", nlohmann::json::object()}}}}},
                                   {"task", {{"name", "text"}, {"file", text.toStdString()}, {"context", 48}}},
                                   {"steps", 30}, {"batch_size", 4}, {"learning_rate", 1e-2}, {"warmup_steps", 2}, {"seed", 1},
                                   {"l0_lambda", 0}, {"checkpoint_every", 30}, {"log_every", 1}};
        const std::string json = tc.dump();
        std::vector<double> losses;
        train(TrainConfig::fromJson(json, "TRAIN.json"), dir.filePath("tuned").toStdString(), false,
              [&](const TrainProgress& p) { losses.push_back(p.taskLoss); });
        QVERIFY2(losses.back() < 0.5 * losses.front(), qPrintable(QString("loss %1 -> %2").arg(losses.front()).arg(losses.back())));
        const Engine e = Engine::load(dir.filePath("tuned").toStdString());
        QCOMPARE(e.tokenizer()->kind(), loadTokenizer(start)->kind());
        QCOMPARE(e.encode("The cat sat"), (std::vector<int64_t>{464, 3797, 3332}));   // GPT-2's own ids
        QVERIFY(SafetensorsFile::open(dir.filePath("tuned/model.safetensors").toStdString()).find("h.1.attn.gate_log_alpha"));
        // The structured tasks score characters: refused by name for a BPE model.
        const std::string induction = nlohmann::json({{"init_from", start}, {"task", {{"name", "induction"}}}, {"steps", 2}}).dump();
        const QString error = test::errorOf([&] { train(TrainConfig::fromJson(induction, "TRAIN.json"), dir.filePath("x").toStdString(), false); });
        QVERIFY2(error.contains("\"text\" task"), qPrintable(error));
    }

    // Issue 20: fine-tuning into the folder it starts from used to rewrite that model (weights, config, and
    // GPT-2's vocab.json replaced by a character vocabulary). However the folder is spelt, it is refused
    // before anything is written, and the model stays byte for byte as it was.
    void fineTuningNeverOverwritesItsStart() {
        QTemporaryDir dir;
        const std::string start = bpeStart(dir.filePath("start"), 50257);
        QVERIFY(QFile::link(dir.filePath("start"), dir.filePath("link")));
        const auto before = folderBytes(dir.filePath("start"));
        const QString text = dir.filePath("text.txt");
        test::writeFile(text, QByteArray("The cat sat on the mat. ").repeated(40));
        for (const QString& out : {dir.filePath("start"), dir.filePath("start/"), dir.filePath("link"), dir.filePath("start/tuned")}) {
            const nlohmann::json tc = {{"init_from", start}, {"task", {{"name", "text"}, {"file", text.toStdString()}, {"context", 24}}},
                                       {"steps", 2}, {"batch_size", 2}};
            const QString error = test::errorOf([&] { train(TrainConfig::fromJson(tc.dump(), "TRAIN.json"), out.toStdString(), false); });
            QVERIFY2(error.startsWith(out + ": ") && error.contains("the init_from model"), qPrintable(error));
        }
        QVERIFY(folderBytes(dir.filePath("start")) == before);
        QCOMPARE(QDir(dir.filePath("start")).entryList(QDir::Dirs | QDir::NoDotAndDotDot), QStringList());
    }

    // Issue 20: what makes a fine-tuning run impossible is found before its folder exists (these used to leave a
    // folder that looked like a model): ids beyond vocab_size, a passage longer than the positions (also one
    // drawn late in the run), a train_only that matches nothing. Into an existing empty folder, it stays empty.
    void fineTuningChecksComeFirst_data() {
        QTest::addColumn<int>("vocab");        // the start's vocab_size (GPT-2's tokenizer has 50257 ids)
        QTest::addColumn<QString>("text");     // the text task's file, repeated 40 times
        QTest::addColumn<QString>("late");     // appended once after the repetitions
        QTest::addColumn<int>("context");
        QTest::addColumn<QString>("trainOnly");
        QTest::addColumn<QString>("problem");
        const QString english = "The cat sat on the mat. ";
        QTest::newRow("ids beyond vocab_size") << 1000 << english << "" << 24 << "" << "has ids up to 50256 but config.json says vocab_size = 1000";
        QTest::newRow("passage beyond the positions") << 50257 << english << "" << 400 << "" << "more than the model's 64 positions";
        QTest::newRow("a late passage beyond the positions") << 50257 << english << QString(200, QChar(0x4e00)) << 120 << ""
                                                             << "more than the model's 64 positions";
        QTest::newRow("train_only matching nothing") << 50257 << english << "" << 24 << "no_such_tensor" << "\"train_only\" matches no parameter";
    }
    void fineTuningChecksComeFirst() {
        QFETCH(int, vocab);
        QFETCH(QString, text);
        QFETCH(QString, late);
        QFETCH(int, context);
        QFETCH(QString, trainOnly);
        QFETCH(QString, problem);
        QTemporaryDir dir;
        const std::string start = bpeStart(dir.filePath("start"), vocab);
        const QString file = dir.filePath("text.txt");
        test::writeFile(file, text.toUtf8().repeated(40) + late.toUtf8());
        nlohmann::json tc = {{"init_from", start}, {"task", {{"name", "text"}, {"file", file.toStdString()}, {"context", context}}},
                             {"steps", 200}, {"batch_size", 4}, {"checkpoint_every", 1}, {"seed", 2}};
        if (!trainOnly.isEmpty()) tc["train_only"] = {trainOnly.toStdString()};
        const TrainConfig config = TrainConfig::fromJson(tc.dump(), "TRAIN.json");
        for (const QString& out : {dir.filePath("new/tuned"), dir.filePath("empty")}) {
            const bool existed = out.endsWith("empty") && QDir().mkpath(out);
            const QString error = test::errorOf([&] { train(config, out.toStdString(), false); });
            QVERIFY2(error.contains(problem), qPrintable(error));
            if (existed) QCOMPARE(QDir(out).entryList(QDir::NoDotAndDotDot | QDir::AllEntries), QStringList());
            else QVERIFY2(!QFile::exists(dir.filePath("new")), qPrintable(out + " was left behind"));
        }
    }

    // On each device (CUDA with LibTorch's deterministic algorithms), the same seed gives the same bits.
    void sameSeedSameWeights() {
        for (const std::string& device : devices()) {
            QTemporaryDir dir;
            train(onDevice(tinyTraining(6), device), dir.filePath("a").toStdString(), false);
            train(onDevice(tinyTraining(6), device), dir.filePath("b").toStdString(), false);
            const QByteArray a = fileBytes(dir.filePath("a/model.safetensors"));
            QVERIFY2(!a.isEmpty() && a == fileBytes(dir.filePath("b/model.safetensors")), device.c_str());
        }
    }

    // Checkpoints hold CPU tensors whatever the device, so a run continues on another one.
    void checkpointsAreCpuTensors() {
        for (const std::string& device : devices()) {
            QTemporaryDir dir;
            const std::string out = dir.filePath("run").toStdString();
            train(onDevice(tinyTraining(4), device), out, false);
            torch::serialize::InputArchive archive;
            archive.load_from(out + "/checkpoint/optimizer.pt");
            bool allCpu = true;
            // Two moments per learning tensor: the tiny model has more than a dozen.
            QVERIFY2(storedTensors(archive, allCpu) > 12, device.c_str());
            QVERIFY2(allCpu, device.c_str());
            // Resumed on the other device (on the CPU when CUDA is absent), it finishes.
            const std::string other = device == "cpu" ? devices().back() : "cpu";
            QCOMPARE(train(onDevice(tinyTraining(8), other), out, true).steps, 8);
        }
    }

    void cudaRunsMatchCpuClosely() {
        if (!Engine::cudaAvailable()) QSKIP("this LibTorch cannot run on CUDA here");
        QTemporaryDir dir;
        const auto cpu = train(onDevice(tinyTraining(6), "cpu"), dir.filePath("cpu").toStdString(), false);
        const auto cuda = train(onDevice(tinyTraining(6), "cuda"), dir.filePath("cuda").toStdString(), false);
        // The same data, initial weights and gate noise (drawn on the CPU); only the kernels' rounding differs,
        // which AdamW's normalised steps can amplify on near-zero gradients: compare the losses, not the bits.
        QVERIFY2(std::abs(cpu.last.taskLoss - cuda.last.taskLoss) < 1e-2 * cpu.last.taskLoss,
                 qPrintable(QString("%1 vs %2").arg(cpu.last.taskLoss).arg(cuda.last.taskLoss)));
    }

    // Without CUDA, "cuda" is refused by name before anything is written.
    void cudaRefusedWithoutCuda() {
        if (Engine::cudaAvailable()) QSKIP("this LibTorch can run on CUDA here");
        QTemporaryDir dir;
        const QString error = test::errorOf([&] { train(onDevice(tinyTraining(2), "cuda"), dir.filePath("x").toStdString(), false); });
        QVERIFY2(error.startsWith("TRAIN.json \"device\": cuda requested") && !error.contains('\n'), qPrintable(error));
        QVERIFY(!QFile::exists(dir.filePath("x")));
    }

    void deviceKey() {
        const std::string base = R"({"model": {}, "task": {"name": "assign"})";
        QCOMPARE(QString::fromStdString(TrainConfig::fromJson(base + "}", "TRAIN.json").device), QString("cpu"));
        const TrainConfig c = TrainConfig::fromJson(base + R"(, "device": "cuda:1"})", "TRAIN.json");
        QCOMPARE(QString::fromStdString(c.device), QString("cuda:1"));
        // A record written on a GPU machine reads back anywhere (evaluate takes the task from it).
        QCOMPARE(QString::fromStdString(TrainConfig::fromJson(c.toJson(), "training.json").device), QString("cuda:1"));
    }

    void resumeEqualsUninterrupted() {
        QTemporaryDir dir;
        train(tinyTraining(10), dir.filePath("whole").toStdString(), false);
        std::atomic<bool> stop{false};
        const auto part = train(tinyTraining(10), dir.filePath("split").toStdString(), false,
                                [&](const TrainProgress& p) { if (p.step == 5) stop = true; }, &stop);
        QVERIFY(part.interrupted);
        QCOMPARE(part.steps, 5);
        const auto rest = train(tinyTraining(10), dir.filePath("split").toStdString(), true);
        QCOMPARE(rest.steps, 10);
        QCOMPARE(fileBytes(dir.filePath("split/model.safetensors")), fileBytes(dir.filePath("whole/model.safetensors")));
    }

    // Budget 3 over 5 tokens: at step 3 the buffer {0,1,2,3} evicts argmax F[3] = token 2; at step 4 the buffer
    // {0,1,3,4} evicts argmax F[4] = token 1. Ties evict the earliest token.
    void evictionFollowsLargestF() {
        auto f = torch::zeros({5, 5});
        f[3][1] = 0.5; f[3][2] = 2.0;
        f[4][1] = 3.0; f[4][3] = 1.0;
        auto [keep, evicted] = evictionSchedule(f, 3);
        QCOMPARE(evicted.to(torch::kInt).contiguous().data_ptr<int>()[2], 3);
        QCOMPARE(evicted[1].item<int64_t>(), int64_t(4));
        for (int j : {0, 3, 4}) QCOMPARE(evicted[j].item<int64_t>(), int64_t(-1));
        auto expect = torch::zeros({5, 5}, torch::kBool);
        for (auto [i, j] : std::vector<std::pair<int, int>>{{0, 0}, {1, 0}, {1, 1}, {2, 0}, {2, 1}, {2, 2}, {3, 0}, {3, 1}, {3, 3}, {4, 0}, {4, 3}, {4, 4}})
            expect[i][j] = true;
        QVERIFY(torch::equal(keep, expect));
        auto [tieKeep, tieEvicted] = evictionSchedule(torch::zeros({3, 3}), 1);
        QCOMPARE(tieEvicted[0].item<int64_t>(), int64_t(1));
        QCOMPARE(tieEvicted[1].item<int64_t>(), int64_t(2));
        QVERIFY(tieKeep[2][2].item<bool>() && tieKeep.sum().item<int64_t>() == 3);
    }

    // The mechanism report on a hand-set model: closed gates counted, trim windows and FLOPs by hand, and the
    // memory share equal to what the context attention leaves (each row's context + memory sums to 1).
    void mechanismReportByHand() {
        const ModelConfig c = test::tinyConfig({"gates", "span", "memory"}, 2, 2, 8, 11, 16);   // S = 6, R = 2, d = 4
        auto w = test::randomWeights(c, 5);
        w["h.0.attn.span_fraction"] = test::values({2}, {0.25f, 0.5f});       // z = 1.5, 3: window ceil(3 + 2) = 5
        w["h.1.attn.span_fraction"] = test::values({2}, {0.0f, 1.0f / 6});    // z = 0, 1:   window 3
        w["h.0.attn.gate_log_alpha"] = test::values({2}, {-10.0f, 10.0f});
        w["h.1.attn.gate_log_alpha"] = test::values({2}, {10.0f, 10.0f});
        QTemporaryDir dir;
        test::writeModel(dir.path().toStdString(), c, w);
        const Engine engine = Engine::load(dir.path().toStdString());
        const auto task = makeFixedTextTask("^abcdefghij");                    // T = 11, every position scored
        const nlohmann::json r = nlohmann::json::parse(reportMechanisms(engine, *task, 1, 0));

        QCOMPARE(r["head_gates"]["closed_heads"].get<int>(), 1);
        QCOMPARE(r["adaptive_span"]["trim_window"].get<std::vector<int>>(), (std::vector<int>{5, 3}));
        // 4 d multiply-adds per query-key pair, 2 heads: full = 2 layers x 32 x (1 + ... + 11) = 4224;
        // trimmed = 32 x (1+2+3+4+5x7) + 32 x (1+2+3x9) = 1440 + 960.
        QCOMPARE(r["adaptive_span"]["attention_flops"].get<double>(), 4224.0);
        QCOMPARE(r["adaptive_span"]["trimmed_attention_flops"].get<double>(), 2400.0);
        QVERIFY(std::abs(r["adaptive_span"]["average_span"].get<double>() - (1.5 + 3 + 0 + 1) / 4) < 1e-6);

        RunRequest req;
        req.tokenIds = engine.encode("^abcdefghij");
        const Trace t = engine.run(req);
        for (const auto& layer : t.layers) {
            double context = 0;
            for (int64_t h = 0; h < 2; ++h)
                for (int64_t i = 0; i < 10; ++i)
                    for (int64_t j = 0; j <= i; ++j) context += layer.attention.at({h, i, j});
            const double share = r["persistent_memory"]["memory_share_per_layer"][static_cast<size_t>(layer.layer)].get<double>();
            QVERIFY(std::abs(share - (1.0 - context / 20)) < 1e-5);
        }
    }

    void badTrainingInput_data() {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("message");
        QTest::newRow("unknown key") << R"({"model": {}, "task": {"name": "assign"}, "epochs": 3})" << "unknown key \"epochs\"";
        QTest::newRow("no model") << R"({"task": {"name": "assign"}})" << "needs \"model\"";
        QTest::newRow("no task") << R"({"model": {}})" << "needs a \"task\"";
        QTest::newRow("bad task") << R"({"model": {}, "task": {"name": "assign", "variables": 40}})" << "variables";
        QTest::newRow("negative lr") << R"({"model": {}, "task": {"name": "assign"}, "learning_rate": -1})" << "learning_rate";
        QTest::newRow("zero steps") << R"({"model": {}, "task": {"name": "assign"}, "steps": 0})" << "steps";
        QTest::newRow("device not a string") << R"({"model": {}, "task": {"name": "assign"}, "device": 0})" << "\"device\" must be a string";
        QTest::newRow("device unknown") << R"({"model": {}, "task": {"name": "assign"}, "device": "gpu"})"
                                        << "\"device\" = \"gpu\" is not a device (use cpu, cuda or cuda:N)";
        QTest::newRow("device huge index") << R"({"model": {}, "task": {"name": "assign"}, "device": "cuda:99999999999"})"
                                           << "\"device\" = \"cuda:99999999999\": no such CUDA device";
        QTest::newRow("device empty index") << R"({"model": {}, "task": {"name": "assign"}, "device": "cuda:"})" << "is not a device";
        QTest::newRow("device twice") << R"({"model": {}, "task": {"name": "assign"}, "device": "cpu", "device": "cpu"})"
                                      << "duplicate key \"device\"";
    }
    void badTrainingInput() {
        QFETCH(QString, json);
        QFETCH(QString, message);
        try {
            TrainConfig::fromJson(json.toStdString(), "TRAIN.json");
            QFAIL("expected headlight::Error");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).startsWith("TRAIN.json: ") && QString(e.what()).contains(message), e.what());
        }
    }
};

QTEST_MAIN(TestTraining)
#include "test_training.moc"
