#pragma once
// The seccomp filter every traced process runs under: SECCOMP_RET_TRACE(tag) for the
// network syscalls, SECCOMP_RET_ALLOW for everything else, on every syscall ABI an
// x86_64 kernel executes (x86_64, i386 including socketcall, x32). A syscall from an
// ABI the filter does not list traps with kTagBadArch, so it is never silent.
//
// The program is built in the supervisor (libseccomp allocates) and installed in the
// child between fork and execve with installFilter(), which only makes system calls.

#include <linux/filter.h>
#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "base/error.h"

namespace hg {

// SECCOMP_RET_TRACE data: tells the supervisor which rule trapped.
enum TrapTag : uint16_t {
	kTagConnect = 1,
	kTagBind = 2,
	kTagListen = 3,
	kTagSendto = 4,
	kTagSendmsg = 5,
	kTagSendmmsg = 6,
	kTagUntracedClone = 20, // clone() with CLONE_UNTRACED: a child the gate could not follow
	kTagIoUring = 21,       // io_uring_setup(): network I/O that bypasses the traced syscalls
	kTagSeccompListener = 22, // a filter with a user-notification listener could hide calls
	// A signal, ptrace, pidfd or process_vm_* call aimed at another process: the supervisor,
	// which knows the traced tree, refuses it when the target is the gate or outside the tree.
	kTagProcessAccess = 25,
	// socket() of an inet family: the supervisor notes the new socket, so that an inet socket
	// the tree did not make (one received from outside it) is known as foreign.
	kTagInetSocket = 26,
	kTagBadArch = 100,
};

struct BpfProgram {
	std::vector<sock_filter> insns;
};

// Builds the network filter. sendto is trapped only when it carries a destination
// address (a send on a connected socket was judged at its connect), except on i386
// where socketcall hides the arguments and every sendto traps.
// Besides the network calls it traps what could blind or bypass the gate:
// clone(CLONE_UNTRACED), io_uring_setup, seccomp filters with a listener, and every call
// that acts on another process by its pid or pidfd (signals, ptrace, pidfd_open,
// pidfd_getfd, process_vm_*). clone3 fails with ENOSYS (its flags live in memory the filter
// cannot read), so runtimes fall back to clone().
Expected<BpfProgram> buildNetworkFilter();

// Installs prog in the calling process. Sets PR_SET_NO_NEW_PRIVS first when needed
// (no CAP_SYS_ADMIN). Async-signal-safe: fit for a child between fork and exec.
// Returns 0 or an errno value.
int installFilter(const BpfProgram &prog, bool setNoNewPrivs);

} // namespace hg
