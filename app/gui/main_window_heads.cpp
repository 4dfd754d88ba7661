// MainWindow's views of what each head does (docs/head-roles.md): Select heads by role and the one key that
// prunes them together, and the Lens and Attribution views, whose numbers the workspace computes on its worker
// when they are shown.
#include "main_window.h"

#include "model_session.h"
#include "role_dialog.h"
#include "workspace.h"
#include "views/heads/attribution_view.h"
#include "views/heads/lens_view.h"

#include <QStatusBar>

namespace headlight {

void MainWindow::connectHeads() {
    auto* lens = qobject_cast<LensView*>(view(QStringLiteral("lens")));
    auto* attribution = qobject_cast<AttributionView*>(view(QStringLiteral("attribution")));
    // One request for what the visible views lack: a newer request replaces an older one on the worker.
    const auto inspectVisible = [this, lens, attribution] {
        const bool wantLens = lens && lens->isVisible();
        const bool wantAttribution = attribution && attribution->isVisible();
        workspace_->inspect(wantLens, wantAttribution, selection_->position());
    };
    if (lens) connect(lens, &LensView::lensWanted, this, inspectVisible);
    if (attribution) connect(attribution, &AttributionView::attributionWanted, this, inspectVisible);
    connect(workspace_, &Workspace::inspectionShown, this, [lens, attribution](const RunSnapshot& snapshot) {
        if (lens) lens->setSnapshot(snapshot);
        if (attribution) attribution->setSnapshot(snapshot);
    });
    connect(workspace_, &Workspace::inspectionFailed, this,
            [this](const QString& message) { statusBar()->showMessage(tr("Lens or attribution failed: %1").arg(message), 8000); });
}

void MainWindow::askSelectByRole() {
    const RunSnapshot& run = snapshot();
    const auto summaries = run.valid() ? headSummaries(run) : nullptr;
    if (!summaries || !summaries->roles) {
        showProblemBox(tr("Select heads by role"), tr("The run on screen has no role scores: run a text first."));
        return;
    }
    RoleDialog dialog(*summaries->roles, this);
    if (dialog.exec() != QDialog::Accepted) return;
    const QList<HeadRef> heads = dialog.matchingHeads();
    if (heads.isEmpty()) return;
    selection_->setHeads(heads);
    statusBar()->showMessage(tr("%n head(s) selected: press Space in the head overview to prune them together", nullptr,
                                static_cast<int>(heads.size())),
                             8000);
}

void MainWindow::togglePrunedHeads(const QList<HeadRef>& heads) {
    explicitRun_ = false;   // a what-if, not an explicit run: a failure shows inline
    workspace_->togglePrunedHeads(heads);
}

} // namespace headlight
