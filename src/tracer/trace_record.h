#pragma once
// What the supervisor records: one NetRecord per trapped network call and one
// ProcessRecord per process of the traced tree. Pure data shared by the tracer,
// the live printer and the evidence writers.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "net/classify.h"
#include "net/endpoint.h"

namespace hg {

enum class Decision {
	Logged,  // not a violation (local IPC, datagram connect to loopback, ...)
	Allowed, // would be a violation, but a governed exception matched
	Audited, // violation, let through (audit mode)
	Denied,  // violation, refused with EPERM before it ran (enforce mode)
};

const char *decisionName(Decision d); // "logged", "allowed", "audited", "denied"

struct NetRecord {
	uint64_t seq = 0;     // order of the call within the run (0, 1, 2, ...)
	pid_t pid = 0;        // thread-group id of the caller
	pid_t tid = 0;        // thread that made the call
	std::string exe;      // the caller's executable when it made the call (/proc/PID/exe)
	std::string arch;     // syscall ABI: "x86_64", "i386", "x32", or "audit-arch 0x..."
	long nr = -1;         // syscall number in that ABI (socketcall for i386 multiplexed calls)
	bool viaSocketcall = false;

	NetCall call = NetCall::Other;
	std::string callName; // "connect", ...; for NetCall::Other the raw name or "syscall_NNN"
	int fd = -1;          // socket fd argument (-1 when not applicable)
	SocketInfo sock;      // the socket behind fd, read by the supervisor
	Endpoint addr;        // destination / bound address; Absent when the call had none
	uint64_t addrPtr = 0; // tracee pointer of the address argument (for strace syntax)
	uint64_t len = 0;     // addrlen / buffer length / vlen (as strace prints the 3rd arg)
	uint64_t flags = 0;   // send flags (MSG_*), or listen backlog for listen
	Endpoint boundAddr;   // listen/bind: the socket's local address after the call (getsockname)

	Classification cls;
	int exception = -1;   // index into the run's allowlist when Decision::Allowed
	Decision decision = Decision::Logged;

	bool resultKnown = false; // false when the tracee vanished before the call returned
	long result = 0;          // return value; -errno on failure
};

struct ProcessRecord {
	pid_t pid = 0;
	pid_t ppid = 0;            // the traced parent that created it (0 for the root)
	uint64_t spawnSeq = 0;     // creation order within the run
	std::vector<std::string> argv; // after its last exec (empty if it never exec'd and argv was unreadable)
	std::string exe;           // executable after its last exec
	bool exited = false;
	int exitCode = -1;         // when it exited normally
	int termSignal = 0;        // when killed by a signal
	bool killedByGate = false; // left alive when the step ended (or timed out) and killed by the gate
};

} // namespace hg
