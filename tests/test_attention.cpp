// Each step of the attention computation against numbers derived by hand (see the comments).
#include "headlight/attention_math.h"
#include "headlight/error.h"
#include "test_support.h"

#include <QtTest>
#include <cmath>

using namespace headlight;
using headlight::test::values;

namespace {

ModelConfig mechanisms(bool gates, bool span, bool selective, bool memory, int maxSpan = 4, double ramp = 1.0, int slotCount = 1) {
    ModelConfig c = test::tinyConfig();
    if (gates) c.mechanisms.set(HeadGatesConfig{});
    if (span) c.mechanisms.set(AdaptiveSpanConfig{maxSpan, ramp});
    if (selective) c.mechanisms.set(SelectiveAttentionConfig{0});
    if (memory) c.mechanisms.set(PersistentMemoryConfig{slotCount, false});
    return c;
}

} // namespace

class TestAttention : public QObject {
    Q_OBJECT
private slots:
    // Step 1: a_ij = q_i . k_j / sqrt(d), causal softmax. With d = 4, q_i = (2,0,0,0), k_j = (c_j,0,0,0):
    // a_ij = 2 c_j / 2 = c_j. c = (0, ln 2, ln 3) gives rows {1}, {1/3, 2/3}, {1/6, 2/6, 3/6}.
    void logitsScaledAndCausal() {
        const float l2 = std::log(2.0f), l3 = std::log(3.0f);
        AttentionInputs in;
        in.q = values({1, 3, 4}, {2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0});
        in.k = values({1, 3, 4}, {0, 0, 0, 0, l2, 0, 0, 0, l3, 0, 0, 0});
        in.v = values({1, 3, 4}, {1, 0, 0, 0, 10, 0, 0, 0, 100, 0, 0, 0});
        const auto r = computeAttention(mechanisms(false, false, false, false), in);
        HL_COMPARE_ARRAYS(r.attention, values({1, 3, 3}, {1, 0, 0, 1.f / 3, 2.f / 3, 0, 1.f / 6, 2.f / 6, 3.f / 6}), 1e-6);
        // outputs: 1; 1/3 + 20/3 = 7; (1 + 20 + 300) / 6 = 53.5 (first component only)
        QCOMPARE_LE(std::fabs(r.output.at({0, 0, 0}) - 1.0f), 1e-5f);
        QCOMPARE_LE(std::fabs(r.output.at({0, 1, 0}) - 7.0f), 1e-5f);
        QCOMPARE_LE(std::fabs(r.output.at({0, 2, 0}) - 53.5f), 1e-4f);
        QCOMPARE(r.output.at({0, 2, 1}), 0.0f);
        QVERIFY(r["selection"].empty() && r["memory_attention"].empty() && r["gate"].empty());
    }

