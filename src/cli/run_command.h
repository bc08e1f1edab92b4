#pragma once
// `hermetic-gate run`: the steps of a policy file, each under the tracer with its own
// sanitized environment, cwd and timeout, and the evidence folder an auditor reads.

#include <optional>
#include <string>
#include <vector>

#include "cli/ci_files.h"
#include "cli/detector_choice.h"
#include "net/inherited_fd.h"

namespace hg {

struct RunOptions {
	std::string policy;             // empty: docs/ci/HERMETIC_CI_POLICY.yml
	std::vector<std::string> steps; // empty: all, in file order
	std::string out;                // empty: artifacts/governance/hermetic-ci/<sha>/
	std::string sha;                // empty: GITHUB_SHA, CI_COMMIT_SHA, git rev-parse HEAD
	std::optional<bool> enforce;    // --audit / --enforce override the policy's mode
	bool strict = false;            // or strict: true in the policy
	DetectorChoice detector = DetectorChoice::Auto;
	int pollIntervalMs = 20;        // proc detector
	bool quiet = false;
	std::string progress = "auto";  // --progress: auto, always, never (cli/progress.h)
	int progressEverySeconds = 30;  // --progress-every: plain lines in a log without a terminal
	std::vector<InheritedFd> inherited; // what the gate inherited (main's snapshot)
	CiReportPaths ciReports;        // --junit, --sarif, --codequality: written after report.json
};

int runRun(const RunOptions &opts);

// `hermetic-gate validate`: loads and checks the policy only.
int runValidate(const std::string &policyPath, bool quiet);

// The commit under test: explicit, then GITHUB_SHA, CI_COMMIT_SHA, then `git rev-parse
// HEAD` in cwd. Error when none gives one, or the value is not a plain token.
struct ShaSource {
	std::string sha;
	std::string from; // "--sha", "GITHUB_SHA", "CI_COMMIT_SHA", "git rev-parse HEAD"
};
bool resolveSha(const std::string &explicitSha, ShaSource &out, std::string &error);

} // namespace hg
