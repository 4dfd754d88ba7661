// The engine against an independent implementation (tests/fixtures, made by make_reference.py) and against
// invariants that must hold for any weights.
#include "headlight/engine.h"
#include "headlight/error.h"
#include "test_support.h"

#include <QTemporaryDir>
#include <QtTest>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

using namespace headlight;

namespace {

std::vector<int64_t> someIds(const ModelConfig& c, int T) {
    std::vector<int64_t> ids;
    for (int t = 0; t < T; ++t) ids.push_back((t * 7 + 3) % c.vocabSize);
    return ids;
}

Trace runModel(const std::string& dir, const std::vector<int64_t>& ids, std::vector<float> mask = {}) {
    const Engine e = Engine::load(dir);
    RunRequest r;
    r.tokenIds = ids;
    r.headMask = std::move(mask);
    return e.run(r);
}

// A temporary model folder with `mechanisms` and seeded random weights, edited by `edit` before writing.
struct TempModel {
    QTemporaryDir dir;
    ModelConfig config;
    std::map<std::string, FloatArray> weights;
    TempModel(const std::vector<std::string>& mechanisms, uint64_t seed = 1, int layers = 2, int heads = 3) {
        config = test::tinyConfig(mechanisms, layers, heads, 12, 13, 32);
        weights = test::randomWeights(config, seed);
    }
    std::string write() {
        test::writeModel(path(), config, weights);
        return path();
    }
    std::string path() const { return dir.path().toStdString(); }
};

} // namespace

class TestEngine : public QObject {
    Q_OBJECT
private slots:
    void matchesReferenceImplementation_data() {
        QTest::addColumn<QString>("fixture");
        for (const char* name : {"gpt2-plain", "all-mechanisms", "all-mechanisms-pruned", "all-attention-f16", "selective-bf16"})
            QTest::newRow(name) << QString(name);
    }
    // Every tensor of the trace equals the reference computed in float64 by an independent Python
    // implementation of docs/model-format.md, to float32 accuracy.
    void matchesReferenceImplementation() {
        QFETCH(QString, fixture);
        const std::string dir = test::fixturePath(fixture.toStdString());
        std::ifstream in(dir + "/reference.json");
        QVERIFY2(in.good(), "fixture missing; run tests/fixtures/make_reference.py");
        const auto ref = nlohmann::json::parse(in);
        const auto expected = SafetensorsFile::open(dir + "/reference.safetensors");

        const Engine engine = Engine::load(dir + "/model");
        RunRequest req;
        req.tokenIds = ref.at("token_ids").get<std::vector<int64_t>>();
        for (const auto& row : ref.at("head_mask"))
            for (float m : row.get<std::vector<float>>()) req.headMask.push_back(m);
        const Trace trace = engine.run(req);

        HL_COMPARE_ARRAYS(trace.logits, expected.readFloat("logits"), 2e-4);
        HL_COMPARE_ARRAYS(trace.loss, expected.readFloat("loss"), 2e-4);
        QCOMPARE(static_cast<int>(trace.layers.size()), engine.config().nLayer);
        int compared = 0;
        for (const LayerTrace& lt : trace.layers) {
            const std::string p = "layers." + std::to_string(lt.layer) + ".";
            for (const auto& [name, actual] : lt.named()) {
                const bool inReference = expected.find(p + name) != nullptr;
                QVERIFY2(inReference == !actual->empty(), qPrintable(QString::fromStdString(p + name) + ": present in one only"));
                if (!inReference) continue;
                // float32 accuracy relative to the tensor's scale (F is a running sum and grows large).
                const FloatArray want = expected.readFloat(p + name);
                double scale = 1.0;
                for (float x : want) scale = std::max(scale, static_cast<double>(std::fabs(x)));
                const double diff = test::maxAbsDiff(*actual, want);
                QVERIFY2(diff >= 0 && diff <= 2e-5 * scale,
                         qPrintable(QString::fromStdString(p + name) + QString(": max |diff| %1 at scale %2").arg(diff).arg(scale)));
                ++compared;
            }
        }
        QVERIFY(compared >= engine.config().nLayer);
    }

