#pragma once
// The record model both detectors share: one NetRecord per network call seen (trapped by
// the tracer, or a socket sighted by the /proc poller), one ProcessRecord per process of
// the step's tree, the TraceResult of a step, and the RecordSink that receives records as
// they complete. Pure data: the tracer and the poller produce it, the CLI, the live
// printer and the evidence writers consume it, and none of them depends on another.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "net/classify.h"
#include "net/endpoint.h"
#include "net/proc_sockets.h"
#include "policy/decide.h"

namespace hg {

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
	// Kind dns: the name the query asked for. An inet connect or send: the name whose DNS
	// answer (read by the tracer) gave its destination, "" for an address the step never
	// resolved (a literal address).
	std::string name;
	// A self connection (Direction::Self): the local address of the step's listener it
	// reaches, as reports show it (port 0 when the kernel chose the listener's port).
	// A DNS query (Direction::Dns): the resolver it was sent to.
	Endpoint listener;
	// A delegated call (Direction::Delegated): the daemon socket it asked, as reports show
	// it: AF_UNIX, its absolute path with the directory's symlinks resolved, or "@name".
	Endpoint daemonSocket;
	// A connect on a unix socket whose other end (SO_PEERCRED at the call's exit) is a
	// process outside the traced tree: that process and its executable ("" when unreadable).
	pid_t peerPid = 0;
	std::string peerExe;

	Classification cls;
	int exception = -1;   // index into the step's allowlist (both scopes) when Decision::Allowed
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

// A socket of the tree found open in /proc, with its owner.
struct OwnedSocket {
	pid_t pid = 0;
	std::string exe; // the owner's executable
	ProcSocket sock;
};

// What a detector reports about one step once its tree is gone.
struct TraceResult {
	pid_t rootPid = 0;
	int exitCode = -1;      // root's exit code when it exited
	int termSignal = 0;     // root's terminating signal
	bool timedOut = false;
	int interruptedBy = 0;  // SIGINT/SIGTERM received by the gate
	uint64_t calls = 0;     // network calls seen
	std::vector<ProcessRecord> processes; // in spawn order
	// Inet sockets still open in processes left alive when the root exited (scanned
	// just before the gate killed them).
	std::vector<OwnedSocket> leftSockets;
};

// Receives what a detector sees, synchronously, on the detector's thread.
class RecordSink {
public:
	virtual ~RecordSink() = default;
	// A violation was judged (Audited or Denied), before the call returns: for live output.
	virtual void onViolation(const NetRecord &) {}
	// A record is complete (result known, or the tracee vanished mid-call).
	virtual void onRecord(const NetRecord &r) = 0;
	// The number of processes of the tree alive changed (for live progress).
	virtual void onTreeSize(size_t /*alive*/) {}
};

} // namespace hg
