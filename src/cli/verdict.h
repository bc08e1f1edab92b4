#pragma once
// The gate's verdict and its stable exit codes, shared by every subcommand.

namespace hg {

enum ExitCode : int {
	kExitClean = 0,     // clean, and the command succeeded
	kExitFailed = 1,    // the command failed (non-zero exit, signal, timeout), no violation
	kExitUsage = 2,     // usage, policy or command error: nothing ran
	kExitViolation = 3, // at least one violation (wins over kExitFailed)
	kExitInternal = 4,  // the tracer could not run where required, or an internal error
	kExitEvidence = 5,  // suggest: a report.json cannot be read, does not match the report schema,
			    // or names a step the policy lacks; merge: an evidence folder without a usable
			    // report.json, or with logs that are not plain files
	kExitApart = 6,     // merge: the shards do not belong together (another commit, policy, mode
			    // or gate version; a step id in two shards): nothing was written
};

// Combines a step's outcome into the exit code: a violation wins over a failure.
inline int verdictExitCode(bool violation, bool failed)
{
	if (violation)
		return kExitViolation;
	return failed ? kExitFailed : kExitClean;
}

} // namespace hg
