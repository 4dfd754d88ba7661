// Encoder-decoder families (Marian, BART, T5) against an independent float64 NumPy implementation written from
// transformers' source (tests/fixtures/make_seq2seq_reference.py, folders in tests/fixtures/seq2seq): logits and
// all three kinds of attention. Plus the three kinds' head masks, the trace file, the CLI and bad inputs.
#include "cli_test_support.h"
#include "headlight/attention_stack.h"
#include "headlight/engine.h"
#include "headlight/error.h"
#include "headlight/head_metrics.h"
#include "headlight/session.h"
#include "headlight/safetensors.h"
#include "headlight/trace_hdf5.h"
#include "headlight/translation.h"
#include "test_support.h"

#include <QDir>
#include <QTemporaryDir>
#include <QtTest>
#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

using namespace headlight;

namespace {

std::string fixture(const std::string& model) { return test::fixturePath("seq2seq/" + model); }

RunRequest requestOf(const SafetensorsFile& ref, int k) {
    RunRequest r;
    r.sourceIds = test::readIds(ref, "input_ids." + std::to_string(k));
    r.tokenIds = test::readIds(ref, "decoder_input_ids." + std::to_string(k));
    return r;
}

void compareAttention(const std::string& what, const FloatArray& ours, const FloatArray& theirs) {
    QVERIFY2(ours.shape() == theirs.shape(), (what + ": shape " + qPrintable(test::describe(ours)) + " vs " +
                                              qPrintable(test::describe(theirs))).c_str());
    const double err = test::maxAbsDiff(ours, theirs);
    QVERIFY2(err < 1e-5, (what + ": off by " + std::to_string(err)).c_str());
}

template <class F>
void expectError(F&& work, ErrorInput input, const std::string& fragment) {
    try {
        work();
        QFAIL(("no error; expected " + fragment).c_str());
    } catch (const Error& e) {
        QVERIFY2(std::string(e.what()).find(fragment) != std::string::npos, e.what());
        QVERIFY2(e.input() == input, e.what());
    }
}

} // namespace

class TestEncoderDecoder : public QObject {
    Q_OBJECT

private slots:
    void matchesNumPyReference_data() {
        QTest::addColumn<QString>("model");
        for (const char* m : {"marian", "marian-separate", "bart", "t5", "t5-tied"}) QTest::newRow(m) << QString(m);
    }
    void matchesNumPyReference() {
        QFETCH(QString, model);
        const std::string name = model.toStdString(), dir = fixture(name);
        const Engine engine = Engine::load(dir);
        const ModelConfig& c = engine.config();
        QVERIFY(c.isEncoderDecoder());
        const auto ref = SafetensorsFile::open(dir + "/reference.safetensors");
        for (int k = 0; k < 2; ++k) {
            const std::string K = std::to_string(k);
            const Trace t = engine.run(requestOf(ref, k));
            const FloatArray logits = ref.readFloat("logits." + K);
            QCOMPARE(t.logits.shape(), logits.shape());
            const double logitError = test::relativeError(t.logits, logits);
            QVERIFY2(logitError < 1e-4, (name + " pair " + K + ": logits off by " + std::to_string(logitError) + " relative").c_str());
            QCOMPARE(int(t.encoderLayers.size()), c.encoderDecoder->layers);
            QCOMPARE(int(t.layers.size()), c.nLayer);
            for (int l = 0; l < c.encoderDecoder->layers; ++l)
                compareAttention(name + " pair " + K + " encoder layer " + std::to_string(l), t.encoderLayers[size_t(l)].attention,
                                 ref.readFloat("encoder_attentions." + K + "." + std::to_string(l)));
            for (int l = 0; l < c.nLayer; ++l) {
                const std::string L = std::to_string(l);
                compareAttention(name + " pair " + K + " decoder layer " + L, t.layers[size_t(l)].attention,
                                 ref.readFloat("decoder_attentions." + K + "." + L));
                compareAttention(name + " pair " + K + " cross layer " + L, t.layers[size_t(l)][kCrossAttention],
                                 ref.readFloat("cross_attentions." + K + "." + L));
            }
            // Teacher forcing: position t's loss is -log p(target t + 1).
            QCOMPARE(t.loss.size(), int64_t(t.tokenIds.size()) - 1);
            const int64_t V = t.logits.dim(1);
            const float* row = t.logits.data();
            double norm = 0, top = row[0];
            for (int64_t v = 0; v < V; ++v) top = std::max(top, double(row[v]));
            for (int64_t v = 0; v < V; ++v) norm += std::exp(row[v] - top);
            const double nll = -(row[t.tokenIds[1]] - top - std::log(norm));
            QVERIFY2(std::abs(t.loss.data()[0] - nll) < 1e-4 * std::max(1.0, nll), qPrintable(QString::number(t.loss.data()[0])));
        }
    }

