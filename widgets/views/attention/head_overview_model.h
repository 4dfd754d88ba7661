#pragma once
// The layers x heads table behind the head overview: one metric per head (rows = layers, columns = heads),
// plus whether each head was pruned or its gate closed. Any Qt item view can show it; the overview plots it.
#include "headlight/head_metrics.h"
#include "run_snapshot.h"

#include <QAbstractTableModel>
#include <QStringList>
#include <utility>

namespace headlight {

class HeadOverviewModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Role {
        ValueRole = Qt::UserRole + 1,   // double: the metric (NaN when not captured)
        ClosedRole,                     // bool: gate == 0
        PrunedRole,                     // bool: head mask == 0
    };

    explicit HeadOverviewModel(QObject* parent = nullptr);

    // Recomputes every value for this run (resets the model: the model's shape may change).
    void setSnapshot(const RunSnapshot& snapshot);
    // Chooses the metric by id ("entropy", "max_weight", "mean_distance", "first_token", "gate", "p_open", "span", "masking", "memory_share",
    // and, once an analysis computed them, "importance" and "ablation" from the snapshot's HeadScores).
    // The request is kept: an id this model lacks (or an unknown one) shows entropy until a model has it.
    void setMetric(const QString& id);
    QString requestedMetric() const { return requested_; }
    QString metric() const;                 // the metric shown now
    QString metricName() const;             // "Attention entropy"
    QString metricUnit() const;             // "nats", "tokens" or ""
    QStringList availableMetrics() const;   // ids, for the current model (entropy and max_weight always)
    static QString metricNameFor(const QString& id);

    double value(int layer, int head) const;   // NaN outside the table or where not captured
    // A row's name ("L3"; an encoder-decoder model's "E3", "D3", "X3") and the blocks of rows of an
    // encoder-decoder model's three kinds of attention (first row, name; empty for one stack).
    QString rowName(int layer) const;
    QList<std::pair<int, QString>> blocks() const;
    bool isClosed(int layer, int head) const;
    bool isPruned(int layer, int head) const;
    // The head's role label as a short tag ("prev", "ind", ...; headlight/head_roles.h), "" without one.
    QString roleTag(int layer, int head) const;
    // "Roles (score >= 0.4): ind induction, prev previous token" for the tags this run shows; "" when none.
    QString roleLegend() const;
    // The same as entries: "ind = induction", one per role shown.
    QStringList roleLegendEntries() const;
    // The tag of a role id ("induction" -> "ind") and back to its name.
    static QString tagOfRole(const std::string& role);
    // The roles that label at least one head of this run, in roleIds() order.
    std::vector<std::string> labelledRoles() const;
    // The largest finite value (NaN when none): the colour scale's upper end for unbounded metrics.
    double maximum() const;
    double minimum() const;   // the smallest finite value (NaN when none)
    // The colour scale's [low, high], shared by the overview and the head grid's frames: [0, 1] for the
    // probabilities and fractions (gate, largest weight, ...), so runs compare; the smallest to the largest value
    // of this run for the rest (entropy, distance, span, importance), so the heads' differences show. Widened
    // around a single value; [0, 1] when nothing is finite.
    std::pair<double, double> colorRange() const;
    // How a value is shown in hover texts: 3 significant digits, "n/a" for NaN.
    static QString format(double value);
    // How a value is shown in the cells and the grid's legend: every value with the same decimals, enough for 3
    // significant digits of the largest magnitude and 2 of the spread between the smallest and the largest, at
    // most 4 ("1.00", "1.20", "1.22", never "1", "1.2", "1.22").
    QString formatCell(double value) const;
    int cellDecimals() const;

    int rowCount(const QModelIndex& parent = QModelIndex()) const override;
    int columnCount(const QModelIndex& parent = QModelIndex()) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

private:
    void recompute();
    HeadMetric shownMetric() const;
    // The snapshot's score array for a score metric id ("importance", "ablation"), null when not computed.
    const FloatArray* scoreArray(const QString& id) const;

    RunSnapshot snapshot_;
    QString requested_ = QStringLiteral("entropy");
    std::shared_ptr<const HeadSummaries> summaries_;   // every metric of summarized_'s heads
    std::shared_ptr<const Trace> summarized_;
    FloatArray values_;   // [L,H]
    HeadStates states_;
};

} // namespace headlight
