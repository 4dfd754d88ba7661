#include "view_test_support.h"

#include "headlight/engine.h"
#include "test_support.h"

#include <QFile>
#include <QImage>
#include <QWidget>
#include <QXmlStreamReader>
#include <QtTest>
#include <qcustomplot.h>

#include <cmath>
#include <memory>

namespace headlight::test {

RunSnapshot snapshotOf(const ModelConfig& config, Trace trace) {
    auto model = std::make_shared<ModelInfo>();
    model->name = "hand";
    // As describeModel and the Session show an encoder-decoder model: its three kinds as one stack of rows.
    model->config = stackedConfig(config);
    model->blocks = attentionBlocks(config);
    trace = stackedTrace(std::move(trace), config);
    for (int v = 0; v < config.vocabSize; ++v) model->vocabulary.push_back(std::string(1, "^abcdefghijklmnop"[v % 17]));
    RunSnapshot s;
    s.model = model;
    s.trace = std::make_shared<const Trace>(std::move(trace));
    return s;
}

RunSnapshot sampleModelRun(const std::string& text, std::vector<int> contextBudget) {
    const Engine engine = Engine::load(sourcePath("sample_models/random-all-mechanisms"));
    RunRequest request;
    request.tokenIds = engine.encode(text);
    request.contextBudget = std::move(contextBudget);
    auto model = std::make_shared<ModelInfo>();
    model->config = engine.config();
    for (int64_t v = 0; v < engine.tokenizer()->vocabSize(); ++v) model->vocabulary.push_back(engine.tokenizer()->tokenText(v));
    RunSnapshot run;
    run.model = model;
    run.trace = std::make_shared<const Trace>(engine.run(request));
    return run;
}

bool showExposed(QWidget& widget, QSize size) {
    widget.resize(size);
    widget.show();
    return QTest::qWaitForWindowExposed(&widget);
}

void click(QCustomPlot* plot, QCPAxisRect* rect, double x, double y, Qt::KeyboardModifiers mods) {
    const QPoint pixel(qRound(rect->axis(QCPAxis::atBottom)->coordToPixel(x)),
                       qRound(rect->axis(QCPAxis::atLeft)->coordToPixel(y)));
    QTest::mouseClick(plot, Qt::LeftButton, mods, pixel);
}

std::map<double, double> barsOf(QCPBars* bars) {
    std::map<double, double> out;
    for (auto it = bars->data()->constBegin(); it != bars->data()->constEnd(); ++it) out[it->key] = it->value;
    return out;
}

std::vector<std::pair<double, double>> arcsOf(const QCPCurve* curve) {
    std::vector<std::pair<double, double>> arcs;
    bool open = false;
    for (auto it = curve->data()->constBegin(); it != curve->data()->constEnd(); ++it) {
        if (std::isnan(it->key)) {
            open = false;
        } else if (!open) {
            arcs.push_back({it->key, it->key});
            open = true;
        } else {
            arcs.back().second = it->key;
        }
    }
    return arcs;
}

QString exportProblem(const QString& path, const QString& suffix, int minBytes) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) return "cannot open " + path;
    const QByteArray bytes = file.readAll();
    if (bytes.size() <= minBytes) return QString("%1: only %2 bytes").arg(path).arg(bytes.size());
    if (suffix == QLatin1String("png")) {
        if (!bytes.startsWith("\x89PNG")) return path + ": no PNG signature";
        if (QImage image; !image.loadFromData(bytes, "PNG")) return path + ": does not load as a PNG image";
    } else if (suffix == QLatin1String("svg")) {
        QXmlStreamReader xml(bytes);
        bool sawSvg = false;
        while (!xml.atEnd())
            if (xml.readNext() == QXmlStreamReader::StartElement && xml.name() == QLatin1String("svg")) sawSvg = true;
        if (xml.hasError()) return path + ": " + xml.errorString();
        if (!sawSvg) return path + ": no <svg> element";
    } else if (suffix == QLatin1String("pdf")) {
        if (!bytes.startsWith("%PDF")) return path + ": no %PDF header";
    } else {
        return "unknown format " + suffix;
    }
    return {};
}

Trace tokensTrace(int T) {
    Trace t;
    for (int i = 0; i < T; ++i) {
        t.tokenIds.push_back(i);
        t.tokens.push_back(std::string(1, static_cast<char>('a' + i)));
    }
    return t;
}