    void invariantsHold_data() {
        QTest::addColumn<QStringList>("mechanisms");
        QTest::newRow("gpt2") << QStringList{};
        QTest::newRow("gates") << QStringList{"gates"};
        QTest::newRow("span") << QStringList{"span"};
        QTest::newRow("selective") << QStringList{"selective"};
        QTest::newRow("memory") << QStringList{"memory"};
        QTest::newRow("all-attention") << QStringList{"all-attention", "gates"};
        QTest::newRow("all") << QStringList{"gates", "span", "selective", "memory"};
    }
    // Rows of context (+ memory) probabilities sum to 1; the future is exactly 0; F never decreases down the
    // query axis and S is non-negative; the loss is the next-token NLL of the returned logits.
    void invariantsHold() {
        QFETCH(QStringList, mechanisms);
        std::vector<std::string> m;
        for (const auto& s : mechanisms) m.push_back(s.toStdString());
        TempModel model(m, 3);
        const auto ids = someIds(model.config, 20);
        const Trace t = runModel(model.write(), ids);
        const int64_t T = static_cast<int64_t>(ids.size());
        for (const LayerTrace& lt : t.layers) {
            for (int64_t h = 0; h < lt.attention.dim(0); ++h)
                for (int64_t i = 0; i < T; ++i) {
                    double sum = 0;
                    for (int64_t j = 0; j < T; ++j) {
                        const float p = lt.attention.at({h, i, j});
                        QVERIFY(p >= 0);
                        if (j > i) QCOMPARE(p, 0.0f);
                        sum += p;
                    }
                    for (int64_t n = 0; !lt["memory_attention"].empty() && n < lt["memory_attention"].dim(2); ++n)
                        sum += lt["memory_attention"].at({h, i, n});
                    QVERIFY2(std::fabs(sum - 1.0) < 1e-5, qPrintable(QString("row sum %1").arg(sum)));
                }
            if (!lt["selection"].empty())
                for (int64_t i = 0; i < T; ++i)
                    for (int64_t j = 0; j < T; ++j) {
                        QVERIFY(lt["selection"].at({i, j}) >= 0);
                        if (i > 0) QVERIFY(lt["selection_cumulative"].at({i, j}) >= lt["selection_cumulative"].at({i - 1, j}));
                    }
        }
        const int64_t V = t.logits.dim(1);
        for (int64_t i = 0; i + 1 < T; ++i) {
            double mx = -INFINITY, z = 0;
            for (int64_t v = 0; v < V; ++v) mx = std::max(mx, static_cast<double>(t.logits.at({i, v})));
            for (int64_t v = 0; v < V; ++v) z += std::exp(t.logits.at({i, v}) - mx);
            const double nll = -(t.logits.at({i, ids[static_cast<size_t>(i + 1)]}) - mx - std::log(z));
            QVERIFY(std::fabs(nll - t.loss.at({i})) < 1e-4);
        }
    }

    // A selector that fires somewhere makes F non-zero (so the invariant above is not vacuous).
    void selectiveMaskIsNotVacuous() {
        TempModel model({"selective"}, 5);
        const Trace t = runModel(model.write(), someIds(model.config, 20));
        double total = 0;
        for (float f : t.layers[0]["selection_cumulative"]) total += f;
        QVERIFY(total > 0);
    }

    // A closed gate (g = 0) gives exactly what pruning that head with the head mask gives.
    void closedGateEqualsPruning() {
        TempModel model({"gates"}, 2);
        auto open = test::values({3}, {6, 6, 6});   // sigmoid(6) * 1.2 - 0.1 > 1: gate 1
        model.weights["h.0.attn.gate_log_alpha"] = test::withValue(open, 1, -20);   // gate 0
        model.weights["h.1.attn.gate_log_alpha"] = open;
        const auto ids = someIds(model.config, 16);
        const Trace closed = runModel(model.write(), ids);
        QCOMPARE(closed.layers[0]["gate"].at({1}), 0.0f);

        model.weights["h.0.attn.gate_log_alpha"] = open;
        std::vector<float> mask(6, 1.0f);
        mask[1] = 0.0f;
        const Trace pruned = runModel(model.write(), ids, mask);
        HL_COMPARE_ARRAYS(closed.logits, pruned.logits, 1e-6);
        const Trace unpruned = runModel(model.path(), ids);
        QVERIFY(test::maxAbsDiff(unpruned.logits, pruned.logits) > 1e-3);   // the head mattered
    }

