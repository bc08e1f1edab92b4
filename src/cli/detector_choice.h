#pragma once
// Which detector runs a step (issue #5, points 3 and 4): --detector auto|ptrace|proc and
// --strict (or `strict: true` in the policy), given what probePtrace() found. Pure, so the
// CLI and the tests share one rule table.

#include <string>

#include "base/error.h"
#include "tracer/ptrace_probe.h"

namespace hg {

enum class DetectorChoice { Auto, Ptrace, Proc };

// "auto", "ptrace", "proc" -> the choice; the error names the accepted values.
Expected<DetectorChoice> parseDetectorChoice(const std::string &text);
const char *detectorChoiceName(DetectorChoice c); // "auto", "ptrace", "proc"

struct DetectorDecision {
	enum class Action {
		UsePtrace, // run under the Supervisor
		UseProc,   // run under the ProcPoller; message says why and that it is weaker
		Refuse,    // the tracer is required and cannot run: exit 4, nothing runs
		Conflict,  // --strict with --detector proc: a usage error (exit 2), nothing runs
	};
	Action action = Action::UsePtrace;
	std::string detector; // report.json "detector": "ptrace" or "proc-poll" (empty when nothing runs)
	std::string message;  // one line for stderr (empty for a plain UsePtrace)
};

// Rules:
//   auto:   probe ok -> ptrace; else strict -> Refuse; else proc-poll with a warning.
//   ptrace: probe ok -> ptrace; else Refuse, strict or not.
//   proc:   strict -> Conflict; else proc-poll (the probe is not consulted).
DetectorDecision decideDetector(DetectorChoice choice, bool strict, const PtraceAvailability &probe);

} // namespace hg
