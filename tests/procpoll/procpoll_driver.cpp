// procpoll_driver: runs one command under the ProcPoller (or decides, as the CLI will,
// which detector to use) and prints what the engine produced as key=value lines, so the
// engine is tested before the CLI wiring exists.
//
// Usage: procpoll_driver [--interval MS] [--timeout S] [--allow HOST] [--allow-listen HOST]
//                        [--detector auto|proc|ptrace] [--strict] -- COMMAND [ARGS...]
// Without --detector the poller runs unconditionally. With it, probePtrace() decides:
//   "decision action=ptrace|proc|refuse|conflict message=..." is printed first; ptrace prints
//   nothing more and exits 0 (the Supervisor is not the driver's business), refuse exits 4
//   and conflict 2 without running anything.
// Output lines (stdout):
//   record seq= pid= call= decision= proto= addr= local= result_known= direction= listener= why=...
//     (addr: the remote, or for listen/bind the local address as reported: port 0 when taken
//     as chosen by the kernel; local: the real local address; listener: a self connection's
//     listener as reported, "-" for other records)
//   process pid= ppid= exe= exited= code= signal= killed= argv0=
//   established proto= state= local= peer= pid=
//   listening role= proto= state= local= pid=
//   left pid= proto= state= local=
//   limit <text>
//   ss| <ss_established.txt line>
//   result root= exit= signal= timed_out= interrupted= calls= polls= interval_ms= cpu_us= wall_ms=
// Exit: 0 when the poller ran, 1 when the command could not start, 2 on usage errors.

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/stop_request.h"
#include "cli/detector_choice.h"
#include "evidence/step_log.h"
#include "policy/allowlist.h"
#include "procpoll/proc_poller.h"
#include "procpoll/proc_tables.h"
#include "tracer/ptrace_probe.h"

using namespace hg;

namespace {

class PrintSink : public RecordSink {
public:
	void onViolation(const NetRecord &) override { violations++; }
	void onRecord(const NetRecord &r) override { records.push_back(r); }
	std::vector<NetRecord> records;
	int violations = 0;
};

int usage(const char *msg)
{
	fprintf(stderr, "procpoll_driver: %s\n", msg);
	return 2;
}

const char *protoOf(const NetRecord &r)
{
	if (r.sock.domain == AF_PACKET)
		return "packet";
	switch (r.sock.type) {
	case SOCK_STREAM:
		return r.sock.domain == AF_INET6 ? "tcp6" : "tcp";
	case SOCK_DGRAM:
		return r.sock.protocol == IPPROTO_UDP ? (r.sock.domain == AF_INET6 ? "udp6" : "udp") : "icmp";
	default:
		return r.sock.domain == AF_INET6 ? "raw6" : "raw";
	}
}

} // namespace

