#pragma once
// What the CI report formats (JUnit XML, SARIF, GitLab Code Quality) share: one finding per
// row of the violation table (aggregateViolations), its one-line description, its fix, a
// stable fingerprint, and where in the policy file it points. Pure: the renderers
// (junit_xml.h, sarif.h, codequality.h) take these and return text.
//
// Like report.json, nothing here depends on pids, times or record order, so two runs of the
// same policy over steps that behave the same give the same findings.

#include <map>
#include <string>
#include <vector>

#include "base/error.h"
#include "evidence/run_report.h"

namespace hg {

// Where a step is written in the policy file (Step::line, Step::column), 1-based.
struct PolicySpot {
	int line = 0;
	int column = 0;
};

// Step id -> its entry in the policy file. A step missing here points at line 1.
using StepSpots = std::map<std::string, PolicySpot>;

struct CiFinding {
	std::string stepId;
	ViolationGroup group;
	// "/usr/bin/curl: outbound connect to 203.0.113.1:443 (audited, 2 calls)": the process
	// (executable), the call and the destination.
	std::string summary;
	// The fix as Markdown: the paste-ready allow: snippet of report.md (exceptionSnippet), or
	// why no exception can allow the row.
	std::string fixMarkdown;
	// The fix as plain text (the snippet without the fence).
	std::string fixText;
	// Lower-case hex SHA-256 of what identifies the row: step id, kind, syscall, family,
	// protocol, address, port, name and executable; not the decision (audit and enforce
	// runs of one violation agree), pids or counts. Unique within a run.
	std::string fingerprint;
};

// The findings of every step, in step order, then in violation-table order. Fails when
// validateRun() does, so every renderer that takes its findings here has the run checked.
Expected<std::vector<CiFinding>> ciFindings(const RunEvidence &run);

// Whether findings are errors rather than warnings: the run enforces, or its verdict is not
// pass.
bool findingsAreErrors(const RunEvidence &run);

// The spot of a step, {1, 1} when spots lack it.
PolicySpot stepSpot(const StepSpots &spots, const std::string &stepId);

} // namespace hg
