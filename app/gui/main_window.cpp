#include "main_window.h"

#include "app_options.h"
#include "explain_panel.h"
#include "head_selection.h"
#include "input_bar.h"
#include "job_tracker.h"
#include "model_session.h"
#include "sample_catalog.h"
#include "settings.h"
#include "start_page.h"
#include "theme.h"
#include "trace_view.h"
#include "view_registry.h"
#include "workspace.h"
#include "views/attention/head_grid_view.h"
#include "views/attention/overview_view.h"
#include "views/mechanisms/selective_view.h"

#include <QApplication>
#include <algorithm>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QFileInfo>
#include <QFrame>
#include <QToolBar>
#include <QLabel>
#include <QMessageBox>
#include <QScreen>
#include <QMimeData>
#include <QProgressBar>
#include <QSettings>
#include <QStackedWidget>
#include <QScreen>
#include <QStatusBar>
#include <QTimer>
#include <QVBoxLayout>

namespace headlight {

MainWindow::MainWindow(Settings& settings, QWidget* parent)
    : QMainWindow(parent), settings_(settings), selection_(new HeadSelection(this)),
      workspace_(new Workspace(selection_, this)), exportJobs_(std::make_unique<JobTracker>()), input_(new InputBar),
      center_(new QStackedWidget), start_(new StartPage), explain_(new ExplainPanel),
      statusModel_(new QLabel), statusRun_(new QLabel), diskNotice_(new QLabel), progress_(new QProgressBar) {
    setWindowTitle(tr("Headlight"));
    setWindowIcon(appIcon());
    setAcceptDrops(true);
    setDockNestingEnabled(true);

    views_ = createAllViews(selection_);
    // The text box spans the whole window above the docks, so a long text reads in full.
    auto* textBar = new QToolBar(tr("Text"), this);
    textBar->setObjectName(QStringLiteral("textBar"));
    textBar->setMovable(false);
    textBar->setFloatable(false);
    input_->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    textBar->addWidget(input_);
    addToolBar(Qt::TopToolBarArea, textBar);
    center_->addWidget(start_);
    center_->addWidget(view(QStringLiteral("attention")));
    setCentralWidget(center_);
    buildDocks();
    buildMenus();
    connectPruning();
    connectHeads();

    progress_->setMaximumWidth(160);
    progress_->setRange(0, 0);
    progress_->hide();
    auto* separator = new QFrame;
    separator->setFrameShape(QFrame::VLine);
    separator->setFrameShadow(QFrame::Sunken);
    statusBar()->addWidget(statusModel_);
    statusBar()->addWidget(separator);
    statusBar()->addWidget(statusRun_, 1);
    diskNotice_->setObjectName(QStringLiteral("modelNotice"));
    diskNotice_->setStyleSheet(QStringLiteral("color: #d62728;"));
    diskNotice_->hide();
    statusBar()->addWidget(diskNotice_, 2);
    statusBar()->addPermanentWidget(progress_);

    input_->setDevices(ModelSession::availableDevices(), settings_.device());
    workspace_->setDevice(input_->device());
    connect(input_, &InputBar::runRequested, this, [this](const QString& text, bool explicitRun) {
        explicitRun_ = explicitRun;
        workspace_->setTarget(input_->target());
        workspace_->run(text);
    });
    // An encoder-decoder model's Translate: the model's own target fills the box, then runs with the source.
    connect(input_, &InputBar::translateRequested, this, [this] {
        explicitRun_ = true;
        workspace_->translate(input_->text());
    });
    connect(workspace_, &Workspace::translationShown, input_, &InputBar::setTarget);
    connect(input_, &InputBar::deviceChanged, this, [this](const QString& device) {
        settings_.setDevice(device);
        explicitRun_ = true;
        workspace_->setDevice(device);
        workspace_->run(input_->text());
    });
    ModelSession* session = workspace_->session();
    connect(input_, &InputBar::cancelRequested, session, &ModelSession::cancel);
    connect(workspace_, &Workspace::runShown, this, &MainWindow::showRun);
    // A long run holds one head's exact matrix: another head shows its pooled picture at once (from the run's
    // digests) while its exact matrix is computed from the kept activations of its layer.
    connect(selection_, &HeadSelection::headsChanged, workspace_, &Workspace::focusCurrentHead);
    connect(workspace_, &Workspace::runFailed, this, &MainWindow::showFailure);
    connect(workspace_, &Workspace::modelFilesChanged, this, [this](const QString& message) {
        // Shown until a run finds the files as they were (or another model opens); the views stay usable.
        diskNotice_->setText(message);
        diskNotice_->setToolTip(message);
        diskNotice_->show();
        emit problemShown(message);
    });
    connect(session->jobs(), &JobTracker::busyChanged, this, [this](bool busy) {
        progress_->setVisible(busy);
        input_->setBusy(busy);
    });
    connect(session->jobs(), &JobTracker::started, this, [this](const QString& label) {
        statusRun_->setText(label);
        progress_->setRange(0, 0);   // busy until the work says how far it is
    });
    // A long run reports each layer done: the bar fills, the status says what runs.
    connect(session->jobs(), &JobTracker::progress, this, [this](double fraction, const QString& text) {
        if (fraction >= 0) {
            progress_->setRange(0, 1000);
            progress_->setValue(static_cast<int>(fraction * 1000));
        }
        if (!text.isEmpty()) statusRun_->setText(text);
    });
    connect(session->jobs(), &JobTracker::cancelled, this, [this, session] {
        if (!session->jobs()->busy()) statusRun_->setText(tr("Cancelled."));
    });
    connect(start_, &StartPage::openRequested, this, [this](const QString& dir) { openModel(dir); });
    connect(start_, &StartPage::openFolderRequested, this, &MainWindow::askOpenFolder);
    connect(start_, &StartPage::backRequested, this, [this] { center_->setCurrentIndex(1); });
    start_->setRecentModels(settings_.recentModels());

    if (!restoreGeometry(settings_.windowGeometry())) resize(firstWindowSize(screen() ? screen()->availableGeometry().size() : QSize()));
    restoredLayout_ = restoreState(settings_.windowState());
}

MainWindow::~MainWindow() = default;

QSize MainWindow::firstWindowSize(QSize available) {
    const QSize preferred(1500, 940);
    if (available.isEmpty()) return preferred;
    // Room for the window's frame and title bar: on a 1280 x 800 laptop Run and the status bar stay on screen.
    return preferred.boundedTo(available - QSize(16, 48));
}

ModelSession* MainWindow::session() const { return workspace_->session(); }
const RunSnapshot& MainWindow::snapshot() const { return workspace_->snapshot(); }
const std::vector<float>& MainWindow::headMask() const { return workspace_->headMask(); }
void MainWindow::applyPreset(WhatIfPreset preset, int k) {
    explicitRun_ = false;
    workspace_->applyPreset(preset, k);
}

void MainWindow::buildDocks() {
    // Left: the head grid and the overview (tabbed), the Explain panel under them. Right: token lines,
    // predictions, what-ifs and analyses (tabbed), the token list under them. Bottom: the mechanism views, shown
    // only for models that have the mechanism (showRun), so that the matrix gets the room otherwise.
    struct Place { const char* id; Qt::DockWidgetArea area; };
    const Place places[] = {{"grid", Qt::LeftDockWidgetArea},        {"overview", Qt::LeftDockWidgetArea},
                            {"lines", Qt::RightDockWidgetArea},      {"predictions", Qt::RightDockWidgetArea},
                            {"whatif", Qt::RightDockWidgetArea},     {"analysis", Qt::RightDockWidgetArea},
                            {"lens", Qt::RightDockWidgetArea},       {"attribution", Qt::RightDockWidgetArea},
                            {"gates", Qt::BottomDockWidgetArea},     {"spans", Qt::BottomDockWidgetArea},
                            {"selective", Qt::BottomDockWidgetArea}, {"memory", Qt::BottomDockWidgetArea}};
    // The right-hand column runs down to the status bar: on a laptop screen a mechanism view below would leave
    // the what-if's plots under its buttons and summary no room at all.
    setCorner(Qt::BottomRightCorner, Qt::RightDockWidgetArea);
    QDockWidget* first[3] = {nullptr, nullptr, nullptr};   // left, right, bottom
    QDockWidget* tokensDock = nullptr;
    for (const Place& place : places) {
        TraceView* v = view(QString::fromLatin1(place.id));
        if (!v) continue;
        auto* dock = new QDockWidget(v->title(), this);
        dock->setObjectName(QStringLiteral("dock-") + v->id());
        dock->setWidget(v);
        addDockWidget(place.area, dock);
        QDockWidget*& f = first[place.area == Qt::LeftDockWidgetArea ? 0 : place.area == Qt::RightDockWidgetArea ? 1 : 2];
        if (f) {
            tabifyDockWidget(f, dock);
            continue;
        }
        f = dock;
        // The token list under the right-hand views, always in sight (split before the others tab onto them).
        TraceView* tokens = view(QStringLiteral("tokens"));
        if (place.area == Qt::RightDockWidgetArea && tokens) {
            tokensDock = new QDockWidget(tokens->title(), this);
            tokensDock->setObjectName(QStringLiteral("dock-tokens"));
            tokensDock->setWidget(tokens);
            addDockWidget(Qt::RightDockWidgetArea, tokensDock);
            splitDockWidget(dock, tokensDock, Qt::Vertical);
        }
    }
    for (QDockWidget* f : first)
        if (f) f->raise();
    auto* explainDock = new QDockWidget(tr("Explain"), this);
    explainDock->setObjectName(QStringLiteral("dock-explain"));
    explainDock->setWidget(explain_);
    addDockWidget(Qt::LeftDockWidgetArea, explainDock);
    // The Explain panel follows the dock brought to the front.
    connect(this, &QMainWindow::tabifiedDockWidgetActivated, this, [this](QDockWidget* dock) {
        if (auto* v = qobject_cast<TraceView*>(dock->widget())) explain_->explain(v);
    });
    // A first layout that gives the matrix the middle; it needs the window's real size, so it waits for the
    // event loop (a saved layout, restored in the constructor, wins).
    QTimer::singleShot(0, this, [this, left = first[0], right = first[1], bottom = first[2], explainDock, tokensDock] {
        if (restoredLayout_) return;
        resizeDocks({left, right}, {width() * 9 / 40, width() / 4}, Qt::Horizontal);
        resizeDocks({bottom}, {height() * 3 / 10}, Qt::Vertical);
        resizeDocks({left, explainDock}, {height() * 3 / 5, height() / 5}, Qt::Vertical);
        if (tokensDock) resizeDocks({right, tokensDock}, {height() * 3 / 5, height() / 6}, Qt::Vertical);
    });

    for (TraceView* v : views_) {
        v->installEventFilter(this);
        for (QWidget* child : v->findChildren<QWidget*>()) child->installEventFilter(this);
        connect(v, &TraceView::exportRequested, this, &MainWindow::askExport);
        if (auto* selective = qobject_cast<SelectiveView*>(v)) {
            connect(selective, &SelectiveView::budgetRequested, this, [this](const std::vector<int>& budget) {
                explicitRun_ = true;
                workspace_->setContextBudget(budget);
            });
        }
    }
    if (auto* overview = qobject_cast<OverviewView*>(view(QStringLiteral("overview")))) {
        if (auto* grid = qobject_cast<HeadGridView*>(view(QStringLiteral("grid")))) grid->setMetricSource(overview->model());
        overview->setMetric(settings_.overviewMetric());
        connect(overview, &OverviewView::metricChanged, this, [this](const QString& id) { settings_.setOverviewMetric(id); });
    }
    explain_->explain(view(QStringLiteral("attention")));
}

TraceView* MainWindow::view(const QString& id) const {
    for (TraceView* v : views_)
        if (v->id() == id) return v;
    return nullptr;
}

void MainWindow::openInitialModel() {
    const QString last = settings_.lastModel();
    // A mark set while the last model reopens and cleared once it is shown or refused: still set at the next
    // start, it means that launch died on this model, so it is skipped once and the app starts on a sample.
    QSettings marks;
    const QString reopening = QStringLiteral("startup/reopening");
    const bool diedLastTime = !last.isEmpty() && marks.value(reopening).toString() == last;
    marks.remove(reopening);
    if (!last.isEmpty() && !diedLastTime && QFileInfo(last + QStringLiteral("/config.json")).exists()) {
        marks.setValue(reopening, last);
        marks.sync();
        const auto clear = [reopening] { QSettings().remove(reopening); };
        connect(this, &MainWindow::snapshotShown, this, clear, Qt::SingleShotConnection);
        connect(this, &MainWindow::problemShown, this, clear, Qt::SingleShotConnection);
        const QString text = settings_.lastText();
        openModel(last, text.isEmpty() ? exampleTextFor(last) : text);
        return;
    }
    const SampleModel sample = defaultSample();
    if (!sample.dir.isEmpty()) openModel(sample.dir, sample.example);
}

void MainWindow::openModel(const QString& dir, const QString& text) {
    explicitRun_ = true;
    const QString t = text.isEmpty() ? exampleTextFor(QDir(dir).absolutePath()) : text;
    input_->setText(t);
    workspace_->open(dir, t);
}

void MainWindow::setTarget(const QString& target) {
    input_->setTarget(target);
    workspace_->setTarget(target);
}

void MainWindow::runText(const QString& text) {
    explicitRun_ = true;
    input_->setText(text);
    workspace_->run(text);
}

void MainWindow::showRun(const RunSnapshot& snapshot, bool newModel) {
    diskNotice_->hide();   // modelFilesChanged follows when the files still differ
    selection_->clampTo(snapshot.layers(), snapshot.heads(), snapshot.tokens());
    for (TraceView* v : views_) v->setSnapshot(snapshot);
    center_->setCurrentIndex(1);
    explain_->explain(explain_->explained());

    const auto& c = snapshot.model->config;
    input_->setEncoderDecoder(snapshot.encoderDecoder());
    if (snapshot.encoderDecoder())
        input_->showTranslationRun(snapshot.sourceTokens(), snapshot.tokens(), c.nPositions, snapshot.droppedTokens,
                                   snapshot.droppedTargetTokens);
    else
        input_->showRun(snapshot.tokens(), c.nPositions, snapshot.droppedTokens);
    input_->showInputKind(snapshot, newModel);
    if (newModel) input_->showCaption(snapshot.model->preset.caption);
    QString modelText = tr("%1  |  %2 layers x %3 heads  |  %4").arg(snapshot.model->name).arg(c.nLayer)
                            .arg(c.nHead).arg(snapshot.model->device);
    if (snapshot.encoderDecoder())   // the stack's rows are three kinds of attention
        modelText = tr("%1  |  encoder %2 + decoder %3 layers (self- and cross-attention) x %4 heads  |  %5")
                        .arg(snapshot.model->name).arg(snapshot.model->blocks.front().rows).arg(snapshot.model->blocks.back().rows)
                        .arg(c.nHead).arg(snapshot.model->device);
    if (workspace_->zeroShotSelective() >= 0)
        modelText += tr("  |  selective attention, zero-shot (head %1 selects)").arg(workspace_->zeroShotSelective());
    statusModel_->setText(modelText);
    QString runText = tr("%n token(s)  |  forward %1 ms  |  %2", nullptr, snapshot.tokens())
                          .arg(snapshot.trace->timings.forwardMs, 0, 'f', 1)
                          .arg(scoredLossText(snapshot));
    if (snapshot.pruned())
        runText += tr("  |  %n head(s) pruned, recomputed from layer %1", nullptr,
                          prunedHeadCount(std::vector<float>(snapshot.trace->headMask.begin(), snapshot.trace->headMask.end())))
                       .arg(snapshot.trace->timings.firstLayerRun);
    statusRun_->setText(runText);
    updateZeroShotAction();
    const QString modelDir = snapshot.model->dir;
    if (newModel) {
        raiseFirstAvailableMechanism();
        applyViewPreset(snapshot);
        setWindowTitle(tr("%1 - Headlight").arg(snapshot.model->name));
        settings_.addRecentModel(modelDir);
        start_->setRecentModels(settings_.recentModels());
        rebuildRecentMenu();
    }
    settings_.setLastModel(modelDir);
    settings_.setLastText(snapshot.text);
    emit snapshotShown(snapshot);
    // The head may have changed while the run worked (or a view preset chose one): once this delivery is over
    // and the worker is free, fetch its exact matrix.
    QTimer::singleShot(0, workspace_, &Workspace::focusCurrentHead);
}

void MainWindow::raiseFirstAvailableMechanism() {
    // The bottom docks hold the mechanism views: those of mechanisms this model lacks go out of the way (the
    // View menu still shows them), and the first one it has comes to the front.
    bool raised = false;
    for (const char* id : {"gates", "spans", "selective", "memory"}) {
        TraceView* v = view(QString::fromLatin1(id));
        auto* dock = v ? qobject_cast<QDockWidget*>(v->parentWidget()) : nullptr;
        if (!dock) continue;
        const bool available = v->unavailableReason().isEmpty();
        dock->setVisible(available);
        if (available && !raised) {
            dock->raise();
            raised = true;
        }
    }
}

QString MainWindow::scoredLossText(const RunSnapshot& snapshot) {
    // The loss the model card reports: over the predictions its task scores (view.json), not over every
    // position of the text (an assignment task scores only the answer).
    const FloatArray& loss = snapshot.trace->loss;
    // A masked-token model (BERT) has no loss on a plain text: it predicts its [MASK] positions.
    if (snapshot.trace->objective != "next token")
        return tr("no loss: a %1 model (predictions at [MASK] positions)").arg(QString::fromStdString(snapshot.trace->objective));
    const ViewPreset& preset = snapshot.model->preset;
    const std::vector<int> scored = scoredPredictions(preset.scored, static_cast<int>(loss.size()));
    if (scored.empty()) return tr("no loss (a single token)");
    double sum = 0;
    for (int i : scored) sum += loss.data()[i];
    const double mean = sum / static_cast<double>(scored.size());
    const QString value = mean < 1e-3 ? QString::number(mean, 'g', 2) : QString::number(mean, 'f', 3);
    if (static_cast<int64_t>(scored.size()) == loss.size())
        return tr("mean loss %1 over all %2 predictions").arg(value).arg(loss.size());
    return tr("loss %1 on %2 (%3 of %4 predictions scored; all: %5)")
        .arg(value, preset.scoredLabel.isEmpty() ? tr("the scored positions") : preset.scoredLabel)
        .arg(scored.size())
        .arg(loss.size())
        .arg(snapshot.trace->meanLoss(), 0, 'f', 3);
}

void MainWindow::applyViewPreset(const RunSnapshot& snapshot) {
    // Where the model's mechanism shows (view.json): the position, the head and the view in front.
    const ViewPreset& preset = snapshot.model->preset;
    if (preset.hasHeadIn(snapshot.layers(), snapshot.heads())) selection_->setCurrent({preset.layer, preset.head});
    if (const int position = preset.positionIn(snapshot.tokens()); position >= 0) selection_->setPosition(position);
    if (TraceView* v = preset.view.isEmpty() ? nullptr : view(preset.view)) {
        if (auto* dock = qobject_cast<QDockWidget*>(v->parentWidget())) {
            dock->show();
            dock->raise();
            // A mechanism view that teaches this model gets a third of the height (its panels need it), the
            // matrix above it keeps half (the right-hand column no longer caps the bottom dock: setCorner).
            if (dockWidgetArea(dock) == Qt::BottomDockWidgetArea) resizeDocks({dock}, {height() / 3}, Qt::Vertical);
        }
        explain_->explain(v);
    }
}

void MainWindow::showFailure(const QString& message, bool modelFailed) {
    updateZeroShotAction();   // a failed load puts back the model on screen, with or without the selection
    // After a failed load the workspace keeps the model on screen on its own device: the box follows it.
    if (modelFailed && input_->device() != workspace_->device()) {
        input_->setDevices(ModelSession::availableDevices(), workspace_->device());
        settings_.setDevice(workspace_->device());
    }
    if (modelFailed || explicitRun_) showProblemBox(modelFailed ? tr("Cannot open model") : tr("Cannot run text"), message);
    if (!modelFailed) input_->showProblem(message);
    statusRun_->setText(message);
    emit problemShown(message);
}

void MainWindow::showProblemBox(const QString& title, const QString& message) {
    // Window-modal but not blocking: the event loop (and the tests) go on.
    auto* box = new QMessageBox(QMessageBox::Warning, title, message, QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setWindowModality(Qt::WindowModal);
    box->open();
}

void MainWindow::setDark(bool dark) {
    settings_.setDarkTheme(dark);
    if (auto* app = qobject_cast<QApplication*>(QCoreApplication::instance())) applyTheme(*app, dark);
}

bool MainWindow::eventFilter(QObject* watched, QEvent* event) {
    if (event->type() == QEvent::MouseButtonPress || event->type() == QEvent::FocusIn) {
        for (QObject* o = watched; o; o = o->parent()) {
            if (auto* v = qobject_cast<TraceView*>(o)) {
                if (explain_->explained() != v) explain_->explain(v);
                break;
            }
        }
    }
    return QMainWindow::eventFilter(watched, event);
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    const auto urls = event->mimeData()->urls();
    if (!urls.isEmpty() && urls.front().isLocalFile() && QFileInfo(urls.front().toLocalFile()).isDir())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
    const auto urls = event->mimeData()->urls();
    if (!urls.isEmpty()) openModel(urls.front().toLocalFile());
}

void MainWindow::closeEvent(QCloseEvent* event) {
    settings_.setWindowGeometry(saveGeometry());
    settings_.setWindowState(saveState());
    workspace_->session()->cancel();
    QMainWindow::closeEvent(event);
}

} // namespace headlight
