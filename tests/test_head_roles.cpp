// What each head does: role scores on hand-made attention and on every reference checkpoint (against NumPy on
// transformers' own attention, tests/fixtures/make_roles_reference.py), the logit lens against NumPy on
// transformers' hidden states and its last row against transformers' logits, attention rollout against NumPy,
// direct logit attribution adding up to the logit on every family, the trace file, and the CLI's bad inputs.
// Before Qt: LibTorch's script headers name a method `slots`, which Qt defines as a macro.
#include "attention/role_digest.h"
#include "mechanisms/mechanism.h"

#include "cli_test_support.h"
#include "test_support.h"

#include "headlight/attribution.h"
#include "headlight/engine.h"
#include "headlight/head_roles.h"
#include "headlight/logit_lens.h"
#include "headlight/safetensors.h"
#include "headlight/tokenizer.h"
#include "headlight/trace_hdf5.h"

#include <QTemporaryDir>
#include <QtTest>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

using namespace headlight;
using headlight::cli_test::cli;
using headlight::cli_test::runOk;

namespace {

const char* const kModels[] = {"gpt2", "gpt2-f16", "bert", "llama", "llama-bf16", "llama-sharded",
                               "qwen2", "qwen3", "mistral", "gpt_neox", "gemma2"};

std::string modelDir(const std::string& name) { return test::sharedPath("data/hf-reference/models/" + name); }

const nlohmann::json& fixture() {
    static const nlohmann::json j = [] {
        std::ifstream in(test::fixturePath("roles-reference.json"));
        return nlohmann::json::parse(in);
    }();
    return j;
}

std::vector<double> fixtureCounts(int64_t vocab) {
    std::vector<double> counts(static_cast<size_t>(vocab));
    for (int64_t id = 0; id < vocab; ++id) counts[static_cast<size_t>(id)] = static_cast<double>((id * 7919) % 13);
    return counts;
}

HeadRoles measure(const Engine& engine, const std::vector<int64_t>& ids, const std::vector<double>& counts) {
    RunRequest run;
    run.tokenIds = ids;
    run.capture = CaptureSpec::none();
    run.capture.roles = true;
    if (!counts.empty()) run.capture.rareKeys = rareTokenKeys(ids, counts, engine.config().causal);
    run.reuseActivations = false;
    return headRoles(engine.run(run), engine.config());
}

// [H,T,T] probabilities from a function of (head, query, key).
torch::Tensor pattern(int64_t H, int64_t T, const std::function<double(int64_t, int64_t, int64_t)>& a) {
    auto t = torch::zeros({H, T, T}, torch::kFloat);
    for (int64_t h = 0; h < H; ++h)
        for (int64_t i = 0; i < T; ++i)
            for (int64_t j = 0; j < T; ++j) t[h][i][j] = a(h, i, j);
    return t;
}

} // namespace

