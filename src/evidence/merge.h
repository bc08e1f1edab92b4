#pragma once
// Joining the evidence of shards (CI jobs that each ran some steps of one commit's policy,
// each writing its own evidence folder) into one run. Pure: it works on the RunEvidence
// read back from each shard's report.json (report_reader.h), and the merged run is rendered
// by the ordinary renderers (report_json.h, report_md.h), so the merged report.json and
// report.md have the schema and the rules of a run's.

#include <string>
#include <vector>

#include "base/error.h"
#include "evidence/run_report.h"

namespace hg {

struct Shard {
	std::string name; // how errors name it: its evidence folder
	std::string text; // its report.json as read: orders the shards, whatever the order given
	RunEvidence run;  // read back from text
};

// The run the shards describe together, independent of their order: shards are taken in
// the byte order of their report.json, steps are sorted by id (report.json does not say
// the policy's order of steps that ran in different shards).
// Must agree, else an error naming two shards and the fix: sha, policy path and sha256,
// mode, tool version; and no step id may be in two shards.
// Joined from every shard:
// - complete: false when any shard was incomplete, its reasons joined with "; ";
// - detector: proc-poll when any shard used it (the weaker detector speaks for the run),
//   the distinct notes joined with "; " (first saying which steps ran under the native
//   tracer, when the shards differ), the limits of each in order of first appearance;
// - kernel_release: the distinct values joined with ", ";
// - enforcement_health: a check every shard reported alike, as it was; else the check with
//   its worst status (missing, then unknown, then ok; a shard without it counts as unknown)
//   and a detail naming each shard's status and detail by its steps.
// The result, totals and stale exceptions are derived by the renderers from the steps.
Expected<RunEvidence> mergeRuns(std::vector<Shard> shards);

} // namespace hg
