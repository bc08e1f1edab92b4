#include "cli/engine.h"

#include <cstdio>
#include <cstdlib>

#include <fmt/core.h>

#include "base/log.h"
#include "base/proc.h"
#include "base/shell_quote.h"
#include "cli/detector_choice.h"
#include "cli/live_printer.h"
#include "cli/verdict.h"
#include "evidence/step_log.h"
#include "net/resolv_conf.h"
#include "procpoll/limits.h"

namespace hg {

DetectorChoiceResult chooseDetector(DetectorChoice choice, bool strict, bool enforce, int intervalMs)
{
	DetectorChoiceResult out;
	DetectorSetup setup;
	setup.intervalMs = intervalMs;
	setup.probe = probePtrace();
	log::cli().debug("ptrace probe: {}", setup.probe.ok ? "usable" : "unusable: " + setup.probe.reason);
	DetectorDecision d = decideDetector(choice, strict, setup.probe);
	switch (d.action) {
	case DetectorDecision::Action::Refuse:
		fmt::print(stderr, "hermetic-gate: error: {}\n", d.message);
		out.exitCode = kExitInternal;
		return out;
	case DetectorDecision::Action::Conflict:
		fmt::print(stderr, "hermetic-gate: error: {}\n", d.message);
		out.exitCode = kExitUsage;
		return out;
	case DetectorDecision::Action::UseProc:
		setup.useProc = true;
		setup.note = d.message;
		if (enforce)
			setup.note += ". The proc-poll detector sees sockets after the calls that made them: enforce mode can only audit (use --strict to refuse this).";
		fmt::print(stderr, "hermetic-gate: warning: {}\n", setup.note);
		break;
	case DetectorDecision::Action::UsePtrace:
		break;
	}
	setup.detector = d.detector.empty() ? "ptrace" : d.detector;
	log::cli().debug("detector: {} ({}, poll interval {} ms)", setup.detector, detectorChoiceName(choice), intervalMs);
	out.setup = setup;
	return out;
}

DaemonSockets gateDaemonSockets(const std::vector<DaemonSocket> &extra)
{
	DaemonSockets list = DaemonSockets::builtIn([](const char *name) { return std::getenv(name); });
	for (const DaemonSocket &s : extra)
		list.add(s);
	list.snapshot();
	for (const DaemonSocket &s : list.entries())
		log::cli().debug("daemon socket {} ({}, {}){}", s.ref.path, s.daemon, s.source,
				 s.ref.id ? ": present" : "");
	return list;
}

PassPlan applyPassPlan(const std::vector<InheritedFd> &inherited, const std::vector<int> &named, const std::string &step,
		       bool quiet, SupervisorOptions &so, SpawnSpec &spec)
{
	PassPlan plan = planPassFds(inherited, named, DecisionRules{so.allow, so.enforce, true});
	spec.keepFds = plan.keep;
	so.inheritedRecords = plan.records;
	so.passedSockets = plan.keptSockets;
	const std::string where = step.empty() ? "" : "step " + step + ": ";
	std::string closed;
	for (const FdOutcome &o : plan.fds) {
		const std::string what = "inherited fd " + std::to_string(o.fd.fd) + " (" + fdSummary(o.fd) + ")";
		if (o.action == FdAction::Closed)
			closed += (closed.empty() ? "" : "; ") + what;
		else if (o.action == FdAction::Refused)
			fmt::print(stderr, "hermetic-gate: {}{} not passed: {}\n", where, what, o.why);
		else if (!quiet)
			fmt::print(stderr, "hermetic-gate: {}{} passed\n", where, what);
	}
	if (!closed.empty() && !quiet)
		fmt::print(stderr, "hermetic-gate: {}closed {}\n", where, closed);
	return plan;
}

Expected<TraceResult> runStepEngine(const DetectorSetup &setup, const SupervisorOptions &so, const std::string &step,
				    RecordSink &sink, const SpawnSpec &spec, EngineExtras &extras)
{
	log::cli().debug("step {}: running {} under the {} detector{}{}", step, shellJoin(spec.argv), setup.detector,
			 spec.cwd.empty() ? "" : "; cwd " + spec.cwd,
			 so.timeoutSeconds > 0 ? "; timeout " + std::to_string(so.timeoutSeconds) + " s" : "");
	if (!setup.useProc) {
		SupervisorOptions withResolvers = so;
		if (withResolvers.nameservers.empty())
			withResolvers.nameservers = parseResolvConf(readProcFile("/etc/resolv.conf"));
		Supervisor sup(withResolvers, sink);
		return sup.run(spec);
	}
	ProcPollOptions po;
	po.intervalMs = setup.intervalMs;
	po.allow = so.allow;
	po.timeoutSeconds = so.timeoutSeconds;
	po.step = step;
	po.inheritedRecords = so.inheritedRecords;
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
