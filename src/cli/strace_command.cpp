#include "cli/strace_command.h"

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include <fmt/core.h>

#include "base/stop_request.h"
#include "cli/engine.h"
#include "cli/step_sink.h"
#include "cli/verdict.h"
#include "policy/allowlist.h"

namespace hg {

const char *const kStraceUsage =
	"usage: hermetic-gate strace [OPTIONS] CMD [ARG...]   (or a link named strace)\n"
	"Traces the network calls of CMD and writes the lines strace writes for them.\n"
	"  -f                  follow forks (lines start with the task id when written to a file)\n"
	"  -ff                 with -o: one file per task, PREFIX.TID\n"
	"  -o FILE             write the trace to FILE instead of standard error\n"
	"  -e trace=SET        network, %network, %net, or a list of network syscalls (connect,sendto)\n"
	"  -s N                print at most N bytes of each payload (default 0: none)\n"
	"  -y                  print what each descriptor is (socket:[INODE])\n"
	"  -q, -qq             no 'Process N attached' lines; -qq: no '+++ exited' lines either\n"
	"  -t, -tt, -ttt       time of day, with microseconds, or seconds since the epoch\n"
	"  --seccomp-bpf       accepted: the gate always stops only at the traced calls\n"
	"  --hermetic-live     print the gate's violation lines on standard error as they happen\n"
	"  -h, --help          this text\n";

namespace {

Error usage(const std::string &what)
{
	return Error::msg(what + " (see hermetic-gate strace --help)");
}

// -e EXPR: trace=SET, t=SET or a bare SET. Only network syscalls can be traced.
Expected<void> parseTraceExpr(const std::string &expr, StraceArgs &a)
{
	std::string set = expr;
	if (auto eq = expr.find('='); eq != std::string::npos) {
		std::string qual = expr.substr(0, eq);
		if (qual != "trace" && qual != "t")
			return usage("option -e " + expr + ": only -e trace=... is supported");
		set = expr.substr(eq + 1);
	}
	const std::vector<std::string> &network = strace::networkSyscalls();
	std::vector<std::string> names;
	size_t start = 0;
	while (start <= set.size()) {
		size_t comma = std::min(set.find(',', start), set.size());
		std::string name = set.substr(start, comma - start);
		start = comma + 1;
		bool optional = !name.empty() && name[0] == '?'; // strace: ignore if unknown
		if (optional)
			name.erase(0, 1);
		if (name == "network" || name == "%network" || name == "%net") {
			names.insert(names.end(), network.begin(), network.end());
		} else if (std::find(network.begin(), network.end(), name) != network.end()) {
			names.push_back(name);
		} else if (!optional) {
			return usage("option -e " + expr + ": '" + name +
				     "' is not a network syscall; the drop-in traces %network syscalls only");
		}
	}
	std::sort(names.begin(), names.end());
	names.erase(std::unique(names.begin(), names.end()), names.end());
	a.tap.syscalls = std::move(names);
	return {};
}

// The long options the drop-in takes.
Expected<void> parseLong(const std::string &arg, StraceArgs &a)
{
	if (arg == "--seccomp-bpf")
		return {};
	if (arg == "--hermetic-live") {
		a.live = true;
		return {};
	}
	if (arg == "--help") {
		a.help = true;
		return {};
	}
	return usage("option " + arg + " is not supported by the strace drop-in");
}

Expected<size_t> parseSize(const std::string &opt, const std::string &value)
{
	char *end = nullptr;
	errno = 0;
	unsigned long n = std::strtoul(value.c_str(), &end, 10);
	if (value.empty() || *end != '\0' || errno != 0 || value[0] == '-' || n > (1u << 30))
		return usage("option " + opt + " " + value + ": expected a number of bytes");
	return static_cast<size_t>(n);
}

// One cluster of short options ("-fqq", "-s32", "-o", "-eX"); i moves past the values it takes.
Expected<void> parseShort(const std::vector<std::string> &args, size_t &i, StraceArgs &a, int &follow)
{
	const std::string &arg = args[i];
	for (size_t k = 1; k < arg.size(); k++) {
		char c = arg[k];
		switch (c) {
		case 'f': follow++; continue;
		case 'q': a.tap.quiet++; continue;
		case 't': a.tap.timestamps++; continue;
		case 'y':
			if (a.tap.print.decodeFds)
				return usage("option -yy: protocol details of descriptors are not supported (use -y)");
			a.tap.print.decodeFds = true;
			continue;
		case 'h': a.help = true; continue;
		case 's': case 'o': case 'e': break;
		default:
			return usage(std::string("option -") + c + " is not supported by the strace drop-in");
		}
		std::string value = arg.substr(k + 1);
		if (value.empty()) {
			if (i + 1 >= args.size())
				return usage(std::string("option -") + c + " needs a value");
			value = args[++i];
		}
		if (c == 'o')
			a.tap.output = value;
		else if (c == 'e')
			return parseTraceExpr(value, a);
		else if (auto n = parseSize("-s", value); n)
			a.tap.print.strsize = *n;
		else
			return n.error();
		return {};
	}
	return {};
}

} // namespace

Expected<StraceArgs> parseStraceArgs(const std::vector<std::string> &args)
{
	StraceArgs a;
	a.tap.syscalls = strace::networkSyscalls();
	int follow = 0;
	size_t i = 0;
	for (; i < args.size(); i++) {
		const std::string &arg = args[i];
		if (arg == "--") {
			i++;
			break;
		}
		if (arg.size() < 2 || arg[0] != '-')
			break;
		auto parsed = arg[1] == '-' ? parseLong(arg, a) : parseShort(args, i, a, follow);
		if (!parsed)
			return parsed.error();
	}
	if (follow > 2)
		return usage("option -fff is not an option of strace (use -f or -ff)");
	if (a.tap.timestamps > 3)
		return usage("option -tttt is not an option of strace (use -t, -tt or -ttt)");
	a.tap.follow = follow > 0;
	a.tap.perTask = follow == 2 && !a.tap.output.empty();
	a.command.assign(args.begin() + static_cast<long>(i), args.end());
	if (a.command.empty() && !a.help)
		return usage("must have CMD [ARG...] to run");
	return a;
}

namespace {

// strace's own exit: the command's status, or death by the signal that killed it.
int exitLikeCommand(const TraceResult &r)
{
	if (r.termSignal == 0)
		return r.exitCode;
	// No core file of the gate for the command's crash.
	rlimit none{0, 0};
	setrlimit(RLIMIT_CORE, &none);
	signal(r.termSignal, SIG_DFL);
	sigset_t one;
	sigemptyset(&one);
	sigaddset(&one, r.termSignal);
	sigprocmask(SIG_UNBLOCK, &one, nullptr);
	raise(r.termSignal);
	return 128 + r.termSignal;
}

} // namespace

int runStrace(const StraceArgs &args, std::vector<InheritedFd> inherited)
{
	if (args.help) {
		fmt::print("{}", kStraceUsage);
		return kExitClean;
	}
	auto chosen = chooseDetector(DetectorChoice::Ptrace, true, false, kDefaultPollIntervalMs);
	if (!chosen.setup)
		return chosen.exitCode;
	SpawnSpec spec;
	spec.argv = args.command;
	spec.takeTerminal = true;
	if (auto path = resolveCommand(spec); !path) {
		fmt::print(stderr, "hermetic-gate strace: {}\n", path.error().message);
		return kExitUsage;
	}
	strace::Tap tap(args.tap);
	if (auto opened = tap.open(); !opened) {
		fmt::print(stderr, "hermetic-gate strace: {}\n", opened.error().message);
		return kExitUsage;
	}
	StraceStream noEvidence; // never opened: the trace is the tap's
	StepSink sink("strace", !args.live, noEvidence);
	installStopHandlers();
	Allowlist none;
	DaemonSockets daemons = gateDaemonSockets({});
	SupervisorOptions so;
	so.allow = &none;
	so.daemons = &daemons;
	so.observer = &tap;
	applyPassPlan(inherited, {}, "", !args.live, so, spec);
	EngineExtras extras;
	auto result = runStepEngine(*chosen.setup, so, "strace", sink, spec, extras);
	if (!result) {
		fmt::print(stderr, "hermetic-gate strace: {}\n", result.error().message);
		return result.error().errnum == ENOENT || result.error().errnum == EACCES ? kExitUsage : kExitInternal;
	}
	if (!tap.outputError().empty()) {
		// A trace with lines missing would pass for a whole one: fail instead.
		fmt::print(stderr, "hermetic-gate strace: {} (the trace is incomplete)\n", tap.outputError());
		return kExitInternal;
	}
	if (int sig = stopRequested())
		return 128 + sig;
	return exitLikeCommand(*result);
}

} // namespace hg