    // Step 2: selector head 0 has q = 1, k = (5, 1, 2, -1, 3), so its logits are a_ij = k_j.
    // S before the shift keeps j < i, j >= 1, positive: row2 = (0,1,0,0,0), row3 = (0,1,2,0,0), row4 = (0,1,2,0,0).
    // Shifted down one row: S = rows (0, 0, 0, [0,1,0,0,0], [0,1,2,0,0]); F = cumsum: row3 = (0,1,0,0,0), row4 = (0,2,2,0,0).
    void selectiveMaskAccumulatesAndShifts() {
        AttentionInputs in;
        in.q = values({2, 5, 1}, {1, 1, 1, 1, 1, 0, 0, 0, 0, 0});
        in.k = values({2, 5, 1}, {5, 1, 2, -1, 3, 0, 0, 0, 0, 0});
        in.v = test::constant({2, 5, 1}, 1.0f);
        const auto r = computeAttention(mechanisms(false, false, true, false), in);
        std::vector<float> s(25, 0.0f), f(25, 0.0f);
        s[3 * 5 + 1] = 1; s[4 * 5 + 1] = 1; s[4 * 5 + 2] = 2;
        f[3 * 5 + 1] = 1; f[4 * 5 + 1] = 2; f[4 * 5 + 2] = 2;
        HL_COMPARE_ARRAYS(r["selection"], values({5, 5}, s), 0);
        HL_COMPARE_ARRAYS(r["selection_cumulative"], values({5, 5}, f), 0);
        // Head 1 has all-zero logits, so after subtracting F: row3 ∝ (1, e^-1, 1, 1), row4 ∝ (1, e^-2, e^-2, 1, 1).
        const float e1 = std::exp(-1.0f), e2 = std::exp(-2.0f);
        const float z3 = 3 + e1, z4 = 3 + 2 * e2;
        const float expected3[] = {1 / z3, e1 / z3, 1 / z3, 1 / z3, 0};
        const float expected4[] = {1 / z4, e2 / z4, e2 / z4, 1 / z4, 1 / z4};
        for (int j = 0; j < 5; ++j) {
            QCOMPARE_LE(std::fabs(r.attention.at({1, 3, j}) - expected3[j]), 1e-6f);
            QCOMPARE_LE(std::fabs(r.attention.at({1, 4, j}) - expected4[j]), 1e-6f);
        }
        // The selector subtracts F from itself too: row4 logits (5, 1-2, 2-2, -1, 3).
        const float logits4[] = {5, -1, 0, -1, 3};
        float z = 0;
        for (float a : logits4) z += std::exp(a);
        for (int j = 0; j < 5; ++j) QCOMPARE_LE(std::fabs(r.attention.at({0, 4, j}) - std::exp(logits4[j]) / z), 1e-6f);
    }

    // The first token is never masked and a token never masks itself, however large the selector logit.
    void selectiveNeverMasksFirstTokenOrSelf() {
        AttentionInputs in;
        in.q = values({1, 3, 1}, {1, 1, 1});
        in.k = values({1, 3, 1}, {50, 50, 50});
        in.v = test::constant({1, 3, 1}, 1.0f);
        const auto r = computeAttention(mechanisms(false, false, true, false), in);
        // Only S_pre[2][1] = 50 survives; shifted it would land in row 3, which does not exist.
        HL_COMPARE_ARRAYS(r["selection_cumulative"], test::constant({3, 3}, 0.0f), 0);
    }

    // Step 3: q = 1, k = 0, memory keys (0, ln 2): row0 exp = (1 | 1, 2) / 4; row1 = (1, 1 | 1, 2) / 5.
    // With v = (1, 3) and memory values (10, 20): out0 = 0.25 + 2.5 + 10 = 12.75, out1 = (1 + 3 + 10 + 40) / 5 = 10.8.
    void memorySharesOneSoftmax() {
        AttentionInputs in;
        in.q = values({1, 2, 1}, {1, 1});
        in.k = values({1, 2, 1}, {0, 0});
        in.v = values({1, 2, 1}, {1, 3});
        in.tensors["memory_key"] = values({1, 2, 1}, {0, std::log(2.0f)});
        in.tensors["memory_value"] = values({1, 2, 1}, {10, 20});
        const auto r = computeAttention(mechanisms(false, false, false, true, 4, 1.0, 2), in);
        HL_COMPARE_ARRAYS(r.attention, values({1, 2, 2}, {0.25f, 0, 0.2f, 0.2f}), 1e-6);
        HL_COMPARE_ARRAYS(r["memory_attention"], values({1, 2, 2}, {0.25f, 0.5f, 0.2f, 0.4f}), 1e-6);
        HL_COMPARE_ARRAYS(r.output, values({1, 2, 1}, {12.75f, 10.8f}), 1e-5);
    }

    // Step 4: uniform attention (q = 0), max_span 4, ramp 2, z' = 0.25 -> z = 1: m(x) = clamp((3 - x) / 2, 0, 1)
    // = (1, 1, 0.5, 0) for x = 0..3. Row3: (0, .125, .25, .25) / .625 = (0, .2, .4, .4); row2: (.2, .4, .4).
    void spanMasksByDistanceAndRenormalizes() {
        AttentionInputs in;
        in.q = test::constant({1, 4, 1}, 0.0f);
        in.k = test::constant({1, 4, 1}, 0.0f);
        in.v = test::constant({1, 4, 1}, 1.0f);
        in.tensors["span_fraction"] = values({1}, {0.25f});
        const auto r = computeAttention(mechanisms(false, true, false, false, 4, 2.0), in);
        HL_COMPARE_ARRAYS(r.attention, values({1, 4, 4}, {1, 0, 0, 0, .5f, .5f, 0, 0, .2f, .4f, .4f, 0, 0, .2f, .4f, .4f}), 1e-6);
    }

