#include <signal.h>

#include <cerrno>

#include <catch2/catch.hpp>

#include "procpoll/detector_choice.h"
#include "procpoll/limits.h"
#include "procpoll/ss_text.h"
#include "tracer/ptrace_probe.h"

using namespace hg;

namespace {

PtraceProbeFacts seizeFailure(int errnum)
{
	PtraceProbeFacts f;
	f.call = "ptrace(PTRACE_SEIZE)";
	f.errnum = errnum;
	f.filteredErrno = ESRCH;
	return f;
}

} // namespace

TEST_CASE("names errno values", "[procpoll][probe]")
{
	CHECK(errnoName(EPERM) == "EPERM");
	CHECK(errnoName(ENOSYS) == "ENOSYS");
	CHECK(errnoName(123456) == "123456");
}

TEST_CASE("explains why PTRACE_SEIZE failed", "[procpoll][probe]")
{
	SECTION("a seccomp filter on the gate: the syscall itself is intercepted")
	{
		auto f = seizeFailure(EPERM);
		f.seccompMode = 2;
		f.ptraceFiltered = true;
		f.filteredErrno = EPERM;
		CHECK(explainPtraceFailure(f) ==
		      "ptrace(PTRACE_SEIZE) failed with EPERM: denied by a seccomp filter on the gate (Seccomp: 2 in /proc/self/status): likely the container's seccomp profile");
		f.seccompMode = 0;
		CHECK(explainPtraceFailure(f) ==
		      "ptrace(PTRACE_SEIZE) failed with EPERM: the ptrace syscall itself is intercepted (ptrace on a pid that cannot exist failed with EPERM, not ESRCH)");
	}
	SECTION("Yama")
	{
		auto f = seizeFailure(EPERM);
		f.yamaScope = 3;
		CHECK(explainPtraceFailure(f) == "ptrace(PTRACE_SEIZE) failed with EPERM: kernel.yama.ptrace_scope=3 forbids ptrace");
		f.yamaScope = 2;
		CHECK(explainPtraceFailure(f) ==
		      "ptrace(PTRACE_SEIZE) failed with EPERM: kernel.yama.ptrace_scope=2 allows ptrace only with CAP_SYS_PTRACE, which the gate does not have");
		f.hasCapSysPtrace = true; // scope 2 with the capability does not explain it
		CHECK(explainPtraceFailure(f).find("yama") == std::string::npos);
	}
	SECTION("the child already has a tracer: a seccomp filter is not blamed")
	{
		auto f = seizeFailure(EPERM);
		f.seccompMode = 2;
		f.childTracerPid = 4242;
		f.childTracerComm = "strace";
		f.gateTracerPid = 4242;
		std::string line = explainPtraceFailure(f);
		CHECK(line.rfind("ptrace(PTRACE_SEIZE) failed with EPERM: the gate's child already has a tracer, pid 4242 (strace)", 0) == 0);
		CHECK(line.find("seccomp") == std::string::npos);
	}
	SECTION("security modules and sandboxes")
	{
		CHECK(explainPtraceFailure(seizeFailure(EACCES)).find("AppArmor or SELinux") != std::string::npos);
		CHECK(explainPtraceFailure(seizeFailure(EPERM)).find("no seccomp filter or Yama setting explains it") != std::string::npos);
		CHECK(explainPtraceFailure(seizeFailure(ENOSYS)).find("gVisor") != std::string::npos);
	}
	SECTION("killed by a filter")
	{
		PtraceProbeFacts f;
		f.call = "ptrace(PTRACE_SEIZE)";
		f.killedBySignal = SIGSYS;
		f.seccompMode = 2;
		CHECK(explainPtraceFailure(f) ==
		      "ptrace(PTRACE_SEIZE) killed the probe with SIGSYS: a seccomp filter on the gate (Seccomp: 2 in /proc/self/status) kills on that call");
	}
}

TEST_CASE("explains seccomp failures and a trap that never arrived", "[procpoll][probe]")
{
	PtraceProbeFacts f;
	f.call = "seccomp(SECCOMP_SET_MODE_FILTER)";
	f.errnum = EINVAL;
	CHECK(explainPtraceFailure(f).find("CONFIG_SECCOMP_FILTER") != std::string::npos);
	f.errnum = EACCES;
	CHECK(explainPtraceFailure(f).find("no_new_privs") != std::string::npos);
	f.errnum = EPERM;
	f.seccompMode = 2;
	CHECK(explainPtraceFailure(f).find("forbids loading another one") != std::string::npos);

	PtraceProbeFacts t;
	t.call = "connect() under SECCOMP_RET_TRACE";
	t.errnum = EPERM;
	t.trapNotDelivered = true;
	t.seccompMode = 2;
	CHECK(explainPtraceFailure(t) ==
	      "connect() under SECCOMP_RET_TRACE returned EPERM without stopping at the tracer: a seccomp filter on the gate (Seccomp: 2 in /proc/self/status) answers network calls before the gate's filter can trap them");
}

