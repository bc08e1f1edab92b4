#pragma once
// The picture of a failing step's process tree: the processes that made a violation and
// their ancestors up to the root, every other process counted under its nearest drawn
// ancestor. report.json carries it (a step's process_tree) and report.md draws it as a
// Mermaid flowchart (mermaid.h) from that alone, so `merge` redraws it from report.json.
//
// Deterministic: built from executables, argv, parent links and violations, never from
// pids, spawn order or timing. Siblings are ordered by executable, argv and then by what
// is drawn below them, so two runs of a step that behaves the same give the same summary
// whatever order their processes were created or recorded in.

#include <compare>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "evidence/step_aggregates.h"
#include "net/classify.h"
#include "record/record.h"

namespace hg {

inline constexpr size_t kMaxTreeNodes = 50;        // processes drawn per step, the rest counted
inline constexpr size_t kMaxNodeDestinations = 3;  // destinations named per process
inline constexpr size_t kMaxTreeCommandChars = 60; // characters of a process's argv shown

// A place a drawn process made a violation.
struct TreeDestination {
	Direction kind = Direction::Outbound;
	std::string endpoint; // rowEndpointText(): "203.0.113.1:443", "(no address)"
	std::string name;     // ViolationKey::name: the name it came from (the query, for dns), "" for none

	auto operator<=>(const TreeDestination &) const = default;
};

struct TreeNode {
	int parent = -1;         // index in ProcessTreeSummary::nodes, -1 for a root
	std::string exe;         // basename of the executable (of argv[0] when it is unknown)
	std::string command;     // the argv as shellJoin() shows it, cut to kMaxTreeCommandChars with "..."
	bool violating = false;  // made a violation itself (else it is drawn as an ancestor of one)
	std::vector<TreeDestination> destinations; // the first kMaxNodeDestinations, sorted
	uint64_t moreDestinations = 0; // distinct destinations beyond those
	uint64_t others = 0;           // processes below it that are not drawn
	uint64_t othersViolating = 0;  // of those, the ones that made a violation (cut by kMaxTreeNodes)

	bool operator==(const TreeNode &) const = default;
};

struct ProcessTreeSummary {
	// Depth first: a parent before its children, siblings in the stable order above. Empty
	// when no violating call was made by a process the detector recorded.
	std::vector<TreeNode> nodes;
	uint64_t pathProcesses = 0; // processes on a path to a violation: nodes.size() unless the cap cut some

	bool operator==(const ProcessTreeSummary &) const = default;
};

// The summary of a step's processes (any order; a pid the kernel reused names its latest
// process, and a parent is the latest process of its pid created before the child) and of
// its violations (callers looked up by pid; a caller with no ProcessRecord is not drawn).
ProcessTreeSummary summarizeProcessTree(const std::vector<ProcessRecord> &processes, const StepAggregates &aggregates);

// "+ 1,234 other processes", "+ 1 other process".
std::string otherProcessesText(uint64_t count);

} // namespace hg
