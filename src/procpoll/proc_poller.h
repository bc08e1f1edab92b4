#pragma once
// The fallback detector for runners where ptrace is unavailable (issue #5): runs one
// command tree without a tracer and polls /proc every interval for the tree's sockets.
// Same shape as the Supervisor (options + RecordSink, run(SpawnSpec)); weaker, and it says
// how (procPollLimits()). Nothing is denied: a poller sees sockets after the calls.
//
// Each poll: the tree is the spawned root plus everything reachable through
// /proc/PID/task/TID/children from the root, from the gate's own children (the gate is a
// child subreaper while run() lasts, so orphans re-parent to it) and from every process
// already known; each process's /proc/PID/fd socket inodes are looked up in its network
// namespace's /proc/PID/net/{tcp,tcp6,udp,udp6,raw,raw6,icmp,icmp6,packet}. One NetRecord
// per socket and role (sighting.h), the first time it is seen. Tables are read only when a
// socket needs looking up (each read walks the kernel's whole socket hash): a new socket
// every poll until found, a reported one whose meaning may still change (SYN-SENT, bound
// UDP) every 5th poll and only in its own table, a settled or AF_UNIX/AF_NETLINK one never.
//
// Kernel-chosen ports: a listen or bind record shows port 0 when the local port lies in the
// namespace's ephemeral range (sighting.h reportedLocal()). The range is read once per run
// from /proc/sys/net/ipv4/ip_local_port_range, which shows the gate's own network
// namespace: it applies to the tree's sockets in that namespace (the usual case); a
// namespace the tree made for itself is taken to have the kernel's default 32768-60999,
// which every new namespace starts with (the gate cannot read another namespace's sysctls).
// Self connections: a TCP connect to loopback whose remote address is reached by a LISTEN
// socket the tree holds at that same poll, in the same namespace, is Direction::Self.

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/error.h"
#include "launch/exec_plan.h"
#include "net/proc_sockets.h"
#include "policy/allowlist.h"
#include "procpoll/sighting.h"
#include "record/record.h"

namespace hg {

constexpr int kDefaultPollIntervalMs = 20;

struct ProcPollOptions {
	int intervalMs = kDefaultPollIntervalMs; // 1..10000
	const Allowlist *allow = nullptr;        // governed exceptions, both scopes (policy/decide.h)
	int timeoutSeconds = 0;                  // 0: none
	std::string step;                        // step name, for log messages
	std::vector<NetRecord> inheritedRecords; // inherited sockets passed on (record/fd_pass.h)
};

// A socket the poller reported, for ss_established.txt / ss_listen.txt.
// pid and exe: the first process of the tree seen holding it; sock: the table entry at the
// last sighting (its state follows SYN-SENT -> ESTAB).
struct SeenSocket : OwnedSocket {
	SocketRole role = SocketRole::Ignore;
	uint64_t firstSeenMs = 0; // since the step started
	uint64_t lastSeenMs = 0;
};

struct ProcPollResult {
	// As the Supervisor fills it: rootPid, exitCode/termSignal, timedOut, interruptedBy,
	// processes (first-seen order; ppid 0 for the root and for orphans first seen after
	// re-parenting to the gate), leftSockets. calls = records emitted.
	TraceResult trace;
	std::vector<SeenSocket> established; // Connect sightings (TCP SYN-SENT..CLOSE-WAIT, connected UDP)
	std::vector<SeenSocket> listening;   // Listen, Bind and Open sightings
	std::vector<std::string> limits;     // procPollLimits(intervalMs): what this detector cannot see
	int intervalMs = 0;
	uint64_t polls = 0;       // polls made, the final one included
	uint64_t cpuMicros = 0;   // the poller's own CPU (user + system of the calling thread) during run()
	uint64_t wallMillis = 0;  // run() from spawn to the last reap
};

class ProcPoller {
public:
	ProcPoller(ProcPollOptions opts, RecordSink &sink);

	// Spawns spec (plain fork/exec: no tracer, no seccomp filter) and polls until the root
	// exits, then polls once more, lists the sockets of the processes left alive, kills them
	// (killedByGate) and reaps them. Stops the tree on timeout or when
	// stopRequested() (call installStopHandlers() once first, as
	// the CLI does). Reaps any child of the gate while it runs, as the Supervisor does.
	// Errors: the command could not be started (nothing ran).
	Expected<ProcPollResult> run(const SpawnSpec &spec);

private:
	struct Proc {
		uint64_t startTime = 0;
		std::string comm;
		size_t index = 0; // in result_.trace.processes
		bool alive = true;
		bool gateChild = false; // reaped by the gate (the root, or an orphan re-parented to it)
	};
	struct InodeState {
		bool local = false;   // AF_UNIX / AF_NETLINK: never looked up again
		bool settled = false; // reported, and no later sighting can change that
		unsigned reported = 0; // bit per SocketRole already reported
		long established = -1; // index in result_.established
		std::string proto;     // its table, once found in one
		uint64_t nextCheckPoll = 0; // reported but not settled: looked up again from this poll on
	};
	struct Namespace {
		std::set<std::string> tablesRead;              // tables read this poll
		std::unordered_map<uint64_t, ProcSocket> inet; // their entries by inode
		std::set<uint64_t> local;                      // this poll's unix/netlink inodes
		bool haveLocal = false;
		std::vector<LocalListener> treeListeners;      // this poll's LISTEN sockets held by the tree
		bool haveTreeListeners = false;                // built once tcp and tcp6 are read
	};

	void noteForeignChildren();
	Expected<void> startRoot(const SpawnSpec &spec, ExecPlan &plan); // forks; the root is processes[0]
	void pollUntilRootExits();
	bool stopIfAsked(int64_t deadline); // kills the root on a stop signal or at the deadline
	void pollOnce();
	void discoverTree(std::vector<pid_t> &order);
	bool refreshProcess(pid_t pid, pid_t parent, std::vector<pid_t> &children);
	void scanSockets(const std::vector<pid_t> &procs);
	void onSighting(pid_t pid, const ProcSocket &s, std::vector<ProcSocket> &listeners, InodeState &st,
			const SightingContext &ctx);
	PortRange ephemeralRange(const std::string &netns) const;
	void markExited(pid_t pid, int code, int sig);
	void reapChildren();
	void scanLeftovers();
	void killTree();
	void killAndReapAll();
	uint64_t elapsedMs() const;

	ProcPollOptions opts_;
	RecordSink &sink_;
	pid_t gate_ = 0;
	pid_t root_ = -1;
	bool rootGone_ = false;
	bool haveChildrenFiles_ = true;
	int64_t startNs_ = 0;
	uint64_t seq_ = 0;
	std::set<pid_t> foreignChildren_; // children the gate had before run(): not the step's
	std::map<pid_t, Proc> procs_;
	std::unordered_map<uint64_t, InodeState> inodes_;
	std::map<std::string, std::vector<ProcSocket>> listeners_; // netns -> every LISTEN entry seen
	std::string gateNetns_;    // the gate's network namespace ("net:[4026531840]")
	PortRange gateEphemeral_;  // its ip_local_port_range, read once per run
	ProcPollResult result_;
};

} // namespace hg
