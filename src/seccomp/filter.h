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
	// socket() of a raw or packet socket with a protocol, or of a netlink protocol that
	// rewrites packet filtering (base/packet_path.h): only these, by argument rules.
	kTagSocket = 7,
	kTagUntracedClone = 20, // clone() with CLONE_UNTRACED: a child the gate could not follow
	kTagIoUring = 21,       // io_uring_setup(): network I/O that bypasses the traced syscalls
	kTagSeccompListener = 22, // a filter with a user-notification listener could hide calls
	kTagTamper = 23,        // a signal, ptrace or memory access aimed at the gate itself
	kTagPidfdSignal = 24,   // pidfd_send_signal(): the target is only known from the fd
	// Calls that change where packets go (base/packet_path.h), each by argument rules:
	kTagPathSockopt = 25,   // setsockopt: source routing, x_tables, IPVS, transparent sockets
	kTagPathIoctl = 26,     // route, interface, neighbour, bridge, tunnel ioctls; TUNSETIFF
	kTagPathBpf = 27,       // bpf(): attaching a program to the network stack
	kTagPathModule = 28,    // init_module, finit_module
	kTagPathSetns = 29,     // setns() that can enter a network namespace
	kTagBadArch = 100,
};

// What the filter needs to know about the gate to protect it.
struct FilterOptions {
	pid_t gatePid = 0;  // signals, ptrace and process_vm_* aimed at this pid trap
	pid_t gatePgid = 0; // kill(-gatePgid) traps too
};

struct BpfProgram {
	std::vector<sock_filter> insns;
};

// Builds the network filter. sendto is trapped only when it carries a destination
// address (a send on a connected socket was judged at its connect), except on i386
// where socketcall hides the arguments and every sendto traps.
// Besides the network calls it traps what could blind or bypass the gate:
// clone(CLONE_UNTRACED), io_uring_setup, seccomp filters with a listener, and signals,
// ptrace and process_vm_* aimed at the gate, and the calls that change where packets go or
// make sockets that receive with no bind() or listen() (kTagSocket, kTagPath*; argument
// rules, so the socket() and setsockopt() calls of ordinary programs do not trap). clone3 fails with ENOSYS (its flags live in
// memory the filter cannot read), so runtimes fall back to clone().
Expected<BpfProgram> buildNetworkFilter(const FilterOptions &opts);

// Installs prog in the calling process. Sets PR_SET_NO_NEW_PRIVS first when needed
// (no CAP_SYS_ADMIN). Async-signal-safe: fit for a child between fork and exec.
// Returns 0 or an errno value.
int installFilter(const BpfProgram &prog, bool setNoNewPrivs);

} // namespace hg
