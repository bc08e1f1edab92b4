#pragma once
// An argv shown as one line a POSIX shell would split back into the same words: every
// argument that is not made only of characters no shell treats specially is put in
// single quotes (an embedded ' becomes '\''). Used wherever a command is displayed: the
// policy's step commands and the report's process lines.

#include <string>
#include <vector>

namespace hg {

std::string shellQuote(const std::string &arg);
std::string shellJoin(const std::vector<std::string> &argv);

} // namespace hg
