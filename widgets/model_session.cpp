#include "model_session.h"

#include "typed_token_ids.h"

#include "headlight/engine.h"
#include "headlight/error.h"
#include "headlight/pruning.h"
#include "headlight/session.h"

#include <QDir>
#include <QFileInfo>
#include <QPointer>
#include <QStringList>

#include <algorithm>
#include <atomic>
#include <set>
#include <mutex>
#include <utility>

namespace headlight {
namespace {

QString folderKey(const QString& dir) { return QDir::cleanPath(QFileInfo(dir).absoluteFilePath()); }

} // namespace

std::shared_ptr<const ModelInfo> describeModel(const Engine& engine, const QString& dir) {
    auto info = std::make_shared<ModelInfo>();
    info->dir = dir;
    info->name = QFileInfo(QDir::cleanPath(dir)).fileName();
    info->config = stackedConfig(engine.config());
    info->blocks = attentionBlocks(engine.config());
    if (const Tokenizer* tokenizer = engine.tokenizer()) {
        // The vocabulary the predictions are in: an encoder-decoder model predicts the target side.
        const bool target = engine.config().isEncoderDecoder();
        const int64_t size = target ? tokenizer->targetVocabSize() : tokenizer->vocabSize();
        info->vocabulary.reserve(static_cast<size_t>(size));
        for (int64_t id = 0; id < size; ++id) info->vocabulary.push_back(target ? tokenizer->targetTokenText(id) : tokenizer->tokenText(id));
        info->canEncode = tokenizer->canEncode();
    } else {
        info->canEncode = false;
    }
    info->preset = readViewPreset(dir);   // a small file, read here on the worker with the model
    info->parameters = engine.parameterCount();
    info->device = QString::fromStdString(engine.device());
    info->zeroShotSelectorHead = engine.zeroShotSelectorHead();
    return info;
}

// How the window's model loads: on `device`, with zero-shot selective attention when `selectorHead` >= 0.
static LoadOptions loadOptions(const QString& device, int selectorHead) {
    LoadOptions options;
    options.device = device.toStdString();
    if (selectorHead >= 0) options.selectorHead = selectorHead;
    return options;
}

// The loaded model; created and replaced on the run worker. Analyses borrow its engine under `mutex`.
struct ModelSession::Loaded {
    std::mutex mutex;                        // guards session, dirKey and device against the analysis worker
    std::shared_ptr<Session> session;        // the model, its runs and the unpruned run it compares with
    std::shared_ptr<const ModelInfo> info;   // shared by every snapshot of this model
    QString dirKey;                          // absolute, cleaned folder path: "same model" whatever the spelling
    QString device;                          // as requested ("cpu", "cuda")
    int selectorHead = -1;                   // zero-shot selective attention's selector head, -1 without
    // The head summaries of the newest unpruned run, kept with it: a what-if that only changes the mask (and
    // undoing it) shows that run again, and its summaries with it.
    std::shared_ptr<const HeadSummaries> unprunedSummaries;
    const Trace* unprunedSummarized = nullptr;
    int runsSinceLoad = 0;                   // 0: the next run is the first of this model

    // Loads the model of `spec` unless it is the one already here (and, for spec.reloadChanged, its files are
    // as they were when it loaded); returns the load time (0 when nothing was loaded). On failure the previous
    // model stays.
    double ensureLoaded(const RunSpec& spec, JobContext& context) {
        if (spec.modelDir.isEmpty()) throw Error("", "no model folder is open");
        const QString key = folderKey(spec.modelDir);
        if (session && dirKey == key && device == spec.device && selectorHead == spec.selectorHead &&
            !(spec.reloadChanged && !session->filesChanged().empty()))
            return 0;
        context.progress(-1, tr("Loading %1 on %2").arg(QFileInfo(key).fileName(), spec.device));
        auto loaded = std::make_shared<Session>(spec.modelDir.toStdString(), loadOptions(spec.device, spec.selectorHead));
        auto loadedInfo = describeModel(loaded->engine(), spec.modelDir);
        // Replaced only now that the new model loaded completely.
        std::lock_guard<std::mutex> lock(mutex);
        session = std::move(loaded);
        info = std::move(loadedInfo);
        dirKey = key;
        device = spec.device;
        selectorHead = spec.selectorHead;
        unprunedSummaries.reset();
        unprunedSummarized = nullptr;
        runsSinceLoad = 0;
        return session->engine().loadMs();
    }

