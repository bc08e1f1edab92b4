#pragma once
// A step's process tree (process_tree.h) as the text of a Mermaid flowchart, for a
// ```mermaid block of report.md (GitHub and GitLab draw it). Labels come from argv, which
// the step controls: every character Mermaid or Markdown could read as syntax is written
// as a Mermaid entity code, so no argv can end a label, a node or the fenced block.

#include <string>
#include <string_view>

#include "evidence/process_tree.h"

namespace hg {

// text as the inside of a quoted Mermaid label: letters, digits, space and ".,_/:=+-@"
// kept, any other character (quotes, brackets, <, >, #, ;, backticks, non-ASCII) as
// "#<decimal code point>;". Mermaid would draw control characters as nothing or a line
// break, and a backslash before "n" as a line break: control characters are shown as their
// Unicode control pictures (a newline as U+240A), a backslash is followed by a word joiner
// (U+2060, invisible). Bytes that are not UTF-8 are shown as validUtf8() shows them.
std::string mermaidLabelText(std::string_view text);

// "flowchart TD" and one line per node, edge and class, ending in a newline. Node ids are
// n<index in tree.nodes>, the count below node i is n<i>o: the same summary gives the same
// bytes. Processes that made a violation have class violation, counts class others.
std::string processTreeMermaid(const ProcessTreeSummary &tree);

} // namespace hg
