#include "headlight/trace.h"

#include <cmath>
#include <limits>

namespace headlight {

double Trace::meanLoss() const {
    if (loss.empty()) return std::numeric_limits<double>::quiet_NaN();
    double sum = 0;
    for (float x : loss) sum += x;
    return sum / static_cast<double>(loss.size());
}

const LayerTrace* Trace::layer(int l) const {
    for (const auto& t : layers)
        if (t.layer == l) return &t;
    return nullptr;
}

} // namespace headlight