    // Head masks of each kind act where they should: all ones is no mask; an encoder head pruned in the last
    // encoder layer leaves every encoder attention as it was and changes what the decoder reads; with every
    // cross-attention head pruned the decoder no longer depends on the source at all.
    void headMasksOfEachKind() {
        const Engine engine = Engine::load(fixture("t5"));
        const ModelConfig& c = engine.config();
        const auto ref = SafetensorsFile::open(fixture("t5") + "/reference.safetensors");
        const RunRequest base = requestOf(ref, 1);
        const Trace plain = engine.run(base);

        RunRequest ones = base;
        ones.encoderHeadMask.assign(size_t(c.encoderDecoder->layers * c.nHead), 1.0f);
        ones.headMask.assign(size_t(c.nLayer * c.nHead), 1.0f);
        ones.crossHeadMask = ones.headMask;
        QCOMPARE(test::bitDiff(engine.run(ones).logits, plain.logits), QString());

        RunRequest encoder = ones;
        encoder.encoderHeadMask[size_t((c.encoderDecoder->layers - 1) * c.nHead + 1)] = 0.0f;
        const Trace pruned = engine.run(encoder);
        for (size_t l = 0; l < pruned.encoderLayers.size(); ++l)
            QCOMPARE(test::bitDiff(pruned.encoderLayers[l].attention, plain.encoderLayers[l].attention), QString());
        QVERIFY(test::maxAbsDiff(pruned.layers[0][kCrossAttention], plain.layers[0][kCrossAttention]) > 1e-4);
        QVERIFY(test::maxAbsDiff(pruned.logits, plain.logits) > 1e-4);
        QCOMPARE(pruned.encoderHeadMask.data()[(c.encoderDecoder->layers - 1) * c.nHead + 1], 0.0f);

        RunRequest noCross = ones;
        std::fill(noCross.crossHeadMask.begin(), noCross.crossHeadMask.end(), 0.0f);
        RunRequest otherSource = noCross;
        otherSource.sourceIds = test::readIds(ref, "input_ids.0");
        const Trace a = engine.run(noCross), b = engine.run(otherSource);
        QCOMPARE(test::bitDiff(a.logits, b.logits), QString());
        QVERIFY(test::maxAbsDiff(a.logits, plain.logits) > 1e-4);
    }

