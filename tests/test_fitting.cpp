// Fitting mechanisms to trained models (headlight/fitting.h, `headlight-cli fit`): gradients of the fitted
// parameters against finite differences on a frozen model, frozen weights unchanged to the bit, the timeline
// against the model's own parameters, fits on every family's reference checkpoint, the sample models' known
// solutions recovered, the sweep's files, BERT's masking, resume, and every bad input. This suite reaches into
// core/src (the model and the text windows), so it includes LibTorch.
// Before Qt: LibTorch's script headers name a method `slots`, which Qt defines as a macro.
#include <torch/autograd.h>

#include "headlight/engine.h"
#include "headlight/error.h"
#include "headlight/fitting.h"
#include "headlight/result_file.h"
#include "headlight/safetensors.h"
#include "headlight/session.h"
#include "headlight/timeline.h"
#include "mechanisms/adaptive_span.h"
#include "mechanisms/head_gates.h"
#include "model/transformer.h"
#include "nn/torch_bridge.h"
#include "gradient_check.h"
#include "test_support.h"
#include "training/token_windows.h"
#include "training/training_losses.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>
#include <nlohmann/json.hpp>

using namespace headlight;

namespace {

std::string fileText(const std::string& path) {
    QFile f(QString::fromStdString(path));
    f.open(QIODevice::ReadOnly);
    return f.readAll().toStdString();
}

FitConfig taskFit(const std::string& model, const std::string& mechanism, const std::string& task, int steps) {
    FitConfig f;
    f.modelDir = model;
    f.mechanism = mechanism;
    f.task = TaskParams::fromJson(task, "task");
    f.steps = steps;
    f.logEvery = 5;
    f.checkpointEvery = 1000;
    return f;
}

struct CliResult {
    int code = 0;
    QString out, err;
};

CliResult cli(const QStringList& args) {
    QProcess p;
    p.start(HEADLIGHT_CLI, args);
    p.waitForFinished(600000);
    return {p.exitCode(), QString::fromUtf8(p.readAllStandardOutput()), QString::fromUtf8(p.readAllStandardError())};
}

const std::string kInduction = R"({"name": "induction"})";

} // namespace

class TestFitting : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    std::string inductionBase_, mixedBase_;

