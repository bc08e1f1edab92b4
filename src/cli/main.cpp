// hermetic-gate: proves a CI step is hermetic (no outbound network call, no listening socket).

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "base/log.h"
#include "cli/doctor.h"
#include "cli/exec_command.h"
#include "cli/merge_command.h"
#include "cli/run_command.h"
#include "cli/strace_command.h"
#include "cli/suggest_command.h"
#include "revision.h" // HG_GIT_REVISION, generated at build time
#include "cli/verdict.h"
#include "config.h"
#include "net/fd_snapshot.h"
#include "cli/detector_choice.h"

namespace {

// What argv sets beyond each subcommand's own options struct. Only one subcommand is
// parsed, so the options they share (--detector, --log-level, -v) share one variable.
struct Invocation {
	hg::ExecOptions exec;
	hg::RunOptions run;
	hg::SuggestOptions suggest;
	hg::MergeOptions merge;
	bool runAudit = false, runEnforce = false;
	std::string validatePolicy;
	bool validateQuiet = false;
	std::string detector = "auto";
	std::string logLevel; // empty: HG_LOG_LEVEL, else the default
	bool verbose = false;
};

void addLogOptions(CLI::App *cmd, Invocation &inv)
{
	const std::vector<std::string> levels(std::begin(hg::log::kLevelNames), std::end(hg::log::kLevelNames));
	auto *level = cmd->add_option("--log-level", inv.logLevel, "Diagnostics to show on stderr (default warn; overrides HG_LOG_LEVEL)")
			      ->type_name("LEVEL")
			      ->check(CLI::IsMember(levels));
	cmd->add_flag("--verbose,-v", inv.verbose, "Show debug diagnostics (--log-level debug)")->excludes(level);
}

void addDetectorOption(CLI::App *cmd, Invocation &inv, const char *help)
{
	using hg::DetectorChoice;
	cmd->add_option("--detector", inv.detector, help)
		->type_name("KIND")
		->check(CLI::IsMember({hg::detectorChoiceName(DetectorChoice::Auto), hg::detectorChoiceName(DetectorChoice::Ptrace),
				       hg::detectorChoiceName(DetectorChoice::Proc)}));
}

void addPollIntervalOption(CLI::App *cmd, int &pollIntervalMs)
{
	cmd->add_option("--poll-interval", pollIntervalMs, "Milliseconds between /proc polls for the proc detector (default 20)")
		->type_name("MS")
		->check(CLI::Range(1, 10000));
}

CLI::App *addExecCommand(CLI::App &app, Invocation &inv)
{
	hg::ExecOptions &ex = inv.exec;
	CLI::App *exec = app.add_subcommand("exec", "Run one command under the tracer and report every network call live");
	exec->add_option("--allow-host", ex.allowHosts, "Governed exception for outbound calls: IP, CIDR, hostname, host:port, [v6]:port")->type_name("SPEC");
	exec->add_option("--allow-port", ex.allowPorts, "Governed exception: outbound calls to this port on any host")->type_name("PORT");
	exec->add_option("--allow-listen", ex.allowListen, "Governed exception for listen/bind: local address, CIDR or port")->type_name("SPEC");
	exec->add_option("--allow-delegated", ex.allowDelegated, "Governed exception for a daemon's unix socket (Docker, ...): absolute path or @name")->type_name("PATH");
	exec->add_option("--pass-fd", ex.passFds, "Leave this inherited descriptor open for the command (repeatable; every other one above 2 is closed; a socket is judged as a connect to its peer or a listen)")
		->type_name("N")
		->check(CLI::NonNegativeNumber);
	exec->add_flag("--enforce", ex.enforce, "Refuse violating calls with EPERM before they happen (default: audit, record and let through)");
	exec->add_option("--out", ex.out, "Write the evidence (strace.txt) to this folder")->type_name("DIR");
	exec->add_option("--timeout", ex.timeoutSeconds, "Kill the command tree after this many seconds (0: never)")->type_name("SECONDS")->check(CLI::NonNegativeNumber);
	exec->add_flag("--quiet,-q", ex.quiet, "Print nothing but errors");
	addDetectorOption(exec, inv, "auto (ptrace, else /proc polling unless --strict), ptrace, or proc");
	exec->add_flag("--strict", ex.strict, "Refuse to run (exit 4) when the native tracer cannot run");
	addPollIntervalOption(exec, ex.pollIntervalMs);
	addLogOptions(exec, inv);
	exec->add_option("command", ex.command, "The command to run, after --")->required()->expected(-1);
	exec->positionals_at_end();
	return exec;
}

CLI::App *addRunCommand(CLI::App &app, Invocation &inv)
{
	hg::RunOptions &rn = inv.run;
	CLI::App *run = app.add_subcommand("run", "Run the steps of a policy file under the tracer and write the evidence folder");
	run->add_option("--policy", rn.policy, std::string("Policy file (default ") + "docs/ci/HERMETIC_CI_POLICY.yml)")->type_name("FILE");
	run->add_option("--step", rn.steps, "Run only this step (repeatable; default: every step, in file order)")->type_name("ID");
	run->add_option("--out", rn.out, "Evidence folder (default artifacts/governance/hermetic-ci/<sha>/)")->type_name("DIR");
	run->add_option("--sha", rn.sha, "Commit under test (default GITHUB_SHA, CI_COMMIT_SHA, then git rev-parse HEAD)");
	auto *auditFlag = run->add_flag("--audit", inv.runAudit, "Record violations and let them proceed (overrides the policy's mode)");
	run->add_flag("--enforce", inv.runEnforce, "Refuse violations with EPERM (overrides the policy's mode)")->excludes(auditFlag);
	run->add_flag("--strict", rn.strict, "Refuse to run without the native tracer");
	run->add_flag("--quiet,-q", rn.quiet, "Print nothing but errors");
	run->add_option("--progress", rn.progress, "Status line of the running step: auto (redrawn on a terminal, a plain line every --progress-every seconds in a log), always (redrawn), never")
		->type_name("WHEN")
		->check(CLI::IsMember({"auto", "always", "never"}));
	run->add_option("--progress-every", rn.progressEverySeconds, "Seconds between the plain progress lines of a long step when stderr is not a terminal (default 30)")
		->type_name("SECONDS")
		->check(CLI::Range(1, 86400));
	run->add_option("--junit", rn.ciReports.junit, "Also write the run as JUnit XML to this file (one test case per step)")->type_name("FILE");
	run->add_option("--sarif", rn.ciReports.sarif, "Also write the violations as SARIF 2.1.0 to this file, located in the policy")->type_name("FILE");
	run->add_option("--codequality", rn.ciReports.codequality, "Also write the violations as a GitLab Code Quality report to this file")->type_name("FILE");
	addDetectorOption(run, inv, "auto (ptrace, else /proc polling unless strict), ptrace, or proc");
	addPollIntervalOption(run, rn.pollIntervalMs);
	addLogOptions(run, inv);
	return run;
}

CLI::App *addValidateCommand(CLI::App &app, Invocation &inv)
{
	CLI::App *validate = app.add_subcommand("validate", "Check a policy file and exit (0 valid, 2 invalid)");
	validate->add_option("--policy", inv.validatePolicy, "Policy file (default docs/ci/HERMETIC_CI_POLICY.yml)")->type_name("FILE");
	validate->add_flag("--quiet,-q", inv.validateQuiet, "Print nothing when the policy is valid");
	addLogOptions(validate, inv);
	return validate;
}

CLI::App *addSuggestCommand(CLI::App &app, Invocation &inv)
{
	hg::SuggestOptions &sg = inv.suggest;
	CLI::App *suggest = app.add_subcommand("suggest", "Print the allow: entries that would let through what a run saw (or add them to a policy)");
	suggest->add_option("report", sg.report, "report.json of an (audit) run")->required()->type_name("REPORT");
	suggest->add_flag("--per-step", sg.perStep, "One allow: per step instead of the top-level one");
	suggest->add_option("--write", sg.write, "Add the entries to this policy file in place, keeping its comments and layout")->type_name("POLICY");
	suggest->add_flag("--quiet,-q", sg.quiet, "Print nothing but errors and warnings");
	addLogOptions(suggest, inv);
	return suggest;
}

CLI::App *addMergeCommand(CLI::App &app, Invocation &inv)
{
	hg::MergeOptions &mg = inv.merge;
	CLI::App *merge = app.add_subcommand("merge", "Join the evidence folders of shards (jobs that ran some steps of one commit) "
						    "into one; steps sorted by id");
	merge->add_option("shards", mg.shards, "Evidence folders written by hermetic-gate run, in any order")
		->required()
		->type_name("DIR")
		->expected(-1);
	merge->add_option("--out", mg.out, "The merged evidence folder: must not exist or be empty")->required()->type_name("DIR");
	merge->add_flag("--quiet,-q", mg.quiet, "Print nothing but errors");
	addLogOptions(merge, inv);
	return merge;
}

CLI::App *addDoctorCommand(CLI::App &app, Invocation &inv)
{
	CLI::App *doctor = app.add_subcommand("doctor", "Probe what the gate can rely on here (ptrace, seccomp, ABIs, io_uring, namespaces)");
	addLogOptions(doctor, inv);
	return doctor;
}

// --log-level or -v, else HG_LOG_LEVEL, else the default. An invalid HG_LOG_LEVEL is a
// usage error like an invalid flag (CLI11 has checked the flag).
bool applyLogLevel(const Invocation &inv)
{
	std::string name = inv.verbose ? "debug" : inv.logLevel;
	if (name.empty()) {
		const char *env = std::getenv("HG_LOG_LEVEL");
		name = env ? env : "";
		if (name.empty())
			return true;
	}
	auto level = hg::log::parseLevel(name);
	if (!level) {
		fmt::print(stderr, "hermetic-gate: error: HG_LOG_LEVEL={}: not a log level (use trace, debug, info, warn, error or off)\n", name);
		return false;
	}
	hg::log::setLevel(*level);
	return true;
}

// The command must follow "--", so an option meant for the gate can never be passed to
// the command by mistake (or the other way round).
bool commandAfterDashDash(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (std::string(argv[i]) == "--")
			return true;
	fmt::print(stderr, "hermetic-gate: error: put the command after -- (hermetic-gate exec [OPTIONS] -- CMD [ARG...])\n");
	return false;
}

// The exit code when argv does not ask to run anything (help, version, a parse error),
// or -1 to go on.
int parseArgs(CLI::App &app, int argc, char **argv)
{
	try {
		app.parse(argc, argv);
	} catch (const CLI::CallForHelp &e) {
		return app.exit(e);
	} catch (const CLI::CallForAllHelp &e) {
		return app.exit(e);
	} catch (const CLI::CallForVersion &e) {
		return app.exit(e);
	} catch (const CLI::ParseError &e) {
		fmt::print(stderr, "hermetic-gate: error: {} (see hermetic-gate --help)\n", e.what());
		return hg::kExitUsage;
	}
	return -1;
}

// `hermetic-gate strace ...`, or the binary run through a link named strace: strace's own
// command line, which CLI11 does not parse (-ff, -s32, options ending at the command).
// Returns -1 when argv is neither.
int straceDropIn(int argc, char **argv, std::vector<hg::InheritedFd> &inherited)
{
	const char *slash = std::strrchr(argv[0], '/');
	std::string self = slash ? slash + 1 : argv[0];
	int first = self == "strace" ? 1 : (argc > 1 && std::string(argv[1]) == "strace" ? 2 : -1);
	if (first < 0)
		return -1;
	auto args = hg::parseStraceArgs(std::vector<std::string>(argv + first, argv + argc));
	if (!args) {
		fmt::print(stderr, "hermetic-gate strace: {}\n", args.error().message);
		return hg::kExitUsage;
	}
	if (first == 1)
		args->tap.program = argv[0]; // as strace names itself: the name it was run by
	return hg::runStrace(*args, std::move(inherited));
}

} // namespace