    // Greedy decoding against the float64 NumPy reference's (tests/fixtures/make_seq2seq_greedy.py), up to the first
    // step whose two best logits are too close for float32 to order; and each chosen token is the argmax of a run of
    // the input so far (the full run's arithmetic, not the decoding loop's).
    void greedyTranslation_data() { matchesNumPyReference_data(); }
    void greedyTranslation() {
        QFETCH(QString, model);
        const std::string name = model.toStdString();
        const Engine engine = Engine::load(fixture(name));
        std::ifstream in(test::fixturePath("seq2seq/greedy.json"));
        const nlohmann::json expected = nlohmann::json::parse(in).at(name);
        const auto source = expected.at("source_ids").get<std::vector<int64_t>>();
        const auto reference = expected.at("decoder_ids").get<std::vector<int64_t>>();
        const auto margins = expected.at("margins").get<std::vector<double>>();
        const Translation t = greedyTranslate(engine, source, 8);
        QCOMPARE(t.decoderIds.front(), engine.config().encoderDecoder->decoderStartTokenId);
        for (size_t step = 0; step < margins.size() && margins[step] > 1e-3; ++step)
            QCOMPARE(t.decoderIds.at(step + 1), reference.at(step + 1));
        for (size_t step = 1; step < t.decoderIds.size(); ++step) {
            RunRequest r;
            r.sourceIds = source;
            r.tokenIds.assign(t.decoderIds.begin(), t.decoderIds.begin() + long(step));
            r.capture = CaptureSpec::none();
            r.capture.logits = true;
            const Trace run = engine.run(r);
            const int64_t V = run.logits.dim(1);
            const float* last = run.logits.data() + (run.logits.dim(0) - 1) * V;
            QCOMPARE(int64_t(std::max_element(last, last + V) - last), t.decoderIds[step]);
        }
        QCOMPARE(t.finished, t.decoderIds.back() == engine.config().encoderDecoder->eosTokenId);
        QCOMPARE(greedyTranslate(engine, source, 2).decoderIds.size(), size_t(3));   // the limit holds
    }

    void captureFilters() {
        const Engine engine = Engine::load(fixture("bart"));
        const auto ref = SafetensorsFile::open(fixture("bart") + "/reference.safetensors");
        RunRequest r = requestOf(ref, 0);
        r.capture.layers = {1};
        r.capture.heads = {2};
        const Trace t = engine.run(r);
        QCOMPARE(int(t.encoderLayers.size()), 1);
        QCOMPARE(int(t.layers.size()), 1);
        QCOMPARE(t.layers[0].layer, 1);
        QCOMPARE(t.layers[0].heads, std::vector<int>{2});
        const FloatArray cross = ref.readFloat("cross_attentions.0.1");
        const int64_t T = cross.dim(1), S = cross.dim(2);
        QCOMPARE(t.layers[0][kCrossAttention].shape(), (std::vector<int64_t>{1, T, S}));
        for (int64_t i = 0; i < T * S; ++i) QVERIFY(std::abs(t.layers[0][kCrossAttention].data()[i] - cross.data()[2 * T * S + i]) < 1e-5);
        r.capture = CaptureSpec::none();
        const Trace none = engine.run(r);
        QVERIFY(none.encoderLayers.empty() && none.layers.empty() && none.logits.empty());
        QCOMPARE(none.loss.size(), int64_t(r.tokenIds.size()) - 1);
    }

    void traceFileRoundTrip() {
        QTemporaryDir tmp;
        const Engine engine = Engine::load(fixture("marian"));
        const auto ref = SafetensorsFile::open(fixture("marian") + "/reference.safetensors");
        const Trace t = engine.run(requestOf(ref, 0));
        const std::string path = tmp.path().toStdString() + "/run.h5";
        writeTraceHdf5(path, t, {{"tool", "test"}});
        const Trace back = readTraceHdf5(path).trace;
        QCOMPARE(back.sourceIds, t.sourceIds);
        QCOMPARE(back.sourceTokens, t.sourceTokens);
        QCOMPARE(back.tokenIds, t.tokenIds);
        QCOMPARE(back.encoderLayers.size(), t.encoderLayers.size());
        QCOMPARE(back.layers.size(), t.layers.size());
        for (size_t l = 0; l < t.encoderLayers.size(); ++l)
            QCOMPARE(test::bitDiff(back.encoderLayers[l].attention, t.encoderLayers[l].attention), QString());
        for (size_t l = 0; l < t.layers.size(); ++l) {
            QCOMPARE(test::bitDiff(back.layers[l].attention, t.layers[l].attention), QString());
            QCOMPARE(test::bitDiff(back.layers[l][kCrossAttention], t.layers[l][kCrossAttention]), QString());
        }
        QCOMPARE(test::bitDiff(back.encoderHeadMask, t.encoderHeadMask), QString());
        QCOMPARE(test::bitDiff(back.crossHeadMask, t.crossHeadMask), QString());
        QCOMPARE(test::bitDiff(back.logits, t.logits), QString());
    }

