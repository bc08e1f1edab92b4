// hermetic-gate: proves a CI step is hermetic (no outbound network call, no listening socket).

#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/exec_command.h"
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
	exec->add_option("command", ex.command, "The command to run, after --")->required()->expected(-1);
	exec->positionals_at_end();

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

	if (exec->parsed())
		return hg::runExec(ex);
	return hg::kExitUsage;
}
