#pragma once
// Thin wrappers over the ptrace and pidfd calls the supervisor makes. Every restart
// goes through restart(), which treats ESRCH as "tracee gone" (sandbox2's ContinueProcess()).

#include <sys/ptrace.h>
#include <sys/types.h>

#include <cstdint>

#include "base/error.h"
#include "base/unique_fd.h"
#include "net/endpoint.h"
#include "tracer/syscall_decoder.h"

namespace hg {

// All options every tracee gets, set once at PTRACE_SEIZE and inherited by auto-attached children.
extern const unsigned long kPtraceOptions;

// PTRACE_CONT / PTRACE_SYSCALL / PTRACE_LISTEN with a signal to inject. Returns false
// when the tracee is gone (ESRCH), which is an ordinary race, not an error.
bool restart(pid_t tid, int request, int sig = 0);

// PTRACE_GET_SYSCALL_INFO at a seccomp stop or syscall-exit stop.
Expected<__ptrace_syscall_info> syscallInfo(pid_t tid);

// PTRACE_GETEVENTMSG: the new child's pid, the former tid at exec, ...
Expected<unsigned long> eventMsg(pid_t tid);

// Skips the syscall the tracee is stopped at (seccomp stop) and makes it return `ret`
// (e.g. -EPERM), like sandbox2's Regs::SkipSyscallReturnValue.
Expected<void> skipSyscall(pid_t tid, long ret);

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