    void rejectsBadRequests() {
        const Engine engine = Engine::load(fixture("marian"));
        const ModelConfig& c = engine.config();
        RunRequest r;
        r.tokenIds = {c.encoderDecoder->decoderStartTokenId};
        expectError([&] { engine.run(r); }, ErrorInput::SourceIds, "needs a source");
        r.sourceIds = {1, c.encoderDecoder->sourceVocabSize};
        expectError([&] { engine.run(r); }, ErrorInput::SourceIds, "out of range");
        r.sourceIds = std::vector<int64_t>(size_t(c.nPositions) + 1, 1);
        expectError([&] { engine.run(r); }, ErrorInput::SourceIds, "at most");
        r.sourceIds = {1, 2, 3};
        r.tokenIds = std::vector<int64_t>(size_t(c.nPositions) + 1, 1);
        expectError([&] { engine.run(r); }, ErrorInput::TokenIds, "at most");
        r.tokenIds = {1, 2};
        r.crossHeadMask = {1.0f, 0.0f};
        expectError([&] { engine.run(r); }, ErrorInput::HeadMask, "cross-attention head mask");
        r.crossHeadMask.clear();
        r.capture.layers = {7};
        expectError([&] { engine.run(r); }, ErrorInput::CaptureLayers, "does not exist");
        // A source given to a model of one stack.
        QTemporaryDir tmp;
        const ModelConfig one = test::tinyConfig();
        test::writeModel(tmp.path().toStdString() + "/one", one, test::randomWeights(one, 3));
        const Engine single = Engine::load(tmp.path().toStdString() + "/one");
        RunRequest s;
        s.tokenIds = {1, 2};
        s.sourceIds = {1};
        expectError([&] { single.run(s); }, ErrorInput::SourceIds, "encoder-decoder");
        // Analyses that need one stack say so instead of running.
        expectError([&] { engine.recaptureLayer(r, 0, {}); }, ErrorInput::None, "not available for encoder-decoder models");
    }

