#include "cli/exec_command.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

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
	fprintf(stderr, "hermetic-gate: error: %s\n", msg.c_str());
}

bool allDigits(const std::string &s)
{
	return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

} // namespace

int runExec(const ExecOptions &opts)
{
	Allowlist outbound, inbound;
	for (const std::string &h : opts.allowHosts) {
		auto e = parseHostException(h, "--allow-host");
		if (!e) {
			err("--allow-host " + h + ": " + e.error().message);
			return kExitUsage;
		}
		outbound.add(std::move(*e));
	}
	for (const std::string &p : opts.allowPorts) {
		auto e = parsePortException(p, "--allow-port");
		if (!e) {
			err("--allow-port " + p + ": " + e.error().message);
			return kExitUsage;
		}
		outbound.add(std::move(*e));
	}
	for (const std::string &l : opts.allowListen) {
		auto e = allDigits(l) ? parsePortException(l, "--allow-listen") : parseHostException(l, "--allow-listen");
		if (!e) {
			err("--allow-listen " + l + ": " + e.error().message);
			return kExitUsage;
		}
		inbound.add(std::move(*e));
	}
	outbound.resolveHosts();
	inbound.resolveHosts();
	for (const Allowlist *al : {&outbound, &inbound}) {
		for (const Exception &e : al->entries()) {
			if (opts.quiet || e.host.empty())
				continue;
			if (!e.resolveError.empty()) {
				fprintf(stderr, "hermetic-gate: warning: %s '%s' matches nothing: %s\n", e.source.c_str(),
					e.spec.c_str(), e.resolveError.c_str());
				continue;
			}
			std::string addrs;
			for (const IpNet &n : e.nets)
				addrs += (addrs.empty() ? "" : ", ") + n.str();
			fprintf(stderr, "hermetic-gate: %s '%s' resolved to %s\n", e.source.c_str(), e.spec.c_str(), addrs.c_str());
		}
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
	if (!opts.out.empty()) {
		auto made = makeDirs(opts.out);
		if (!made) {
			err("--out " + opts.out + ": " + made.error().message + " (choose a writable folder)");
			return kExitUsage;
		}
		auto opened = strace.open(opts.out + "/.strace.txt.partial", opts.out + "/strace.txt",
					   Durability::AtomicOnly);
		if (!opened) {
			err(opened.error().message + " (choose a writable folder for --out)");
			return kExitUsage;
		}
	}

	StepSink sink("exec", opts.quiet, strace);
	SupervisorOptions so;
	so.enforce = opts.enforce;
	so.outbound = &outbound;
	so.inbound = &inbound;
	so.timeoutSeconds = opts.timeoutSeconds;
	installStopHandlers();
	EngineExtras extras;
	auto result = runStepEngine(*chosen.setup, so, "exec", sink, spec, extras);
	if (isatty(0)) {
		signal(SIGTTOU, SIG_IGN);
		tcsetpgrp(0, getpgrp());
		signal(SIGTTOU, SIG_DFL);
	}
	auto published = strace.publish();
	if (!published)
		err(published.error().message);
	if (!result) {
		err(result.error().message);
		return result.error().errnum == ENOENT || result.error().errnum == EACCES ? kExitUsage : kExitInternal;
	}

	uint64_t violations = sink.audited + sink.denied;
	bool failed = result->exitCode != 0 || result->termSignal != 0 || result->timedOut;
	if (!opts.quiet) {
		std::string how = result->timedOut ? "timed out"
				  : result->termSignal ? "was killed by signal " + std::to_string(result->termSignal)
						       : "exited " + std::to_string(result->exitCode);
		std::string where = opts.out.empty() ? "" : "; evidence in " + opts.out;
		fprintf(stderr, "hermetic-gate: %llu network call(s) traced, %llu violation(s) (%llu audited, %llu denied), %llu allowed by exception; command %s%s\n",
			static_cast<unsigned long long>(result->calls), static_cast<unsigned long long>(violations),
			static_cast<unsigned long long>(sink.audited), static_cast<unsigned long long>(sink.denied),
			static_cast<unsigned long long>(sink.allowed), how.c_str(), where.c_str());
	}
	if (int sig = stopRequested())
		return 128 + sig;
	if (!published)
		return kExitInternal;
	return verdictExitCode(violations > 0, failed);
}

} // namespace hg
