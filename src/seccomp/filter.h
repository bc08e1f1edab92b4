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
#include <string>
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
	// socket() of a packet socket with a protocol, or of a netlink protocol that rewrites
	// packet filtering (base/packet_path.h), by argument rules. Inet sockets trap as
	// kTagInetSocket; the supervisor judges both by their arguments (raw sockets).
	kTagSocket = 7,
	kTagUntracedClone = 20, // clone() with CLONE_UNTRACED: a child the gate could not follow
	kTagIoUring = 21,       // io_uring_setup(): network I/O that bypasses the traced syscalls
	kTagSeccompListener = 22, // a filter with a user-notification listener could hide calls
	// A signal, ptrace, pidfd or process_vm_* call aimed at another process: the supervisor,
	// which knows the traced tree, refuses it when the target is the gate or outside the tree.
	kTagProcessAccess = 25,
	// socket() of an inet family: the supervisor notes the new socket, so that an inet socket
	// the tree did not make (one received from outside it) is known as foreign.
	kTagInetSocket = 26,
	// Calls that change where packets go (base/packet_path.h), each by argument rules:
	kTagPathSockopt = 27,   // setsockopt: source routing, x_tables, IPVS, transparent sockets
	kTagPathIoctl = 28,     // route, interface, neighbour, bridge, tunnel ioctls; TUNSETIFF
	kTagPathBpf = 29,       // bpf(): attaching a program to the network stack
	kTagPathModule = 30,    // init_module, finit_module
	kTagPathSetns = 31,     // setns() that can enter a network namespace
	// A call only an observer asked for (buildObserveFilter): the strace drop-in's syscalls
	// that the network filter lets run.
	kTagObserved = 40,
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
// cannot read), so runtimes fall back to clone(). And the calls that change where packets go
// (kTagPath*) and make packet or filtering netlink sockets (kTagSocket): argument rules, so
// the setsockopt() and ioctl() calls of ordinary programs do not trap.
Expected<BpfProgram> buildNetworkFilter();

// A filter that traps the named syscalls (x86_64 names; on i386 libseccomp matches them in
// socketcall too) with kTagObserved and allows everything else, on x86_64, x32 and i386.
// Installed before the network filter: the kernel runs the newest filter first and keeps the
// first of equally strict results, so a call both filters trap reports the network
// filter's tag and the supervisor judges it as always; only calls the network filter lets run
// stop with kTagObserved. A name libseccomp does not know is an error naming it.
Expected<BpfProgram> buildObserveFilter(const std::vector<std::string> &syscalls);

// Installs prog in the calling process. Sets PR_SET_NO_NEW_PRIVS first when needed
// (no CAP_SYS_ADMIN). Async-signal-safe: fit for a child between fork and exec.
// Returns 0 or an errno value.
int installFilter(const BpfProgram &prog, bool setNoNewPrivs);

} // namespace hg
