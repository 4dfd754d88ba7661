#pragma once
// Persistent memory (all-attention layers): how much attention goes to learned memory slots instead of tokens.
#include "trace_view.h"

#include <memory>

class QCustomPlot;
class QLabel;

namespace headlight {

class MemoryController;

class MemoryView : public TraceView {
    Q_OBJECT
public:
    explicit MemoryView(HeadSelection* selection, QWidget* parent = nullptr);
    ~MemoryView() override;

    QString id() const override { return QStringLiteral("memory"); }
    QString title() const override;
    QString explanation() const override;
    void exportFigure(const QString& path, const ExportOptions& options) override;

    QCustomPlot* plot() const;
    MemoryController* controller() const { return controller_.get(); }
    QString notice() const;   // layers the run did not capture, or empty

protected:
    void refresh() override;

private:
    std::unique_ptr<MemoryController> controller_;
    QLabel* notice_;
};

} // namespace headlight
