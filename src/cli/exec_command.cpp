#include "cli/exec_command.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include <fmt/core.h>

#include "base/stop_request.h"
#include "cli/engine.h"
#include "cli/step_sink.h"
#include "cli/verdict.h"
#include "evidence/atomic_file.h"
#include "evidence/strace_log.h"
#include "policy/allowlist.h"
#include "tracer/supervisor.h"

namespace hg {

namespace {

void err(const std::string &msg)
{
	fmt::print(stderr, "hermetic-gate: error: {}\n", msg);
}

using ParseException = Expected<Exception> (*)(const std::string &spec, const std::string &source);

// Adds every spec of one --allow-* flag to into; prints the first that does not parse.
bool addExceptions(const std::vector<std::string> &specs, const std::string &flag, ParseException parse,
		   Allowlist &into)
{
	for (const std::string &spec : specs) {
		auto e = parse(spec, flag);
		if (!e) {
			err(flag + " " + spec + ": " + e.error().message);
			return false;
		}
		into.add(std::move(*e));
	}
	return true;
}

// The --allow-* flags as one allowlist (--allow-listen gives inbound exceptions, the
// policy's allow.inbound; --allow-delegated delegated ones, allow.delegated), hostnames
// resolved and sockets stat()ed.
bool buildAllowlist(const ExecOptions &opts, Allowlist &allow)
{
	if (!addExceptions(opts.allowHosts, "--allow-host", parseHostException, allow) ||
	    !addExceptions(opts.allowPorts, "--allow-port", parsePortException, allow) ||
	    !addExceptions(opts.allowListen, "--allow-listen", parseInboundException, allow) ||
	    !addExceptions(opts.allowDelegated, "--allow-delegated", parseDelegatedException, allow))
		return false;
	allow.resolveHosts();
	allow.resolveSockets();
	return true;
}

// One line per hostname exception: what it resolved to, or why it matches nothing.
void printResolved(const Allowlist &al)
{
	for (const Exception &e : al.entries()) {
		if (e.host.empty())
			continue;
		if (!e.resolveError.empty()) {
			fmt::print(stderr, "hermetic-gate: warning: {} '{}' matches nothing: {}\n", e.source, e.spec, e.resolveError);
			continue;
		}
		std::string addrs;
		for (const IpNet &n : e.nets)
			addrs += (addrs.empty() ? "" : ", ") + n.str();
		fmt::print(stderr, "hermetic-gate: {} '{}' resolved to {}\n", e.source, e.spec, addrs);
	}
}

// --out DIR: strace.txt is streamed into DIR and published when the command ends.
bool openStrace(const std::string &out, StraceStream &strace)
{
	auto made = makeDirs(out);
	if (!made) {
		err("--out " + out + ": " + made.error().message + " (choose a writable folder)");
		return false;
	}
	auto opened = strace.open(out + "/.strace.txt.partial", out + "/strace.txt", Durability::AtomicOnly);
	if (!opened) {
		err(opened.error().message + " (choose a writable folder for --out)");
		return false;
	}
	return true;
}

SupervisorOptions supervisorOptions(const ExecOptions &opts, const Allowlist &allow, const DaemonSockets &daemons)
{
	SupervisorOptions so;
	so.enforce = opts.enforce;
	so.allow = &allow;
	so.daemons = &daemons;
	so.timeoutSeconds = opts.timeoutSeconds;
	return so;
}

// The command had the terminal (SpawnSpec::takeTerminal): the gate takes it back.
void reclaimTerminal()
{
	if (!isatty(0))
		return;
	signal(SIGTTOU, SIG_IGN);
	tcsetpgrp(0, getpgrp());
	signal(SIGTTOU, SIG_DFL);
}

void printSummary(const ExecOptions &opts, const TraceResult &result, const StepSink &sink)
{
	std::string how = result.timedOut ? "timed out"
			  : result.termSignal ? "was killed by signal " + std::to_string(result.termSignal)
					      : "exited " + std::to_string(result.exitCode);
	std::string where = opts.out.empty() ? "" : "; evidence in " + opts.out;
	fmt::print(stderr, "hermetic-gate: {} network call(s) traced, {} violation(s) ({} audited, {} denied), {} allowed by exception; command {}{}\n",
		   result.calls, sink.audited + sink.denied, sink.audited, sink.denied, sink.allowed, how, where);
}

} // namespace

int runExec(const ExecOptions &opts)
{
	Allowlist allow;
	if (!buildAllowlist(opts, allow))
		return kExitUsage;
	if (!opts.quiet)
		printResolved(allow);

	if (auto named = checkPassFds(opts.inherited, opts.passFds, "--pass-fd"); !named) {
		err(named.error().message);
		return kExitUsage;
	}

	auto chosen = chooseDetector(opts.detector, opts.strict, opts.enforce, opts.pollIntervalMs);
	if (!chosen.setup)
		return chosen.exitCode;

	SpawnSpec spec;
	spec.argv = opts.command;
	spec.takeTerminal = true; // Ctrl-C and job control reach the command, not the gate
	if (auto path = resolveCommand(spec); !path) {
		err(path.error().message);
		return kExitUsage;
	}
	StraceStream strace;
	if (!opts.out.empty() && !openStrace(opts.out, strace))
		return kExitUsage;

	StepSink sink("exec", opts.quiet, strace);
	installStopHandlers();
	EngineExtras extras;
	DaemonSockets daemons = gateDaemonSockets({});
	SupervisorOptions so = supervisorOptions(opts, allow, daemons);
	applyPassPlan(opts.inherited, opts.passFds, "", opts.quiet, so, spec);
	auto result = runStepEngine(*chosen.setup, so, "exec", sink, spec, extras);
	reclaimTerminal();
	auto published = strace.publish();
	if (!published)
		err(published.error().message);
	if (!result) {
		err(result.error().message);
		return result.error().errnum == ENOENT || result.error().errnum == EACCES ? kExitUsage : kExitInternal;
	}

	if (!opts.quiet)
		printSummary(opts, *result, sink);
	if (int sig = stopRequested())
		return 128 + sig;
	if (!published)
		return kExitInternal;
	bool failed = result->exitCode != 0 || result->termSignal != 0 || result->timedOut;
	return verdictExitCode(sink.audited + sink.denied > 0, failed);
}

} // namespace hg
