#pragma once
// report.md: a short GitHub-flavoured summary for humans. Deterministic like
// report.json (no pids, times or temp paths): a header, one table of steps, then one
// section per violation group naming the executable and argv that made it, with a
// policy snippet that would allow it, and the exceptions never used.

#include <string>

#include "base/error.h"
#include "evidence/report_md_parts.h"
#include "evidence/run_report.h"

namespace hg {

// Fails only when validateRun() fails.
Expected<std::string> renderReportMd(const RunEvidence &run);

// exceptionSnippet(), the paste-ready exception of a violation group, is in
// report_md_parts.h.

} // namespace hg
