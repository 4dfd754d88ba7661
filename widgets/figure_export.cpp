#include "figure_export.h"

#include "plot_style.h"

#include "headlight/error.h"
#include "headlight/output_files.h"

#include <QBuffer>
#include <QFile>
#include <QFileInfo>
#include <QGuiApplication>
#include <QScreen>
#include <QImage>
#include <QPageSize>
#include <QPdfWriter>
#include <QSvgGenerator>
#include <QWidget>
#include <qcustomplot.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <unistd.h>

namespace headlight {
namespace {

[[noreturn]] void fail(const QString& path, const QString& problem) {
    throw Error(path.toStdString(), problem.toStdString());
}

QString formatOf(const QString& path) {
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (!exportSuffixes().contains(suffix))
        fail(path, QStringLiteral("unknown figure format \"%1\" (use .png, .svg or .pdf)").arg(suffix));
    return suffix;
}

// Renders the whole figure into memory, then writes it beside the target and renames it into place
// (OutputFiles, as the CLI does). The writers report failures unevenly (QImage::save and QPdfWriter ignore a
// failed write, QSvgGenerator has no error at all), so none of them touches the disk: the one write and the
// close are checked here. Checked first: a folder, device or FIFO at `path` (renaming over it would replace
// the node) and a missing or read-only folder. A failure part way leaves neither the file nor a temporary.
void writeAtomically(const QString& path, const std::function<bool(QIODevice*)>& write) {
    const std::string target = path.toStdString();
    OutputFiles out({{"figure", target}}, {});
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    if (!write(&buffer) || bytes.isEmpty()) fail(path, QStringLiteral("could not render the figure"));
    out.write(target, [&](const std::string& temp) {
        QFile file(QString::fromStdString(temp));
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(bytes) != bytes.size() || !file.flush()) {
            const QString why = file.errorString();
            file.close();
            fail(path, QStringLiteral("cannot write (%1)").arg(why));
        }
        // Some file systems report a full disk only when the data reach it.
        if (::fsync(file.handle()) != 0) fail(path, QStringLiteral("cannot write (%1)").arg(QString::fromLocal8Bit(std::strerror(errno))));
        file.close();
        if (file.error() != QFileDevice::NoError) fail(path, QStringLiteral("cannot write (%1)").arg(file.errorString()));
    });
    out.commit();
}

// The screen's logical DPI, which QFontMetrics (and so every plot's layout) measures text with.
double layoutDpi() {
    const QScreen* screen = QGuiApplication::primaryScreen();
    const double dpi = screen ? screen->logicalDotsPerInchY() : 96.0;
    return dpi > 0 ? dpi : 96.0;
}

QSize pointsOf(const QWidget* widget, const ExportOptions& options) {
    // Without a size: the widget as on screen (its pixels at the screen's resolution, in points).
    QSize size = options.size;
    if (size.isEmpty()) size = (QSizeF(widget->size()) * (72.0 / layoutDpi())).toSize();
    if (size.width() < 16 || size.height() < 16) size = figureSizeFor(QStringLiteral("single"));
    return size;
}

// One writer for both plot and widget figures. Every format lays the figure out in the same pixels
// (layoutPixelsFor: text measured as on screen) and maps them onto `size` points, so text has the same size
// relative to the figure in PNG, SVG and PDF. `draw` paints `pixels` onto a device, scaled by (sx, sy).
void exportFigure(const QString& path, const ExportOptions& options, QSize size,
                  const std::function<bool(QPaintDevice*, QSize pixels, double sx, double sy)>& draw) {
    const QString format = formatOf(path);
    const QSize pixels = layoutPixelsFor(size);
    const double dpi = layoutDpi();
    writeAtomically(path, [&](QIODevice* device) {
        if (format == QLatin1String("png")) {
            // Exactly size * dpi / 72 pixels; fonts resolve at the layout's DPI, then the painter scales.
            const QSize target(qRound(size.width() * options.dpi / 72.0), qRound(size.height() * options.dpi / 72.0));
            QImage image(target, QImage::Format_ARGB32_Premultiplied);
            image.fill(Qt::white);
            const int layoutDotsPerMeter = static_cast<int>(dpi / 0.0254 + 0.5);
            image.setDotsPerMeterX(layoutDotsPerMeter);
            image.setDotsPerMeterY(layoutDotsPerMeter);
            if (!draw(&image, pixels, double(target.width()) / pixels.width(), double(target.height()) / pixels.height()))
                return false;
            const int dotsPerMeter = static_cast<int>(options.dpi / 0.0254 + 0.5);
            image.setDotsPerMeterX(dotsPerMeter);
            image.setDotsPerMeterY(dotsPerMeter);
            return image.save(device, "PNG");
        }
        if (format == QLatin1String("svg")) {
            QSvgGenerator svg;
            svg.setOutputDevice(device);
            svg.setSize(pixels);
            svg.setViewBox(QRect(QPoint(0, 0), pixels));
            svg.setResolution(qRound(dpi));   // pixels at this resolution: `size` points on paper
            svg.setTitle(QFileInfo(path).completeBaseName());
            svg.setDescription(QStringLiteral("Headlight figure"));
            return draw(&svg, pixels, 1.0, 1.0);
        }
        QPdfWriter pdf(device);
        pdf.setCreator(QStringLiteral("Headlight"));
        pdf.setTitle(QFileInfo(path).completeBaseName());
        pdf.setResolution(qRound(dpi));
        pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
        pdf.setPageSize(QPageSize(QSizeF(size), QPageSize::Point, QString(), QPageSize::ExactMatch));
        return draw(&pdf, pixels, 1.0, 1.0);
    });
}

} // namespace