class TestHeadRoles : public QObject {
    Q_OBJECT

private slots:
    // Two heads on x = 5 7 5 7 9 (causal), derived by hand: head 0 attends to the previous token (the first to
    // itself), head 1 uniformly over what it sees.
    void scoresOfHandMadePatterns() {
        const std::vector<int64_t> ids = {5, 7, 5, 7, 9};
        std::vector<double> counts(10, 5.0);
        counts[5] = 3;
        counts[7] = 1;
        counts[9] = 0;   // r(i): the earliest of the rarest key before i
        const std::vector<int64_t> rare = rareTokenKeys(ids, counts, true);
        QCOMPARE(rare, (std::vector<int64_t>{-1, 0, 1, 1, 1}));
        const RoleProbe probe = RoleProbe::make(ids, rare, torch::kCPU);
        const auto probs = pattern(2, 5, [](int64_t h, int64_t i, int64_t j) {
            if (j > i) return 0.0;
            if (h == 0) return (i == 0 ? j == 0 : j == i - 1) ? 1.0 : 0.0;
            return 1.0 / static_cast<double>(i + 1);
        });
        for (int split : {0, 2, 3}) {   // whole, and in blocks of rows over part of the keys
            RoleDigest digest(probe, 2);
            if (split == 0) {
                digest.add(probs, 0, 0);
            } else {
                digest.add(probs.narrow(1, 0, split).narrow(2, 0, split), 0, 0);
                digest.add(probs.narrow(1, split, 5 - split), split, 0);
            }
            LayerCapture out;
            digest.finish(out);
            const auto s = out.roleScores;   // [H,R]
            auto at = [&](int h, MeasuredRole r) { return s[h][static_cast<int>(r)].item<double>(); };
            const double uniformPrev = (1.0 / 2 + 1.0 / 3 + 1.0 / 4 + 1.0 / 5) / 4;
            QVERIFY(std::abs(at(0, MeasuredRole::PreviousToken) - 1.0) < 1e-6);
            QVERIFY(std::abs(at(0, MeasuredRole::NextToken)) < 1e-6);
            QVERIFY(std::abs(at(0, MeasuredRole::FirstToken) - 0.25) < 1e-6);      // only i = 1 reads key 0
            QVERIFY(std::abs(at(0, MeasuredRole::DuplicateToken)) < 1e-6);         // i = 2, 3 read i - 1, not i - 2
            QVERIFY(std::abs(at(0, MeasuredRole::Induction) - 1.0) < 1e-6);        // x_{j-1} = x_i at j = i - 1 here
            QVERIFY(std::abs(at(0, MeasuredRole::RareToken) - 0.5) < 1e-6);        // keys 0, 1, 1, 1 for i = 1..4
            QVERIFY(std::abs(at(1, MeasuredRole::PreviousToken) - uniformPrev) < 1e-6);
            QVERIFY(std::abs(at(1, MeasuredRole::FirstToken) - uniformPrev) < 1e-6);
            QVERIFY(std::abs(at(1, MeasuredRole::DuplicateToken) - 7.0 / 24) < 1e-6);
            QVERIFY(std::abs(at(1, MeasuredRole::Induction) - 7.0 / 24) < 1e-6);
            QVERIFY(std::abs(at(1, MeasuredRole::RareToken) - uniformPrev) < 1e-6);
        }
        // No repeated token: duplicate and induction have no query, and are NaN (null), not 0.
        const RoleProbe distinct = RoleProbe::make({1, 2, 3}, {}, torch::kCPU);
        RoleDigest digest(distinct, 1);
        digest.add(pattern(1, 3, [](int64_t, int64_t i, int64_t j) { return j <= i ? 1.0 / static_cast<double>(i + 1) : 0.0; }), 0, 0);
        LayerCapture out;
        digest.finish(out);
        QVERIFY(std::isnan(out.roleScores[0][static_cast<int>(MeasuredRole::DuplicateToken)].item<float>()));
        QVERIFY(std::isnan(out.roleScores[0][static_cast<int>(MeasuredRole::Induction)].item<float>()));
        QVERIFY(std::isnan(out.roleScores[0][static_cast<int>(MeasuredRole::RareToken)].item<float>()));   // no counts
    }

    void rareKeysOfBidirectionalModels() {
        // Every key but the query: the earliest of the rarest, and for that key itself the next rarest.
        const std::vector<double> counts = {9, 1, 4, 1};
        QCOMPARE(rareTokenKeys({0, 1, 2, 3}, counts, false), (std::vector<int64_t>{1, 3, 1, 1}));
        QCOMPARE(rareTokenKeys({0}, counts, false), (std::vector<int64_t>{-1}));
        QCOMPARE(rareTokenKeys({7, 0}, counts, true), (std::vector<int64_t>{-1, 0}));   // ids beyond the counts count 0
    }

    // The induction probe: the tokenizer's start token (here our character model's '^'), then n ordinary ids,
    // then the same n again; seeded.
    void repeatedRandomTokensAreTheInductionProbe() {
        const Engine engine = Engine::load(test::sourcePath("sample_models/induction-gates"));
        const Tokenizer* tok = engine.tokenizer();
        const std::vector<int64_t> ids = repeatedRandomTokens(tok, engine.config().vocabSize, 12, 5);
        QCOMPARE(ids.size(), size_t(25));
        QCOMPARE(tok->tokenPiece(ids.front()), std::string("^"));
        for (size_t i = 1; i <= 12; ++i) {
            QCOMPARE(ids[i], ids[i + 12]);
            QVERIFY(ids[i] != ids.front());
        }
        QCOMPARE(repeatedRandomTokens(tok, engine.config().vocabSize, 12, 5), ids);
        QVERIFY(repeatedRandomTokens(tok, engine.config().vocabSize, 12, 6) != ids);
        const std::vector<int64_t> plain = repeatedRandomTokens(nullptr, 1000, 4, 1);   // no tokenizer: no start token
        QCOMPARE(plain.size(), size_t(8));
    }

