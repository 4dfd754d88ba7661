#pragma once
// Plot titles are wrapped to the width they get after each layout (applyStyle installs the hook): the text a
// view set, for code that reads a title back.
#include <QString>

class QCPTextElement;

namespace headlight {

// The text a view gave `title`, before the hook wrapped it.
QString unwrappedTitle(const QCPTextElement* title);

} // namespace headlight
