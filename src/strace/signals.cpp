// The lines strace writes besides syscalls: signal deliveries, group stops, exits.

#include <string_view>

#include "strace/format.h"
#include "strace/names.h"

namespace hg::strace {

namespace {

// si_code values a process can send (<= 0) and the kernel's own (SI_KERNEL).
constexpr Named kSiCodes[] = {
	{ 0, "SI_USER" },     { 0x80, "SI_KERNEL" },        { static_cast<uint32_t>(-1), "SI_QUEUE" },
	{ static_cast<uint32_t>(-2), "SI_TIMER" },  { static_cast<uint32_t>(-3), "SI_MESGQ" },
	{ static_cast<uint32_t>(-4), "SI_ASYNCIO" }, { static_cast<uint32_t>(-5), "SI_SIGIO" },
	{ static_cast<uint32_t>(-6), "SI_TKILL" },
};

constexpr Named kChldCodes[] = {
	{ 1, "CLD_EXITED" }, { 2, "CLD_KILLED" },  { 3, "CLD_DUMPED" },
	{ 4, "CLD_TRAPPED" }, { 5, "CLD_STOPPED" }, { 6, "CLD_CONTINUED" },
};
constexpr Named kSegvCodes[] = {
	{ 1, "SEGV_MAPERR" }, { 2, "SEGV_ACCERR" }, { 3, "SEGV_BNDERR" }, { 4, "SEGV_PKUERR" },
};
constexpr Named kBusCodes[] = {
	{ 1, "BUS_ADRALN" }, { 2, "BUS_ADRERR" }, { 3, "BUS_OBJERR" }, { 4, "BUS_MCEERR_AR" }, { 5, "BUS_MCEERR_AO" },
};
constexpr Named kIllCodes[] = {
	{ 1, "ILL_ILLOPC" }, { 2, "ILL_ILLOPN" }, { 3, "ILL_ILLADR" }, { 4, "ILL_ILLTRP" },
	{ 5, "ILL_PRVOPC" }, { 6, "ILL_PRVREG" }, { 7, "ILL_COPROC" }, { 8, "ILL_BADSTK" },
};
constexpr Named kFpeCodes[] = {
	{ 1, "FPE_INTDIV" }, { 2, "FPE_INTOVF" }, { 3, "FPE_FLTDIV" }, { 4, "FPE_FLTOVF" },
	{ 5, "FPE_FLTUND" }, { 6, "FPE_FLTRES" }, { 7, "FPE_FLTINV" }, { 8, "FPE_FLTSUB" },
};

struct SignalCodes {
	int sig;
	std::span<const Named> codes;
};

constexpr SignalCodes kSignalCodes[] = {
	{ SIGCHLD, kChldCodes }, { SIGSEGV, kSegvCodes }, { SIGBUS, kBusCodes },
	{ SIGILL, kIllCodes },   { SIGFPE, kFpeCodes },
};

std::span<const Named> codesOf(int sig)
{
	for (const SignalCodes &s : kSignalCodes)
		if (s.sig == sig)
			return s.codes;
	return {};
}

bool isFault(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE;
}

std::string codeName(const siginfo_t &si)
{
	if (si.si_code > 0 && si.si_code != SI_KERNEL)
		if (const char *name = lookup(codesOf(si.si_signo), static_cast<unsigned>(si.si_code)))
			return name;
	if (const char *name = lookup(kSiCodes, static_cast<uint32_t>(si.si_code)))
		return name;
	return std::to_string(si.si_code);
}

std::string sender(const siginfo_t &si)
{
	return ", si_pid=" + std::to_string(si.si_pid) + ", si_uid=" + std::to_string(si.si_uid);
}

std::string child(const siginfo_t &si)
{
	const std::string status = si.si_code == CLD_EXITED ? std::to_string(si.si_status) : signalName(si.si_status);
	return sender(si) + ", si_status=" + status + ", si_utime=" + std::to_string(si.si_utime) +
	       ", si_stime=" + std::to_string(si.si_stime);
}

std::string details(const siginfo_t &si)
{
	if (si.si_code == SI_QUEUE)
		return sender(si) + ", si_int=" + std::to_string(si.si_value.sival_int) +
		       ", si_ptr=" + hex(reinterpret_cast<uintptr_t>(si.si_value.sival_ptr));
	if (si.si_code <= 0)
		return sender(si);
	if (si.si_signo == SIGCHLD && si.si_code != SI_KERNEL)
		return child(si);
	if (isFault(si.si_signo)) {
		const auto addr = reinterpret_cast<uintptr_t>(si.si_addr);
		return ", si_addr=" + (addr ? hex(addr) : std::string("NULL"));
	}
	return "";
}

} // namespace

std::string signalLine(const siginfo_t &si)
{
	const std::string name = signalName(si.si_signo);
	return "--- " + name + " {si_signo=" + name + ", si_code=" + codeName(si) + details(si) + "} ---";
}

std::string stopLine(int sig)
{
	return "--- stopped by " + signalName(sig) + " ---";
}

std::string exitLine(int exitCode, int termSignal, bool coreDumped)
{
	if (termSignal)
		return "+++ killed by " + signalName(termSignal) + (coreDumped ? " (core dumped)" : "") + " +++";
	return "+++ exited with " + std::to_string(exitCode) + " +++";
}

} // namespace hg::strace
