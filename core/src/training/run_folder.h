#pragma once
// Internal: the files of a training run's folder. The folder is a model at every checkpoint (weights, config,
// tokenizer files, training.json) and holds checkpoint/ (weights, AdamW state, step, both random generators),
// which --resume reads back. Nothing here is written before the first checkpoint, so a run that fails before it
// leaves no folder that looks like a model.
#include "headlight/training.h"
#include "model/transformer.h"

#include <random>
#include <string>
#include <torch/types.h>
#include <torch/utils.h>
#include <torch/optim/adamw.h>
#include <vector>

namespace headlight {

// Moves AdamW's per-parameter moments: to the CPU for writing a checkpoint (which then loads on any device),
// and onto the training device after writing or reading one. Exact copies, so resuming stays bit-identical.
void moveOptimizerState(torch::optim::AdamW& optimizer, const torch::Device& device);

// Where a run continues: checkpoint/state.json checked against the TRAIN.json it continues (every problem names
// the file), the random generators restored, and the AdamW state read onto `device`.
struct ResumeState {
    int step = 0;
    double seconds = 0;
};
ResumeState readCheckpointState(const std::string& checkpointDir, const TrainConfig& tc, std::mt19937_64& dataRng,
                                torch::Generator& gateNoise, torch::optim::AdamW& optimizer, const torch::Device& device);

// What the first checkpoint adds beside the model: the tokenizer the run trains with.
struct RunTokenizer {
    std::string copyFrom;                   // the folder whose tokenizer files are copied (fine-tuning)
    std::vector<std::string> characters;    // else a new character model's vocabulary (vocab.json)
};

struct CheckpointContents {
    const TrainConfig* config = nullptr;
    const Transformer* model = nullptr;
    torch::optim::AdamW* optimizer = nullptr;
    torch::Device device = torch::kCPU;     // where the optimizer state lives between checkpoints
    const std::mt19937_64* dataRng = nullptr;
    torch::Generator* gateNoise = nullptr;
    int step = 0;
    double seconds = 0;
    // Tensors saved in place of the model's own, by name: the float32 weights of matrices the run stores in a
    // lower precision (TrainConfig::dtype).
    const NamedTensors* originals = nullptr;
};

// Writes checkpoint/ into a fresh checkpoint-new/ and swaps it in, so that an interrupted or failed write leaves
// the previous checkpoint whole (and no checkpoint-new/ behind), then the model files. `tokenizer`, when given
// (the first checkpoint of a new folder), is written too. Errors name the file.
void writeCheckpoint(const std::string& outDir, const CheckpointContents& contents, const RunTokenizer* tokenizer);

} // namespace headlight