TEST_CASE("detector decision table", "[procpoll][detector]")
{
	PtraceAvailability ok;
	ok.ok = true;
	PtraceAvailability bad;
	bad.errnum = EPERM;
	bad.call = "ptrace(PTRACE_SEIZE)";
	bad.reason = "ptrace(PTRACE_SEIZE) failed with EPERM: kernel.yama.ptrace_scope=3 forbids ptrace";
	using A = DetectorDecision::Action;

	CHECK(decideDetector(DetectorChoice::Auto, false, ok).action == A::UsePtrace);
	CHECK(decideDetector(DetectorChoice::Auto, true, ok).action == A::UsePtrace);
	CHECK(decideDetector(DetectorChoice::Auto, false, ok).detector == "ptrace");

	auto fallback = decideDetector(DetectorChoice::Auto, false, bad);
	CHECK(fallback.action == A::UseProc);
	CHECK(fallback.detector == "proc-poll");
	CHECK(fallback.message.find(bad.reason) != std::string::npos);
	CHECK(fallback.message.find("weaker") != std::string::npos);

	auto strict = decideDetector(DetectorChoice::Auto, true, bad);
	CHECK(strict.action == A::Refuse);
	CHECK(strict.detector.empty());
	CHECK(strict.message == "strict mode: the ptrace detector cannot run: " + bad.reason + "; nothing ran");
	CHECK(strict.message.find('\n') == std::string::npos);

	CHECK(decideDetector(DetectorChoice::Ptrace, false, bad).action == A::Refuse);
	CHECK(decideDetector(DetectorChoice::Ptrace, false, ok).action == A::UsePtrace);
	CHECK(decideDetector(DetectorChoice::Proc, false, ok).action == A::UseProc);
	CHECK(decideDetector(DetectorChoice::Proc, true, ok).action == A::Conflict);

	CHECK(*parseDetectorChoice("auto") == DetectorChoice::Auto);
	CHECK(*parseDetectorChoice("ptrace") == DetectorChoice::Ptrace);
	CHECK(*parseDetectorChoice("proc") == DetectorChoice::Proc);
	auto badChoice = parseDetectorChoice("strace");
	REQUIRE_FALSE(badChoice);
	CHECK(badChoice.error().message == "unknown detector 'strace' (use auto, ptrace or proc)");
	CHECK(std::string(detectorChoiceName(DetectorChoice::Proc)) == "proc");
}

TEST_CASE("limits name the interval", "[procpoll][limits]")
{
	auto limits = procPollLimits(20);
	REQUIRE(limits.size() == std::size(kProcPollLimits));
	CHECK(limits[1] == "a connection opened and closed between two polls (every 20 ms) is missed; so is a process that lives shorter than one interval");
	CHECK(procPollLimits(5)[1].find("(every 5 ms)") != std::string::npos);
	for (const std::string &l : limits) {
		CHECK_FALSE(l.empty());
		CHECK(l.find('\n') == std::string::npos);
	}
}

TEST_CASE("renders ss_established.txt", "[procpoll][ss]")
{
	CHECK(renderSsEstablished({}) == "Netid  State  Local Address:Port  Peer Address:Port  Process\n");
	auto table = parseProcNetTable(
		"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
		"   0: 027100CB:9C40 017100CB:01BB 02 00000000:00000000 00:00000000 00000000     0        0 5 1\n"
		"   1: 0100007F:AFC8 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 6 1\n",
		"tcp");
	REQUIRE(table.size() == 2);
	std::vector<SeenSocket> seen = {{42, "/usr/bin/curl", table[0], SocketRole::Connect, 1, 1},
					{7, "/usr/bin/python3", table[1], SocketRole::Connect, 2, 2}};
	CHECK(renderSsEstablished(seen) ==
	      "Netid  State     Local Address:Port  Peer Address:Port  Process\n"
	      "tcp    ESTAB     127.0.0.1:45000     127.0.0.1:8080     users:((\"python3\",pid=7))\n"
	      "tcp    SYN-SENT  203.0.113.2:40000   203.0.113.1:443    users:((\"curl\",pid=42))\n");
}
