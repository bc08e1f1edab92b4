#include "cli/detector_choice.h"

namespace hg {

Expected<DetectorChoice> parseDetectorChoice(const std::string &text)
{
	if (text == "auto")
		return DetectorChoice::Auto;
	if (text == "ptrace")
		return DetectorChoice::Ptrace;
	if (text == "proc")
		return DetectorChoice::Proc;
	return Error::msg("unknown detector '" + text + "' (use auto, ptrace or proc)");
}

const char *detectorChoiceName(DetectorChoice c)
{
	switch (c) {
	case DetectorChoice::Auto:
		return "auto";
	case DetectorChoice::Ptrace:
		return "ptrace";
	case DetectorChoice::Proc:
		return "proc";
	}
	return "auto";
}

DetectorDecision decideDetector(DetectorChoice choice, bool strict, const PtraceAvailability &probe)
{
	using Action = DetectorDecision::Action;
	const std::string weaker = "it cannot deny, and misses connections shorter than its poll interval (see limits in report.json)";
	if (choice == DetectorChoice::Proc) {
		if (strict)
			return {Action::Conflict, "", "--strict refuses the weaker proc-poll detector, but --detector proc asks for it"};
		return {Action::UseProc, "proc-poll", "using the proc-poll detector as asked (--detector proc), which is weaker: " + weaker};
	}
	if (probe.ok)
		return {Action::UsePtrace, "ptrace", ""};
	if (choice == DetectorChoice::Ptrace)
		return {Action::Refuse, "", "the ptrace detector cannot run: " + probe.reason + "; nothing ran"};
	if (strict)
		return {Action::Refuse, "", "strict mode: the ptrace detector cannot run: " + probe.reason + "; nothing ran"};
	return {Action::UseProc, "proc-poll", "ptrace is unavailable (" + probe.reason + "); falling back to the proc-poll detector, which is weaker: " + weaker};
}

} // namespace hg
