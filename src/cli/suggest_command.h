#pragma once
// `hermetic-gate suggest REPORT.json`: the allow: entries that would let through what an
// audit run saw, printed, or with --write added to the policy file in place.

#include <string>

namespace hg {

struct SuggestOptions {
	std::string report;  // report.json of a run
	bool perStep = false; // one allow: per step instead of the top-level one
	std::string write;    // policy file to add the entries to; empty: print them
	bool quiet = false;
};

int runSuggest(const SuggestOptions &opts);

} // namespace hg
