#pragma once
// `hermetic-gate merge DIR... --out DIR`: the evidence folders of shards (CI jobs that each
// ran some steps of one commit) joined into one folder, as one run of all their steps
// would have written it: one report.json and report.md (evidence/merge.h), and every
// shard's logs/<step>/ copied over. The folder appears whole or not at all.

#include <string>
#include <vector>

namespace hg {

struct MergeOptions {
	std::vector<std::string> shards; // evidence folders, each with a report.json
	std::string out;                 // the merged folder: must not exist, or be empty
	bool quiet = false;
};

// The exit code: the merged run's verdict as `run` gives it (0, 1, 3, 4), or kExitUsage,
// kExitEvidence, kExitApart when nothing was written.
int runMerge(const MergeOptions &opts);

} // namespace hg
