#pragma once
// The ptrace and pidfd calls the supervisor makes. Every restart goes through
// PtraceOps::restart() and the supervisor's resume(), which treats ESRCH as "tracee gone"
// (sandbox2's ContinueProcess()) and any other error as fatal for the tracee.

#include <sys/ptrace.h>
#include <sys/types.h>

#include <cstdint>
#include <string>

#include "base/error.h"
#include "base/unique_fd.h"
#include "net/endpoint.h"
#include "tracer/syscall_decoder.h"

namespace hg {

// All options every tracee gets, set once at PTRACE_SEIZE and inherited by auto-attached children.
extern const unsigned long kPtraceOptions;

// The requests and signals the supervisor sends its tracees, behind an interface so that a
// test can make any of them fail (tests/tracer): the kernel's in KernelPtraceOps, a test
// double elsewhere. Errors carry the errno and name the request and tid; ESRCH means the
// tracee is gone (killed or exited under us, its exit status follows), an ordinary race.
class PtraceOps {
public:
	virtual ~PtraceOps() = default;

	// PTRACE_CONT / PTRACE_SYSCALL / PTRACE_LISTEN, injecting sig.
	[[nodiscard]] virtual Expected<void> restart(pid_t tid, int request, int sig) = 0;

	// PTRACE_GET_SYSCALL_INFO at a seccomp stop or syscall-exit stop (Linux >= 5.3).
	[[nodiscard]] virtual Expected<__ptrace_syscall_info> syscallInfo(pid_t tid) = 0;

	// PTRACE_GETEVENTMSG: the new child's pid, the former tid at exec, the SECCOMP_RET_DATA
	// at a seccomp stop.
	[[nodiscard]] virtual Expected<unsigned long> eventMsg(pid_t tid) = 0;

	// Skips the syscall the tracee is stopped at (seccomp stop) and makes it return `ret`
	// (e.g. -EPERM), like sandbox2's Regs::SkipSyscallReturnValue.
	[[nodiscard]] virtual Expected<void> skipSyscall(pid_t tid, long ret) = 0;

	// kill(pid, sig). Returns 0 or -errno.
	virtual int kill(pid_t pid, int sig) = 0;

	// Whether tid is a thread of the thread group tgid (tgkill(tgid, tid, 0) succeeds).
	virtual bool isThreadOf(pid_t tgid, pid_t tid) = 0;
};

class KernelPtraceOps final : public PtraceOps {
public:
	Expected<void> restart(pid_t tid, int request, int sig) override;
	Expected<__ptrace_syscall_info> syscallInfo(pid_t tid) override;
	Expected<unsigned long> eventMsg(pid_t tid) override;
	Expected<void> skipSyscall(pid_t tid, long ret) override;
	int kill(pid_t pid, int sig) override;
	bool isThreadOf(pid_t tgid, pid_t tid) override;
};

// "PTRACE_CONT", "PTRACE_SYSCALL", "PTRACE_LISTEN", or the number.
std::string ptraceRequestName(int request);

// Reads tracee memory with process_vm_readv (and writes it with process_vm_writev).
class TraceeMemory final : public MemoryReader {
public:
	explicit TraceeMemory(pid_t tid) : tid_(tid) {}
	ssize_t read(uint64_t addr, void *buf, size_t len) override;
	// Copies len bytes from buf to the tracee address addr. Returns the number of bytes
	// written (possibly short at the end of a mapping) or -errno.
	ssize_t write(uint64_t addr, const void *buf, size_t len);

private:
	pid_t tid_;
};

// A duplicate of a tracee's socket fd (pidfd_getfd), and what kind of socket it is.
struct TraceeSocket {
	UniqueFd fd;     // invalid when the fd could not be duplicated
	SocketInfo info; // info.known false when fd is invalid or not a socket
};
// pidfd: a pidfd_open() of the tracee's process (the supervisor keeps one per process).
TraceeSocket inspectSocket(int pidfd, int fd);

// getsockname / getpeername on a socket the supervisor holds, decoded.
Endpoint localAddress(int sockFd);
Endpoint peerAddress(int sockFd);

} // namespace hg