    // The loaded engine when it is `dir` on `dev`, else null (any thread). Shares the session's lifetime.
    std::shared_ptr<const Engine> engineFor(const QString& dir, const QString& dev, int selector) {
        std::lock_guard<std::mutex> lock(mutex);
        if (!session || dirKey != folderKey(dir) || device != dev || selectorHead != selector) return nullptr;
        return std::shared_ptr<const Engine>(session, &session->engine());
    }

    static RunInput inputOf(const RunSpec& spec, JobContext& context, const QString& running) {
        RunInput input;
        input.text = spec.text.toStdString();
        input.target = spec.target.toStdString();
        input.headMask = spec.headMask;
        input.contextBudget = spec.contextBudget;
        input.focusLayer = spec.focusLayer;
        input.focusHead = spec.focusHead;
        // Progress per layer, and Cancel (or a newer request) stops a long run between layers.
        input.progress = [&context, running](int done, int layers) {
            if (context.cancelled()) throw Cancelled();
            context.progress(static_cast<double>(done) / layers, running);
        };
        return input;
    }

    RunSnapshot snapshotOf(const SessionRun& run, const QString& text, JobContext& context) {
        RunSnapshot snapshot;
        if (!info->canEncode) snapshot.text = run.droppedTokens > 0 ? typedTokenIds(run.trace->tokenIds) : text;
        else snapshot.text = run.droppedTokens > 0 ? QString::fromStdString(run.text) : text;
        snapshot.droppedTokens = run.droppedTokens;
        snapshot.target = QString::fromStdString(run.target);
        snapshot.droppedTargetTokens = run.droppedTargetTokens;
        snapshot.trace = run.trace;
        snapshot.baseline = run.baseline;
        snapshot.comparison = run.comparison;
        snapshot.model = info;
        if (!run.pruned() && unprunedSummarized == run.trace.get()) {
            snapshot.summaries = unprunedSummaries;
            snapshot.summarized = run.trace.get();
            return snapshot;
        }
        context.progress(-1, tr("Summarizing %n head(s)", nullptr, info->config.nLayer * info->config.nHead));
        summarize(snapshot);
        if (!run.pruned()) {
            unprunedSummaries = snapshot.summaries;
            unprunedSummarized = run.trace.get();
        }
        return snapshot;
    }

