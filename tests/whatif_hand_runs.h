#pragma once
// Hand-made runs for the what-if suites (test_views_pruning, test_views_pruning_layout): a 2 x 2-head model over
// 4 tokens whose layer 1, head 1 moves from kBefore11 to kAfter11, with KL, top-5 lists and gates written here
// by hand. Plot read-back and export checks come from view_test_support.h.
#include "headlight/what_if.h"
#include "run_snapshot.h"

#include <QString>
#include <vector>

namespace headlight {
class TraceView;
class WhatIfView;
} // namespace headlight

namespace headlight::test::whatif {

inline constexpr int kT = 4;   // tokens of the hand-made runs; L = 2, H = 2, V = 5

// Layer 1, head 1's attention [T,T] before and after pruning (rows sum to 1, causal).
inline const std::vector<float> kBefore11 = {1.0f, 0.0f, 0.0f, 0.0f,  0.5f, 0.5f, 0.0f, 0.0f,
                                      0.2f, 0.3f, 0.5f, 0.0f,  0.1f, 0.2f, 0.3f, 0.4f};
inline const std::vector<float> kAfter11 = {1.0f, 0.0f, 0.0f, 0.0f,   0.9f, 0.1f, 0.0f, 0.0f,
                                     0.6f, 0.3f, 0.1f, 0.0f,   0.25f, 0.25f, 0.25f, 0.25f};
inline const std::vector<float> kUniform = {1.0f, 0.0f, 0.0f, 0.0f,  0.5f, 0.5f, 0.0f, 0.0f,
                                     1 / 3.0f, 1 / 3.0f, 1 / 3.0f, 0.0f,  0.25f, 0.25f, 0.25f, 0.25f};
inline const std::vector<float> kKl = {0.0f, 0.25f, 0.5f, 1.25f};

// Every head uniform except layer 1, head 1 = `head11`; gates [H] per layer when `gates` is non-empty.
Trace handTrace(const std::vector<float>& head11, std::vector<float> mask, const std::vector<std::vector<float>>& gates);
RunComparison handComparison(double lossBefore = 0.103, double lossAfter = 0.870, double pplBefore = 1.1085,
                             double pplAfter = 2.3869, double maxAbsLogitChange = 0.75);

// Closed gates: 0.0 and 1.0; open: 0.1 (0.7) and 1.1 (1.0).
inline const std::vector<std::vector<float>> kGates = {{0.0f, 0.7f}, {0.0f, 1.0f}};

// The hand-made pruned run beside its baseline (layer 1, head 1 moved), the comparison's attention change from core.
RunSnapshot handSnapshot(bool gated, std::vector<float> mask = {1, 0, 1, 0}, RunComparison c = handComparison());

// Shows `view` at 1100 x 900 and draws it (a failed QVERIFY when it is never exposed).
void showView(WhatIfView& view);
// Exports `view` at 720 x 560 pt to `dir` as PNG, SVG and PDF, each checked (exportProblem).
void verifyExports(TraceView& view, const QString& dir);

} // namespace headlight::test::whatif
