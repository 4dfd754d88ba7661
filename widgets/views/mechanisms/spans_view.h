#pragma once
// Adaptive attention span (Sukhbaatar et al. 2019): how far back each head can look.
#include "trace_view.h"

#include <memory>

class QCustomPlot;
class QLabel;

namespace headlight {

class SpansController;

class SpansView : public TraceView {
    Q_OBJECT
public:
    explicit SpansView(HeadSelection* selection, QWidget* parent = nullptr);
    ~SpansView() override;

    QString id() const override { return QStringLiteral("spans"); }
    QString title() const override;
    QString explanation() const override;
    void exportFigure(const QString& path, const ExportOptions& options) override;

    QCustomPlot* plot() const;
    SpansController* controller() const { return controller_.get(); }
    QString notice() const;   // layers the run did not capture, or empty

protected:
    void refresh() override;

private:
    std::unique_ptr<SpansController> controller_;
    QLabel* notice_;
};

} // namespace headlight
