// hermetic-gate: proves a CI step is hermetic (no outbound network call, no listening socket).

#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/doctor.h"
#include "cli/exec_command.h"
#include "cli/run_command.h"
#include "cli/verdict.h"
#include "config.h"

int main(int argc, char **argv)
{
	CLI::App app{"hermetic-gate: proves a CI step makes no outbound network call and opens no listening socket.\n"
		     "Exit codes: 0 clean, 1 command failed, 2 usage/policy error (nothing ran), 3 violation, 4 tracer/internal error."};
	app.set_version_flag("--version", std::string("hermetic-gate ") + HG_VERSION);
	app.require_subcommand(1);

	hg::ExecOptions ex;
	CLI::App *exec = app.add_subcommand("exec", "Run one command under the tracer and report every network call live");
	exec->add_option("--allow-host", ex.allowHosts, "Governed exception for outbound calls: IP, CIDR, hostname, host:port, [v6]:port")->type_name("SPEC");
	exec->add_option("--allow-port", ex.allowPorts, "Governed exception: outbound calls to this port on any host")->type_name("PORT");
	exec->add_option("--allow-listen", ex.allowListen, "Governed exception for listen/bind: local address, CIDR or port")->type_name("SPEC");
	exec->add_flag("--enforce", ex.enforce, "Refuse violating calls with EPERM before they happen (default: audit, record and let through)");
	exec->add_option("--out", ex.out, "Write the evidence (strace.txt) to this folder")->type_name("DIR");
	exec->add_option("--timeout", ex.timeoutSeconds, "Kill the command tree after this many seconds (0: never)")->type_name("SECONDS")->check(CLI::NonNegativeNumber);
	exec->add_flag("--quiet,-q", ex.quiet, "Print nothing but errors");
	exec->add_option("--detector", ex.detector, "auto (ptrace, else /proc polling unless --strict), ptrace, or proc")->type_name("KIND");
	exec->add_flag("--strict", ex.strict, "Refuse to run (exit 4) when the native tracer cannot run");
	exec->add_option("--poll-interval", ex.pollIntervalMs, "Milliseconds between /proc polls for the proc detector (default 20)")->type_name("MS");
	exec->add_option("command", ex.command, "The command to run, after --")->required()->expected(-1);
	exec->positionals_at_end();

	hg::RunOptions rn;
	bool runAudit = false, runEnforce = false;
	CLI::App *run = app.add_subcommand("run", "Run the steps of a policy file under the tracer and write the evidence folder");
	run->add_option("--policy", rn.policy, std::string("Policy file (default ") + "docs/ci/HERMETIC_CI_POLICY.yml)")->type_name("FILE");
	run->add_option("--step", rn.steps, "Run only this step (repeatable; default: every step, in file order)")->type_name("ID");
	run->add_option("--out", rn.out, "Evidence folder (default artifacts/governance/hermetic-ci/<sha>/)")->type_name("DIR");
	run->add_option("--sha", rn.sha, "Commit under test (default GITHUB_SHA, CI_COMMIT_SHA, then git rev-parse HEAD)");
	auto *auditFlag = run->add_flag("--audit", runAudit, "Record violations and let them proceed (overrides the policy's mode)");
	run->add_flag("--enforce", runEnforce, "Refuse violations with EPERM (overrides the policy's mode)")->excludes(auditFlag);
	run->add_flag("--strict", rn.strict, "Refuse to run without the native tracer");
	run->add_flag("--quiet,-q", rn.quiet, "Print nothing but errors");
	run->add_option("--detector", rn.detector, "auto (ptrace, else /proc polling unless strict), ptrace, or proc")->type_name("KIND");
	run->add_option("--poll-interval", rn.pollIntervalMs, "Milliseconds between /proc polls for the proc detector (default 20)")->type_name("MS");

	std::string validatePolicy;
	bool validateQuiet = false;
	CLI::App *validate = app.add_subcommand("validate", "Check a policy file and exit (0 valid, 2 invalid)");
	validate->add_option("--policy", validatePolicy, "Policy file (default docs/ci/HERMETIC_CI_POLICY.yml)")->type_name("FILE");
	validate->add_flag("--quiet,-q", validateQuiet, "Print nothing when the policy is valid");

	CLI::App *doctor = app.add_subcommand("doctor", "Probe what the gate can rely on here (ptrace, seccomp, ABIs, io_uring, namespaces)");

	try {
		app.parse(argc, argv);
	} catch (const CLI::CallForHelp &e) {
		return app.exit(e);
	} catch (const CLI::CallForAllHelp &e) {
		return app.exit(e);
	} catch (const CLI::CallForVersion &e) {
		return app.exit(e);
	} catch (const CLI::ParseError &e) {
		std::fprintf(stderr, "hermetic-gate: error: %s (see hermetic-gate --help)\n", e.what());
		return hg::kExitUsage;
	}

	if (exec->parsed()) {
		// The command must follow "--", so an option meant for the gate can never be
		// passed to the command by mistake (or the other way round).
		bool dashdash = false;
		for (int i = 1; i < argc; i++)
			dashdash = dashdash || std::string(argv[i]) == "--";
		if (!dashdash) {
			std::fprintf(stderr, "hermetic-gate: error: put the command after -- (hermetic-gate exec [OPTIONS] -- CMD [ARG...])\n");
			return hg::kExitUsage;
		}
		return hg::runExec(ex);
	}
	if (run->parsed()) {
		if (runAudit)
			rn.enforce = false;
		if (runEnforce)
			rn.enforce = true;
		return hg::runRun(rn);
	}
	if (doctor->parsed())
		return hg::runDoctor();
	if (validate->parsed())
		return hg::runValidate(validatePolicy, validateQuiet);
	return hg::kExitUsage;
}