    void labelsTakeTheHighestScoreAtTheThreshold() {
        HeadRoles r;
        r.layers = 1;
        r.heads = 3;
        const float nan = std::numeric_limits<float>::quiet_NaN();
        for (const std::string& id : roleIds()) {
            std::vector<float> v = {0.1f, 0.1f, 0.1f};
            if (id == "previous_token") v = {0.4f, 0.39f, 0.7f};
            if (id == "positional") v = {0.4f, 0.39f, 0.9f};   // a summary: never a label
            if (id == "induction") v = {0.4f, nan, 0.8f};
            r.scores.emplace_back(id, FloatArray({1, 3}, v));
        }
        labelRoles(r);
        QCOMPARE(r.label(0, 0), std::string("previous_token"));   // a tie goes to the role listed first
        QCOMPARE(r.label(0, 1), std::string(""));                 // 0.39 < 0.4
        QCOMPARE(r.label(0, 2), std::string("induction"));
        QCOMPARE(headsWithRole(r, "induction", 0.5).size(), size_t(1));
    }

    // Every role of every head on both sequences of every reference checkpoint, against NumPy on
    // transformers' own attention probabilities.
    void scoresMatchNumpyOnEveryCheckpoint_data() {
        QTest::addColumn<QString>("model");
        for (const char* m : kModels) QTest::newRow(m) << QString(m);
    }
    void scoresMatchNumpyOnEveryCheckpoint() {
        QFETCH(QString, model);
        const auto& ref = fixture()["models"][model.toStdString()];
        const Engine engine = Engine::load(modelDir(model.toStdString()));
        const ModelConfig& c = engine.config();
        const auto counts = fixtureCounts(c.vocabSize);
        for (const auto& seq : ref["sequences"]) {
            const std::vector<int64_t> ids = seq["ids"].get<std::vector<int64_t>>();
            const HeadRoles roles = measure(engine, ids, counts);
            QCOMPARE(roles.layers, c.nLayer);
            for (const auto& [id, values] : seq["roles"].items()) {
                for (int l = 0; l < c.nLayer; ++l) {
                    const auto& row = values[static_cast<size_t>(l)];
                    for (int h = 0; h < c.nHead; ++h) {
                        const float got = roles.score(id, l, h);
                        if (row.is_null()) {
                            QVERIFY2(std::isnan(got), qPrintable(QString::fromStdString(id) + " should be null"));
                            continue;
                        }
                        const double want = row[static_cast<size_t>(h)].get<double>();
                        QVERIFY2(std::abs(got - want) < 5e-5,
                                 qPrintable(QString("%1 L%2.H%3: %4 vs NumPy %5").arg(QString::fromStdString(id)).arg(l).arg(h).arg(got).arg(want)));
                    }
                }
            }
        }
    }