int main(int argc, char **argv)
{
	// First, before the gate opens anything of its own: what it inherited is what a step
	// would inherit, and is closed in it unless passed (record/fd_pass.h).
	std::vector<hg::InheritedFd> inherited = hg::snapshotInheritedFds();
	if (int code = straceDropIn(argc, argv, inherited); code >= 0)
		return code;
	CLI::App app{"hermetic-gate: proves a CI step makes no outbound network call and opens no listening socket.\n"
		     "Exit codes: 0 clean, 1 command failed, 2 usage/policy error (nothing ran), 3 violation, 4 tracer/internal error,\n"
		     "5 unusable report.json (suggest, merge), 6 shards that do not belong together (merge)."};
	app.set_version_flag("--version", std::string("hermetic-gate ") + HG_VERSION + " (git " + HG_GIT_REVISION + ")");
	app.require_subcommand(1);

	Invocation inv;
	CLI::App *exec = addExecCommand(app, inv);
	CLI::App *run = addRunCommand(app, inv);
	CLI::App *validate = addValidateCommand(app, inv);
	CLI::App *doctor = addDoctorCommand(app, inv);
	CLI::App *suggest = addSuggestCommand(app, inv);
	CLI::App *merge = addMergeCommand(app, inv);
	// Listed for --help only: straceDropIn() takes its command line before CLI11 sees it.
	app.add_subcommand("strace", "Run a command the way `strace -f -e trace=network` would, writing the same lines "
				     "(see hermetic-gate strace --help)")
		->prefix_command();

	if (int code = parseArgs(app, argc, argv); code >= 0)
		return code;
	if (!applyLogLevel(inv))
		return hg::kExitUsage;
	// CLI11 has checked --detector against the names parseDetectorChoice() takes.
	hg::DetectorChoice detector = *hg::parseDetectorChoice(inv.detector);

	if (exec->parsed()) {
		if (!commandAfterDashDash(argc, argv))
			return hg::kExitUsage;
		inv.exec.detector = detector;
		inv.exec.inherited = std::move(inherited);
		return hg::runExec(inv.exec);
	}
	if (run->parsed()) {
		if (inv.runAudit)
			inv.run.enforce = false;
		if (inv.runEnforce)
			inv.run.enforce = true;
		inv.run.detector = detector;
		inv.run.inherited = std::move(inherited);
		return hg::runRun(inv.run);
	}
	if (suggest->parsed())
		return hg::runSuggest(inv.suggest);
	if (merge->parsed())
		return hg::runMerge(inv.merge);
	if (doctor->parsed())
		return hg::runDoctor();
	if (validate->parsed())
		return hg::runValidate(inv.validatePolicy, inv.validateQuiet);
	return hg::kExitUsage;
}
