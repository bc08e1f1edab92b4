#pragma once
// GitHub Actions: what `hermetic-gate run` adds to a workflow run, as text: the job's step
// summary (Markdown, made of report.md's pieces, report_md_parts.h), one annotation per
// violation group (a workflow command pointing at the step in the policy file), and the
// step outputs. Pure; cli/github_actions.h reads the environment and writes them.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "evidence/ci_findings.h"
#include "evidence/run_report.h"

namespace hg {

// GitHub keeps at most 1 MiB of summary per step; the summary stays well below.
inline constexpr size_t kSummaryMaxSteps = 50;       // rows of the steps table
inline constexpr size_t kSummaryMaxViolations = 20;  // violation sections
inline constexpr size_t kSummaryMaxBytes = 256 * 1024;

// A workflow command's property value: % \r \n : , escaped as %25 %0D %0A %3A %2C.
std::string githubProperty(std::string_view s);

// A workflow command's message: % \r \n escaped as %25 %0D %0A.
std::string githubData(std::string_view s);

// The step summary, starting with a blank line so it appends after what other steps wrote:
// the verdict, the steps table (first kSummaryMaxSteps rows), the violation sections with
// their paste-ready exceptions (first kSummaryMaxViolations), each list cut with "and N
// more" and a pointer to the evidence folder, never longer than kSummaryMaxBytes plus a
// line. evidenceDir: the folder as the user named it.
std::string githubSummary(const RunEvidence &run, const std::string &evidenceDir);

// One workflow command per violation group (no newline), in the order of report.md:
//   ::warning file=POLICY,line=L,col=C,title=hermetic-gate: step ID -> DESTINATION::MESSAGE
// "::warning" in audit mode, "::error" in enforce mode (whether the calls went through, not
// the verdict). file, line and col (stepSpot()) are omitted without a policy file. The
// message is the finding's (ci_findings.h): its summary, the first argv, and the
// paste-ready exception or why none can allow it.
std::vector<std::string> githubAnnotations(const RunEvidence &run, const StepSpots &spots);

// The step outputs, for $GITHUB_OUTPUT: "result=R\nviolations=N\nevidence_dir=DIR\n" (N the
// violating calls of every step). A value with a line break is written in the
// name<<DELIMITER form.
std::string githubOutputs(const RunEvidence &run, const std::string &evidenceDir);

} // namespace hg
