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
#include <optional>
#include <set>

#include <fmt/core.h>

#include "base/log.h"
#include "base/proc.h"
#include "base/stop_request.h"
#include "base/unique_fd.h"
#include "cli/doctor.h"
#include "cli/engine.h"
#include "cli/github_actions.h"
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
	fmt::print(stderr, "hermetic-gate: error: {}\n", msg);
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

// The policy at path, or nullopt once the reasons it is invalid are printed.
std::optional<Policy> readPolicy(const std::string &path)
{
	auto policy = loadPolicy(path, currentDateUtc());
	if (!policy) {
		fmt::print(stderr, "{}\n", policy.error().message);
		return std::nullopt;
	}
	log::cli().debug("policy {}: version {}, mode {}, {} step(s), {} global exception(s), sha256 {}", path,
			 policy->version, modeName(policy->mode), policy->steps.size(), policy->allow.size(), policy->sha256);
	return std::move(*policy);
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
	std::optional<Policy> policy = readPolicy(path);
	if (!policy)
		return kExitUsage;
	if (!quiet)
		fmt::print("{}: valid (version {}, mode {}, {} step(s), {} global exception(s))\n", path,
			   policy->version, modeName(policy->mode), policy->steps.size(), policy->allow.size());
	return kExitClean;
}