private slots:
    void initTestCase() {
        inductionBase_ = test::withoutMechanism(test::sourcePath("sample_models/induction-gates"), tmp_.filePath("induction-base").toStdString(),
                                          "head_gates", "gate_log_alpha");
        mixedBase_ = test::withoutMechanism(test::sourcePath("sample_models/mixed-range-span"), tmp_.filePath("mixed-base").toStdString(),
                                      "adaptive_span", "span_fraction");
    }

    // The fitted parameters' gradients (task loss + lambda * regulariser, weights frozen) against central
    // differences, in float64 on a tiny model: gates at deterministic values, spans inside their ramp.
    void gradientsOfFittedParametersMatchFiniteDifferences() {
        const ModelConfig c = test::tinyConfig({"gates", "span"}, 2, 3, 6, 7, 8);
        NamedTensors weights;
        for (const auto& [name, a] : test::randomWeights(c, 21)) weights[name] = toTensor(a).to(torch::kDouble);
        Transformer model(c, weights, "tiny");
        torch::Tensor logAlpha = model.mechanisms(1)[head_gates::kLogAlpha], fraction = model.mechanisms(0)[adaptive_span::kFraction];
        {
            torch::NoGradGuard noGrad;
            logAlpha.copy_(torch::tensor({0.3, -0.4, 0.1}, torch::kDouble));   // gates strictly inside (0, 1)
            const double maxSpan = c.mechanism<AdaptiveSpanConfig>()->maxSpan;
            fraction.copy_(torch::tensor({2.3, 3.6, 4.4}, torch::kDouble) / maxSpan);   // spans ending between keys
        }
        for (const auto& [name, t] : model.named()) QVERIFY2(!t.requires_grad(), name.c_str());   // frozen
        logAlpha.set_requires_grad(true);
        fraction.set_requires_grad(true);
        const auto ids = torch::tensor({{0, 3, 1, 4, 1, 5, 2, 6}}, torch::kLong);
        const auto targets = torch::tensor({{3, 1, 4, 1, 5, 2, 6, -1}}, torch::kLong);
        auto loss = [&] {
            const auto out = model.forward(ids, ForwardOptions{});
            return scoredCrossEntropy(out.logits, targets) + 0.3 * l0Penalty(model.mechanismHost()) +
                   0.01 * spanPenalty(model.mechanismHost());
        };
        const double gateError = test::gradientError(loss, logAlpha), spanError = test::gradientError(loss, fraction);
        QVERIFY2(gateError < 1e-6, qPrintable(QString::number(gateError)));
        QVERIFY2(spanError < 1e-6, qPrintable(QString::number(spanError)));
        const auto grads = torch::autograd::grad({loss()}, {logAlpha, fraction});
        QVERIFY(grads[0].abs().sum().item<double>() > 1e-4 && grads[1].abs().sum().item<double>() > 1e-4);   // not vacuous
    }

    // Gates fitted on the frozen induction model: no weight changes a bit, only the gates are new, and the
    // timeline's last step is the fitted model's own gates.
    void frozenWeightsStayBitForBit() {
        const std::string out = tmp_.filePath("frozen").toStdString();
        FitConfig f = taskFit(inductionBase_, "head_gates", kInduction, 20);
        f.lambda = 0.1;
        const FitResult r = fit(f, out, false);
        QCOMPARE(r.training.steps, 20);
        const auto before = SafetensorsFile::open(inductionBase_ + "/model.safetensors");
        const auto after = SafetensorsFile::open(out + "/model.safetensors");
        QCOMPARE(after.entries().size(), before.entries().size() + 2);   // one gate tensor per layer
        for (const auto& e : before.entries()) {
            const SafetensorsEntry* a = after.find(e.name);
            QVERIFY2(a, e.name.c_str());
            QCOMPARE(test::bitDiff(after.readFloat(e.name), before.readFloat(e.name)), QString());
        }
        const Timeline t = Timeline::read(out + "/timeline.h5");
        QCOMPARE(t.lambdaKey, std::string("l0_lambda"));
        QCOMPARE(t.steps.front().step, 0);
        QCOMPARE(t.steps.back().step, 20);
        QVERIFY(std::fabs(t.steps.back().lambda - 0.1) < 1e-7);   // stored as float32
        for (int l = 0; l < 2; ++l) {
            const FloatArray saved = after.readFloat("h." + std::to_string(l) + ".attn.gate_log_alpha");
            const FloatArray logged = t.steps.back().heads.at("gate_log_alpha");
            for (int h = 0; h < 4; ++h) QCOMPARE(logged.at({l, h}), saved.at({h}));
        }
        for (float v : t.steps.front().heads.at("gate_log_alpha")) QCOMPARE(v, 3.0f);   // where gates start
        QVERIFY(std::isfinite(t.steps.back().loss) && t.steps.back().loss > t.steps.back().taskLoss);
    }

    // Frozen matrices stored in bfloat16 during the fit: the saved model still holds the float32 originals.
    void lowerPrecisionFitSavesTheOriginals() {
        const std::string out = tmp_.filePath("bf16").toStdString();
        FitConfig f = taskFit(inductionBase_, "head_gates", kInduction, 5);
        f.dtype = "bfloat16";
        fit(f, out, false);
        const auto before = SafetensorsFile::open(inductionBase_ + "/model.safetensors");
        const auto after = SafetensorsFile::open(out + "/model.safetensors");
        for (const auto& e : before.entries()) QCOMPARE(test::bitDiff(after.readFloat(e.name), before.readFloat(e.name)), QString());
        f.trainAll = true;
        QVERIFY(test::errorOf([&] { f.trainConfig(); }).contains("--dtype"));
    }

    // Selective attention fine-tuned into a model trained without it (--train-all; the paper's future work): the
    // weights learn, the result has the mechanism and runs; without --train-all it is refused by name.
    void selectiveAttentionFineTunes() {
        const std::string out = tmp_.filePath("selective").toStdString();
        FitConfig f = taskFit(inductionBase_, "selective_attention", kInduction, 20);
        QVERIFY(test::errorOf([&] { f.trainConfig(); }).contains("--train-all"));
        f.trainAll = true;
        const FitResult r = fit(f, out, false);
        QVERIFY(std::isfinite(r.score.fitted.loss));
        const Engine e = Engine::load(out);
        QVERIFY(e.config().mechanisms.has("selective_attention"));
        const auto before = SafetensorsFile::open(inductionBase_ + "/model.safetensors");
        const auto after = SafetensorsFile::open(out + "/model.safetensors");
        QVERIFY(!test::bitDiff(after.readFloat("h.0.attn.c_attn.weight"), before.readFloat("h.0.attn.c_attn.weight")).isEmpty());
        QCOMPARE(Timeline::read(out + "/timeline.h5").lambdaKey, std::string("selective_epsilon"));
    }

    // Gates fitted at a small lambda on the frozen induction model keep its accuracy with heads closed; the
    // heads it keeps are those whose ablation alone costs the most.
    void gatesRecoverTheHeadsThatMatter() {
        const std::string out = tmp_.filePath("gates").toStdString();
        FitConfig f = taskFit(inductionBase_, "head_gates", kInduction, 300);
        f.lambda = 0.1;
        const FitResult r = fit(f, out, false);
        QVERIFY2(r.score.fitted.metric > r.score.original.metric - 0.03,
                 qPrintable(QString("%1 vs %2").arg(r.score.fitted.metric).arg(r.score.original.metric)));
        QVERIFY2(r.score.headsKept < 8 && r.score.headsKept >= 2, qPrintable(QString::number(r.score.headsKept)));
        const Session original(inductionBase_);
        const Ablation ab = ablateHeads(original.engine(), heldOutExamples(f, original.engine()));
        const Session fitted(out);
        const FloatArray gates = headGateValues(fitted.engine());
        for (int l = 0; l < 2; ++l)
            for (int h = 0; h < 4; ++h)
                if (ab.deltaLoss.at({l, h}) > 1.0)
                    QVERIFY2(gates.at({l, h}) > 0, qPrintable(QString("head %1.%2 costs %3 alone but was closed").arg(l).arg(h).arg(ab.deltaLoss.at({l, h}))));
    }

    // Spans fitted on the frozen mixed-range model (its own spans removed; 77% accurate without them) bring
    // back its accuracy, and find what training found: layer 0 reads a few tokens back, layer 1 far.
    void spansRecoverMixedRange() {
        const std::string out = tmp_.filePath("spans").toStdString();
        FitConfig f = taskFit(mixedBase_, "adaptive_span", R"({"name": "mixed-range", "distance": 44})", 0);
        const FitResult r = fit(f, out, false);
        QVERIFY2(r.score.original.metric < 0.85, qPrintable(QString::number(r.score.original.metric)));
        QVERIFY2(r.score.fitted.metric > 0.98, qPrintable(QString::number(r.score.fitted.metric)));
        QCOMPARE(static_cast<int>(r.score.trimWindows.size()), 2);
        QVERIFY2(r.score.trimWindows[1] >= 42, qPrintable(QString::number(r.score.trimWindows[1])));   // reads 44 back
        QVERIFY2(r.score.spans.at({0, 0}) < 4 && r.score.trimWindows[0] < r.score.trimWindows[1], qPrintable(QString::number(r.score.trimWindows[0])));
        QVERIFY(r.score.flopsSaved > 0.1);
    }

    void sweepWritesTheCurve() {
        const std::string out = tmp_.filePath("sweep").toStdString();
        FitConfig f = taskFit(inductionBase_, "head_gates", kInduction, 60);
        const FitSweep s = fitSweep(f, {0.01, 1.0}, out, false);
        QCOMPARE(s.points.size(), size_t(2));
        QVERIFY(s.points[1].score.headsKept <= s.points[0].score.headsKept);
        QCOMPARE(s.pruning.steps.size(), size_t(9));   // 0..8 heads pruned, one at a time
        const ResultFile h5 = readResultHdf5(out + "/sweep.h5");
        QCOMPARE(h5.floats.at("held_out_loss").size(), int64_t(2));
        QCOMPARE(h5.ints.at("pruning_heads_kept").data()[0], 8);
        QCOMPARE(h5.floats.at("held_out_loss").data()[1], static_cast<float>(s.points[1].score.fitted.loss));
        const QStringList csv = QString::fromStdString(fileText(out + "/sweep.csv")).split('\n', Qt::SkipEmptyParts);
        QCOMPARE(csv.size(), 1 + 2 + 9);
        QVERIFY(csv[1].startsWith("fit,0.01,"));
        QVERIFY(Engine::load(out + "/lambda-1").config().mechanisms.has("head_gates"));
    }

    // Every family Headlight opens takes gates (and the causal ones spans) from a text file, saves them in its own
    // layout and loads back. The reference checkpoints carry no tokenizer: a character vocabulary (BERT: a
    // WordPiece vocab.txt with [MASK]) stands in.
    void everyFamilyFitsAndReloads_data() {
        QTest::addColumn<QString>("family");
        for (const char* f : {"gpt2", "llama", "mistral", "qwen2", "qwen3", "gemma2", "gpt_neox", "bert"}) QTest::newRow(f) << f;
    }
    void everyFamilyFitsAndReloads() {
        QFETCH(QString, family);
        const QString model = tmp_.filePath("family-" + family);
        QDir().mkpath(model);
        const QString ref = QString::fromStdString(test::sharedPath("data/hf-reference/models/" + family.toStdString()));
        for (const QString& name : QDir(ref).entryList(QDir::Files)) QVERIFY(QFile::copy(ref + "/" + name, model + "/" + name));
        if (family == "bert") {
            QByteArray vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n";
            for (char c = 'a'; c <= 'z'; ++c) vocab += QByteArray(1, c) + "\n";
            test::writeFile(model + "/vocab.txt", vocab);
        } else {
            // A character vocabulary as large as the embedding (1000): the text's characters first, then CJK.
            nlohmann::json vocab = {{"^", 0}, {" ", 1}, {"a", 2}, {"b", 3}, {"c", 4}, {"d", 5}, {"e", 6}, {"t", 7}, {"h", 8}};
            for (int id = 9; id < 1000; ++id) vocab[QString(QChar(0x4E00 + id)).toStdString()] = id;
            test::writeFile(model + "/vocab.json", QByteArray::fromStdString(vocab.dump()));
        }
        const QString text = tmp_.filePath("text-" + family + ".txt");
        test::writeFile(text, QByteArray("the cat bed had a bad bee the ").repeated(20));
        for (const std::string mechanism : {"head_gates", "adaptive_span"}) {
            FitConfig f;
            f.modelDir = model.toStdString();
            f.mechanism = mechanism;
            f.textFile = text.toStdString();
            f.context = 16;
            f.steps = 3;
            f.batchSize = 2;
            const std::string out = model.toStdString() + "-" + mechanism;
            const FitResult r = fit(f, out, false);
            QVERIFY(std::isfinite(r.score.fitted.loss));
            const Engine e = Engine::load(out);
            QVERIFY(e.config().mechanisms.has(mechanism));
            RunRequest run;
            run.tokenIds = {2, 3, 4, 5, 6};
            const Trace t = e.run(run);
            QCOMPARE(static_cast<int>(t.layers.size()), e.config().nLayer);
        }
    }

    // BERT's masking during fitting: about 15% of the text tokens chosen, of those 80% [MASK], 10% another
    // token, 10% unchanged; the marks around the window never.
    void bertWindowsMaskAsBertDid() {
        const QString model = tmp_.filePath("family-bert");   // written by everyFamilyFitsAndReloads
        const ModelConfig c = ModelConfig::fromFile(model.toStdString() + "/config.json");
        const QString text = tmp_.filePath("bert-text.txt");
        test::writeFile(text, QByteArray("the cat bed had a bad bee the ").repeated(200));
        const TokenWindows windows(model.toStdString(), text.toStdString(), 64, c);
        std::mt19937_64 rng(7);
        int64_t chosen = 0, masked = 0, kept = 0, tokens = 0;
        for (int i = 0; i < 400; ++i) {
            const ScoredExample ex = windows.sample(rng);
            QCOMPARE(ex.ids.front(), int64_t(2));   // [CLS]
            QCOMPARE(ex.ids.back(), int64_t(3));    // [SEP]
            QCOMPARE(ex.targets.front(), int64_t(-1));
            tokens += static_cast<int64_t>(ex.ids.size()) - 2;
            for (size_t t = 0; t < ex.ids.size(); ++t) {
                if (ex.targets[t] < 0) continue;
                ++chosen;
                masked += ex.ids[t] == 4;
                kept += ex.ids[t] == ex.targets[t];
            }
        }
        QVERIFY2(std::fabs(double(chosen) / tokens - 0.15) < 0.01, qPrintable(QString::number(double(chosen) / tokens)));
        QVERIFY2(std::fabs(double(masked) / chosen - 0.8) < 0.02, qPrintable(QString::number(double(masked) / chosen)));
        QVERIFY2(std::fabs(double(kept) / chosen - 0.1) < 0.02, qPrintable(QString::number(double(kept) / chosen)));
    }

    // A fit stopped at a checkpoint and resumed ends bit for bit where an uninterrupted one does, its timeline
    // too.
    void resumeEqualsUninterrupted() {
        FitConfig f = taskFit(inductionBase_, "head_gates", kInduction, 20);
        f.checkpointEvery = 5;
        const std::string whole = tmp_.filePath("whole").toStdString(), parts = tmp_.filePath("parts").toStdString();
        fit(f, whole, false);
        std::atomic<bool> stop{false};
        const FitResult first = fit(f, parts, false, [&](const TrainProgress& p) { if (p.step == 10) stop = true; }, &stop);
        QVERIFY(first.training.interrupted);
        fit(f, parts, true);
        const auto a = SafetensorsFile::open(whole + "/model.safetensors"), b = SafetensorsFile::open(parts + "/model.safetensors");
        for (const auto& e : a.entries()) QCOMPARE(test::bitDiff(a.readFloat(e.name), b.readFloat(e.name)), QString());
        const Timeline ta = Timeline::read(whole + "/timeline.h5"), tb = Timeline::read(parts + "/timeline.h5");
        QCOMPARE(ta.steps.size(), tb.steps.size());
        for (size_t i = 0; i < ta.steps.size(); ++i) {
            QCOMPARE(ta.steps[i].step, tb.steps[i].step);
            QCOMPARE(test::bitDiff(ta.steps[i].heads.at("gate"), tb.steps[i].heads.at("gate")), QString());
        }
    }

    // Bad input through the CLI: one line naming the problem, a non-zero exit, no folder left behind.
    void badInput_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("message");
        const QString base = tmp_.filePath("induction-base"), gates = QString::fromStdString(test::sourcePath("sample_models/induction-gates"));
        const QString empty = tmp_.filePath("empty.txt"), shortText = tmp_.filePath("short.txt");
        test::writeFile(empty, "");
        test::writeFile(shortText, "^abc");
        QTest::newRow("unknown mechanism") << QStringList{base, "--mechanism", "memory", "--task", "induction"} << 1 << "--mechanism: \"memory\" cannot be fitted";
        QTest::newRow("already has it") << QStringList{gates, "--mechanism", "head_gates", "--task", "induction"} << 1 << "already has head_gates";
        QTest::newRow("negative lambda") << QStringList{base, "--mechanism", "head_gates", "--task", "induction", "--lambda", "-1"} << 1 << "--lambda: must be >= 0";
        QTest::newRow("lambda nan") << QStringList{base, "--mechanism", "head_gates", "--task", "induction", "--lambda", "nan"} << 1 << "--lambda: \"nan\" is not a finite number";
        QTest::newRow("sweep inf") << QStringList{base, "--mechanism", "head_gates", "--task", "induction", "--lambda-sweep", "0.1,inf"} << 1 << "--lambda-sweep: \"inf\" is not a finite number";
        QTest::newRow("empty text") << QStringList{base, "--mechanism", "head_gates", "--text-file", empty, "--context", "16"} << 1 << "is empty";
        QTest::newRow("text shorter than a window") << QStringList{base, "--mechanism", "head_gates", "--text-file", shortText, "--context", "16"} << 1 << "fewer than two windows";
        QTest::newRow("task the vocabulary lacks") << QStringList{base, "--mechanism", "head_gates", "--task", R"({"name": "induction", "alphabet": "ab9"})"} << 1 << "'9', which the model's vocabulary lacks";
        QTest::newRow("selective without train-all") << QStringList{base, "--mechanism", "selective_attention", "--task", "induction"} << 1 << "--train-all";
        QTest::newRow("no device") << QStringList{base, "--mechanism", "head_gates", "--task", "induction", "--device", "cuda:7"} << 1 << "cuda";
        QTest::newRow("no task, none trained") << QStringList{base, "--mechanism", "head_gates"} << 1 << "has no training.json";
        QTest::newRow("task and text") << QStringList{base, "--mechanism", "head_gates", "--task", "induction", "--text-file", empty} << 2 << "not both";
    }
    void badInput() {
        QFETCH(QStringList, args);
        QFETCH(int, code);
        QFETCH(QString, message);
        const QString out = tmp_.filePath("refused");
        const CliResult r = cli(QStringList{"fit"} + args + QStringList{"--out", out, "--steps", "2"});
        QCOMPARE(r.code, code);
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
        QCOMPARE(r.err.trimmed().count('\n'), 0);
        QVERIFY(!QFileInfo::exists(out));
    }

    // The output folder may be neither the model nor inside it, however spelt; the model stays as it was.
    void outputInsideTheModelIsRefused() {
        const QString base = tmp_.filePath("induction-base");
        for (const QString& out : {base, base + "/", base + "/fitted"}) {
            const CliResult r = cli({"fit", base, "--mechanism", "head_gates", "--task", "induction", "--steps", "2", "--out", out});
            QCOMPARE(r.code, 1);
            QVERIFY2(r.err.contains("init_from"), qPrintable(r.err));
        }
        QVERIFY(!QFileInfo::exists(base + "/fitted") && !QFileInfo::exists(base + "/timeline.h5"));
    }
};

QTEST_GUILESS_MAIN(TestFitting)
#include "test_fitting.moc"
