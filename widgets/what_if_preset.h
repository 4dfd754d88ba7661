#pragma once
// The head-mask presets of the what-if panel (the workspace applies them; core/what_if.h computes the masks).
#include <QMetaType>

namespace headlight {

enum class WhatIfPreset { PruneClosedGates, PruneLeastImportant, KeepMostImportant, RestoreAll };

} // namespace headlight

Q_DECLARE_METATYPE(headlight::WhatIfPreset)
