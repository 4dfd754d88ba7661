#pragma once
// Direct logit attribution as horizontal bars: the largest terms of the logit at the selected position (each
// head, MLP, the embeddings and the bias terms; docs/head-roles.md), the largest on top, coloured by kind. The
// numbers come from RunSnapshot::attribution (computed on the worker).
#include "head_selection.h"
#include "plot_style.h"
#include "run_snapshot.h"

#include <QPointF>
#include <QString>
#include <optional>
#include <vector>

class QCustomPlot;
class QCPBars;
class QCPTextElement;

namespace headlight {

class AttributionController {
public:
    // Bars shown: the terms with the largest |value|.
    static constexpr int kShownTerms = 16;

    explicit AttributionController(QCustomPlot* plot);

    // Recomputes and redraws; returns why nothing can be drawn ("" when drawn).
    QString update(const RunSnapshot& run, const HeadSelection& selection, const PlotStyle& style);

    // The terms drawn, top bar first (indices into the attribution's terms).
    const std::vector<size_t>& shown() const { return shown_; }
    const AttributionTerm* termAt(const QPointF& pixel) const;
    QString title() const { return title_; }
    // The attribution drawn (null before one arrives).
    const Attribution* attribution() const { return attribution_.get(); }

private:
    QCustomPlot* plot_;
    QCPTextElement* titleElement_;
    std::vector<QCPBars*> bars_;   // one series per kind: heads, MLPs, embeddings, biases
    std::shared_ptr<const Attribution> attribution_;
    std::vector<size_t> shown_;
    QString title_;
};

} // namespace headlight
