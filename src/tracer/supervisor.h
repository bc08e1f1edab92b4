#pragma once
// The supervisor: runs one command tree under ptrace + the seccomp network filter,
// judges every trapped call, and reports records as they complete.
// Loop: while (dispatch(nextEvent())) — one handler per ptrace event (sandbox2's
// monitor_ptrace.cc, strace's dispatch_event()). Events come from a PidWaiter and every
// ptrace request goes through PtraceOps: both are injected, so tests script the events and
// make requests fail. Fails closed: a trapped call it cannot read is refused and recorded,
// a tracee it cannot restart is killed.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "net/daemon_sockets.h"
#include "net/listener_table.h"
#include "policy/allowlist.h"
#include "policy/resolved_names.h"
#include "record/record.h"
#include "seccomp/filter.h"
#include "tracer/call_observer.h"
#include "tracer/dns_follow.h"
#include "tracer/socket_ledger.h"
#include "tracer/pid_waiter.h"
#include "tracer/ptrace_ops.h"
#include "tracer/spawn.h"
#include "tracer/syscall_decoder.h"
#include "tracer/trace_event.h"

namespace hg {

// How often the tree's descriptors are swept for sockets that came from outside it, and how
// many listener addresses are remembered for telling accepted sockets from foreign ones.
constexpr std::chrono::milliseconds kSocketSweepPeriod{500};
constexpr size_t kMaxListenerHistory = 4096;

struct SupervisorOptions {
	bool enforce = false;
	const Allowlist *allow = nullptr;    // governed exceptions, every scope (policy/decide.h)
	// Sockets of daemons that make network calls for their clients, snapshot: a connect or
	// addressed send to one is Direction::Delegated. nullptr: none.
	const DaemonSockets *daemons = nullptr;
	// The resolvers of the gate's resolv.conf (net/resolv_conf.h): queries sent to them (or
	// to any loopback port 53 that is not the step's own server) are judged by name.
	std::vector<Endpoint> nameservers;
	int timeoutSeconds = 0;              // 0: none
	// Inherited sockets passed on to the step (record/fd_pass.h), recorded as calls of the
	// root before the step runs.
	std::vector<NetRecord> inheritedRecords;
	// Their inodes: judged already, they count as the tree's own sockets (SocketLedger).
	std::vector<uint64_t> passedSockets;
	// Sees the calls it asks for, signals and task ends (tracer/call_observer.h); nullptr: none.
	CallObserver *observer = nullptr;
};

class Supervisor {
public:
	// On the kernel's ptrace (KernelPtraceOps) and waitpid() (WaitpidWaiter).
	Supervisor(SupervisorOptions opts, RecordSink &sink);
	// On the given ones, which must outlive the Supervisor (tests inject doubles).
	Supervisor(SupervisorOptions opts, RecordSink &sink, PtraceOps &ops, PidWaiter &waiter);

	// Spawns spec under the tracer and runs until every traced process is gone. When
	// the root exits, every descendant still alive is marked killedByGate and killed.
	// Errors: the command could not be started (nothing ran), or ptrace failed.
	Expected<TraceResult> run(const SpawnSpec &spec);

	// The loop of run(), for a root already seized (or, in tests, a scripted one): handles
	// the waiter's events until it has none left. argv and exe describe the root. Once per
	// Supervisor: the result is moved out.
	TraceResult trace(pid_t root, std::vector<std::string> argv, std::string exe);

private:
	struct Tracee {
		pid_t tgid = 0;
		bool inCall = false; // stopped at seccomp, restarted to its syscall-exit-stop
		NetRecord pending;
		UniqueFd sock;       // the call's socket, duplicated, for after-call checks
		bool checkPeer = false; // connect or TCP Fast Open in a multi-threaded process: verify the real destination
		// A send with an inet destination in a multi-threaded process that was not made on a
		// copy: its arguments and the destinations judged, to read the memory again after the call.
		bool checkSendAddr = false;
		RawSyscall raw;
		std::vector<Endpoint> judgedAddrs;
		// The DNS exchange this thread is followed through (every syscall stops), if any.
		std::unique_ptr<DnsFollow> dns;
		bool newSocket = false; // resumed to the exit stop of a trapped socket(): note its inode
		bool observed = false;  // in a call the observer follows: it is due the call's result
		// Set while a trapped connect or send to a resolver is in flight: what to follow once
		// it has succeeded (the queries of a send, with the exception that allowed each).
		struct DnsStart {
			bool active = false;
			int fd = -1;
			bool stream = false;
			std::vector<std::pair<DnsQuery, int>> queries;
		} dnsStart;
	};

