#pragma once
// Figures from the command line (GUI builds only): a headless Qt application and the pruning-curve figure.
#include <string>
#include <vector>

namespace headlight::cli {

// Creates the process's QApplication on the offscreen platform (unless QT_QPA_PLATFORM says otherwise) and
// keeps Qt's platform chatter off stderr. Safe to call more than once.
void ensureFigureApplication(const char* command);

// Checks a figure path before any work: a known format (.png, .svg, .pdf) and a writable folder.
void checkFigurePath(const std::string& path);

// Accuracy and loss against the fraction of heads pruned, for one pruning order.
void writePruningCurveFigure(const std::string& path, const std::string& order, const std::string& title,
                             const std::vector<float>& fraction, const std::vector<float>& metric,
                             const std::vector<float>& loss);

} // namespace headlight::cli