    // What the app and `figure` show: the three kinds as one stack of rows (encoder, decoder, cross), one head
    // mask over all of them, teacher forcing from target text, and the Translate button's target.
    void sessionStacksTheThreeKinds() {
#ifdef HEADLIGHT_SANITIZED
        QSKIP("marian-text's SentencePiece files cannot be read in a sanitizer build (docs/robustness.md)");
#endif
        const std::string dir = fixture("marian-text");
        Session session(dir);
        const Engine& engine = session.engine();
        const ModelConfig& c = engine.config();
        const int Le = c.encoderDecoder->layers, L = c.nLayer, H = c.nHead;
        const auto blocks = attentionBlocks(c);
        QCOMPARE(int(blocks.size()), 3);
        QCOMPARE(stackRows(c), Le + 2 * L);
        QCOMPARE(blockOfRow(blocks, Le + L).kind, AttentionKind::Cross);
        QCOMPARE(blockOfRow(blocks, Le).kind, AttentionKind::DecoderSelf);
        QVERIFY(!blocks[0].causal && blocks[1].causal && !blocks[2].causal);
        QVERIFY(blocks[2].sourceKeys && !blocks[2].sourceQueries);

        RunInput input;
        input.text = "The house is blue.";
        input.target = "La maison est bleue.";
        const SessionRun run = session.run(input);
        // Teacher forcing as the CLI and transformers build it: the start token, then the target's tokens.
        RunRequest direct;
        direct.sourceIds = engine.encode(input.text);
        direct.tokenIds = {c.encoderDecoder->decoderStartTokenId};
        for (int64_t id : engine.encodeTarget(input.target)) direct.tokenIds.push_back(id);
        const Trace raw = engine.run(direct);
        QCOMPARE(run.trace->tokenIds, direct.tokenIds);
        QCOMPARE(run.trace->sourceIds, direct.sourceIds);
        QCOMPARE(test::bitDiff(run.trace->logits, raw.logits), QString());
        // The stack: encoder rows [h,S,S], decoder rows [h,T,T], cross rows [h,T,S], the raw trace's arrays.
        const Trace& t = *run.trace;
        QVERIFY(t.encoderLayers.empty());
        QCOMPARE(int(t.layers.size()), Le + 2 * L);
        const int64_t S = int64_t(direct.sourceIds.size()), T = int64_t(direct.tokenIds.size());
        for (int row = 0; row < Le + 2 * L; ++row) {
            const LayerTrace* lt = t.layer(row);
            QVERIFY(lt);
            const AttentionBlock& b = blockOfRow(blocks, row);
            const FloatArray& expected = b.kind == AttentionKind::EncoderSelf ? raw.encoderLayers[size_t(row)].attention
                                         : b.kind == AttentionKind::DecoderSelf ? raw.layers[size_t(row - Le)].attention
                                                                                : raw.layers[size_t(row - Le - L)][kCrossAttention];
            QCOMPARE(lt->attention.shape(), (std::vector<int64_t>{H, b.sourceQueries ? S : T, b.sourceKeys ? S : T}));
            QCOMPARE(test::bitDiff(lt->attention, expected), QString());
            QVERIFY(!lt->has(kCrossAttention));
        }
        // And back, for files: the trace format's layout again.
        const Trace back = unstackedTrace(t, blocks);
        QCOMPARE(int(back.encoderLayers.size()), Le);
        QCOMPARE(int(back.layers.size()), L);
        for (int l = 0; l < Le; ++l) QCOMPARE(test::bitDiff(back.encoderLayers[size_t(l)].attention, raw.encoderLayers[size_t(l)].attention), QString());
        for (int l = 0; l < L; ++l) {
            QCOMPARE(back.layers[size_t(l)].layer, l);
            QCOMPARE(test::bitDiff(back.layers[size_t(l)].attention, raw.layers[size_t(l)].attention), QString());
            QCOMPARE(test::bitDiff(back.layers[size_t(l)][kCrossAttention], raw.layers[size_t(l)][kCrossAttention]), QString());
        }
        QCOMPARE(back.headMask.shape(), (std::vector<int64_t>{L, H}));
        QCOMPARE(back.encoderHeadMask.shape(), (std::vector<int64_t>{Le, H}));
        QCOMPARE(back.crossHeadMask.shape(), (std::vector<int64_t>{L, H}));
        // The overview's entropy of a cross-attention head, by hand from its [T,S] rows.
        const FloatArray entropy = computeHeadMetric(HeadMetric::entropy(), t, stackedConfig(c));
        const float* x = t.layer(Le + L)->attention.data() + 1 * T * S;   // X0 H1
        double expected = 0;
        for (int64_t i = 0; i < T; ++i)
            for (int64_t j = 0; j < S; ++j) {
                const double p = x[i * S + j];
                if (p > 0) expected -= p * std::log(p) / double(T);
            }
        QVERIFY2(std::abs(entropy.data()[(Le + L) * H + 1] - expected) < 1e-5, qPrintable(QString::number(expected)));

        // One mask over the stack: X0 H1 and E0 H0 pruned equal the engine's own masks of those kinds.
        std::vector<float> mask(size_t((Le + 2 * L) * H), 1.0f);
        mask[size_t((Le + L) * H + 1)] = 0;
        mask[0] = 0;
        input.headMask = mask;
        const SessionRun pruned = session.run(input);
        QVERIFY(pruned.pruned());
        QCOMPARE(test::bitDiff(pruned.baseline->logits, raw.logits), QString());
        RunRequest masked = direct;
        masked.encoderHeadMask.assign(size_t(Le * H), 1.0f);
        masked.encoderHeadMask[0] = 0;
        masked.crossHeadMask.assign(size_t(L * H), 1.0f);
        masked.crossHeadMask[1] = 0;
        const Trace maskedRaw = engine.run(masked);
        QCOMPARE(test::bitDiff(pruned.trace->logits, maskedRaw.logits), QString());
        QVERIFY(test::maxAbsDiff(pruned.trace->logits, raw.logits) > 1e-4);   // the what-if changed something
        QCOMPARE(pruned.trace->headMask.toVector(), mask);
        QCOMPARE(int(pruned.comparison->attentionChange.size()), (Le + 2 * L) * H);
        // A mask of the wrong size names the three kinds' layers.
        RunRequest r;
        try {
            setStackedHeadMask(r, c, std::vector<float>(3, 1.0f));
            QFAIL("a 3-value mask was taken");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("2 + 2 + 2 layers of 4 heads") != std::string::npos, e.what());
        }