    RunSnapshot run(const RunSpec& spec, JobContext& context) {
        const QString running = tr("Running %1").arg(QFileInfo(dirKey).fileName());
        context.progress(-1, running);
        RunInput input = inputOf(spec, context, running);
        QString text = spec.text;
        if (!info->canEncode) {
            // No tokenizer: the text box holds token ids. A model that just opened on a text written for another
            // one (its example, the last text: words, not numbers) opens on starting ids instead, which the
            // window then shows; numbers that are no ids of this model are refused as always.
            const ModelConfig& c = info->config;   // an encoder-decoder model's box holds its source's ids
            const int64_t vocab = c.isEncoderDecoder() ? c.encoderDecoder->sourceVocabSize : c.vocabSize;
            try {
                input.tokenIds = parseTypedTokenIds(spec.text, vocab);
            } catch (const Error&) {
                if (runsSinceLoad > 0 || looksLikeTokenIds(spec.text)) throw;
                input.tokenIds = startingTokenIds(vocab, info->config.nPositions);
                text = typedTokenIds(input.tokenIds);
            }
        }
        ++runsSinceLoad;
        const SessionRun run = session->run(input);
        return snapshotOf(run, text, context);
    }
};

ModelSession::ModelSession(QObject* parent) : QObject(parent), loaded_(std::make_shared<Loaded>()) {
    qRegisterMetaType<headlight::RunSnapshot>("headlight::RunSnapshot");
    qRegisterMetaType<headlight::AnalysisResult>("headlight::AnalysisResult");
}

ModelSession::~ModelSession() {
    analysisJobs_.cancel();
    jobs_.cancel();
    // The engine goes on the worker thread, after the queued jobs (which hold loaded_ too) were skipped;
    // jobs_'s destructor then waits for it.
    jobs_.runOnWorker([loaded = std::move(loaded_)]() mutable { loaded.reset(); });
}

void ModelSession::request(const RunSpec& spec) {
    // Set on the worker before the load error is thrown, read on this thread when the failure arrives.
    auto modelFailed = std::make_shared<std::atomic_bool>(false);
    // Written on the worker, read here once the result arrived (the delivery is queued after the work).
    auto filesChanged = std::make_shared<QString>();
    auto work = [loaded = loaded_, spec, modelFailed, filesChanged](JobContext& context) -> QVariant {
        double loadMs = 0;
        try {
            loadMs = loaded->ensureLoaded(spec, context);
        } catch (...) {
            modelFailed->store(true);
            throw;
        }
        if (context.cancelled()) return {};
        *filesChanged = QString::fromStdString(loaded->session->filesChanged());
        RunSnapshot snapshot;
        try {
            snapshot = loaded->run(spec, context);
        } catch (const Cancelled&) {
            return {};   // not delivered: the tracker knows the job was cancelled
        }
        snapshot.loadMs = loadMs;
        context.progress(1.0, tr("Done"));
        return QVariant::fromValue(snapshot);
    };
    jobs_.submit(
        tr("Running %1").arg(QFileInfo(QDir::cleanPath(spec.modelDir)).fileName()), std::move(work),
        [this, filesChanged](const QVariant& result) {
            const QPointer<ModelSession> alive(this);   // a receiver may close the session on the result
            emit runFinished(result.value<RunSnapshot>());
            if (alive && !filesChanged->isEmpty()) emit modelFilesChanged(*filesChanged);
        },
        [this, modelFailed](const QString& message) { emit runFailed(message, modelFailed->load()); });
}

void ModelSession::cancel() { jobs_.cancel(); }

void ModelSession::focus(const RunSnapshot& shown, const RunSpec& spec) {
    if (!shown.valid()) return;
    auto work = [loaded = loaded_, shown, spec](JobContext& context) -> QVariant {
        std::shared_ptr<Session> session;
        {
            std::lock_guard<std::mutex> lock(loaded->mutex);
            if (loaded->info == shown.model) session = loaded->session;
        }
        if (!session) throw Error(shown.model->dir.toStdString(), "is no longer the loaded model");
        context.progress(-1, tr("Capturing layer %1, head %2").arg(spec.focusLayer).arg(spec.focusHead));
        if (std::optional<Trace> trace = session->recapture(*shown.trace, spec.focusLayer, spec.focusHead)) {
            RunSnapshot snapshot = shown;
            snapshot.trace = std::make_shared<const Trace>(std::move(*trace));
            snapshot.summarized = snapshot.trace.get();   // the same run: its summaries (from the digests) still hold
            context.progress(1.0, tr("Done"));
            return QVariant::fromValue(snapshot);
        }
        try {   // the engine ran something else since (a what-if, then back): run the shown input again
            return QVariant::fromValue(loaded->run(spec, context));
        } catch (const Cancelled&) {
            return {};
        }
    };
    jobs_.submit(
        tr("Capturing layer %1, head %2").arg(spec.focusLayer).arg(spec.focusHead), std::move(work),
        [this](const QVariant& result) { emit runFinished(result.value<RunSnapshot>()); },
        [this](const QString& message) { emit runFailed(message, false); });
}

void ModelSession::translate(const RunSpec& spec, int maxNewTokens) {
    auto modelFailed = std::make_shared<std::atomic_bool>(false);
    auto work = [loaded = loaded_, spec, maxNewTokens, modelFailed](JobContext& context) -> QVariant {
        try {
            loaded->ensureLoaded(spec, context);
        } catch (...) {
            modelFailed->store(true);
            throw;
        }
        const QString running = tr("Translating with %1").arg(QFileInfo(loaded->dirKey).fileName());
        context.progress(-1, running);
        const std::string target = loaded->session->translate(spec.text.toStdString(), maxNewTokens, [&](int tokens) {
            context.progress(static_cast<double>(tokens) / maxNewTokens, running);
            return !context.cancelled();
        });
        if (context.cancelled()) return {};
        context.progress(1.0, tr("Done"));
        return QVariant::fromValue(QString::fromStdString(target));
    };
    jobs_.submit(
        tr("Translating"), std::move(work), [this](const QVariant& result) { emit translated(result.toString()); },
        [this, modelFailed](const QString& message) { emit runFailed(message, modelFailed->load()); });
}

InspectResult inspectRun(const Engine& engine, const RunSnapshot& snapshot, bool lens, int position,
                         const std::function<void()>& checkCancelled) {
    const Trace& trace = *snapshot.trace;
    InspectResult result;
    result.trace = snapshot.trace;
    if (lens) {
        LensRequest request;
        request.tokenIds = trace.tokenIds;
        request.headMask = trace.headMask.toVector();
        request.rollout = false;   // the run's own (RunSnapshot::rollout)
        if (checkCancelled) request.progress = [&checkCancelled](int, int) { checkCancelled(); };
        result.lens = std::make_shared<const LogitLens>(logitLens(engine, request));
    }
    if (position >= 0 && position < static_cast<int>(trace.tokenIds.size())) {
        if (checkCancelled) checkCancelled();
        AttributionRequest request;
        request.tokenIds = trace.tokenIds;
        request.headMask = trace.headMask.toVector();
        request.position = position;
        result.attribution = std::make_shared<const Attribution>(attributeLogit(engine, request));
    }
    return result;
}

void ModelSession::inspect(const RunSnapshot& shown, bool lens, int position) {
    if (!shown.valid() || (!lens && position < 0) || shown.encoderDecoder()) return;   // the views say why
    auto work = [loaded = loaded_, shown, lens, position](JobContext& context) -> QVariant {
        std::shared_ptr<const Engine> engine;
        {
            std::lock_guard<std::mutex> lock(loaded->mutex);
            if (loaded->info == shown.model) engine = std::shared_ptr<const Engine>(loaded->session, &loaded->session->engine());
        }
        if (!engine) throw Error(shown.model->dir.toStdString(), "is no longer the loaded model");
        context.progress(-1, lens ? tr("Reading the residual stream layer by layer") : tr("Attributing the prediction at token %1").arg(position));
        try {
            return QVariant::fromValue(inspectRun(*engine, shown, lens, position, [&context] {
                if (context.cancelled()) throw Cancelled();
            }));
        } catch (const Cancelled&) {
            return {};
        }
    };
    inspectJobs_.submit(
        lens ? tr("Logit lens") : tr("Attribution"), std::move(work),
        [this](const QVariant& result) { emit inspected(result.value<InspectResult>()); },
        [this](const QString& message) { emit inspectFailed(message); });
}

void ModelSession::analyze(const AnalysisSpec& spec) {
    auto work = [loaded = loaded_, spec](JobContext& context) -> QVariant {
        std::shared_ptr<const Engine> engine = loaded->engineFor(spec.modelDir, spec.device, spec.selectorHead);
        if (!engine) {
            context.progress(-1, tr("Loading %1").arg(QFileInfo(QDir::cleanPath(spec.modelDir)).fileName()));
            engine = std::make_shared<const Engine>(Engine::load(spec.modelDir.toStdString(), loadOptions(spec.device, spec.selectorHead)));
        }
        context.progress(0.0);
        try {
            AnalysisResult result = runAnalysis(*engine, spec, [&context](double f) {
                context.progress(f);
                return !context.cancelled();
            });
            return QVariant::fromValue(result);
        } catch (const Cancelled&) {
            return {};   // not delivered: the tracker knows the job was cancelled
        }
    };
    QString label;
    switch (spec.kind) {
    case AnalysisKind::Importance: label = tr("Head importance"); break;
    case AnalysisKind::Ablation: label = tr("Single-head ablation"); break;
    case AnalysisKind::Curves: label = tr("Pruning curves"); break;
    case AnalysisKind::MemoryCurve: label = tr("Loss versus memory"); break;
    }
    analysisJobs_.submit(
        label, std::move(work),
        [this](const QVariant& result) { emit analysisFinished(result.value<AnalysisResult>()); },
        [this](const QString& message) { emit analysisFailed(message); });
}

void ModelSession::cancelAnalysis() { analysisJobs_.cancel(); }

QStringList ModelSession::availableDevices() {
    QStringList devices{QStringLiteral("cpu")};
    if (Engine::cudaAvailable()) devices << QStringLiteral("cuda");
    return devices;
}

} // namespace headlight