int main(int argc, char **argv)
{
	ProcPollOptions opts;
	Allowlist allow;
	bool strict = false;
	std::string detector;
	int i = 1;
	for (; i < argc; i++) {
		std::string a = argv[i];
		if (a == "--") {
			i++;
			break;
		}
		if (i + 1 >= argc && a != "--strict")
			return usage(("missing value after " + a).c_str());
		if (a == "--interval")
			opts.intervalMs = std::atoi(argv[++i]);
		else if (a == "--timeout")
			opts.timeoutSeconds = std::atoi(argv[++i]);
		else if (a == "--allow" || a == "--allow-listen") {
			auto e = a == "--allow" ? parseHostException(argv[++i], a) : parseInboundException(argv[++i], a);
			if (!e)
				return usage(e.error().message.c_str());
			allow.add(std::move(*e));
		} else if (a == "--detector")
			detector = argv[++i];
		else if (a == "--strict")
			strict = true;
		else
			return usage(("unknown option " + a).c_str());
	}
	SpawnSpec spec;
	for (; i < argc; i++)
		spec.argv.push_back(argv[i]);
	if (spec.argv.empty())
		return usage("no command after --");

	if (!detector.empty()) {
		auto choice = parseDetectorChoice(detector);
		if (!choice)
			return usage(choice.error().message.c_str());
		PtraceAvailability probe = probePtrace();
		DetectorDecision d = decideDetector(*choice, strict, probe);
		static const char *const names[] = {"ptrace", "proc", "refuse", "conflict"};
		printf("decision action=%s message=%s\n", names[static_cast<int>(d.action)], d.message.c_str());
		fflush(stdout);
		switch (d.action) {
		case DetectorDecision::Action::UsePtrace:
			return 0;
		case DetectorDecision::Action::Refuse:
			return 4;
		case DetectorDecision::Action::Conflict:
			return 2;
		case DetectorDecision::Action::UseProc:
			break;
		}
	}

	opts.allow = &allow;
	opts.step = "driver";
	installStopHandlers();
	PrintSink sink;
	ProcPoller poller(opts, sink);
	auto result = poller.run(spec);
	if (!result) {
		printf("error errnum=%d message=%s\n", result.error().errnum, result.error().message.c_str());
		return 1;
	}
	for (const NetRecord &r : sink.records) {
		std::string listener = r.listener.status == AddrStatus::Absent ? "-" : ssEndpoint(r.listener);
		printf("record seq=%llu pid=%d call=%s decision=%s proto=%s addr=%s local=%s result_known=%d direction=%s "
		       "listener=%s why=%s\n",
		       static_cast<unsigned long long>(r.seq), r.pid, r.callName.c_str(), decisionName(r.decision), protoOf(r),
		       ssEndpoint(r.addr).c_str(), ssEndpoint(r.boundAddr).c_str(), r.resultKnown ? 1 : 0,
		       directionName(r.cls.direction), listener.c_str(), r.cls.why.c_str());
	}
	const TraceResult &t = result->trace;
	for (const ProcessRecord &p : t.processes) {
		printf("process pid=%d ppid=%d exe=%s exited=%d code=%d signal=%d killed=%d argv0=%s\n", p.pid, p.ppid,
		       p.exe.empty() ? "-" : p.exe.c_str(), p.exited ? 1 : 0, p.exitCode, p.termSignal, p.killedByGate ? 1 : 0,
		       p.argv.empty() ? "-" : p.argv[0].c_str());
	}
	for (const SeenSocket &s : result->established)
		printf("established proto=%s state=%s local=%s peer=%s pid=%d first_ms=%llu\n", s.sock.proto.c_str(),
		       ssStateName(s.sock.proto, s.sock.state).c_str(), ssEndpoint(s.sock.local).c_str(),
		       ssEndpoint(s.sock.remote).c_str(), s.pid, static_cast<unsigned long long>(s.firstSeenMs));
	for (const SeenSocket &s : result->listening)
		printf("listening role=%s proto=%s state=%s local=%s pid=%d\n", socketRoleName(s.role), s.sock.proto.c_str(),
		       ssStateName(s.sock.proto, s.sock.state).c_str(), ssEndpoint(s.sock.local).c_str(), s.pid);
	for (const auto &l : t.leftSockets)
		printf("left pid=%d proto=%s state=%s local=%s\n", l.pid, l.sock.proto.c_str(),
		       ssStateName(l.sock.proto, l.sock.state).c_str(), ssEndpoint(l.sock.local).c_str());
	for (const std::string &l : result->limits)
		printf("limit %s\n", l.c_str());
	std::string ss = renderSsEstablished(std::vector<OwnedSocket>(result->established.begin(), result->established.end()));
	size_t start = 0;
	while (start < ss.size()) {
		size_t nl = ss.find('\n', start);
		printf("ss| %s\n", ss.substr(start, nl - start).c_str());
		start = nl + 1;
	}
	printf("result root=%d exit=%d signal=%d timed_out=%d interrupted=%d calls=%llu violations=%d polls=%llu interval_ms=%d cpu_us=%llu wall_ms=%llu\n",
	       t.rootPid, t.exitCode, t.termSignal, t.timedOut ? 1 : 0, t.interruptedBy,
	       static_cast<unsigned long long>(t.calls), sink.violations, static_cast<unsigned long long>(result->polls),
	       result->intervalMs, static_cast<unsigned long long>(result->cpuMicros),
	       static_cast<unsigned long long>(result->wallMillis));
	return 0;
}
