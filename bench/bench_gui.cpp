// bench_gui MODEL_DIR... [--tokens N] [--repeat R]: time from a text change to every visible view repainted
// in the real main window. Each repetition changes the text (so the run is real), waits for the snapshot to
// reach every view, then repaints the whole window (QWidget::grab paints every visible widget). Prints JSON:
// per model the median and spread of updated (request -> the run done on the worker and every view
// refreshed), repaint (painting the window) and total, in milliseconds; forward_ms is the last run's forward.
#include "main_window.h"
#include "model_session.h"
#include "settings.h"

#include "headlight/runtime.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QTimer>
#include <QTemporaryDir>
#include <algorithm>
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
bool waitForRun(headlight::MainWindow& window, QString* problem, int timeoutMs = 120000) {
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
    int tokens = 0, repeat = 15;
    const QStringList args = app.arguments().mid(1);
    for (int i = 0; i < args.size(); ++i) {
        if (args[i] == QLatin1String("--tokens") && i + 1 < args.size()) tokens = args[++i].toInt();
        else if (args[i] == QLatin1String("--repeat") && i + 1 < args.size()) repeat = args[++i].toInt();
        else models << args[i];
    }
    if (models.isEmpty() || repeat < 1) {
        std::fprintf(stderr, "usage: bench_gui MODEL_DIR... [--tokens N] [--repeat R]\n");
        return 2;
    }
    QTemporaryDir settingsDir;
    headlight::Settings settings(settingsDir.filePath(QStringLiteral("bench.ini")));
    headlight::MainWindow window(settings);
    window.resize(1600, 1000);
    window.show();

    nlohmann::json out = nlohmann::json::array();
    for (const QString& model : models) {
        QString problem = QStringLiteral("no run within 2 minutes");
        window.openModel(model);
        if (!waitForRun(window, &problem)) {
            std::fprintf(stderr, "bench_gui: %s: %s\n", qPrintable(model), qPrintable(problem));
            return 1;
        }
        const headlight::RunSnapshot first = window.snapshot();
        const int n = tokens > 0 ? std::min(tokens, first.model->config.nPositions) : first.tokens();
        std::vector<double> updated, repaint, total;
        for (int r = -2; r < repeat; ++r) {   // two warm-up rounds
            const QString text = textFor(first, n, r + 3);
            QElapsedTimer clock;
            clock.start();
            window.runText(text);
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
        out.push_back({{"model", model.toStdString()},
                       {"tokens", window.snapshot().tokens()},
                       {"forward_ms", window.snapshot().trace->timings.forwardMs},
                       {"updated_ms", summary(updated)},
                       {"repaint_ms", summary(repaint)},
                       {"total_ms", summary(total)},
                       {"repeat", repeat}});
    }
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
}
