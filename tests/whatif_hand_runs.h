#pragma once
// Hand-made runs for the what-if suites (test_views_pruning, test_views_pruning_layout): a 2 x 2-head model over
// 4 tokens whose layer 1, head 1 moves from kBefore11 to kAfter11, with KL, top-5 lists and gates written here
// by hand, and the plot read-back and export checks they share.
#include "test_support.h"

#include "headlight/what_if.h"
#include "views/pruning/whatif_view.h"

#include <QFile>
#include <QXmlStreamReader>
#include <QtTest>
#include <qcustomplot.h>

#include <utility>
#include <vector>

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
inline Trace handTrace(const std::vector<float>& head11, std::vector<float> mask, const std::vector<std::vector<float>>& gates) {
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

inline RunComparison handComparison(double lossBefore = 0.103, double lossAfter = 0.870, double pplBefore = 1.1085,
                             double pplAfter = 2.3869, double maxAbsLogitChange = 0.75) {
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

// Closed gates: 0.0 and 1.0; open: 0.1 (0.7) and 1.1 (1.0).
inline const std::vector<std::vector<float>> kGates = {{0.0f, 0.7f}, {0.0f, 1.0f}};

inline RunSnapshot handSnapshot(bool gated, std::vector<float> mask = {1, 0, 1, 0}, RunComparison c = handComparison()) {
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

inline std::vector<std::pair<double, double>> barsOf(QCPBars* bars) {
    std::vector<std::pair<double, double>> out;
    for (auto it = bars->data()->constBegin(); it != bars->data()->constEnd(); ++it) out.push_back({it->key, it->value});
    return out;
}

inline void showView(WhatIfView& view) {
    view.resize(1100, 900);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.plot()->replot();
}

inline void verifyExports(TraceView& view, const QString& dir) {
    ExportOptions options;
    options.size = QSize(720, 560);
    options.dpi = 72;
    for (const QString suffix : {"png", "svg", "pdf"}) {
        const QString path = dir + "/" + view.id() + "." + suffix;
        view.exportFigure(path, options);
        QFile file(path);
        QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(path));
        const QByteArray bytes = file.readAll();
        QVERIFY2(bytes.size() > 200, qPrintable(path));
        if (suffix == QLatin1String("png")) QVERIFY(bytes.startsWith("\x89PNG"));
        if (suffix == QLatin1String("pdf")) QVERIFY(bytes.startsWith("%PDF"));
        if (suffix == QLatin1String("svg")) {
            QXmlStreamReader xml(bytes);
            bool sawSvg = false;
            while (!xml.atEnd())
                if (xml.readNext() == QXmlStreamReader::StartElement && xml.name() == QLatin1String("svg")) sawSvg = true;
            QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
            QVERIFY(sawSvg);
        }
    }
}


} // namespace headlight::test::whatif
