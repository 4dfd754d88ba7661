#include "head_overview_model.h"

#include "views/attention/view_support.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace headlight {

HeadOverviewModel::HeadOverviewModel(QObject* parent) : QAbstractTableModel(parent) {}

void HeadOverviewModel::setSnapshot(const RunSnapshot& snapshot) {
    beginResetModel();
    snapshot_ = snapshot;
    recompute();
    endResetModel();
}

void HeadOverviewModel::setMetric(const QString& id) {
    const QString before = metric();
    requested_ = id;
    if (metric() == before) return;
    beginResetModel();   // every cell changes; a reset keeps attached views simple
    recompute();
    endResetModel();
}

namespace {
const QString kImportance = QStringLiteral("importance");
const QString kAblation = QStringLiteral("ablation");
} // namespace

const FloatArray* HeadOverviewModel::scoreArray(const QString& id) const {
    if (!snapshot_.scores || !snapshot_.model) return nullptr;
    const FloatArray* a = id == kImportance ? &snapshot_.scores->importance : id == kAblation ? &snapshot_.scores->ablationDeltaLoss : nullptr;
    const auto& c = snapshot_.model->config;
    return a && a->rank() == 2 && a->dim(0) == c.nLayer && a->dim(1) == c.nHead ? a : nullptr;
}

QString HeadOverviewModel::metricNameFor(const QString& id) {
    if (id == kImportance) return tr("Head importance I_h");
    if (id == kAblation) return tr("Loss change, pruned alone");
    const auto known = headMetricFromId(id.toStdString());
    return known ? tr(headMetricInfo(*known).name) : id;
}

HeadMetric HeadOverviewModel::shownMetric() const {
    const auto requested = headMetricFromId(requested_.toStdString());
    if (requested && (!snapshot_.model || headMetricAvailable(*requested, snapshot_.model->config))) return *requested;
    return HeadMetric::entropy();
}

QString HeadOverviewModel::metric() const {
    if (scoreArray(requested_)) return requested_;
    return QString::fromLatin1(headMetricInfo(shownMetric()).id);
}
QString HeadOverviewModel::metricName() const { return metricNameFor(metric()); }
QString HeadOverviewModel::metricUnit() const {
    if (scoreArray(requested_)) return requested_ == kAblation ? tr("nats") : QString();
    return tr(headMetricInfo(shownMetric()).unit);
}

QStringList HeadOverviewModel::availableMetrics() const {
    QStringList ids;
    for (const auto& info : headMetrics())
        if (!snapshot_.model || headMetricAvailable(info.metric, snapshot_.model->config))
            ids << QString::fromLatin1(info.id);
    for (const QString& id : {kImportance, kAblation})
        if (scoreArray(id)) ids << id;
    return ids;
}

void HeadOverviewModel::recompute() {
    if (!snapshot_.valid()) {
        values_ = FloatArray();
        states_ = HeadStates();
        summaries_.reset();
        summarized_.reset();
        return;
    }
    // Computed with the run on the worker (headSummaries computes them only for snapshots made elsewhere).
    if (!summaries_ || summarized_ != snapshot_.trace) {
        summaries_ = headSummaries(snapshot_);
        summarized_ = snapshot_.trace;
    }
    const FloatArray* scores = scoreArray(requested_);
    const FloatArray* metric = summaries_->find(shownMetric());
    values_ = scores ? *scores : metric ? *metric : computeHeadMetric(shownMetric(), *snapshot_.trace, snapshot_.model->config);
    states_ = summaries_->states;
}

double HeadOverviewModel::value(int layer, int head) const {
    if (layer < 0 || head < 0 || layer >= rowCount() || head >= columnCount())
        return std::numeric_limits<double>::quiet_NaN();
    return values_.at({layer, head});
}

bool HeadOverviewModel::isClosed(int layer, int head) const { return states_.isClosed(layer, head); }

QString HeadOverviewModel::tagOfRole(const std::string& role) {
    if (role == "previous_token") return QStringLiteral("prev");
    if (role == "next_token") return QStringLiteral("next");
    if (role == "first_token") return QStringLiteral("sink");
    if (role == "duplicate_token") return QStringLiteral("dup");
    if (role == "induction") return QStringLiteral("ind");
    if (role == "rare_token") return QStringLiteral("rare");
    return {};
}

QString HeadOverviewModel::roleTag(int layer, int head) const {
    if (!summaries_ || !summaries_->roles) return {};
    return tagOfRole(summaries_->roles->label(layer, head));
}

std::vector<std::string> HeadOverviewModel::labelledRoles() const {
    std::vector<std::string> roles;
    if (!summaries_ || !summaries_->roles) return roles;
    for (const std::string& role : roleIds()) {
        if (tagOfRole(role).isEmpty()) continue;
        bool shown = false;
        for (int l = 0; l < rowCount() && !shown; ++l)
            for (int h = 0; h < columnCount() && !shown; ++h) shown = summaries_->roles->label(l, h) == role;
        if (shown) roles.push_back(role);
    }
    return roles;
}

QStringList HeadOverviewModel::roleLegendEntries() const {
    QStringList entries;
    for (const std::string& role : labelledRoles())
        entries << QStringLiteral("%1 = %2").arg(tagOfRole(role), QString::fromStdString(roleName(role)).toLower());
    return entries;
}

