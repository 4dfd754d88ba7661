#pragma once
// Axis numbers printed alike: every tick label of an axis with the decimals its tick step needs ("0.0", "0.5",
// "1.0", never "0", "0.5", "1"), and no "-0.0".
class QCPAxis;

namespace headlight {

// Gives `axis` a ticker that prints its labels with one number of decimals (its other settings are kept).
void useAlikeTickLabels(QCPAxis* axis);

// The decimals that print `step` exactly (0.25 -> 2, 0.5 -> 1, 2 -> 0), at most 6.
int stepDecimals(double step);

} // namespace headlight
