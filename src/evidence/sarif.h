#pragma once
// `run --sarif FILE`: the run's violations as SARIF 2.1.0 (OASIS; GitHub code scanning and
// GitLab read it). One run whose tool.driver is hermetic-gate with one rule per violation
// kind (the kind names of report.json: outbound, inbound, self, dns, delegated, evasion,
// raw), and one result per row of the violation table (ci_findings.h):
// - level "error" when findingsAreErrors(run), else "warning";
// - located at the step's entry in the policy file (uri = the policy path as given,
//   region = the step's `- id:` line and column);
// - message.text a plain description and fix, message.markdown the same with the
//   paste-ready allow: snippet of report.md;
// - partialFingerprints "hermeticGateViolation/v1" = CiFinding::fingerprint.
// Deterministic like report.json. Valid against sarif-schema-2.1.0.json (tests/schemas/).

#include <string>

#include "base/error.h"
#include "evidence/ci_findings.h"
#include "evidence/run_report.h"

namespace hg {

// Fails only when validateRun() fails.
Expected<std::string> renderSarif(const RunEvidence &run, const StepSpots &spots);

// path as a URI reference: every byte outside A-Z a-z 0-9 - . _ ~ / percent-encoded.
std::string uriFromPath(const std::string &path);

} // namespace hg