    // With span z and ramp R, keys at distance x >= z + R get exactly zero weight.
    void spanLeavesNothingBeyondReach() {
        TempModel model({"span"}, 4);
        model.weights["h.0.attn.span_fraction"] = test::values({3}, {0.0f, 0.5f, 1.0f});   // z = 0, 3, 6 (max_span 6)
        const Trace t = runModel(model.write(), someIds(model.config, 20));
        const double R = model.config.mechanism<AdaptiveSpanConfig>()->ramp;
        const LayerTrace& lt = t.layers[0];
        for (int64_t h = 0; h < 3; ++h) {
            const double z = lt["span"].at({h});
            QVERIFY(std::fabs(z - 3.0 * static_cast<double>(h)) < 1e-6);
            bool sawInside = false;
            for (int64_t i = 0; i < 20; ++i)
                for (int64_t j = 0; j <= i; ++j) {
                    if (static_cast<double>(i - j) >= z + R) QCOMPARE(lt.attention.at({h, i, j}), 0.0f);
                    else sawInside |= lt.attention.at({h, i, j}) > 0;
                }
            QVERIFY(sawInside);
        }
    }

    // Pruning every head of a layer leaves only the residual path: the same as zeroing that layer's c_proj
    // weight, whatever its q/k/v weights are.
    void pruningWholeLayerLeavesResidual() {
        TempModel model({"memory"}, 6);
        const auto ids = someIds(model.config, 12);
        std::vector<float> mask(6, 1.0f);
        mask[3] = mask[4] = mask[5] = 0.0f;   // all of layer 1
        const Trace pruned = runModel(model.write(), ids, mask);

        model.weights["h.1.attn.c_proj.weight"] = test::constant({12, 12}, 0.0f);
        model.weights["h.1.attn.c_attn.weight"] = test::randomWeights(model.config, 99)["h.1.attn.c_attn.weight"];
        const Trace zeroed = runModel(model.write(), ids);
        HL_COMPARE_ARRAYS(pruned.logits, zeroed.logits, 1e-5);
    }

    // Capturing a subset returns exactly the matching slices of a full capture; no capture keeps the loss.
    void captureFilterSelectsSlices() {
        TempModel model({"gates", "memory", "selective"}, 7);
        const Engine e = Engine::load(model.write());
        RunRequest full;
        full.tokenIds = someIds(model.config, 10);
        const Trace all = e.run(full);
        RunRequest some = full;
        some.capture.layers = {1};
        some.capture.heads = {0, 2};
        some.capture.logits = false;
        const Trace part = e.run(some);
        QCOMPARE(part.layers.size(), size_t(1));
        QCOMPARE(part.layers[0].layer, 1);
        QCOMPARE(part.layers[0].heads, (std::vector<int>{0, 2}));
        QVERIFY(part.logits.empty());
        const LayerTrace& a = all.layers[1];
        const LayerTrace& p = part.layers[0];
        QCOMPARE(p.attention.shape(), (std::vector<int64_t>{2, 10, 10}));
        QCOMPARE(p["memory_attention"].shape(), (std::vector<int64_t>{2, 10, 3}));
        for (int64_t i = 0; i < 10; ++i)
            for (int64_t j = 0; j < 10; ++j) {
                QCOMPARE(p.attention.at({0, i, j}), a.attention.at({0, i, j}));
                QCOMPARE(p.attention.at({1, i, j}), a.attention.at({2, i, j}));
            }
        HL_COMPARE_ARRAYS(p["selection_cumulative"], a["selection_cumulative"], 0);
        HL_COMPARE_ARRAYS(p["gate"], a["gate"], 0);

        RunRequest none = full;
        none.capture = CaptureSpec::none();
        const Trace bare = e.run(none);
        QVERIFY(bare.layers.empty() && bare.logits.empty());
        HL_COMPARE_ARRAYS(bare.loss, all.loss, 0);
    }