    // Rollout against NumPy; the lens against NumPy on transformers' hidden states (four families) and its last
    // row against transformers' logits (every checkpoint).
    void lensAndRolloutMatchReferences_data() { scoresMatchNumpyOnEveryCheckpoint_data(); }
    void lensAndRolloutMatchReferences() {
        QFETCH(QString, model);
        const std::string name = model.toStdString();
        const auto& seq = fixture()["models"][name]["sequences"][0];
        const Engine engine = Engine::load(modelDir(name));
        const ModelConfig& c = engine.config();
        LensRequest request;
        request.tokenIds = seq["ids"].get<std::vector<int64_t>>();
        request.topK = 3;
        const LogitLens lens = logitLens(engine, request);
        const auto T = static_cast<int64_t>(request.tokenIds.size());
        QCOMPARE(lens.rows, c.nLayer + 1);
        QCOMPARE(lens.topIds.shape(), (std::vector<int64_t>{c.nLayer + 1, T, 3}));

        const auto& rollout = seq["rollout"];
        double worst = 0;
        for (int64_t i = 0; i < T; ++i)
            for (int64_t j = 0; j < T; ++j) worst = std::max(worst, std::abs(lens.rollout.at({i, j}) - rollout[i][j].get<double>()));
        QVERIFY2(worst < 2e-5, qPrintable(QString("rollout differs from NumPy by %1").arg(worst)));

        // The last row is the model's output: transformers' logits (float64), softmaxed here.
        const SafetensorsFile ref = SafetensorsFile::open(modelDir(name) + "/reference/reference.safetensors");
        const FloatArray logits = ref.readFloat("logits.0");
        for (int64_t i = 0; i < T; ++i) {
            double m = -1e300, z = 0;
            for (int64_t v = 0; v < c.vocabSize; ++v) m = std::max(m, static_cast<double>(logits.at({i, v})));
            for (int64_t v = 0; v < c.vocabSize; ++v) z += std::exp(logits.at({i, v}) - m);
            for (int k = 0; k < 3; ++k) {
                const int64_t id = lens.topIds.at({c.nLayer, i, k});
                const double want = std::exp(logits.at({i, id}) - m) / z;
                QVERIFY2(std::abs(lens.topProbs.at({c.nLayer, i, k}) - want) < 1e-4 * std::max(1.0, want * 10),
                         qPrintable(QString("last row, position %1, top %2").arg(i).arg(k)));
            }
        }
        if (!seq.contains("lens")) return;   // BERT's head is more than a norm and a matrix: last row only
        const auto& rows = seq["lens"];
        for (int l = 0; l < c.nLayer; ++l)
            for (int64_t i = 0; i + 1 < T; ++i) {
                const auto& r = rows[static_cast<size_t>(l)];
                const double p = r["target_prob"][static_cast<size_t>(i)].get<double>();
                QVERIFY2(std::abs(lens.targetProb.at({l, i}) - p) < 1e-5 + 1e-4 * p,
                         qPrintable(QString("row %1 position %2: %3 vs NumPy %4").arg(l).arg(i).arg(lens.targetProb.at({l, i})).arg(p)));
                QCOMPARE(lens.targetRank.at({l, i}), r["target_rank"][static_cast<size_t>(i)].get<int64_t>());
                for (int k = 0; k < 3; ++k)
                    QVERIFY(std::abs(lens.topProbs.at({l, i, k}) - r["top_probs"][static_cast<size_t>(i)][static_cast<size_t>(k)].get<double>()) < 1e-5);
                QCOMPARE(lens.topIds.at({l, i, 0}), r["top_ids"][static_cast<size_t>(i)][0].get<int64_t>());
            }
    }

    // The terms add up to the logit (before Gemma 2's soft-cap) on every family, the logit is transformers', and
    // a pruned head's term is 0.
    void attributionAddsUpToTheLogit_data() { scoresMatchNumpyOnEveryCheckpoint_data(); }
    void attributionAddsUpToTheLogit() {
        QFETCH(QString, model);
        const std::string name = model.toStdString();
        const auto& seq = fixture()["models"][name]["sequences"][1];
        const Engine engine = Engine::load(modelDir(name));
        const ModelConfig& c = engine.config();
        const SafetensorsFile ref = SafetensorsFile::open(modelDir(name) + "/reference/reference.safetensors");
        const FloatArray logits = ref.readFloat("logits.1");
        AttributionRequest request;
        request.tokenIds = seq["ids"].get<std::vector<int64_t>>();
        const auto T = static_cast<int64_t>(request.tokenIds.size());
        for (int64_t position : {int64_t(0), T / 2, T - 1}) {
            for (std::optional<int64_t> target : {std::optional<int64_t>(), std::optional<int64_t>(17)}) {
                request.position = position;
                request.target = target;
                const Attribution a = attributeLogit(engine, request);
                QVERIFY2(std::abs(a.termSum - a.logit) <= 1e-4 * std::max(1.0, std::abs(a.logit)),
                         qPrintable(QString("position %1: terms add to %2, logit %3").arg(position).arg(a.termSum).arg(a.logit)));
                QVERIFY2(std::abs(a.outputLogit - logits.at({position, a.target})) <= 1e-4 * std::max(1.0, std::abs(a.outputLogit)),
                         qPrintable(QString("logit %1 vs transformers %2").arg(a.outputLogit).arg(logits.at({position, a.target}))));
                int heads = 0, mlps = 0;
                for (const auto& t : a.terms) {
                    heads += t.kind == "head";
                    mlps += t.kind == "mlp";
                }
                QCOMPARE(heads, c.nLayer * c.nHead);
                QCOMPARE(mlps, c.nLayer);
                if (target) QCOMPARE(a.target, *target);
            }
        }
        // Head 1 of layer 0 pruned: its term is exactly 0, and the rest still add up.
        request.position = T - 1;
        request.target = 3;
        request.headMask.assign(static_cast<size_t>(c.nLayer * c.nHead), 1.0f);
        request.headMask[1] = 0.0f;
        const Attribution pruned = attributeLogit(engine, request);
        for (const auto& t : pruned.terms)
            if (t.kind == "head" && t.layer == 0 && t.head == 1) QCOMPARE(t.value, 0.0);
        QVERIFY(std::abs(pruned.termSum - pruned.logit) <= 1e-4 * std::max(1.0, std::abs(pruned.logit)));
    }

