// Signal, stop and exit lines against strace 6.1's output.

#include <signal.h>

#include <catch2/catch.hpp>
#include <cstring>

#include "strace/format.h"

namespace {

siginfo_t info(int sig, int code)
{
	siginfo_t si;
	std::memset(&si, 0, sizeof(si));
	si.si_signo = sig;
	si.si_code = code;
	return si;
}

siginfo_t child(int code, pid_t pid, int status)
{
	siginfo_t si = info(SIGCHLD, code);
	si.si_pid = pid;
	si.si_status = status;
	return si;
}

} // namespace

TEST_CASE("signals sent by processes", "[strace]")
{
	siginfo_t si = info(SIGUSR1, SI_USER);
	si.si_pid = 772;
	CHECK(hg::strace::signalLine(si) == "--- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_USER, si_pid=772, si_uid=0} ---");
	si = info(SIGUSR2, SI_TKILL);
	si.si_pid = 772;
	CHECK(hg::strace::signalLine(si) == "--- SIGUSR2 {si_signo=SIGUSR2, si_code=SI_TKILL, si_pid=772, si_uid=0} ---");
	si = info(SIGUSR1, SI_QUEUE);
	si.si_pid = 772;
	si.si_value.sival_int = 42;
	CHECK(hg::strace::signalLine(si) ==
	      "--- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_QUEUE, si_pid=772, si_uid=0, si_int=42, si_ptr=0x2a} ---");
	si = info(36, SI_USER);
	si.si_pid = 5276;
	CHECK(hg::strace::signalLine(si) == "--- SIGRT_4 {si_signo=SIGRT_4, si_code=SI_USER, si_pid=5276, si_uid=0} ---");
}

TEST_CASE("faults carry their address", "[strace]")
{
	siginfo_t si = info(SIGSEGV, SEGV_MAPERR);
	si.si_addr = reinterpret_cast<void *>(0x8);
	CHECK(hg::strace::signalLine(si) == "--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x8} ---");
	si = info(SIGSEGV, SI_KERNEL);
	CHECK(hg::strace::signalLine(si) == "--- SIGSEGV {si_signo=SIGSEGV, si_code=SI_KERNEL, si_addr=NULL} ---");
	si = info(SIGILL, ILL_ILLOPN);
	si.si_addr = reinterpret_cast<void *>(0x55a4e86f1286);
	CHECK(hg::strace::signalLine(si) == "--- SIGILL {si_signo=SIGILL, si_code=ILL_ILLOPN, si_addr=0x55a4e86f1286} ---");
}

TEST_CASE("SIGCHLD for every child state", "[strace]")
{
	CHECK(hg::strace::signalLine(child(CLD_EXITED, 627, 3)) ==
	      "--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=627, si_uid=0, si_status=3, si_utime=0, si_stime=0} ---");
	CHECK(hg::strace::signalLine(child(CLD_KILLED, 773, SIGSEGV)) ==
	      "--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_KILLED, si_pid=773, si_uid=0, si_status=SIGSEGV, si_utime=0, si_stime=0} ---");
	CHECK(hg::strace::signalLine(child(CLD_DUMPED, 775, SIGABRT)) ==
	      "--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_DUMPED, si_pid=775, si_uid=0, si_status=SIGABRT, si_utime=0, si_stime=0} ---");
	CHECK(hg::strace::signalLine(child(CLD_STOPPED, 776, SIGSTOP)) ==
	      "--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_STOPPED, si_pid=776, si_uid=0, si_status=SIGSTOP, si_utime=0, si_stime=0} ---");
	CHECK(hg::strace::signalLine(child(CLD_CONTINUED, 776, SIGCONT)) ==
	      "--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_CONTINUED, si_pid=776, si_uid=0, si_status=SIGCONT, si_utime=0, si_stime=0} ---");
}

TEST_CASE("stops and exits", "[strace]")
{
	CHECK(hg::strace::stopLine(SIGSTOP) == "--- stopped by SIGSTOP ---");
	CHECK(hg::strace::exitLine(0, 0, false) == "+++ exited with 0 +++");
	CHECK(hg::strace::exitLine(3, 0, false) == "+++ exited with 3 +++");
	CHECK(hg::strace::exitLine(0, SIGKILL, false) == "+++ killed by SIGKILL +++");
	CHECK(hg::strace::exitLine(0, SIGABRT, true) == "+++ killed by SIGABRT (core dumped) +++");
}
