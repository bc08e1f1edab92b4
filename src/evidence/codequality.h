#pragma once
// `run --codequality FILE`: the run's violations as a GitLab Code Quality report
// (artifacts:reports:codequality), a JSON array with one issue per row of the violation
// table (ci_findings.h):
//     { "description": "Step fetch: /usr/bin/curl: outbound connect to 203.0.113.1:443 (...)",
//       "check_name": "hermetic-gate/outbound",
//       "fingerprint": CiFinding::fingerprint,
//       "severity": "critical" when findingsAreErrors(run), else "major",
//       "location": { "path": policy path as given, "lines": { "begin": the step's line } } }
// Deterministic like report.json; schema: evidence-schema/codequality.schema.json.

#include <string>

#include "base/error.h"
#include "evidence/ci_findings.h"
#include "evidence/run_report.h"

namespace hg {

// Fails only when validateRun() fails.
Expected<std::string> renderCodeQuality(const RunEvidence &run, const StepSpots &spots);

} // namespace hg
