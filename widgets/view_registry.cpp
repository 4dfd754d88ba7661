#include "view_registry.h"

#include "views/attention/attention_matrix_view.h"
#include "views/attention/head_grid_view.h"
#include "views/attention/overview_view.h"
#include "views/attention/predictions_view.h"
#include "views/attention/token_list_view.h"
#include "views/attention/token_lines_view.h"
#include "views/heads/attribution_view.h"
#include "views/heads/lens_view.h"
#include "views/mechanisms/gates_view.h"
#include "views/mechanisms/memory_view.h"
#include "views/mechanisms/selective_view.h"
#include "views/mechanisms/spans_view.h"
#include "views/pruning/analysis_view.h"
#include "views/pruning/whatif_view.h"

#include <functional>
#include <utility>

namespace headlight {
namespace {

using Factory = std::function<TraceView*(HeadSelection*, QWidget*)>;

template <typename View>
std::pair<QString, Factory> entry(const char* id) {
    return {QString::fromLatin1(id), [](HeadSelection* s, QWidget* p) -> TraceView* { return new View(s, p); }};
}

const std::vector<std::pair<QString, Factory>>& registry() {
    static const std::vector<std::pair<QString, Factory>> views = {
        entry<OverviewView>("overview"),   entry<HeadGridView>("grid"),
        entry<AttentionMatrixView>("attention"),
        entry<TokenLinesView>("lines"),    entry<GatesView>("gates"),
        entry<SpansView>("spans"),         entry<SelectiveView>("selective"),
        entry<MemoryView>("memory"),       entry<PredictionsView>("predictions"),
        entry<WhatIfView>("whatif"),       entry<LensView>("lens"),
        entry<AttributionView>("attribution"),
    };
    return views;
}

} // namespace

std::vector<TraceView*> createAllViews(HeadSelection* selection, QWidget* parent) {
    std::vector<TraceView*> views;
    for (const auto& [id, make] : registry()) views.push_back(make(selection, parent));
    // Not a picture of one run (its results come from background analyses), so not a --view of the CLI.
    views.push_back(new AnalysisView(selection, parent));
    views.push_back(new TokenListView(selection, parent));   // the text itself, beside the plots
    return views;
}

TraceView* createView(const QString& id, HeadSelection* selection, QWidget* parent) {
    for (const auto& [name, make] : registry())
        if (name == id) return make(selection, parent);
    return nullptr;
}

QStringList viewIds() {
    QStringList ids;
    for (const auto& entryPair : registry()) ids << entryPair.first;
    return ids;
}

} // namespace headlight
