#pragma once
// Alike tick labels moved to the widgets' base (widgets/alike_ticker.h) so that the stand-alone plots there use
// them too; the views that include them by this path keep working.
#include "../../alike_ticker.h"
