#pragma once
// Every view of the app, in display order, and lookup by the CLI's --view names.
#include <QStringList>
#include <vector>

class QWidget;

namespace headlight {

class HeadSelection;
class TraceView;

// One of each view, sharing `selection`: the views of viewIds(), then the Analysis panel ("analysis").
std::vector<TraceView*> createAllViews(HeadSelection* selection, QWidget* parent = nullptr);
// The view named `id` ("overview", "attention", "lines", "gates", "spans", "selective", "memory",
// "predictions", "whatif", "lens", "attribution"), or nullptr. These draw one run (the CLI's figure command).
TraceView* createView(const QString& id, HeadSelection* selection, QWidget* parent = nullptr);
QStringList viewIds();

} // namespace headlight
