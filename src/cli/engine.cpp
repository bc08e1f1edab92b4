#include "cli/engine.h"

#include <cstdio>

#include "cli/detector_choice.h"
#include "cli/live_printer.h"
#include "cli/verdict.h"
#include "evidence/step_log.h"
#include "procpoll/limits.h"

namespace hg {

DetectorChoiceResult chooseDetector(const std::string &choiceText, bool strict, bool enforce, int intervalMs)
{
	DetectorChoiceResult out;
	auto choice = parseDetectorChoice(choiceText);
	if (!choice) {
		fprintf(stderr, "hermetic-gate: error: --detector %s: %s\n", choiceText.c_str(), choice.error().message.c_str());
		out.exitCode = kExitUsage;
		return out;
	}
	if (intervalMs < 1 || intervalMs > 10000) {
		fprintf(stderr, "hermetic-gate: error: --poll-interval %d: must be 1-10000 milliseconds\n", intervalMs);
		out.exitCode = kExitUsage;
		return out;
	}
	DetectorSetup setup;
	setup.intervalMs = intervalMs;
	setup.probe = probePtrace();
	DetectorDecision d = decideDetector(*choice, strict, setup.probe);
	switch (d.action) {
	case DetectorDecision::Action::Refuse:
		fprintf(stderr, "hermetic-gate: error: %s\n", d.message.c_str());
		out.exitCode = kExitInternal;
		return out;
	case DetectorDecision::Action::Conflict:
		fprintf(stderr, "hermetic-gate: error: %s\n", d.message.c_str());
		out.exitCode = kExitUsage;
		return out;
	case DetectorDecision::Action::UseProc:
		setup.useProc = true;
		setup.note = d.message;
		if (enforce)
			setup.note += ". The proc-poll detector sees sockets after the calls that made them: enforce mode can only audit (use --strict to refuse this).";
		fprintf(stderr, "hermetic-gate: warning: %s\n", setup.note.c_str());
		break;
	case DetectorDecision::Action::UsePtrace:
		break;
	}
	setup.detector = d.detector.empty() ? "ptrace" : d.detector;
	out.setup = setup;
	return out;
}

Expected<TraceResult> runStepEngine(const DetectorSetup &setup, const SupervisorOptions &so, const std::string &step,
				    RecordSink &sink, const SpawnSpec &spec, EngineExtras &extras)
{
	if (!setup.useProc) {
		Supervisor sup(so, sink);
		return sup.run(spec);
	}
	ProcPollOptions po;
	po.intervalMs = setup.intervalMs;
	po.outbound = so.outbound;
	po.inbound = so.inbound;
	po.timeoutSeconds = so.timeoutSeconds;
	po.step = step;
	ProcPoller poller(po, sink);
	auto r = poller.run(spec);
	if (!r)
		return r.error();
	extras.ssEstablished = renderSsEstablished(std::vector<OwnedSocket>(r->established.begin(), r->established.end()));
	for (const SeenSocket &s : r->listening)
		extras.pollListeners.push_back({s.pid, s.exe, s.sock.proto, endpointText(s.sock.local), ssStateName(s.sock.proto, s.sock.state)});
	return std::move(r->trace);
}

} // namespace hg