    void rolesGoIntoTheTraceFile() {
        const Engine engine = Engine::load(modelDir("gpt2"));
        RunRequest run;
        run.tokenIds = fixture()["models"]["gpt2"]["sequences"][0]["ids"].get<std::vector<int64_t>>();
        run.capture.roles = true;
        run.reuseActivations = false;
        const Trace trace = engine.run(run);
        QTemporaryDir dir;
        const std::string path = dir.filePath("t.h5").toStdString();
        writeTraceHdf5(path, trace, {});
        const Trace back = readTraceHdf5(path).trace;
        QCOMPARE(back.roleScores.size(), trace.roleScores.size());
        for (size_t l = 0; l < trace.roleScores.size(); ++l) QCOMPARE(test::bitDiff(back.roleScores[l], trace.roleScores[l]), QString());
        // The app's analyses go into the same file and come back.
        LensRequest lensRequest;
        lensRequest.tokenIds = run.tokenIds;
        lensRequest.topK = 2;
        const auto lens = std::make_shared<const LogitLens>(logitLens(engine, lensRequest));
        AttributionRequest attributionRequest;
        attributionRequest.tokenIds = run.tokenIds;
        attributionRequest.position = 3;
        const auto attribution = std::make_shared<const Attribution>(attributeLogit(engine, attributionRequest));
        const std::string withAnalyses = dir.filePath("a.h5").toStdString();
        writeTraceHdf5(withAnalyses, trace, {}, TraceAnalyses{lens->rollout, lens, attribution});
        const LoadedTrace loaded = readTraceHdf5(withAnalyses);
        QCOMPARE(test::bitDiff(loaded.analyses.rollout, lens->rollout), QString());
        QVERIFY(loaded.analyses.lens && loaded.analyses.attribution);
        QCOMPARE(test::bitDiff(loaded.analyses.lens->topProbs, lens->topProbs), QString());
        QCOMPARE(loaded.analyses.lens->topIds.toVector(), lens->topIds.toVector());
        QCOMPARE(loaded.analyses.lens->targetRank.toVector(), lens->targetRank.toVector());
        QCOMPARE(loaded.analyses.lens->targets, lens->targets);
        QCOMPARE(loaded.analyses.attribution->terms.size(), attribution->terms.size());
        for (size_t k = 0; k < attribution->terms.size(); ++k) {
            QCOMPARE(loaded.analyses.attribution->terms[k].value, attribution->terms[k].value);
            QCOMPARE(loaded.analyses.attribution->terms[k].name, attribution->terms[k].name);
            QCOMPARE(loaded.analyses.attribution->terms[k].head, attribution->terms[k].head);
        }
        QCOMPARE(loaded.analyses.attribution->position, int64_t(3));
        QCOMPARE(loaded.analyses.attribution->logit, attribution->logit);
        QVERIFY(!readTraceHdf5(path).analyses.lens);   // a run's trace alone has none
        // The same scores as a run that only measures roles (the captured attention changes nothing).
        const HeadRoles alone = measure(engine, run.tokenIds, {});
        QCOMPARE(headRoles(back, engine.config()).score("induction", 1, 2), alone.score("induction", 1, 2));
    }

