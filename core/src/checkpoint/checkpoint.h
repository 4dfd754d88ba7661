#pragma once
// Internal: a model folder's weights as tensors: model.safetensors, or the shards that
// model.safetensors.index.json names. Float32 tensors on the CPU are used straight from the file's bytes as read
// (no second copy); float16 and bfloat16 are converted to float32 once.
#include "headlight/safetensors.h"
#include "checkpoint/weights.h"

#include <functional>
#include <string>
#include <torch/types.h>
#include <torch/utils.h>

namespace headlight {

// Names of tensors to leave unread (a family's buffers: Family::isBuffer); empty: read every tensor.
using SkipTensor = std::function<bool(const std::string& name)>;

// Every tensor of one file but those `skip` names, names as stored, as float32 on `device`. Skipped tensors
// are never converted, so a buffer of any dtype (int64 position ids, a bool mask) does not stop the load.
// A tensor holding NaN or infinity is refused, naming the file and the tensor (counted as the file was read).
// float16, bfloat16 and float64 are converted in pieces on every hardware thread.
NamedTensors readTensors(const SafetensorsFile& file, const torch::Device& device, const SkipTensor& skip = {});
// The weights of a model folder. Throws headlight::Error naming the file and the problem (a missing shard, an
// index naming a file that is not there, a tensor the index puts in another file, a tensor in two shards).
NamedTensors readCheckpoint(const std::string& modelDir, const torch::Device& device, const SkipTensor& skip = {});
// The file(s) readCheckpoint reads: "model.safetensors" or the index; "" when the folder has neither.
std::string checkpointFile(const std::string& modelDir);

} // namespace headlight
