#pragma once
// A model opened for runs, and what running a text on it means, decided once for the app and every command:
// the text encoded and cut to the model's length (the dropped count kept), what to capture of a long input,
// the unpruned run a pruned one is compared with, the task the model was trained on, and whether the folder's
// files changed since it loaded. The app's worker and headlight-cli hold one each; views only present it.
#include "headlight/engine.h"
#include "headlight/tasks.h"
#include "headlight/what_if.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace headlight {

// What a run may keep of every head's [T,T] matrices before it keeps only one head exactly and digests the others
// (statistics and pooled pictures computed in the same pass, Trace::digests).
constexpr int64_t kFullCaptureBytes = int64_t(512) << 20;
// Digests' pooled pictures are sized to what the views draw from them: the head grid's thumbnails (48 cells a
// side) and, for the moment until the worker recaptures its layer exactly, the attention matrix of a head the
// run only digested. kPooledCells a side at most (a quarter of the matrix's 512 cells: 4 x 4 of its pixels per
// cell), fewer where every head's two pictures would pass kDigestBytes, never fewer than kThumbnailCells.
constexpr int kPooledCells = 128;
constexpr int kThumbnailCells = 48;
constexpr int64_t kDigestBytes = int64_t(256) << 20;

// Whether a run of `tokens` tokens keeps every head of `config` within `budgetBytes`.
bool capturesEveryHead(const ModelConfig& config, int64_t tokens, int64_t budgetBytes = kFullCaptureBytes);
// The cells a side of the pooled pictures planCapture asks for (CaptureSpec::pooledSize): the most, up to
// kPooledCells, whose float32 max and mean pictures of every head of every layer fit in kDigestBytes, and at
// least kThumbnailCells. A run of T tokens pools cells of ceil(T / that) tokens (pooledBin).
int pooledCells(const ModelConfig& config);
// The capture of a run that asks for none in particular: every layer and head (logits included) while they fit
// in `budgetBytes`, else the focused head alone with every head digested (pictures of pooledCells a side); and
// every head's role scores either way (CaptureSpec::roles).
CaptureSpec planCapture(const ModelConfig& config, int64_t tokens, int focusLayer, int focusHead,
                        int64_t budgetBytes = kFullCaptureBytes);

// The files a model folder is made of (config.json, the weights, the tokenizer's files) as they were when
// stamped: a later look names the first one removed, truncated, rewritten or replaced since.
class FolderStamp {
public:
    static FolderStamp of(const std::string& dir);
    // One line naming the first file that differs now, or "" when none does.
    std::string changes() const;

private:
    struct File {
        std::string path;
        bool exists = false;
        uint64_t device = 0, inode = 0, size = 0;
        int64_t modifiedNs = 0;
        bool operator==(const File& o) const;
    };
    static File stampFile(const std::string& path);
    std::vector<File> files_;
};

// The task a model was trained on: its training record (training.json, what the trainer ran), else the TRAIN.json
// beside it (train.json). Error naming the folder when it has neither.
TaskParams trainedTask(const std::string& modelDir);

struct RunInput {
    std::vector<int64_t> tokenIds;        // the tokens; when empty, `text` encoded by the model's tokenizer
    std::string text;
    // Encoder-decoder models: tokenIds / text are the source, and the decoder reads `decoderIds` exactly as
    // given, else the decoder start token followed by `target` encoded as the target side (teacher forcing; an
    // empty target leaves the start token alone).
    std::string target;
    std::vector<int64_t> decoderIds;
    // stackRows x H row-major (headlight/attention_stack.h: L*H for one stack, the three kinds stacked for an
    // encoder-decoder model), 1 keep, 0 pruned; empty = every head kept
    std::vector<float> headMask;
    std::vector<int> contextBudget;       // per layer (selective attention); empty = unlimited
    std::optional<CaptureSpec> capture;   // what to keep; absent: planCapture for the focused head
    int focusLayer = 0, focusHead = 0;
    bool compareWithUnpruned = true;      // heads pruned: also the unpruned run of the same tokens, and the comparison
    // Called after each layer of each forward pass (layers done, of n_layer); may throw to cancel.
    std::function<void(int done, int layers)> progress;
};

struct SessionRun {
    // An encoder-decoder model's runs come as the stack of its three kinds (stackedTrace).
    std::shared_ptr<const Trace> trace;
    std::shared_ptr<const Trace> baseline;            // heads pruned: the unpruned run of the same input
    std::shared_ptr<const RunComparison> comparison;  // baseline -> trace
    std::string text;                                 // the text that ran (after any cut); empty for token ids
    int droppedTokens = 0;                            // tokens cut off the end: the model takes n_positions at most
    std::string target;                               // encoder-decoder: the target text that ran (after any cut)
    int droppedTargetTokens = 0;                      // the decoder input's tokens cut off the same way
    CaptureSpec capture;                              // what the run kept
    bool pruned() const { return baseline && comparison; }
};

class Session {
public:
    // Loads the model (Engine::load's errors) and stamps its folder's files.
    Session(const std::string& modelDir, const std::string& device = "cpu", const std::string& dtype = "float32");
    // The same with mechanisms added at load (zero-shot selective attention: LoadOptions).
    Session(const std::string& modelDir, const LoadOptions& options);

    const Engine& engine() const { return engine_; }
    Engine& engine() { return engine_; }
    const std::string& modelDir() const { return engine_.modelDir(); }

    // Runs `input`: the text encoded and cut to n_positions (the tokens given are cut the same way), the capture
    // planned, and with heads pruned the unpruned run first (the engine keeps it while later runs change only
    // the mask, and recomputes a pruned run from the first layer whose mask changed). Errors: Engine::run's.
    // With a `sink`, the run hands each captured layer to it as soon as it is computed (a streamed trace) and its
    // trace keeps none; the unpruned run a pruned one is compared with is made as usual.
    SessionRun run(const RunInput& input, const Engine::LayerSink& sink = {});
    // An encoder-decoder model's greedy translation of `source` (cut to n_positions as run cuts it): the target
    // text its decoder writes (headlight/translation.h), at most `maxNewTokens` tokens. `progress` as
    // greedyTranslate's (false stops).
    std::string translate(const std::string& source, int maxNewTokens, const std::function<bool(int)>& progress = {}) const;
    // `shown` (the newest run) with layer `layer`, head `head` captured exactly, from the input that layer saw
    // when it ran (Engine::recaptureLayer): a long run's other heads without a forward pass. Empty when the
    // engine no longer keeps that run (it ran something else since): run the input again, focused on the head.
    std::optional<Trace> recapture(const Trace& shown, int layer, int head) const;

    // One line naming the first of the model's files that changed since it loaded, or "".
    std::string filesChanged() const { return stamp_.changes(); }
    // trainedTask(modelDir()).
    TaskParams task() const { return trainedTask(modelDir()); }

private:
    SessionRun runEncoderDecoder(const RunInput& input);
    FolderStamp stamp_;   // before the load: a file changed while loading shows at the next look
    Engine engine_;
};

} // namespace headlight
