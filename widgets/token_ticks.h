#pragma once
// Token axes: upright token labels with their positions, as many as fit the axis, re-thinned after every
// layout (zoom, resize, a figure's size). Shared by every view that puts tokens along an axis.
#include <QString>
#include <QStringList>
#include <Qt>

class QCPAxis;

namespace headlight {

// Labels `axis` with upright token labels and their positions at integer ticks: every token while rows are at
// least a line high; up to 40 tokens in view every token still, turned to read upwards (horizontal axes) and in
// a smaller font down to 5 pt where needed; else as many as fit its length (re-thinned when zooming), so dense
// texts (2048 tokens) stay readable. `labels` may be empty (positions are shown as numbers, thinned to fit).
void setTokenTicks(QCPAxis* axis, const QStringList& labels);
// A token's tick label: "12 x" along a vertical axis, "x" over "12" along a horizontal one.
QString tokenTickLabel(int position, const QString& token, Qt::Orientation orientation);

} // namespace headlight