namespace {

// The steps as selectSteps() returned them, in file order whatever order --step named them in.
std::vector<Step> inFileOrder(const Policy &policy, std::vector<Step> steps)
{
	std::map<std::string, size_t> fileOrder;
	for (size_t i = 0; i < policy.steps.size(); i++)
		fileOrder[policy.steps[i].id] = i;
	std::stable_sort(steps.begin(), steps.end(),
			 [&](const Step &a, const Step &b) { return fileOrder[a.id] < fileOrder[b.id]; });
	return steps;
}

// The exit code of a run that finished and wrote its report: a violation wins, then an
// internal error of a step, then a failed command.
int runExitCode(const RunEvidence &run)
{
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

// Where one step's output goes while it runs: stdout, stderr, strace.txt, and /dev/null
// for its stdin.
struct StepIo {
	StepLogPaths paths;
	UniqueFd out, err, devnull;
	StraceStream strace;
};

// One `hermetic-gate run`, stage by stage. Each stage before runSteps() returns the exit
// code to stop with (an error is printed; nothing has run), or nullopt to go on.
class RunSession {
public:
	explicit RunSession(const RunOptions &opts)
		: opts_(opts),
		  progress_(opts.quiet ? ProgressMode::Never : parseProgressMode(opts.progress).value_or(ProgressMode::Auto),
			    STDERR_FILENO, std::chrono::seconds(opts.progressEverySeconds))
	{
	}

	std::optional<int> load();            // the policy, the steps to run, the mode
	std::optional<int> resolveCommands(); // every step's environment and command, before anything runs
	std::optional<int> openEvidence();    // the commit and the evidence folder
	std::optional<int> startReport();     // the detector, and a report saying "incomplete"
	void runSteps();                      // until the last, a stop signal or a write failure
	int finish();                         // the final report and the exit code

private:
	bool runStep(size_t i); // false: its evidence could not be written
	bool openStepIo(const Step &step, StepIo &io);
	StepEvidence traceStep(size_t i, const Allowlist &allow, const StepIo &io, StepSink &sink);
	bool publishStep(StepEvidence &ev, StepIo &io);
	void printStepSummary(const Step &step, const StepEvidence &ev, const StepSink &sink,
			      const StepLogPaths &paths) const;
	void markCompletion(int stopSig);

	const RunOptions &opts_;
	std::string policyPath_;
	Policy policy_;
	DaemonSockets daemons_; // built-in and delegated_sockets, stat()ed once at start
	std::vector<Step> steps_;
	bool enforce_ = false;
	std::vector<SanitizedEnv> envs_; // per step
	std::string outDir_;
	std::optional<EvidenceWriter> writer_;
	DetectorSetup detector_;
	RunEvidence run_;
	bool writeFailed_ = false;
	Progress progress_; // the live status line of the running step
};

std::optional<int> RunSession::load()
{
	policyPath_ = opts_.policy.empty() ? kDefaultPolicyPath : opts_.policy;
	std::optional<Policy> policy = readPolicy(policyPath_);
	if (!policy)
		return kExitUsage;
	policy_ = std::move(*policy);
	auto selected = selectSteps(policy_, opts_.steps);
	if (!selected) {
		fmt::print(stderr, "{}\n", selected.error().message);
		return kExitUsage;
	}
	steps_ = inFileOrder(policy_, std::move(*selected));
	enforce_ = opts_.enforce ? *opts_.enforce : policy_.mode == Mode::Enforce;
	daemons_ = gateDaemonSockets(policy_.delegatedSockets);
	return std::nullopt;
}

std::optional<int> RunSession::resolveCommands()
{
	std::vector<std::string> gateEnv = gateEnvironment();
	for (const Step &step : steps_) {
		SanitizedEnv env = sanitizeEnv(gateEnv, policy_.env, step.env);
		SpawnSpec probe;
		probe.argv = step.argv;
		probe.env = env.env;
		probe.cwd = step.cwd;
		if (auto resolved = resolveCommand(probe); !resolved) {
			err(step.location + ": step '" + step.id + "': " + resolved.error().message);
			return kExitUsage;
		}
		auto named = checkPassFds(opts_.inherited, policy_.passFds, policy_.passFdsLocation + ": pass_fds");
		if (named)
			named = checkPassFds(opts_.inherited, step.passFds,
					     step.passFdsLocation + ": pass_fds of step '" + step.id + "'");
		if (!named) {
			err(named.error().message);
			return kExitUsage;
		}
		envs_.push_back(std::move(env));
	}
	return std::nullopt;
}

std::optional<int> RunSession::openEvidence()
{
	outDir_ = opts_.out;
	ShaSource sha;
	std::string shaError;
	if (!resolveSha(opts_.sha, sha, shaError)) {
		if (outDir_.empty()) {
			err(shaError);
			return kExitUsage;
		}
		sha = {"unknown", "none"};
	}
	if (outDir_.empty())
		outDir_ = "artifacts/governance/hermetic-ci/" + sha.sha;
	auto writer = EvidenceWriter::open(outDir_);
	if (!writer) {
		err(writer.error().message);
		return kExitUsage;
	}
	writer_ = std::move(*writer);
	run_.sha = sha.sha;
	return std::nullopt;
}

std::optional<int> RunSession::startReport()
{
	run_.policyPath = policyPath_;
	run_.policySha256 = policy_.sha256;
	run_.detector = "ptrace";
	run_.kernelRelease = kernelRelease();
	run_.mode = enforce_ ? "enforce" : "audit";
	auto chosen = chooseDetector(opts_.detector, opts_.strict || policy_.strict, enforce_, opts_.pollIntervalMs);
	if (!chosen.setup)
		return chosen.exitCode;
	detector_ = *chosen.setup;
	run_.detector = detector_.detector;
	if (detector_.useProc) {
		run_.detectorNote = detector_.note;
		run_.detectorLimits = procPollLimits(detector_.intervalMs);
	}
	run_.health = probeHealth(detector_.probe);

	// A report that says "incomplete" is on disk from the start and after every step, so
	// a gate that is killed or crashes leaves evidence that says so.
	run_.complete = false;
	run_.incompleteReason = "the gate stopped before the run finished";
	if (auto early = writer_->writeReport(run_); !early) {
		err(early.error().message);
		return kExitUsage;
	}
	return std::nullopt;
}

void RunSession::runSteps()
{
	installStopHandlers();
	for (size_t i = 0; i < steps_.size() && !stopRequested(); i++) {
		if (!runStep(i)) {
			writeFailed_ = true;
			break;
		}
	}
}

bool RunSession::runStep(size_t i)
{
	const Step &step = steps_[i];
	StepIo io;
	if (!openStepIo(step, io))
		return false;
	Allowlist allow;
	for (Exception &e : stepExceptions(policy_, step))
		allow.add(std::move(e));
	allow.resolveHosts();
	allow.resolveSockets();

	if (!opts_.quiet)
		fmt::print(stderr, "hermetic-gate: step {}: {}\n", step.id, step.runText);
	StepSink sink(step.id, opts_.quiet, io.strace, &progress_);
	progress_.begin(step.id, sink.live);
	StepEvidence ev = traceStep(i, allow, io, sink);
	progress_.end();
	bool written = publishStep(ev, io);
	if (!opts_.quiet)
		printStepSummary(step, ev, sink, io.paths);
	run_.steps.push_back(std::move(ev));
	if (!written)
		return false;
	if (auto progress = writer_->writeReport(run_); !progress) {
		err(progress.error().message);
		return false;
	}
	return true;
}

bool RunSession::openStepIo(const Step &step, StepIo &io)
{
	auto paths = writer_->beginStep(step.id);
	if (!paths) {
		err(paths.error().message);
		return false;
	}
	io.paths = std::move(*paths);
	io.out.reset(open(io.paths.stdoutPartial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
	io.err.reset(open(io.paths.stderrPartial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
	io.devnull.reset(open("/dev/null", O_RDONLY | O_CLOEXEC));
	auto opened = io.strace.open(io.paths.stracePartial, io.paths.stracePath,
				     Durability::Flushed);
	if (!io.out || !io.err || !opened) {
		err("cannot write the logs of step '" + step.id + "' in " + io.paths.dir + ": " + std::strerror(errno));
		return false;
	}
	return true;
}

StepEvidence RunSession::traceStep(size_t i, const Allowlist &allow, const StepIo &io, StepSink &sink)
{
	const Step &step = steps_[i];
	StepEvidence ev;
	ev.id = step.id;
	ev.command = step.argv;
	ev.envRemoved = envs_[i].removed;

	SupervisorOptions so;
	so.enforce = enforce_;
	so.allow = &allow;
	so.daemons = &daemons_;
	so.timeoutSeconds = step.timeoutSeconds;
	SpawnSpec spec;
	spec.argv = step.argv;
	spec.env = envs_[i].env;
	spec.cwd = step.cwd;
	spec.stdinFd = io.devnull.get();
	spec.stdoutFd = io.out.get();
	spec.stderrFd = io.err.get();
	for (const FdOutcome &o : applyPassPlan(opts_.inherited, stepPassFds(policy_, step), step.id, opts_.quiet, so, spec).fds)
		ev.inheritedFds.push_back(reportedFd(o));

	auto t0 = std::chrono::steady_clock::now();
	EngineExtras extras;
	auto result = runStepEngine(detector_, so, step.id, sink, spec, extras);
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
	return ev;
}

// strace.txt is the streamed log of every call: publish it, and writeStep fsyncs the
// folder with the rest.
bool RunSession::publishStep(StepEvidence &ev, StepIo &io)
{
	auto published = io.strace.publish();
	auto written = writer_->writeStep(ev);
	if (!written || !published) {
		err(!published ? published.error().message : written.error().message);
		return false;
	}
	return true;
}

void RunSession::printStepSummary(const Step &step, const StepEvidence &ev, const StepSink &sink,
				  const StepLogPaths &paths) const
{
	fmt::print(stderr, "hermetic-gate: step {}: {}, {} violation(s) ({} audited, {} denied), {} allowed by exception -> {}\n",
		   step.id, stepOutcomeText(ev), sink.audited + sink.denied, sink.audited, sink.denied, sink.allowed,
		   stepResultName(stepResult(ev)));
	if (ev.started && !ev.timedOut && ev.exitCode == 127 && step.shell)
		fmt::print(stderr, "hermetic-gate: step {}: exit 127 from /bin/sh usually means a command was not found (see {})\n",
			   step.id, paths.stderrPath);
}

void RunSession::markCompletion(int stopSig)
{
	run_.complete = true;
	run_.incompleteReason.clear();
	if (stopSig) {
		run_.complete = false;
		run_.incompleteReason = "interrupted by " + signalName(stopSig);
		if (!run_.steps.empty())
			run_.incompleteReason += " during step '" + run_.steps.back().id + "' (" +
						 std::to_string(run_.steps.size()) + " of " + std::to_string(steps_.size()) + ")";
	} else if (writeFailed_) {
		run_.complete = false;
		run_.incompleteReason = "evidence could not be written";
	}
}

int RunSession::finish()
{
	int stopSig = stopRequested();
	markCompletion(stopSig);
	auto reported = writer_->writeReport(run_);
	if (!reported) {
		err(reported.error().message);
		return kExitInternal;
	}
	if (!opts_.quiet)
		fmt::print(stderr, "hermetic-gate: result {}; evidence in {}\n", stepResultName(overallResult(run_)), outDir_);
	// After the report: a CI file that cannot be written costs only itself.
	bool ciWritten = writeCiReports(opts_.ciReports, run_, policy_, *writer_);
	if (inGithubActions())
		reportToGithub(run_, policySpots(policy_), outDir_);
	if (stopSig)
		return 128 + stopSig;
	if (writeFailed_ || !ciWritten)
		return kExitInternal;
	return runExitCode(run_);
}

} // namespace

int runRun(const RunOptions &opts)
{
	RunSession session(opts);
	if (auto stop = session.load())
		return *stop;
	if (auto stop = session.resolveCommands())
		return *stop;
	if (auto stop = session.openEvidence())
		return *stop;
	if (auto stop = session.startReport())
		return *stop;
	session.runSteps();
	return session.finish();
}

} // namespace hg