    void cliPrintsRolesLensAndAttribution() {
        const QString gpt2 = QString::fromStdString(modelDir("gpt2"));
        const nlohmann::json roles = runOk({"roles", gpt2, "--repeated-random", "20", "--seed", "3"});
        QCOMPARE(roles["layers"].get<int>(), 2);
        QCOMPARE(roles["tokens"].get<int>(), 40);   // no start token without a tokenizer
        QCOMPARE(roles["scores"]["induction"].size(), size_t(2));
        QCOMPARE(roles["roles"][0].size(), size_t(4));
        QTemporaryDir dir;
        const QString freq = dir.filePath("f.json");
        QVERIFY(cli_test::writeAll(freq, R"({"5": 3, "17": 0})"));
        const nlohmann::json data = runOk({"roles", gpt2, "--ids", "5,17,5,17,9", "--frequencies", freq});
        QVERIFY(data["scores"]["rare_token"][0][0].is_number());
        const QString out = dir.filePath("lens.h5");
        const nlohmann::json lens = runOk({"lens", gpt2, "--ids", "5,17,5,17,9", "--out", out, "--top", "4"});
        QCOMPARE(lens["rows"].get<int>(), 3);
        QVERIFY(QFile::exists(out));
        const nlohmann::json attr = runOk({"attribute", gpt2, "--ids", "5,17,5,17,9", "--position", "4"});
        QVERIFY(std::abs(attr["sum"].get<double>() - attr["logit"].get<double>()) < 1e-4 * std::max(1.0, std::abs(attr["logit"].get<double>())));
    }

    void badInputsAreOneLineErrors_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("expected");
        const QString gpt2 = QString::fromStdString(modelDir("gpt2"));
        QTest::newRow("one token") << QStringList{"roles", gpt2, "--ids", "5"} << "--ids: a role input needs at least 2 tokens, got 1";
        QTest::newRow("frequencies not a map") << QStringList{"roles", gpt2, "--ids", "5,6", "--frequencies", "LIST"} << "a frequencies file is a JSON object";
        QTest::newRow("count not a number") << QStringList{"roles", gpt2, "--ids", "5,6", "--frequencies", "TEXT"} << "the count of \"5\" is \"many\", not a number >= 0";
        QTest::newRow("unknown token") << QStringList{"roles", gpt2, "--ids", "5,6", "--frequencies", "UNKNOWN"} << "\"99999\" is not a token of the model's vocabulary";
        QTest::newRow("position outside") << QStringList{"attribute", gpt2, "--ids", "5,6,7", "--position", "3"} << "--position: 3 is outside the text (3 tokens: 0..2)";
        QTest::newRow("negative position") << QStringList{"attribute", gpt2, "--ids", "5,6,7", "--position", "-1"} << "--position: -1 is outside the text";
        QTest::newRow("target outside") << QStringList{"attribute", gpt2, "--ids", "5,6,7", "--position", "1", "--target", "1000"} << "--target: 1000 is outside the vocabulary (0..999)";
        QTest::newRow("top zero") << QStringList{"lens", gpt2, "--ids", "5,6", "--out", "OUT", "--top", "0"} << "--top";
        QTest::newRow("too many repeated") << QStringList{"roles", gpt2, "--repeated-random", "65"} << "is more than the model's 128 positions";
    }
    void badInputsAreOneLineErrors() {
        QFETCH(QStringList, args);
        QFETCH(QString, expected);
        QTemporaryDir dir;
        QVERIFY(cli_test::writeAll(dir.filePath("list.json"), "[1, 2]"));
        QVERIFY(cli_test::writeAll(dir.filePath("text.json"), R"({"5": "many"})"));
        QVERIFY(cli_test::writeAll(dir.filePath("unknown.json"), R"({"99999": 1})"));
        for (QString& a : args) {
            if (a == "LIST") a = dir.filePath("list.json");
            if (a == "TEXT") a = dir.filePath("text.json");
            if (a == "UNKNOWN") a = dir.filePath("unknown.json");
            if (a == "OUT") a = dir.filePath("out.h5");
        }
        const auto r = cli(args);
        QVERIFY2(r.exitCode != 0, qPrintable(r.out));
        QVERIFY2(r.err.contains(expected), qPrintable(r.err));
        QCOMPARE(r.err.trimmed().count('\n'), 0);
        QVERIFY(!QFile::exists(dir.filePath("out.h5")));
    }
};

QTEST_GUILESS_MAIN(TestHeadRoles)
#include "test_head_roles.moc"
