#pragma once
// Light and dark palettes for the whole app (the plots follow the palette: PlotStyle::fromPalette).
class QApplication;

namespace headlight {

void applyTheme(QApplication& app, bool dark);

} // namespace headlight
