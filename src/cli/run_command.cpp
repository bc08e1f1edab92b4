#include "cli/run_command.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>

#include "base/stop_request.h"
#include "base/proc.h"
#include "base/unique_fd.h"
#include "cli/doctor.h"
#include "cli/engine.h"
#include "procpoll/limits.h"
#include "cli/live_printer.h"
#include "cli/step_sink.h"
#include "cli/verdict.h"
#include "evidence/atomic_file.h"
#include "evidence/run_report.h"
#include "evidence/writer.h"
#include "policy/loader.h"
#include "policy/policy.h"
#include "tracer/supervisor.h"

extern char **environ;

namespace hg {

namespace {

void err(const std::string &msg)
{
	fprintf(stderr, "hermetic-gate: error: %s\n", msg.c_str());
}

bool plainToken(const std::string &s)
{
	if (s.empty() || s.size() > 128 || s[0] == '.')
		return false;
	return std::all_of(s.begin(), s.end(), [](char c) { return isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'; });
}

std::string gitHead()
{
	FILE *p = popen("git rev-parse HEAD 2>/dev/null", "re");
	if (!p)
		return {};
	char buf[128] = {};
	std::string out;
	if (fgets(buf, sizeof(buf), p))
		out = buf;
	pclose(p);
	while (!out.empty() && (out.back() == '\n' || out.back() == '\r'))
		out.pop_back();
	return out;
}

std::string kernelRelease()
{
	utsname u{};
	return uname(&u) == 0 ? u.release : "unknown";
}

std::vector<std::string> gateEnvironment()
{
	std::vector<std::string> env;
	for (char **e = environ; e && *e; e++)
		env.emplace_back(*e);
	return env;
}

// Sockets a step left listening or bound: those found open in processes that outlived
// the step's root, every successful listen() the tree made (StepAggregates::listens),
// and what the /proc poller saw; each socket once.
std::vector<Listener> collectListeners(const TraceResult &tr, const std::vector<NetRecord> &listens,
				       const std::vector<Listener> &polled)
{
	std::vector<Listener> out;
	std::set<std::tuple<pid_t, std::string, std::string>> seen;
	auto add = [&](Listener l) {
		if (seen.insert({l.pid, l.proto, l.local}).second)
			out.push_back(std::move(l));
	};
	for (const auto &left : tr.leftSockets) {
		const ProcSocket &s = left.sock;
		bool tcp = s.proto.rfind("tcp", 0) == 0;
		if (tcp ? s.state != kTcpListen : s.local.port == 0 && s.proto.rfind("raw", 0) != 0)
			continue;
		add({left.pid, left.exe, s.proto, endpointText(s.local), ssStateName(s.proto, s.state)});
	}
	for (const NetRecord &r : listens) {
		std::string proto = protocolLabel(r.sock);
		if (r.sock.domain == AF_INET6)
			proto += "6";
		add({r.pid, r.exe, proto, endpointText(r.boundAddr), "LISTEN"});
	}
	for (const Listener &l : polled)
		add(l);
	return out;
}

std::string outcomeText(const StepEvidence &ev)
{
	if (!ev.started)
		return "could not start: " + ev.error;
	if (ev.timedOut)
		return "timed out";
	if (ev.signal)
		return "killed by " + signalName(ev.signal);
	return "exited " + std::to_string(ev.exitCode);
}

} // namespace

bool resolveSha(const std::string &explicitSha, ShaSource &out, std::string &error)
{
	struct Candidate {
		std::string value;
		const char *from;
	};
	const char *gh = getenv("GITHUB_SHA");
	const char *gl = getenv("CI_COMMIT_SHA");
	const Candidate candidates[] = {
		{explicitSha, "--sha"},
		{gh ? gh : "", "GITHUB_SHA"},
		{gl ? gl : "", "CI_COMMIT_SHA"},
	};
	for (const Candidate &c : candidates) {
		if (c.value.empty())
			continue;
		if (!plainToken(c.value)) {
			error = std::string(c.from) + " '" + c.value + "' is not a commit id (use letters, digits, '-', '_' or '.')";
			return false;
		}
		out = {c.value, c.from};
		return true;
	}
	std::string head = gitHead();
	if (!head.empty() && plainToken(head)) {
		out = {head, "git rev-parse HEAD"};
		return true;
	}
	error = "cannot tell which commit this is: no --sha, GITHUB_SHA or CI_COMMIT_SHA, and `git rev-parse HEAD` failed (pass --sha SHA or --out DIR)";
	return false;
}

int runValidate(const std::string &policyPath, bool quiet)
{
	std::string path = policyPath.empty() ? kDefaultPolicyPath : policyPath;
	auto policy = loadPolicy(path, currentDateUtc());
	if (!policy) {
		fprintf(stderr, "%s\n", policy.error().message.c_str());
		return kExitUsage;
	}
	if (!quiet)
		printf("%s: valid (version %d, mode %s, %zu step(s), %zu global exception(s))\n", path.c_str(),
		       policy->version, modeName(policy->mode), policy->steps.size(), policy->allow.size());
	return kExitClean;
}

int runRun(const RunOptions &opts)
{
	std::string path = opts.policy.empty() ? kDefaultPolicyPath : opts.policy;
	auto policy = loadPolicy(path, currentDateUtc());
	if (!policy) {
		fprintf(stderr, "%s\n", policy.error().message.c_str());
		return kExitUsage;
	}
	auto selected = selectSteps(*policy, opts.steps);
	if (!selected) {
		fprintf(stderr, "%s\n", selected.error().message.c_str());
		return kExitUsage;
	}
	// Steps run in file order whatever order --step named them in.
	std::map<std::string, size_t> fileOrder;
	for (size_t i = 0; i < policy->steps.size(); i++)
		fileOrder[policy->steps[i].id] = i;
	std::vector<Step> steps = std::move(*selected);
	std::stable_sort(steps.begin(), steps.end(),
			 [&](const Step &a, const Step &b) { return fileOrder[a.id] < fileOrder[b.id]; });

	bool enforce = opts.enforce ? *opts.enforce : policy->mode == Mode::Enforce;

	// Every command must resolve before anything runs.
	std::vector<std::string> gateEnv = gateEnvironment();
	std::vector<SanitizedEnv> envs;
	for (const Step &step : steps) {
		SanitizedEnv env = sanitizeEnv(gateEnv, policy->env, step.env);
		SpawnSpec probe;
		probe.argv = step.argv;
		probe.env = env.env;
		probe.cwd = step.cwd;
		if (auto resolved = resolveCommand(probe); !resolved) {
			err(step.location + ": step '" + step.id + "': " + resolved.error().message);
			return kExitUsage;
		}
		envs.push_back(std::move(env));
	}

	std::string outDir = opts.out;
	ShaSource sha;
	std::string shaError;
	if (!resolveSha(opts.sha, sha, shaError)) {
		if (outDir.empty()) {
			err(shaError);
			return kExitUsage;
		}
		sha = {"unknown", "none"};
	}
	if (outDir.empty())
		outDir = "artifacts/governance/hermetic-ci/" + sha.sha;
	auto writer = EvidenceWriter::open(outDir);
	if (!writer) {
		err(writer.error().message);
		return kExitUsage;
	}

	RunEvidence run;
	run.sha = sha.sha;
	run.policyPath = path;
	run.policySha256 = policy->sha256;
	run.detector = "ptrace";
	run.kernelRelease = kernelRelease();
	run.mode = enforce ? "enforce" : "audit";
	auto chosen = chooseDetector(opts.detector, opts.strict || policy->strict, enforce, opts.pollIntervalMs);
	if (!chosen.setup)
		return chosen.exitCode;
	const DetectorSetup &detector = *chosen.setup;
	run.detector = detector.detector;
	if (detector.useProc) {
		run.detectorNote = detector.note;
		run.detectorLimits = procPollLimits(detector.intervalMs);
	}
	run.health = probeHealth(detector.probe);

	// A report that says "incomplete" is on disk from the start and after every step, so
	// a gate that is killed or crashes leaves evidence that says so.
	run.complete = false;
	run.incompleteReason = "the gate stopped before the run finished";
	if (auto early = writer->writeReport(run); !early) {
		err(early.error().message);
		return kExitUsage;
	}

	installStopHandlers();
	bool writeFailed = false;
	for (size_t i = 0; i < steps.size() && !stopRequested(); i++) {
		const Step &step = steps[i];
		StepEvidence ev;
		ev.id = step.id;
		ev.command = step.argv;
		ev.envRemoved = envs[i].removed;

		auto paths = writer->beginStep(step.id);
		if (!paths) {
			err(paths.error().message);
			writeFailed = true;
			break;
		}
		UniqueFd out(open(paths->stdoutPartial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
		UniqueFd errf(open(paths->stderrPartial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
		UniqueFd devnull(open("/dev/null", O_RDONLY | O_CLOEXEC));
		StraceStream strace;
		auto opened = strace.open(paths->dir + "/.strace.txt.partial", paths->dir + "/strace.txt",
					   Durability::Flushed);
		if (!out || !errf || !opened) {
			err("cannot write the logs of step '" + step.id + "' in " + paths->dir + ": " + std::strerror(errno));
			writeFailed = true;
			break;
		}

		Allowlist allow;
		for (Exception &e : stepExceptions(*policy, step))
			allow.add(std::move(e));
		allow.resolveHosts();

		if (!opts.quiet)
			fprintf(stderr, "hermetic-gate: step %s: %s\n", step.id.c_str(), step.runText.c_str());
		StepSink sink(step.id, opts.quiet, strace);
		SupervisorOptions so;
		so.enforce = enforce;
		so.outbound = &allow;
		so.timeoutSeconds = step.timeoutSeconds;
		SpawnSpec spec;
		spec.argv = step.argv;
		spec.env = envs[i].env;
		spec.cwd = step.cwd;
		spec.stdinFd = devnull.get();
		spec.stdoutFd = out.get();
		spec.stderrFd = errf.get();

		auto t0 = std::chrono::steady_clock::now();
		EngineExtras extras;
		auto result = runStepEngine(detector, so, step.id, sink, spec, extras);
		ev.durationMs = static_cast<uint64_t>(
			std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count());
		if (!result) {
			ev.started = false;
			ev.error = result.error().message;
			err("step '" + step.id + "': " + ev.error);
		} else {
			ev.exitCode = result->exitCode;
			ev.signal = result->termSignal;
			ev.timedOut = result->timedOut;
			ev.rootPid = result->rootPid;
			ev.processes = std::move(result->processes);
			ev.listeners = collectListeners(*result, sink.aggregates.listens, extras.pollListeners);
			ev.ssEstablished = extras.ssEstablished;
			if (result->interruptedBy)
				ev.error = "interrupted by " + signalName(result->interruptedBy);
		}
		ev.aggregates = std::move(sink.aggregates);
		ev.exceptions = allow.entries();

		// strace.txt is the streamed log of every call: publish it, and writeStep fsyncs
		// the folder with the rest.
		auto published = strace.publish();
		auto written = writer->writeStep(ev);
		if (!written || !published) {
			err(!published ? published.error().message : written.error().message);
			writeFailed = true;
		}
		if (!opts.quiet) {
			fprintf(stderr, "hermetic-gate: step %s: %s, %llu violation(s) (%llu audited, %llu denied), %llu allowed by exception -> %s\n",
				step.id.c_str(), outcomeText(ev).c_str(),
				static_cast<unsigned long long>(sink.audited + sink.denied),
				static_cast<unsigned long long>(sink.audited), static_cast<unsigned long long>(sink.denied),
				static_cast<unsigned long long>(sink.allowed), stepResultName(stepResult(ev)));
			if (ev.started && !ev.timedOut && ev.exitCode == 127 && step.shell)
				fprintf(stderr, "hermetic-gate: step %s: exit 127 from /bin/sh usually means a command was not found (see %s)\n",
					step.id.c_str(), paths->stderrPath.c_str());
		}
		run.steps.push_back(std::move(ev));
		if (writeFailed)
			break;
		if (auto progress = writer->writeReport(run); !progress) {
			err(progress.error().message);
			writeFailed = true;
			break;
		}
	}

	int stopSig = stopRequested();
	run.complete = true;
	run.incompleteReason.clear();
	if (stopSig) {
		run.complete = false;
		run.incompleteReason = "interrupted by " + signalName(stopSig);
		if (!run.steps.empty())
			run.incompleteReason += " during step '" + run.steps.back().id + "' (" + std::to_string(run.steps.size()) +
						" of " + std::to_string(steps.size()) + ")";
	} else if (writeFailed) {
		run.complete = false;
		run.incompleteReason = "evidence could not be written";
	}
	auto reported = writer->writeReport(run);
	if (!reported) {
		err(reported.error().message);
		return kExitInternal;
	}

	StepResult overall = overallResult(run);
	if (!opts.quiet)
		fprintf(stderr, "hermetic-gate: result %s; evidence in %s\n", stepResultName(overall), outDir.c_str());
	if (stopSig)
		return 128 + stopSig;
	if (writeFailed)
		return kExitInternal;
	bool violation = false, failed = false, error = false;
	for (const StepEvidence &s : run.steps) {
		StepResult r = stepResult(s);
		violation = violation || r == StepResult::Violation;
		failed = failed || r == StepResult::Failed;
		error = error || r == StepResult::Error;
	}
	if (error && !violation)
		return kExitInternal;
	return verdictExitCode(violation, failed);
}

} // namespace hg
