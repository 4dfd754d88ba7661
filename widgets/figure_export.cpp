#include "figure_export.h"

#include "plot_style.h"

#include "headlight/error.h"

#include <QFileInfo>
#include <QImage>
#include <QPageSize>
#include <QPdfWriter>
#include <QSaveFile>
#include <QSvgGenerator>
#include <QWidget>
#include <qcustomplot.h>

#include <functional>

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

// QSaveFile writes beside the target and renames on commit, so a failure leaves no partial file.
void writeAtomically(const QString& path, const std::function<bool(QIODevice*)>& write) {
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) fail(path, QStringLiteral("cannot write: ") + file.errorString());
    if (!write(&file)) {
        file.cancelWriting();
        fail(path, QStringLiteral("could not render the figure"));
    }
    if (!file.commit()) fail(path, QStringLiteral("cannot write: ") + file.errorString());
}

QSize pointsOf(const QWidget* widget, const ExportOptions& options) {
    QSize size = options.size.isEmpty() ? widget->size() : options.size;
    if (size.width() < 16 || size.height() < 16) size = QSize(640, 480);
    return size;
}

// One writer for both plot and widget figures: `paint` draws a `size`-point figure onto a painter device.
void exportFigure(const QString& path, const ExportOptions& options, QSize size,
                  const std::function<QPixmap(QSize, double)>& raster,
                  const std::function<bool(QPaintDevice*, QSize)>& vector) {
    const QString format = formatOf(path);
    writeAtomically(path, [&](QIODevice* device) {
        if (format == QLatin1String("png")) {
            const double scale = options.dpi / 72.0;
            QImage image = raster(size, scale).toImage();
            if (image.isNull()) return false;
            const int dotsPerMeter = static_cast<int>(options.dpi / 0.0254 + 0.5);
            image.setDotsPerMeterX(dotsPerMeter);
            image.setDotsPerMeterY(dotsPerMeter);
            return image.save(device, "PNG");
        }
        if (format == QLatin1String("svg")) {
            QSvgGenerator svg;
            svg.setOutputDevice(device);
            svg.setSize(size);
            svg.setViewBox(QRect(QPoint(0, 0), size));
            svg.setResolution(72);
            svg.setTitle(QFileInfo(path).completeBaseName());
            svg.setDescription(QStringLiteral("Headlight figure"));
            return vector(&svg, size);
        }
        QPdfWriter pdf(device);
        pdf.setCreator(QStringLiteral("Headlight"));
        pdf.setTitle(QFileInfo(path).completeBaseName());
        pdf.setResolution(72);
        pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
        pdf.setPageSize(QPageSize(QSizeF(size), QPageSize::Point, QString(), QPageSize::ExactMatch));
        return vector(&pdf, size);
    });
}

} // namespace

QStringList exportSuffixes() { return {QStringLiteral("png"), QStringLiteral("svg"), QStringLiteral("pdf")}; }

void exportPlot(QCustomPlot* plot, const QString& path, const ExportOptions& options) {
    const QSize size = pointsOf(plot, options);
    exportFigure(
        path, options, size,
        [&](QSize s, double scale) { return plot->toPixmap(s.width(), s.height(), scale); },
        [&](QPaintDevice* device, QSize s) {
            QCPPainter painter(device);
            if (!painter.isActive()) return false;
            painter.setMode(QCPPainter::pmVectorized);
            painter.setMode(QCPPainter::pmNoCaching);
            plot->toPainter(&painter, s.width(), s.height());
            return painter.end();
        });
}

void exportWidget(QWidget* widget, const QString& path, const ExportOptions& options) {
    const QSize size = pointsOf(widget, options);
    const QSize original = widget->size();
    if (size != original) widget->resize(size);
    auto restore = [&] { if (size != original) widget->resize(original); };
    try {
        exportFigure(
            path, options, size,
            [&](QSize s, double scale) {
                QPixmap pixmap(QSize(qRound(s.width() * scale), qRound(s.height() * scale)));
                pixmap.setDevicePixelRatio(scale);
                pixmap.fill(Qt::transparent);
                widget->render(&pixmap, QPoint(), QRegion(), QWidget::DrawWindowBackground | QWidget::DrawChildren);
                return pixmap;
            },
            [&](QPaintDevice* device, QSize) {
                QPainter painter(device);
                if (!painter.isActive()) return false;
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