QList<FigureSizePreset> figureSizePresets() {
    return {{QStringLiteral("single"), QObject::tr("Single column (3.3 in)"), QSize(240, 200)},
            {QStringLiteral("double"), QObject::tr("Double column (6.9 in)"), QSize(497, 320)}};
}

QSize figureSizeFor(const QString& id) {
    for (const FigureSizePreset& p : figureSizePresets())
        if (p.id == id) return p.points;
    return {};
}

QSize layoutPixelsFor(QSize points) {
    const double f = layoutDpi() / 72.0;
    return {qRound(points.width() * f), qRound(points.height() * f)};
}

double layoutPointsFor(double pixels) { return pixels * 72.0 / layoutDpi(); }

QStringList exportSuffixes() { return {QStringLiteral("png"), QStringLiteral("svg"), QStringLiteral("pdf")}; }

void exportPlot(QCustomPlot* plot, const QString& path, const ExportOptions& options) {
    const QSize size = pointsOf(plot, options);
    exportFigure(path, options, size, [&](QPaintDevice* device, QSize pixels, double sx, double sy) {
        QCPPainter painter(device);
        if (!painter.isActive()) return false;
        painter.setRenderHint(QPainter::Antialiasing);
        painter.scale(sx, sy);
        painter.setMode(QCPPainter::pmVectorized);
        painter.setMode(QCPPainter::pmNoCaching);
        plot->toPainter(&painter, pixels.width(), pixels.height());
        return painter.end();
    });
}

void exportWidget(QWidget* widget, const QString& path, const ExportOptions& options) {
    const QSize size = pointsOf(widget, options);
    const QSize original = widget->size();
    const QSize pixels = layoutPixelsFor(size);
    if (pixels != original) widget->resize(pixels);
    auto restore = [&] { if (pixels != original) widget->resize(original); };
    try {
        exportFigure(path, options, size, [&](QPaintDevice* device, QSize, double sx, double sy) {
            QPainter painter(device);
            if (!painter.isActive()) return false;
            painter.scale(sx, sy);
            widget->render(&painter, QPoint(), QRegion(), QWidget::DrawWindowBackground | QWidget::DrawChildren);
            return painter.end();
        });
    } catch (...) {
        restore();
        throw;
    }
    restore();
}

void exportRedrawn(QCustomPlot* plot, const QString& path, const ExportOptions& options,
                   const std::function<void(const PlotStyle&)>& draw, const PlotStyle& screen) {
    if (options.publication) draw(PlotStyle::publication());
    try {
        exportPlot(plot, path, options);
    } catch (...) {
        draw(screen);
        throw;
    }
    if (options.publication) draw(screen);
}

} // namespace headlight