    // Span and memory renormalize together: z = 0, ramp 1, one memory slot with logit 0. Row1 before the mask:
    // (1/3, 1/3 | 1/3); m = (0, 1) for j = 0, 1; after: (0, 1/3 | 1/3) / (2/3) = (0, .5 | .5).
    void spanRenormalizesWithMemory() {
        AttentionInputs in;
        in.q = test::constant({1, 2, 1}, 1.0f);
        in.k = test::constant({1, 2, 1}, 0.0f);
        in.v = test::constant({1, 2, 1}, 1.0f);
        in.tensors["span_fraction"] = values({1}, {0.0f});
        in.tensors["memory_key"] = values({1, 1, 1}, {0});
        in.tensors["memory_value"] = values({1, 1, 1}, {0});
        const auto r = computeAttention(mechanisms(false, true, false, true, 4, 1.0, 1), in);
        HL_COMPARE_ARRAYS(r.attention, values({1, 2, 2}, {.5f, 0, 0, .5f}), 1e-6);
        HL_COMPARE_ARRAYS(r["memory_attention"], values({1, 2, 1}, {.5f, .5f}), 1e-6);
    }

    // Step 5: g = clamp(sigmoid(a) * 1.2 - 0.1, 0, 1): a = 0 -> 0.5; a = -10 -> 0; a = 10 -> 1.
    // P(open) = sigmoid(a - 0.33 ln(0.1 / 1.1)) = sigmoid(a + 0.33 ln 11); for a = 0: 0.688105.
    void gatesAndHeadMaskScaleOutputs() {
        AttentionInputs in;
        in.q = test::constant({3, 2, 1}, 0.0f);
        in.k = test::constant({3, 2, 1}, 0.0f);
        in.v = values({3, 2, 1}, {2, 4, 2, 4, 2, 4});   // outputs before gating: (2, 3) per head
        in.tensors["gate_log_alpha"] = values({3}, {0, -10, 10});
        const auto r = computeAttention(mechanisms(true, false, false, false), in);
        HL_COMPARE_ARRAYS(r["gate"], values({3}, {0.5f, 0.0f, 1.0f}), 1e-6);
        const double pOpen0 = 1.0 / (1.0 + std::exp(-0.33 * std::log(11.0)));
        QCOMPARE_LE(std::fabs(r["gate_open_probability"].at({0}) - pOpen0), 1e-6);
        QCOMPARE_LE(std::fabs(pOpen0 - 0.688105), 1e-5);
        HL_COMPARE_ARRAYS(r.output, values({3, 2, 1}, {1, 1.5f, 0, 0, 2, 3}), 1e-6);

        in.headMask = values({3}, {1, 1, 0});
        const auto masked = computeAttention(mechanisms(true, false, false, false), in);
        HL_COMPARE_ARRAYS(masked.output, values({3, 2, 1}, {1, 1.5f, 0, 0, 0, 0}), 1e-6);
        HL_COMPARE_ARRAYS(masked.attention, r.attention, 0);   // pruning changes the output, not the weights
    }

    void inputsAreValidated() {
        AttentionInputs in;
        in.q = test::constant({1, 2, 1}, 0.0f);
        in.k = test::constant({1, 3, 1}, 0.0f);
        in.v = test::constant({1, 2, 1}, 0.0f);
        QVERIFY_THROWS_EXCEPTION(Error, computeAttention(mechanisms(false, false, false, false), in));
        in.k = test::constant({1, 2, 1}, 0.0f);
        QVERIFY_THROWS_EXCEPTION(Error, computeAttention(mechanisms(true, false, false, false), in));   // no log_alpha
    }
};

QTEST_MAIN(TestAttention)
#include "test_attention.moc"
