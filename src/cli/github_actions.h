#pragma once
// `hermetic-gate run` inside a GitHub Actions job (GITHUB_ACTIONS=true): after the run's
// own report is written, the step summary is appended to $GITHUB_STEP_SUMMARY, one
// annotation per violation group goes to standard output, and result, violations and
// evidence_dir are appended to $GITHUB_OUTPUT (texts from evidence/github.h). None of it
// changes the run's result or exit code: a file that is unset or cannot be written is one
// warning line on stderr.

#include <string>

#include "evidence/github.h"
#include "evidence/run_report.h"

namespace hg {

// True when the environment says the gate runs in a GitHub Actions job.
bool inGithubActions();

// Writes the summary, the annotations and the outputs of run. evidenceDir: the folder as
// the user named it. Call only when inGithubActions().
// spots: where each step is written in the policy file (policySpots(), ci_files.h).
void reportToGithub(const RunEvidence &run, const StepSpots &spots, const std::string &evidenceDir);

} // namespace hg
