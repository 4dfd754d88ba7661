#pragma once
// Figures to files: PNG (at a chosen DPI), SVG and PDF (vector), written to a temporary file and renamed,
// so a failed export never leaves a half-written file.
#include <QSize>
#include <QString>
#include <QList>
#include <QStringList>
#include <functional>

class QCustomPlot;
class QWidget;

namespace headlight {

struct PlotStyle;

struct ExportOptions {
    int dpi = 150;                 // PNG only: pixels = size in points * dpi / 72
    bool publication = true;       // white background, black text, readable fonts, no UI chrome
    QSize size{};                  // in points (1/72 in); empty = the widget's current size
    bool exactHeight = false;      // size's height was asked for (a free size, --height): views keep it as is
};

// Figure sizes for papers: a journal's single column (about 3.3 in) and double column (about 6.9 in).
struct FigureSizePreset {
    QString id;      // "single", "double"
    QString name;    // "Single column (3.3 in)"
    QSize points;    // width x height in points
};
QList<FigureSizePreset> figureSizePresets();
// The preset's size in points, or an empty size for an unknown id (then the caller's own size applies).
QSize figureSizeFor(const QString& id);

// Figures are laid out in screen pixels (text measured as the screen measures it) and written at their size in
// points, so PNG, SVG and PDF look alike: the pixels a figure of `points` is laid out in.
QSize layoutPixelsFor(QSize points);
// Points for `pixels` of that layout (the inverse of layoutPixelsFor, one length).
double layoutPointsFor(double pixels);

// The formats by file suffix: "png", "svg", "pdf".
QStringList exportSuffixes();

// Writes `plot` as drawn now, in the format its suffix names (views restyle it first for a publication export:
// TraceView::exportStyled). Throws headlight::Error(path, problem): unknown suffix, unwritable path.
void exportPlot(QCustomPlot* plot, const QString& path, const ExportOptions& options);

// For stand-alone plot widgets (views use TraceView::exportStyled): redraws `plot` with `draw` in the
// publication style when `options` ask for it, writes it, then redraws it in `screen`, also when writing fails.
void exportRedrawn(QCustomPlot* plot, const QString& path, const ExportOptions& options,
                   const std::function<void(const PlotStyle&)>& draw, const PlotStyle& screen);

// The same for any custom-painted widget (rendered with QWidget::render; vector for SVG and PDF).
void exportWidget(QWidget* widget, const QString& path, const ExportOptions& options);

} // namespace headlight