        // Translate: the model's greedy output, as text on the target side.
        const std::vector<int64_t> source = engine.encode(input.text);
        const Translation greedy = greedyTranslate(engine, source, 6);
        const std::string target = session.translate(input.text, 6);
        QCOMPARE(target, engine.tokenizer()->decodeTarget({greedy.decoderIds.begin() + 1, greedy.decoderIds.end()}));
        QVERIFY(!target.empty());
    }

    // figure draws any row of the stack: row 4 is cross-attention layer 0 (2 encoder + 2 decoder rows before it).
    void figureDrawsAnyRow() {
        using namespace cli_test;
#ifndef HEADLIGHT_FIGURES
        QSKIP("a build without the GUI has no figure command");
#endif
#ifdef HEADLIGHT_SANITIZED
        QSKIP("marian-text's SentencePiece files cannot be read in a sanitizer build (docs/robustness.md)");
#endif
        const QString texts = QString::fromStdString(fixture("marian-text"));
        QTemporaryDir figures;
        const QString png = figures.filePath("cross.png");
        const Result drawn = cli({"figure", texts, "--text", "The house is blue.", "--target", "La maison.", "--view", "attention",
                                  "--layer", "4", "--head", "1", "--out", png});
        QVERIFY2(drawn.exitCode == 0, qPrintable(drawn.err));
        QVERIFY(QFileInfo(png).size() > 1000);
        const std::vector<std::pair<QStringList, QString>> bad = {
            {{"figure", QString::fromStdString(fixture("marian")), "--text", "ab", "--view", "attention", "--out",
              QDir::tempPath() + "/hl-never.png"}, "has no tokenizer files"},
            {{"figure", texts, "--text", "ab", "--view", "lens", "--out", QDir::tempPath() + "/hl-never.png"}, "encoder-decoder"},
            {{"figure", texts, "--text", "ab", "--view", "attention", "--layer", "6", "--out", QDir::tempPath() + "/hl-never.png"},
             "--layer: 6 is not a layer of this model (it has 6)"},
        };
        for (const auto& [args, fragment] : bad) {
            const Result r = cli(args);
            QVERIFY2(r.exitCode == 1, qPrintable(args.join(' ') + " -> " + QString::number(r.exitCode) + " " + r.err));
            QVERIFY2(r.err.contains(fragment) && r.err.count('\n') == 1, qPrintable(r.err));
        }
        const Result both = cli({"figure", texts, "--text", "ab", "--target", "x", "--decoder-ids", "1", "--view", "attention",
                                 "--out", QDir::tempPath() + "/hl-never.png"});
        QCOMPARE(both.exitCode, 2);   // a usage error
        QVERIFY2(both.err.contains("at most one of --target and --decoder-ids"), qPrintable(both.err));
        QTemporaryDir one;
        writeCliModel(one.filePath("m"));
        const Result f = cli({"figure", one.filePath("m"), "--text", "abc", "--target", "x", "--view", "attention", "--out",
                              one.filePath("never.png")});
        QCOMPARE(f.exitCode, 1);
        QVERIFY2(f.err.contains("--target: is for encoder-decoder models"), qPrintable(f.err));
        QVERIFY(!QFileInfo::exists(one.filePath("never.png")));
    }

    void cliRunsAllThreeKinds() {
        using namespace cli_test;
        QTemporaryDir tmp;
        const QString out = tmp.filePath("t5.h5");
        const auto s = runOk({"run", QString::fromStdString(fixture("t5")), "--ids", "5,6,7,8", "--decoder-ids", "0,9,10", "--out", out});
        QVERIFY(!QTest::currentTestFailed());
        QCOMPARE(s["architecture"].get<std::string>(), std::string("t5"));
        QCOMPARE(s["source_tokens"].get<int>(), 4);
        QCOMPARE(s["decoder_tokens"].get<int>(), 3);
        QCOMPARE(s["predicted_next_ids"].size(), size_t(3));
        QVERIFY(std::isfinite(s["loss"].get<double>()));
        const Trace t = readTraceHdf5(out.toStdString()).trace;
        QCOMPARE(t.sourceIds, (std::vector<int64_t>{5, 6, 7, 8}));
        QCOMPARE(t.tokenIds, (std::vector<int64_t>{0, 9, 10}));
        QCOMPARE(int(t.encoderLayers.size()), 2);
        QCOMPARE(t.encoderLayers[1].attention.shape(), (std::vector<int64_t>{4, 4, 4}));
        QCOMPARE(t.layers[1][kCrossAttention].shape(), (std::vector<int64_t>{4, 3, 4}));

        // --translate: the decoder reads the model's own greedy translation.
        const auto translated = runOk({"run", QString::fromStdString(fixture("t5")), "--ids", "5,6,7,8", "--translate", "--max-new-tokens", "3"});
        QVERIFY(!QTest::currentTestFailed());
        const Engine t5 = Engine::load(fixture("t5"));
        QCOMPARE(translated["decoder_ids"].get<std::vector<int64_t>>(), greedyTranslate(t5, {5, 6, 7, 8}, 3).decoderIds);
        // Without --decoder-ids the decoder reads its start token alone.
        const auto start = runOk({"run", QString::fromStdString(fixture("marian")), "--ids", "3,4"});
        QVERIFY(!QTest::currentTestFailed());
        QCOMPARE(start["decoder_ids"].size(), size_t(1));

        struct Bad {
            QStringList args;
            QString fragment;
        };
        const QString marian = QString::fromStdString(fixture("marian"));
        const std::vector<Bad> bad = {
            {{"run", marian, "--ids", "1,2", "--target", "hello"}, "has no tokenizer files"},
            {{"run", marian, "--ids", "1,999"}, "--ids: token id 999 is out of range"},
            {{"run", marian, "--ids", "1", "--decoder-ids", "1,999"}, "--decoder-ids: token id 999 is out of range"},
            {{"run", marian, "--ids", "1", "--prune", "0.1"}, "--prune: is not available for encoder-decoder models"},
            {{"run", marian, "--ids", "1", "--heads", "9"}, "--heads: head 9 does not exist"},
            {{"run", marian, "--ids", "1,999", "--translate"}, "--ids: token id 999 is out of range"},
        };
        for (const Bad& b : bad) {
            const Result r = cli(b.args);
            QVERIFY2(r.exitCode == 1, qPrintable(b.args.join(' ') + " -> " + QString::number(r.exitCode) + " " + r.err));
            QVERIFY2(r.err.contains(b.fragment) && r.err.count('\n') == 1, qPrintable(r.err));
        }
        QTemporaryDir one;
        writeCliModel(one.filePath("m"));
        const Result r = cli({"run", one.filePath("m"), "--text", "abc", "--decoder-ids", "1"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("--decoder-ids: is for encoder-decoder models"), qPrintable(r.err));
    }
};

QTEST_GUILESS_MAIN(TestEncoderDecoder)
#include "test_encoder_decoder.moc"
