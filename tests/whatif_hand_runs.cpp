#include "whatif_hand_runs.h"

#include "test_support.h"
#include "view_test_support.h"
#include "views/pruning/whatif_view.h"

#include <QtTest>
#include <qcustomplot.h>

namespace headlight::test::whatif {

Trace handTrace(const std::vector<float>& head11, std::vector<float> mask, const std::vector<std::vector<float>>& gates) {
    Trace t;
    for (int i = 0; i < kT; ++i) {
        t.tokenIds.push_back(i);
        t.tokens.push_back(std::string(1, static_cast<char>('a' + i)));
    }
    t.headMask = values({2, 2}, std::move(mask));
    t.logits = values({kT, 5}, std::vector<float>(size_t(kT) * 5, 0.0f));   // for compareRuns' attention change
    for (int l = 0; l < 2; ++l) {
        LayerTrace layer;
        layer.layer = l;
        layer.heads = {0, 1};
        std::vector<float> a = kUniform;                                      // head 0
        a.insert(a.end(), (l == 1 ? head11 : kUniform).begin(), (l == 1 ? head11 : kUniform).end());   // head 1
        layer.attention = values({2, kT, kT}, a);
        if (!gates.empty()) layer["gate"] = values({2}, gates[static_cast<size_t>(l)]);
        t.layers.push_back(layer);
    }
    return t;
}

RunComparison handComparison(double lossBefore, double lossAfter, double pplBefore, double pplAfter, double maxAbsLogitChange) {
    RunComparison c;
    c.lossBefore = lossBefore;
    c.lossAfter = lossAfter;
    c.perplexityBefore = pplBefore;
    c.perplexityAfter = pplAfter;
    c.kl = kKl;
    c.maxAbsLogitChange = maxAbsLogitChange;
    const float pBefore[5] = {0.5f, 0.2f, 0.15f, 0.1f, 0.05f}, pAfter[5] = {0.4f, 0.3f, 0.12f, 0.1f, 0.08f};
    for (int p = 0; p < kT; ++p) {
        const int afterIds[5] = {(p + 2) % 5, p, (p + 1) % 5, (p + 3) % 5, (p + 4) % 5};
        std::vector<TopPrediction> before, after;
        for (int r = 0; r < 5; ++r) {
            before.push_back({(p + r) % 5, pBefore[r]});
            after.push_back({afterIds[r], pAfter[r]});
        }
        c.topBefore.push_back(before);
        c.topAfter.push_back(after);
    }
    return c;
}

RunSnapshot handSnapshot(bool gated, std::vector<float> mask, RunComparison c) {
    auto info = std::make_shared<ModelInfo>();
    info->config = gated ? tinyConfig({"gates"}, 2, 2, 8, 5) : tinyConfig({}, 2, 2, 8, 5);
    info->name = QStringLiteral("hand-made");
    info->vocabulary = {"a", "b", "c", "d", "e"};
    const auto& gates = gated ? kGates : std::vector<std::vector<float>>{};
    RunSnapshot s;
    s.model = info;
    s.trace = std::make_shared<const Trace>(handTrace(kAfter11, std::move(mask), gates));
    s.baseline = std::make_shared<const Trace>(handTrace(kBefore11, {1, 1, 1, 1}, gates));
    c.attentionChange = compareRuns(*s.baseline, *s.trace).attentionChange;   // core's numbers
    s.comparison = std::make_shared<const RunComparison>(std::move(c));
    return s;
}

void showView(WhatIfView& view) {
    QVERIFY(showExposed(view, QSize(1100, 900)));
    view.plot()->replot();
}

void verifyExports(TraceView& view, const QString& dir) {
    ExportOptions options;
    options.size = QSize(720, 560);
    options.dpi = 72;
    for (const QString suffix : {"png", "svg", "pdf"}) {
        const QString path = dir + "/" + view.id() + "." + suffix;
        view.exportFigure(path, options);
        const QString problem = exportProblem(path, suffix, 200);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
    }
}

} // namespace headlight::test::whatif
