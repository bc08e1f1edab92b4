#pragma once
// Adds entries to the allow: lists of a policy file by editing its text, so its comments,
// key order, quoting and blank lines stay as they were (yaml-cpp would drop the comments).
// The policy's own structure (found with yaml-cpp, by line and column) says where: under the
// top-level allow: or that of one step, in the list named, each created when absent, at the
// file's indentation.

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace hg {

struct AllowInsertion {
	std::string listKey;                         // "outbound_hosts", "inbound", "delegated"
	std::vector<std::vector<std::string>> items; // each a block YAML item, unindented, first line "- "
};

// text with the items added at the end of each list of the top-level allow: (stepId empty)
// or of the allow: of the step with that id. Errors, naming displayName and the line and
// column: the text is not a YAML mapping, no step has that id, or a mapping or list on the
// way is written in flow style ({...} or [...]), which this editor does not rewrite.
Expected<std::string> insertAllowEntries(std::string_view text, const std::string &displayName,
					 const std::string &stepId, const std::vector<AllowInsertion> &lists);

} // namespace hg
