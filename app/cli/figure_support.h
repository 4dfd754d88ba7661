#pragma once
// Figures from the command line (GUI builds only): a headless Qt application, the pruning-curve figure and
// the per-head heatmaps of `importance` and `ablate`.
#include "cli_args.h"

#include "headlight/array.h"
#include "headlight/model_config.h"

#include <map>

#include <string>
#include <vector>

namespace headlight::cli {

// Creates the process's QApplication on the offscreen platform (unless QT_QPA_PLATFORM says otherwise) and
// keeps Qt's platform chatter off stderr. Safe to call more than once.
void ensureFigureApplication(const char* command);

// Checks a figure path before any work: a known format (.png, .svg, .pdf) and a writable folder.
void checkFigurePath(const std::string& path);

// `--figure FILE [--width PT] [--height PT] [--dpi N]` of the pruning commands.
struct FigureRequest {
    std::string path;      // empty = no figure asked for
    int width = 0;         // points; 0 = the figure's own default
    int height = 0;
    int dpi = 300;         // PNG only
};
// Reads and checks those options before any work (path, format, sizes); --width/--height/--dpi without
// --figure is a usage error.
FigureRequest figureRequest(const Args& args);

// One named curve of accuracy and loss against the fraction of heads pruned.
struct CurveData {
    std::string order;
    std::vector<float> fraction, metric, loss;
};
// All curves on one figure (default 480 x 420 points).
void writePruningCurveFigure(const FigureRequest& figure, const std::string& title, const std::vector<CurveData>& curves);

// A layers x heads heatmap of `values` [L,H] (head importance, or the delta loss of single-head ablation when
// `ablation`), `headMask` L*H (0 = pruned; empty = none pruned). The default size grows with L and H.
// rowNames: the rows' tick labels (an encoder-decoder model's "E0", "D0", "X0"), empty for the layers' numbers.
void writeHeadScoreFigure(const FigureRequest& figure, const char* command, const FloatArray& values, bool ablation,
                          const std::vector<float>& headMask, const std::string& title, const std::vector<std::string>& rowNames = {});

// The gates or spans view (`viewId`) of a fitted model's heads (`heads`: [L,H] by trace name) as a single-column
// figure: the gates per layer, or every head's span sorted within its layer (Sukhbaatar et al.'s Fig. 4).
void writeHeadStateFigure(const FigureRequest& figure, const char* command, const char* viewId, const ModelConfig& config,
                          const std::string& modelName, const std::map<std::string, FloatArray>& heads);

} // namespace headlight::cli