	// DNS (issue 11): the resolver a connect or send of r is aimed at, if any.
	const Endpoint *resolverOf(const NetRecord &r, const TraceeSocket &sock, const DecodedCall &d, Endpoint &peer) const;
	// Judges a trapped send to a resolver by the queries in its payload.
	void judgeDnsSend(pid_t tid, Tracee &t, NetRecord &r, const DecodedCall &d, const Endpoint &resolver,
			  const TraceeSocket &sock);
	// Judges the queries in bytes a followed thread is about to write (untrapped call).
	void judgeDnsWrite(pid_t tid, Tracee &t, const IoCall &io);
	// Sets r's verdict from the queries (or the bytes that are not one) of a send to resolver.
	std::vector<std::pair<DnsQuery, int>> judgeQueries(NetRecord &r, const DnsSend &send, const Endpoint &resolver);
	// A call of r completed: starts following the thread when it opened or used a DNS channel.
	void afterDnsCall(pid_t tid, const NetRecord &r);
	// A syscall stop of a thread being followed through its DNS exchange.
	void onDnsStop(pid_t tid, Tracee &t);
	// The addresses in the answers a followed thread read.
	void learnAnswers(Tracee &t, const std::vector<std::vector<uint8_t>> &buffers);

	bool dispatch(const TraceEvent &ev);
	void onExited(pid_t tid, int code, int sig, bool coreDumped = false);
	// The observer (SupervisorOptions::observer): a seccomp stop of a call it wants, and the
	// exit stop of one it followed (false: the tracee is gone, its exit status follows).
	void observeEntry(pid_t tid, Tracee &t, const RawSyscall &sc);
	bool observeExit(pid_t tid, Tracee &t);
	void onNewChild(pid_t tid, int event);
	void onExec(pid_t tid);
	void onSeccomp(pid_t tid);
	void onSyscallExit(pid_t tid);
	void onUnknownTracee(pid_t tid);
	void onGuardTrap(pid_t tid, const RawSyscall &sc);
	// socket() (kTagSocket, kTagInetSocket; supervisor_socket_trap.cpp): a raw or packet socket
	// or a filtering netlink protocol is judged first; an inet socket that runs is then noted.
	void onSocketTrap(pid_t tid, const RawSyscall &sc);
	// Calls that act on another process (supervisor_process.cpp): nothing when the target is
	// in the traced tree (or gone), an evasion when it is the gate or a process outside it.
	std::optional<Classification> judgeProcessAccess(pid_t tid, const RawSyscall &sc, const std::string &name) const;
	bool inTree(pid_t pid) const;        // a live task or process of the traced tree
	// Sockets from outside the tree (supervisor_sockets.cpp).
	void onInetSocket(pid_t tid, Tracee &t);  // socket() of an inet family: note it at its exit
	void noteNewSocket(pid_t tid, Tracee &t); // that exit stop
	// The new socket of a socket() exit stop (info) joins the ledger.
	void ownNewSocket(pid_t tid, const Expected<__ptrace_syscall_info> &info);
	void rememberListener(pid_t tgid, const SocketInfo &sock, const Endpoint &local);
	bool acceptedFromTree(pid_t tgid, const SocketInfo &sock, int sockFd) const;
	SocketLedger::Entry socketOrigin(pid_t tgid, uint64_t inode, const TraceeSocket &sock);
	std::string foreignSocketWhy(const NetRecord &r, int sockFd) const;
	// A trapped call on a foreign socket is an evasion, refused in every mode.
	void checkSocketOrigin(const Tracee &t, NetRecord &r, const TraceeSocket &sock);
	void maybeSweepSockets(); // sweepSockets() when kSocketSweepPeriod has passed
	void sweepSockets();      // every descriptor of every process of the tree
	void sweepProcess(pid_t tgid);
	void recordForeignSocket(pid_t tgid, int fd, TraceeSocket &sock);
	// A unix connect of r succeeded: when the process at the other end is outside the tree,
	// r names it, and a daemon known by its executable makes the call delegated egress.
	void notePeerProcess(pid_t tid, NetRecord &r, int sockFd);
	bool groupInTree(pid_t pgid) const;  // a live process of the tree is in process group pgid
	static std::string syscallName(uint32_t arch, uint64_t nr);

	// Restarts a stopped tracee. ESRCH: it is gone, its exit status follows. Any other error
	// would leave it stopped for ever (and the gate waiting): it is killed, and logged.
	void resume(pid_t tid, int request, int sig = 0);
	// SIGKILLs a tracee (its whole process) and marks its process record killedByGate.
	void killTracee(pid_t tid);

