#pragma once
// Shared by the view test executables: hand-built traces and snapshots, the sample model's run, showing a view,
// reading plotted QCustomPlot data back, clicking at plot coordinates, and checking an exported figure file.
#include "headlight/model_config.h"
#include "headlight/trace.h"
#include "run_snapshot.h"

#include <QSize>
#include <QString>
#include <Qt>
#include <map>
#include <string>
#include <utility>
#include <vector>

class QCPAxisRect;
class QCPBars;
class QCPCurve;
class QCustomPlot;
class QWidget;

namespace headlight::test {

// A snapshot of `trace` for a model named "hand" with `config`; vocabulary: one letter per id ("^abc...", cycling).
// An encoder-decoder trace is shown as the app shows it: its three kinds stacked (headlight/attention_stack.h).
RunSnapshot snapshotOf(const ModelConfig& config, Trace trace);
// The bundled sample model random-all-mechanisms run on `text` (vocabulary from its tokenizer).
RunSnapshot sampleModelRun(const std::string& text, std::vector<int> contextBudget = {});

// Shows `widget` at `size`; false when it is never exposed. The mechanism views need more room for their panels.
[[nodiscard]] bool showExposed(QWidget& widget, QSize size);
inline constexpr QSize kAttentionViewSize{720, 560};
inline constexpr QSize kMechanismViewSize{900, 800};
// A left click at plot coordinates (x, y) of `rect`'s bottom and left axes.
void click(QCustomPlot* plot, QCPAxisRect* rect, double x, double y, Qt::KeyboardModifiers mods = {});

// Plotted bar values by key.
std::map<double, double> barsOf(QCPBars* bars);
// Arcs of a QCPCurve (segments between NaN points) as (first x, last x).
std::vector<std::pair<double, double>> arcsOf(const QCPCurve* curve);

// What is wrong with the exported figure at `path` ("png", "svg" or "pdf"): unreadable, not more than `minBytes`,
// not a PNG image, SVG that does not parse as XML with an <svg> element, or no "%PDF" header. Empty when fine.
QString exportProblem(const QString& path, const QString& suffix, int minBytes);

// The mechanism views' building blocks: tokens 'a', 'b', ... with ids 0, 1, ...; an empty layer record.
Trace tokensTrace(int T);
LayerTrace layerTrace(int l, std::vector<int> heads = {});
// S [6,6] as the engine shifts it (row k: what token k-1 asks to mask; only keys 1 <= j < k-1).
FloatArray handS();
// F [T,T]: the running sum of `s` [T,T] down each column.
FloatArray cumsumRows(const FloatArray& s);

// The attention views' hand-made run: two layers x two heads x four tokens, every mechanism's tensors chosen
// by hand (see handTrace in view_test_support.cpp for the numbers).
namespace hand {

constexpr int T = 4;
// Rows (query i) of each head's [T,T] attention, written out by hand. Head 0.1 has two negligible weights
// (0.005) and head 1.0 a non-zero weight above the diagonal that the matrix must still show as zero.
inline const std::vector<float> kHead00 = {1, 0, 0, 0, .5f, .5f, 0, 0, .25f, .25f, .5f, 0, .25f, .25f, .25f, .25f};
inline const std::vector<float> kHead01 = {1, 0, 0, 0, .9f, .1f, 0, 0, .1f, .8f, .1f, 0, .005f, .005f, .09f, .9f};
inline const std::vector<float> kHead10 = {1, 0, 0, .3f, .2f, .8f, 0, 0, .6f, .2f, .2f, 0, .1f, .2f, .3f, .4f};
inline const std::vector<float> kHead11 = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};

inline float cell(const std::vector<float>& head, int i, int j) { return head[static_cast<size_t>(i * T + j)]; }

ModelConfig handConfig();
Trace handTrace();
RunSnapshot handSnapshot();

} // namespace hand

} // namespace headlight::test
