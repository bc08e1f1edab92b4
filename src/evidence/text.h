#pragma once
// Text helpers shared by the evidence renderers.

#include <string>
#include <string_view>

namespace hg {

// s with every byte that is not part of a well-formed UTF-8 sequence replaced by the
// four characters "\xNN" (as strace prints them), so JSON and Markdown output stay
// valid UTF-8 whatever bytes a tracee put in its argv or paths.
std::string validUtf8(std::string_view s);

} // namespace hg