QString HeadOverviewModel::roleLegend() const {
    QStringList parts;
    for (const std::string& role : labelledRoles())
        parts << QStringLiteral("%1 %2").arg(tagOfRole(role), QString::fromStdString(roleName(role)).toLower());
    return parts.isEmpty() ? QString() : QObject::tr("Roles (score \u2265 %1): %2").arg(kRoleThreshold).arg(parts.join(QStringLiteral(", ")));
}
bool HeadOverviewModel::isPruned(int layer, int head) const { return states_.isPruned(layer, head); }

double HeadOverviewModel::maximum() const {
    double best = std::numeric_limits<double>::quiet_NaN();
    for (float v : values_)
        if (std::isfinite(v) && !(v <= best)) best = v;
    return best;
}

double HeadOverviewModel::minimum() const {
    double best = std::numeric_limits<double>::quiet_NaN();
    for (float v : values_)
        if (std::isfinite(v) && !(v >= best)) best = v;
    return best;
}

std::pair<double, double> HeadOverviewModel::colorRange() const {
    const double low = minimum(), high = maximum();
    if (!std::isfinite(low) || !std::isfinite(high)) return {0.0, 1.0};
    // Headlight's metrics without a unit are probabilities and fractions in [0, 1]; the scores are not.
    const bool fraction = metricUnit().isEmpty() && !scoreArray(requested_);
    if (fraction && low >= 0.0 && high <= 1.0) return {0.0, 1.0};
    if (high > low) return {low, high};
    const double pad = std::max(0.5 * std::abs(high), 1e-6);   // one value: it sits mid-scale
    return {low - pad, high + pad};
}

int HeadOverviewModel::cellDecimals() const {
    double largest = 0;
    for (float v : values_)
        if (std::isfinite(v)) largest = std::max(largest, std::abs(static_cast<double>(v)));
    if (largest == 0) return 2;
    int decimals = 2 - static_cast<int>(std::floor(std::log10(largest)));   // 3 significant digits of the largest
    // Close values (a random model's entropies, 5.3497 to 5.3513) keep two digits of their spread apart.
    const double spread = maximum() - minimum();
    if (spread > 0) decimals = std::max(decimals, 1 - static_cast<int>(std::floor(std::log10(spread))));
    return std::clamp(decimals, 0, 4);
}

QString HeadOverviewModel::formatCell(double value) const {
    if (!std::isfinite(value)) return tr("n/a");
    const int decimals = cellDecimals();
    // A value that rounds to zero prints "0.00", never "-0.00".
    if (std::abs(value) < 0.5 * std::pow(10.0, -decimals)) value = 0.0;
    return QString::number(value, 'f', decimals);
}

QString HeadOverviewModel::format(double value) {
    if (!std::isfinite(value)) return tr("n/a");
    return QString::number(value, 'g', 3);
}

int HeadOverviewModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() || values_.rank() != 2 ? 0 : static_cast<int>(values_.dim(0));
}

int HeadOverviewModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() || values_.rank() != 2 ? 0 : static_cast<int>(values_.dim(1));
}

QVariant HeadOverviewModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return {};
    const int layer = index.row(), head = index.column();
    const double v = value(layer, head);
    switch (role) {
    case Qt::DisplayRole: return formatCell(v);
    case ValueRole: return v;
    case ClosedRole: return isClosed(layer, head);
    case PrunedRole: return isPruned(layer, head);
    case Qt::ToolTipRole: {
        QString unit = metricUnit();
        // "L3 H5 (KV head 1 of 2)": with grouped-query attention, the key/value head this query head shares.
        QString name = snapshot_.model ? headTitle(snapshot_, HeadRef{layer, head}) : QStringLiteral("L%1 H%2").arg(layer).arg(head);
        if (snapshot_.encoderDecoder()) name += QStringLiteral(" (%1)").arg(QString::fromStdString(snapshot_.blockOf(layer).name));
        QString tip = tr("%1\n%2: %3%4").arg(name, metricName(), format(v),
                                             unit.isEmpty() || !std::isfinite(v) ? QString() : " " + unit);
        if (!std::isfinite(v)) tip += tr(" (not captured in this run)");
        if (isClosed(layer, head)) tip += tr("\nGate closed (g = 0): the head's output is switched off.");
        if (isPruned(layer, head)) tip += tr("\nPruned in this run (head mask = 0).");
        return tip;
    }
    case Qt::TextAlignmentRole: return QVariant::fromValue(Qt::Alignment(Qt::AlignCenter));
    default: return {};
    }
}

QVariant HeadOverviewModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (role != Qt::DisplayRole || section < 0) return {};
    if (orientation == Qt::Vertical && section < rowCount())
        return snapshot_.encoderDecoder() ? rowName(section) : tr("layer %1").arg(section);
    if (orientation == Qt::Horizontal && section < columnCount()) return tr("head %1").arg(section);
    return {};
}

QString HeadOverviewModel::rowName(int layer) const { return snapshot_.rowName(layer); }

QList<std::pair<int, QString>> HeadOverviewModel::blocks() const {
    QList<std::pair<int, QString>> out;
    if (snapshot_.encoderDecoder())
        for (const AttentionBlock& b : snapshot_.model->blocks)   // short: the label sits inside a cell of the grid
            out.append({b.first, b.kind == AttentionKind::EncoderSelf ? tr("Encoder")
                                 : b.kind == AttentionKind::DecoderSelf ? tr("Decoder") : tr("Cross")});
    return out;
}

QHash<int, QByteArray> HeadOverviewModel::roleNames() const {
    QHash<int, QByteArray> names = QAbstractTableModel::roleNames();
    names[ValueRole] = "value";
    names[ClosedRole] = "closed";
    names[PrunedRole] = "pruned";
    return names;
}

} // namespace headlight