LayerTrace layerTrace(int l, std::vector<int> heads) {
    LayerTrace t;
    t.layer = l;
    t.heads = std::move(heads);
    return t;
}

FloatArray handS() {
    std::vector<float> s(36, 0.0f);
    s[3 * 6 + 1] = 0.3f;   // token 2 masks 'b' by 0.3
    s[4 * 6 + 2] = 1.2f;   // token 3 masks 'c' by 1.2
    s[5 * 6 + 2] = 0.5f;   // token 4 masks 'c' by 0.5 more
    s[5 * 6 + 3] = 0.6f;   // token 4 masks 'd' by 0.6
    return values({6, 6}, s);
}

FloatArray cumsumRows(const FloatArray& s) {
    const int T = static_cast<int>(s.dim(0));
    std::vector<float> f(static_cast<size_t>(T * T), 0.0f);
    for (int j = 0; j < T; ++j) {
        float run = 0;
        for (int i = 0; i < T; ++i) f[static_cast<size_t>(i * T + j)] = run += s.at({i, j});
    }
    return values({T, T}, f);
}

namespace hand {
namespace {

std::vector<float> concat(const std::vector<float>& a, const std::vector<float>& b) {
    std::vector<float> out = a;
    out.insert(out.end(), b.begin(), b.end());
    return out;
}

} // namespace

ModelConfig handConfig() { return tinyConfig({"gates", "span", "selective", "memory"}, 2, 2, 8, 11, 16); }

// Two layers x two heads x four tokens, every mechanism's tensors filled with hand-picked numbers.
Trace handTrace() {
    Trace t;
    t.tokenIds = {1, 2, 3, 4};
    t.tokens = {"a", "b", "c", " "};
    std::vector<float> logits;   // [T,11]: a distinct, hand-computable row per position
    for (int i = 0; i < T; ++i)
        for (int v = 0; v < 11; ++v) logits.push_back(static_cast<float>(((v * 7 + i * 3) % 11) * 0.37 - 0.1 * v));
    t.logits = values({T, 11}, logits);
    t.loss = values({T - 1}, {2.0f, 0.5f, 1.25f});
    t.headMask = values({2, 2}, {1, 1, 1, 0});   // head 1.1 pruned
    LayerTrace l0;
    l0.layer = 0;
    l0.heads = {0, 1};
    l0.attention = values({2, T, T}, concat(kHead00, kHead01));
    // [2,T,3]: head 0's rows sum to .1 .2 .3 .4, head 1 never looks at memory.
    std::vector<float> memory = {.1f, 0, 0, .1f, .1f, 0, .1f, .1f, .1f, .2f, .1f, .1f};
    memory.resize(24, 0.0f);
    l0["memory_attention"] = values({2, T, 3}, memory);
    l0["gate"] = values({2}, {1.0f, 0.0f});   // head 0.1 closed
    l0["gate_open_probability"] = values({2}, {0.99f, 0.02f});
    l0["span"] = values({2}, {6.0f, 2.5f});
    std::vector<float> F(T * T, 0.0f);   // pairs j<i, j>0: (2,1)=.4 (3,1)=1.7 (3,2)=.1; F[3,0]=5 must be ignored
    F[2 * T + 1] = 0.4f;
    F[3 * T + 1] = 1.7f;
    F[3 * T + 2] = 0.1f;
    F[3 * T + 0] = 5.0f;
    l0["selection_cumulative"] = values({T, T}, F);
    l0["selection"] = constant({T, T}, 0.0f);
    LayerTrace l1;   // no memory tensor captured here
    l1.layer = 1;
    l1.heads = {0, 1};
    l1.attention = values({2, T, T}, concat(kHead10, kHead11));
    l1["gate"] = values({2}, {0.5f, 0.75f});
    l1["gate_open_probability"] = values({2}, {0.6f, 0.8f});
    l1["span"] = values({2}, {0.5f, 4.0f});
    l1["selection_cumulative"] = constant({T, T}, 0.2f);
    l1["selection"] = constant({T, T}, 0.0f);
    t.layers = {l0, l1};
    return t;
}

RunSnapshot handSnapshot() { return snapshotOf(handConfig(), handTrace()); }

} // namespace hand

} // namespace headlight::test
