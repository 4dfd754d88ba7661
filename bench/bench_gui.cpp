// bench_gui MODEL_DIR... [--tokens N] [--repeat R] [--warmup W] [--what-if [--layer L]]: time from a text change (or, with
// --what-if, from pruning one head, as a click in the overview does) to every visible view repainted in the
// real main window. Each repetition changes the text or the pruned head (so the run is real), waits for the
// snapshot to reach every view, then repaints the whole window (QWidget::grab paints every visible widget).
// --what-if raises the What if panel and prunes one head of layer L (default: the last layer), a different
// one each time, so the engine recomputes from layer L. Prints JSON: per model the median and spread of
// updated (request -> the run done on the worker and every view refreshed), repaint (painting the window) and
// total, in milliseconds; forward_ms is the last run's forward, first_layer_run where it started; views: per view,
// the median time to refresh for a new run (refresh_ms) and to paint it (paint_ms), each view alone, given the
// head summaries the worker computes with each run (summarize_ms: their median time, on the worker).
// --head-switch: after the run, selects another head R times (a different layer and head each time) and reports
// switch_ms (the click -> every view refreshed and the window painted; a long run shows the head's pooled
// picture from the run's digests) and exact_ms (-> the head's exact matrix arrived from the worker and shown).
#include "head_selection.h"
#include "main_window.h"
#include "workspace.h"
#include "model_session.h"
#include "settings.h"
#include "trace_view.h"

#include "headlight/runtime.h"

#include <QApplication>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QTimer>
#include <QTemporaryDir>
#include <algorithm>
#include <map>
#include <memory>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace {

nlohmann::json summary(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return {{"median", v[v.size() / 2]}, {"min", v.front()}, {"max", v.back()}};
}

// A text of `tokens` characters from the model's example alphabet, varied by `seed`.
QString textFor(const headlight::RunSnapshot& s, int tokens, int seed) {
    QString t;
    const auto& vocab = s.model->vocabulary;
    for (int i = 0; i < tokens; ++i) {
        const std::string& piece = vocab[static_cast<size_t>((i * 7 + seed * 13) % static_cast<int>(vocab.size()))];
        t += QString::fromStdString(piece).isEmpty() ? QStringLiteral("a") : QString::fromStdString(piece);
    }
    return t;
}

