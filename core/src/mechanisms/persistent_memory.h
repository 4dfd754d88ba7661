#pragma once
// Internal: persistent memory (Sukhbaatar et al. 2019, "Augmenting self-attention with persistent memory").
// Each head gets N learned key/value slots beside the context, in one softmax with it.
#include "headlight/mechanisms/persistent_memory.h"
#include "mechanisms/mechanism.h"

namespace headlight {

const Mechanism& persistentMemory();

} // namespace headlight