    // Context pruning: a budget that never binds changes nothing; a binding one removes exactly the evicted
    // tokens from every later query's attention, and only there.
    void contextBudgetEvictsTokens() {
        TempModel model({"selective"}, 5);
        const Engine e = Engine::load(model.write());
        RunRequest r;
        r.tokenIds = someIds(model.config, 20);
        const Trace full = e.run(r);
        r.contextBudget = {20, 20};
        const Trace loose = e.run(r);
        HL_COMPARE_ARRAYS(loose.logits, full.logits, 0);
        for (float step : loose.layers[0]["evicted_at"]) QCOMPARE(step, -1.0f);

        r.contextBudget = {6, 0};   // layer 0 keeps 6 tokens, layer 1 is unlimited
        const Trace tight = e.run(r);
        const LayerTrace& l0 = tight.layers[0];
        QVERIFY(tight.layers[1]["evicted_at"].empty());
        int evicted = 0;
        for (int64_t j = 0; j < 20; ++j) {
            const auto step = static_cast<int64_t>(l0["evicted_at"].at({j}));
            if (step < 0) continue;
            ++evicted;
            QVERIFY(step > j || step == j);
            for (int64_t i = 0; i < 20; ++i)
                for (int64_t h = 0; h < 3; ++h)
                    if (i >= step) QCOMPARE(l0.attention.at({h, i, j}), 0.0f);
        }
        QCOMPARE(evicted, 20 - 6);
        for (int64_t i = 0; i < 20; ++i) {   // each query row sees at most 6 keys
            int seen = 0;
            for (int64_t j = 0; j <= i; ++j) seen += l0.attention.at({0, i, j}) > 0;
            QVERIFY(seen <= 6);
        }
        QVERIFY(test::maxAbsDiff(tight.logits, full.logits) > 1e-4);
        r.contextBudget = {6};
        QVERIFY_THROWS_EXCEPTION(Error, e.run(r));
    }

    void runsAreDeterministic() {
        TempModel model({"gates", "span", "selective", "memory"}, 8);
        const Engine e = Engine::load(model.write());
        RunRequest r;
        r.tokenIds = someIds(model.config, 25);
        const Trace first = e.run(r), again = e.run(r);
        HL_COMPARE_ARRAYS(again.logits, first.logits, 0);
        QCOMPARE(first.timings.firstLayerRun, 0);
        QCOMPARE(again.timings.firstLayerRun, model.config.nLayer);   // the repeat reused every layer
        Engine full = Engine::load(model.path());
        full.setReuseActivations(false);
        full.run(r);
        const Trace fullAgain = full.run(r);
        QCOMPARE(fullAgain.timings.firstLayerRun, 0);
        QVERIFY(test::bitDiff(fullAgain.logits, again.logits).isEmpty());
        QVERIFY(test::bitDiff(fullAgain.layers[1].attention, again.layers[1].attention).isEmpty());
    }

    void badRequestsAreRejected_data() {
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("message");
        QTest::newRow("no tokens") << 0 << "no tokens";
        QTest::newRow("id out of range") << 1 << "out of range";
        QTest::newRow("too many tokens") << 2 << "n_positions";
        QTest::newRow("mask size") << 3 << "n_layer * n_head";
        QTest::newRow("capture layer") << 4 << "layer 9 does not exist";
        QTest::newRow("capture head") << 5 << "head 3 does not exist";
    }
    void badRequestsAreRejected() {
        QFETCH(int, kind);
        QFETCH(QString, message);
        TempModel model({}, 9);
        const Engine e = Engine::load(model.write());
        RunRequest r;
        r.tokenIds = someIds(model.config, 4);
        switch (kind) {
        case 0: r.tokenIds.clear(); break;
        case 1: r.tokenIds[2] = 13; break;
        case 2: r.tokenIds = someIds(model.config, 33); break;
        case 3: r.headMask = {1, 1}; break;
        case 4: r.capture.layers = {9}; break;
        case 5: r.capture.heads = {3}; break;
        }
        try {
            e.run(r);
            QFAIL("expected headlight::Error");
        } catch (const Error& err) {
            QVERIFY2(QString(err.what()).contains(message), err.what());
        }
    }

    void cudaIsReportedWhenUnavailable() {
        if (Engine::cudaAvailable()) QSKIP("this LibTorch has a CUDA device");
        TempModel model({}, 10);
        try {
            Engine::load(model.write(), "cuda");
            QFAIL("expected headlight::Error");
        } catch (const Error& err) {
            QVERIFY2(QString(err.what()).contains("cuda"), err.what());
            QCOMPARE(err.where(), std::string("--device"));
        }
    }
};

QTEST_MAIN(TestEngine)
#include "test_engine.moc"