// Waits for the window's next snapshot (true) or problem / timeout (false, with the message).
bool waitForRun(headlight::MainWindow& window, QString* problem, int timeoutMs = 900000) {
    QEventLoop loop;
    bool ok = false;
    auto a = QObject::connect(&window, &headlight::MainWindow::snapshotShown, &loop, [&] { ok = true; loop.quit(); });
    auto b = QObject::connect(&window, &headlight::MainWindow::problemShown, &loop, [&](const QString& m) {
        if (problem) *problem = m;
        loop.quit();
    });
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    loop.exec();
    QObject::disconnect(a);
    QObject::disconnect(b);
    return ok;
}

} // namespace

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    headlight::tuneAllocatorForRepeatedRuns();
    QStringList models;
    int tokens = 0, repeat = 15, layer = -1, warmup = 2;
    bool whatIf = false, headSwitch = false;
    const QStringList args = app.arguments().mid(1);
    for (int i = 0; i < args.size(); ++i) {
        if (args[i] == QLatin1String("--tokens") && i + 1 < args.size()) tokens = args[++i].toInt();
        else if (args[i] == QLatin1String("--repeat") && i + 1 < args.size()) repeat = args[++i].toInt();
        else if (args[i] == QLatin1String("--warmup") && i + 1 < args.size()) warmup = std::max(0, args[++i].toInt());
        else if (args[i] == QLatin1String("--layer") && i + 1 < args.size()) layer = args[++i].toInt();
        else if (args[i] == QLatin1String("--what-if")) whatIf = true;
        else if (args[i] == QLatin1String("--head-switch")) headSwitch = true;
        else models << args[i];
    }
    if (models.isEmpty() || repeat < 1) {
        std::fprintf(stderr, "usage: bench_gui MODEL_DIR... [--tokens N] [--repeat R] [--warmup W] [--what-if [--layer L]] [--head-switch]\n");
        return 2;
    }
    QTemporaryDir settingsDir;
    headlight::Settings settings(settingsDir.filePath(QStringLiteral("bench.ini")));
    headlight::MainWindow window(settings);
    window.resize(1600, 1000);
    window.show();
    if (whatIf)
        if (auto* dock = qobject_cast<QDockWidget*>(window.view(QStringLiteral("whatif"))->parentWidget())) dock->raise();

    nlohmann::json out = nlohmann::json::array();
    for (const QString& model : models) {
        QString problem = QStringLiteral("no run within 15 minutes");
        window.openModel(model);
        if (!waitForRun(window, &problem)) {
            std::fprintf(stderr, "bench_gui: %s: %s\n", qPrintable(model), qPrintable(problem));
            return 1;
        }
        const headlight::RunSnapshot first = window.snapshot();
        const int n = tokens > 0 ? std::min(tokens, first.model->config.nPositions) : first.tokens();
        const int L = first.layers(), H = first.heads();
        const int prunedLayer = layer < 0 || layer >= L ? L - 1 : layer;
        if (whatIf) {   // the text once; then only the mask changes
            window.runText(textFor(first, n, 1));
            if (!waitForRun(window, &problem)) {
                std::fprintf(stderr, "bench_gui: %s: %s\n", qPrintable(model), qPrintable(problem));
                return 1;
            }
        }
        std::vector<double> updated, repaint, total;
        for (int r = -warmup; r < repeat; ++r) {   // warm-up rounds first (default 2)
            QElapsedTimer clock;
            clock.start();
            if (whatIf) {
                std::vector<float> mask(static_cast<size_t>(L * H), 1.0f);
                mask[static_cast<size_t>(prunedLayer * H + (r + warmup) % H)] = 0.0f;
                window.workspace()->setHeadMask(mask);
            } else {
                window.runText(textFor(first, n, r + 3));
            }
            if (!waitForRun(window, &problem)) {
                std::fprintf(stderr, "bench_gui: %s: %s\n", qPrintable(model), qPrintable(problem));
                return 1;
            }
            const double shown = clock.nsecsElapsed() / 1e6;   // every view has the new snapshot
            window.grab();   // paints every visible widget, as a screen update would
            const double repainted = clock.nsecsElapsed() / 1e6;
            if (r < 0) continue;
            updated.push_back(shown);
            repaint.push_back(repainted - shown);
            total.push_back(repainted);
        }
        // Another head of the run just shown: the views redraw from what the run kept, then the exact matrix.
        std::vector<double> switchMs, exactMs;
        for (int r = 0; headSwitch && r < repeat; ++r) {
            const headlight::HeadRef next{(r * 5 + 3) % L, (r * 7 + 2) % H};
            if (next == window.selection()->current()) continue;
            const bool exactKept = window.snapshot().trace->digests.empty();   // every head captured: nothing to fetch
            QElapsedTimer clock;
            clock.start();
            window.selection()->setCurrent(next);
            window.grab();
            switchMs.push_back(clock.nsecsElapsed() / 1e6);
            if (!exactKept) {
                if (!waitForRun(window, &problem)) {
                    std::fprintf(stderr, "bench_gui: %s: %s\n", qPrintable(model), qPrintable(problem));
                    return 1;
                }
                window.grab();
                exactMs.push_back(clock.nsecsElapsed() / 1e6);
            }
        }
        // Each view alone: a new run (a copy of the trace, so no view's cache holds) -> refreshed, then painted.
        nlohmann::json views = nlohmann::json::object();
        const headlight::RunSnapshot last = window.snapshot();
        std::map<QString, std::vector<double>> refreshMs, paintMs;
        std::vector<double> summarizeMs;
        for (int r = 0; r < std::min(repeat, 5); ++r) {
            headlight::RunSnapshot copy = last;
            copy.trace = std::make_shared<const headlight::Trace>(*last.trace);
            QElapsedTimer summarizing;   // the worker's part of a run: every head's metrics, off the GUI thread
            summarizing.start();
            headlight::summarize(copy);
            summarizeMs.push_back(summarizing.nsecsElapsed() / 1e6);
            for (headlight::TraceView* v : window.views()) {
                QElapsedTimer clock;
                clock.start();
                v->setSnapshot(copy);
                const double refreshed = clock.nsecsElapsed() / 1e6;
                v->grab();
                refreshMs[v->id()].push_back(refreshed);
                paintMs[v->id()].push_back(clock.nsecsElapsed() / 1e6 - refreshed);
            }
        }
        for (const auto& [id, times] : refreshMs)
            views[id.toStdString()] = {{"refresh_ms", summary(times)["median"]}, {"paint_ms", summary(paintMs[id])["median"]}};
        out.push_back({{"model", model.toStdString()},
                       {"views", views},
                       {"summarize_ms", summary(summarizeMs)["median"]},
                       {"tokens", window.snapshot().tokens()},
                       {"forward_ms", window.snapshot().trace->timings.forwardMs},
                       {"what_if", whatIf},
                       {"first_layer_run", window.snapshot().trace->timings.firstLayerRun},
                       {"updated_ms", summary(updated)},
                       {"repaint_ms", summary(repaint)},
                       {"total_ms", summary(total)},
                       {"repeat", repeat}});
        if (!switchMs.empty()) out.back()["switch_ms"] = summary(switchMs);
        if (!exactMs.empty()) out.back()["exact_ms"] = summary(exactMs);
    }
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
}
