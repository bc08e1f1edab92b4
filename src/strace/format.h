#pragma once
// A pure printer of what strace 6.1 writes for `-e trace=network` (x86_64 syscall names).
// Every spelling here was observed from /usr/bin/strace 6.1; no ptrace: the tracer hands in
// the syscall arguments and a Memory that reads the tracee.
//
// compat32 (i386 callers): sockaddrs and buffers print the same; msghdr, iovec, cmsghdr
// and mmsghdr are read in their 32-bit layouts.

#include <signal.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace hg::strace {

// Tracee memory as the printer reads it: the bytes at [addr, addr+len), fewer or none when
// part is unreadable (strace then prints the pointer in hex, e.g. 0x7ffd1234).
class Memory {
public:
	virtual ~Memory() = default;
	virtual std::vector<uint8_t> read(uint64_t addr, size_t len) = 0;
};

// -y: what strace puts between <> after a descriptor ("socket:[12345]", "/dev/null"); "" when
// unknown (then no <>).
using FdPath = std::function<std::string(int fd)>;

struct Options {
	size_t strsize = 0;     // -s N; the drop-in's default is 0
	bool decodeFds = false; // -y
};

struct Call {
	std::string name; // "connect", "sendto", ...: the x86_64 syscall names
	uint64_t args[6] = {};
	bool compat32 = false; // i386 caller: struct layouts of 32-bit userspace
};

// What the printer keeps between the syscall's entry and its exit.
struct Entry {
	std::string args;               // calls whose arguments are all inputs: printed at entry, as strace does
	std::optional<uint32_t> lenIn;  // *addrlen / *optlen / msg_namelen before the call
	std::string timeout;            // recvmmsg: the timeout as it was at entry
	std::string lead;               // calls with outputs: the inputs strace prints at entry ("3, ")
};

// Reads what strace reads at syscall entry. The fdPath is only called with -y.
Entry onEntry(const Call &c, Memory &mem, const Options &o, const FdPath &fdPath);

// The whole line after the prefix (pid / timestamp), without newline:
// "connect(3, {...}, 16) = -1 EINPROGRESS (Operation now in progress)".
// column: characters already on the line (strace aligns "= " at column 40).
// ret: std::nullopt when the tracee vanished before the call returned ("= ?").
std::string onExit(const Call &c, const Entry &e, std::optional<long> ret, Memory &mem, const Options &o,
		   const FdPath &fdPath, size_t column);

// What strace has written of the call when something else is written before it returns:
// "connect(3, {...}, 16", "accept(3, " (followed by " <unfinished ...>").
std::string entryText(const Call &c, const Entry &e);

// The rest of such a call once it returns, after "<... NAME resumed>": ") = 0",
// "{sa_family=AF_INET, ...}, [16]) = 4". column: characters already on that line.
std::string resumedText(const Call &c, const Entry &e, std::optional<long> ret, Memory &mem, const Options &o,
			const FdPath &fdPath, size_t column);

// "+++ exited with 0 +++", "+++ killed by SIGKILL +++", "+++ killed by SIGSEGV (core dumped) +++".
std::string exitLine(int exitCode, int termSignal, bool coreDumped);

// "--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=26062, si_uid=0, si_status=0, si_utime=0, si_stime=0} ---".
std::string signalLine(const siginfo_t &si);

// "--- stopped by SIGSTOP ---".
std::string stopLine(int sig);

// The syscalls strace's %network class selects, x86_64 names.
const std::vector<std::string> &networkSyscalls();
} // namespace hg::strace
