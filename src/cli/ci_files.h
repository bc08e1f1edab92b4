#pragma once
// `run --junit/--sarif/--codequality`: the CI report files, written after the run's own
// report (so a file that cannot be written never costs the evidence folder), each
// atomically (evidence/atomic_file.h). The renderers are pure (evidence/junit_xml.h,
// sarif.h, codequality.h); this reads what they need from disk and the policy.

#include <string>

#include "evidence/ci_findings.h"
#include "evidence/run_report.h"
#include "evidence/writer.h"
#include "policy/policy.h"

namespace hg {

// Where to write each report; an empty path: not asked for.
struct CiReportPaths {
	std::string junit;
	std::string sarif;
	std::string codequality;
};

// Lines of a step's stderr.txt shown in the JUnit report's system-err.
inline constexpr size_t kStderrTailLines = 50;

// Writes every report asked for. A report that cannot be rendered or written is one line
// on stderr naming its option and file; the others are still written. False when any failed.
bool writeCiReports(const CiReportPaths &paths, const RunEvidence &run, const Policy &policy,
		    const EvidenceWriter &writer);

// Where each step of the policy is written (Step::line, Step::column).
StepSpots policySpots(const Policy &policy);

// The last maxLines lines of the file at path (at most its last maxBytes bytes), "" when it
// cannot be read.
std::string fileTail(const std::string &path, size_t maxLines, size_t maxBytes);

} // namespace hg