	Tracee &tracee(pid_t tid);
	ProcessRecord &process(pid_t tgid, pid_t ppid);
	// A process's leader exited: finishes its record, drops everything keyed by its pid.
	void endProcess(pid_t tgid, int code, int sig);
	int pidfdOf(pid_t tgid); // -1 when pidfd_open failed
	// A trapped call: first its record (newRecord: who made it, with the next seq;
	// judgedRecord: what it is, its socket duplicated into sock, and the verdict), then act():
	// refuse it, make it on a copy, or let it run to its exit stop.
	NetRecord newRecord(pid_t tid, const Tracee &t);
	NetRecord judgedRecord(pid_t tid, const Tracee &t, const RawSyscall &sc, const DecodedCall &d,
			       TraceeSocket &sock);
	void act(pid_t tid, Tracee &t, NetRecord r, const RawSyscall &sc, const DecodedCall &d, TraceeSocket &sock);
	// A trapped call whose PTRACE_GET_SYSCALL_INFO failed (not with ESRCH) or reported
	// another op: refused with EPERM in every mode, recorded as undecodable and denied.
	void refuseUnreadable(pid_t tid, const Tracee &t, const Expected<__ptrace_syscall_info> &info);
	void judge(NetRecord &r, const TraceeSocket &sock, const std::vector<Endpoint> &addrs);
	void completeRecord(NetRecord &r);
	void scanLeftovers();
	void killTree();
	Endpoint reportedListenAddress(pid_t tgid, int fd, const Endpoint &bound) const;
	// Where a listener's socket is open now (net/listener_table.h's LocateListener).
	std::optional<std::pair<pid_t, int>> locateListener(const LocalListener &l) const;
	// A listen() (or a datagram bind()) of the tree succeeded: its socket joins listeners_.
	void addListener(pid_t tgid, const NetRecord &r, int sockFd);
	// A datagram socket never bound explicitly sent (or connected) to the step's own
	// listener: the kernel bound it to a port of its choice, where the reply will come. It
	// joins listeners_, reported as the listener it reached, so that the reply is a self
	// connection of the same exchange.
	void addImplicitListener(pid_t tgid, const NetRecord &r, int sockFd);
	// The step's own listener a call classified as cls reaches at dest, or nullptr: only an
	// outbound violation towards loopback (or a datagram connect to it) can be a self connection.
	const LocalListener *selfListener(pid_t tgid, NetCall call, const Classification &cls, const SocketInfo &sock,
					  const Endpoint &dest);
	// The daemon socket an AF_UNIX connect or addressed send of task tid classified as cls
	// asks for at dest, or nullptr; target is where dest leads (resolveUnixTarget).
	const DaemonSocket *delegatedDaemon(pid_t tid, NetCall call, const Classification &cls, const Endpoint &dest,
					    UnixTarget &target) const;
	void checkRacedConnect(Tracee &t);
	bool exitStopDue_ = false; // a tracee was just resumed to its syscall-exit stop
	void checkRacedSend(pid_t tid, Tracee &t);
	void rejudgeRaced(Tracee &t, const std::vector<Endpoint> &dests, std::string why);
	bool connectOnCopy(pid_t tid, NetRecord &r, TraceeSocket &sock);
	bool sendOnCopy(pid_t tid, NetRecord &r, const DecodedCall &d, TraceeSocket &sock);
	void completeWithoutCall(pid_t tid, NetRecord &r, long ret, TraceeSocket &sock);
	bool refuseForeignFamily(pid_t tid, NetRecord &r, TraceeSocket &sock);

	KernelPtraceOps kernelOps_;
	WaitpidWaiter waitpidWaiter_;
	PtraceOps &ops_;
	PidWaiter &waiter_;
	SupervisorOptions opts_;
	RecordSink &sink_;
	BpfProgram filter_;
	BpfProgram observeFilter_; // the observer's (seccomp/filter.h's buildObserveFilter), when there is one
	pid_t root_ = -1;
	bool rootGone_ = false;
	uint64_t seq_ = 0;
	// Per task and per process: made when the task or process is first seen (its creator's
	// event, or its own first stop), erased at its exit (strace's droptcb()), so that a pid
	// the kernel reuses within a step starts afresh.
	std::unordered_map<pid_t, Tracee> tracees_;
	std::unordered_map<pid_t, size_t> procIndex_; // live tgid -> index in result_.processes
	std::unordered_map<pid_t, UniqueFd> pidfds_; // tgid -> pidfd, for pidfd_getfd
	std::map<std::pair<pid_t, int>, uint16_t> requestedPort_; // (tgid, fd) -> port an explicit bind() asked for
	ListenerTable listeners_; // the tree's listening and bound inet sockets, for self connections
	ResolvedNames resolved_;  // what the step's DNS answers resolved names to
	SocketLedger ledger_;     // the sockets the tree made itself (tracer/socket_ledger.h)
	// Every listener the tree had (namespace, type, protocol, address, port): a socket
	// accepted from one is the tree's own. Bounded: one entry per distinct address.
	std::set<std::string> listenerHistory_;
	std::chrono::steady_clock::time_point nextSweep_{};
	TraceResult result_;
};

} // namespace hg
