#include "procpoll/proc_poller.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <unordered_set>

#include "base/log.h"
#include "record/fd_pass.h"
#include "base/proc.h"
#include "base/stop_request.h"
#include "base/unique_fd.h"
#include "procpoll/limits.h"
#include "procpoll/proc_tables.h"

extern char **environ;

namespace hg {

namespace {

constexpr int kTeardownTimeoutMs = 10000;
constexpr uint64_t kRecheckEveryPolls = 5;

int64_t nowNs()
{
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

std::optional<ProcStat> readStat(pid_t pid)
{
	return parseProcStat(readProcFile(procPath(pid, "/stat").c_str()));
}

// Children of every thread of pid (a thread's fork lands in that thread's list).
std::vector<pid_t> childrenOf(pid_t pid, bool singleThreaded)
{
	if (singleThreaded) {
		std::string path = "/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children";
		return parsePidList(readProcFile(path.c_str()));
	}
	std::vector<pid_t> out;
	std::string dir = procPath(pid, "/task");
	DIR *d = opendir(dir.c_str());
	if (!d)
		return out;
	while (dirent *e = readdir(d)) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		auto part = parsePidList(readProcFile((dir + "/" + e->d_name + "/children").c_str()));
		out.insert(out.end(), part.begin(), part.end());
	}
	closedir(d);
	return out;
}

// Every process's parent, from a scan of /proc: for kernels without the children files.
std::map<pid_t, std::vector<pid_t>> childrenByScan()
{
	std::map<pid_t, std::vector<pid_t>> out;
	DIR *d = opendir("/proc");
	if (!d)
		return out;
	while (dirent *e = readdir(d)) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
		if (auto st = readStat(pid))
			out[st->ppid].push_back(pid);
	}
	closedir(d);
	return out;
}

std::string netnsOf(pid_t pid)
{
	return readLink(procPath(pid, "/ns/net"));
}

// Every table the poller looks sockets up in. Reading one costs the kernel a walk of the
// whole (global) socket hash, whatever the namespace holds, so each is read only when needed.
constexpr const char *kTables[] = {"tcp", "tcp6", "udp", "udp6", "raw", "raw6", "icmp", "icmp6", "packet"};

// One table of pid's network namespace.
std::vector<ProcSocket> readTable(pid_t pid, const std::string &proto)
{
	std::string text = readProcFile(procPath(pid, ("/net/" + proto).c_str()).c_str());
	return proto == "packet" ? parsePacketTable(text) : parseProcNetTable(text, proto);
}

// Sleeps waitNs, or less: wakes at once when the root exits (pidfd readable, when the
// kernel has pidfds) and with EINTR when a signal asks the gate to stop.
void waitForRoot(const UniqueFd &pidfd, int64_t waitNs)
{
	timespec ts{static_cast<time_t>(waitNs / 1000000000), static_cast<long>(waitNs % 1000000000)};
	if (pidfd) {
		pollfd pfd{pidfd.get(), POLLIN, 0};
		ppoll(&pfd, 1, &ts, nullptr);
	} else {
		nanosleep(&ts, nullptr);
	}
}

uint64_t threadCpuMicros()
{
	rusage ru{};
	getrusage(RUSAGE_THREAD, &ru);
	return static_cast<uint64_t>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
	       static_cast<uint64_t>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

} // namespace

ProcPoller::ProcPoller(ProcPollOptions opts, RecordSink &sink) : opts_(std::move(opts)), sink_(sink)
{
	opts_.intervalMs = std::clamp(opts_.intervalMs, 1, 10000);
}

uint64_t ProcPoller::elapsedMs() const
{
	return static_cast<uint64_t>((nowNs() - startNs_) / 1000000);
}

Expected<ProcPollResult> ProcPoller::run(const SpawnSpec &spec)
{
	gate_ = getpid();
	gateNetns_ = readLink("/proc/self/ns/net");
	if (auto range = parsePortRange(readProcFile("/proc/sys/net/ipv4/ip_local_port_range")))
		gateEphemeral_ = *range;
	result_.intervalMs = opts_.intervalMs;
	result_.limits = procPollLimits(opts_.intervalMs);
	noteForeignChildren();

	auto plan = prepareExec(spec);
	if (!plan)
		return plan.error();

	int prevSubreaper = 0;
	prctl(PR_GET_CHILD_SUBREAPER, &prevSubreaper);
	// Orphans of the step re-parent to the gate instead of init, so they stay in reach.
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	struct RestoreSubreaper {
		int prev;
		~RestoreSubreaper() { prctl(PR_SET_CHILD_SUBREAPER, prev); }
	} restore{prevSubreaper};

	uint64_t cpu0 = threadCpuMicros();
	if (auto started = startRoot(spec, *plan); !started)
		return started.error();
	log::procpoll().debug("step {}: polling the tree of pid {} every {} ms", opts_.step, root_, opts_.intervalMs);
	pollUntilRootExits();

	pollOnce(); // the step has ended: once more for what its descendants still hold
	scanLeftovers();
	killTree();
	killAndReapAll();

	result_.trace.interruptedBy = result_.trace.interruptedBy ? result_.trace.interruptedBy : stopRequested();
	result_.cpuMicros = threadCpuMicros() - cpu0;
	result_.wallMillis = elapsedMs();
	log::procpoll().debug("step {}: {} polls in {} ms, {} us of the gate's CPU", opts_.step, result_.polls,
			      result_.wallMillis, result_.cpuMicros);
	return std::move(result_);
}

void ProcPoller::noteForeignChildren()
{
	std::string selfChildren = "/proc/self/task/" + std::to_string(gettid()) + "/children";
	haveChildrenFiles_ = access(selfChildren.c_str(), R_OK) == 0;
	std::vector<pid_t> existing = haveChildrenFiles_ ? childrenOf(gate_, false) : childrenByScan()[gate_];
	foreignChildren_.insert(existing.begin(), existing.end());
}

Expected<void> ProcPoller::startRoot(const SpawnSpec &spec, ExecPlan &plan)
{
	startNs_ = nowNs();
	pid_t pid = fork();
	if (pid < 0)
		return Error::fromErrno("fork()");
	if (pid == 0)
		execChild(plan, nullptr);
	plan.errWrite.reset();
	root_ = pid;
	result_.trace.rootPid = pid;

	// The pipe closes at execve (CLOEXEC) or carries the errno of the failed setup.
	if (int err = childSetupError(plan); err != 0) {
		int st;
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
		}
		return Error{err, "cannot start '" + spec.argv[0] + "': " + std::strerror(err) +
					  (spec.cwd.empty() ? "" : " (cwd " + spec.cwd + ")")};
	}

	emitInheritedRecords(opts_.inheritedRecords, pid, plan.path, seq_, result_.trace.calls, sink_);

	ProcessRecord rootRec;
	rootRec.pid = pid;
	rootRec.argv = spec.argv;
	rootRec.exe = plan.path;
	Proc &rootProc = procs_[pid];
	rootProc.index = 0;
	rootProc.gateChild = true;
	if (auto st = readStat(pid)) {
		rootProc.startTime = st->startTime;
		rootProc.comm = st->comm;
	}
	result_.trace.processes.push_back(std::move(rootRec));
	return {};
}

void ProcPoller::pollUntilRootExits()
{
	UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, root_, 0)));
	const int64_t intervalNs = static_cast<int64_t>(opts_.intervalMs) * 1000000;
	const int64_t deadline = opts_.timeoutSeconds > 0 ? startNs_ + static_cast<int64_t>(opts_.timeoutSeconds) * 1000000000 : 0;
	bool stopSent = false;
	int64_t next = nowNs();
	for (;;) {
		if (!stopSent)
			stopSent = stopIfAsked(deadline);
		reapChildren();
		if (rootGone_)
			return;
		int64_t now = nowNs();
		if (now >= next) {
			pollOnce();
			// Fixed rate; after a slow poll the next one is one interval away, not at once.
			next += intervalNs;
			now = nowNs();
			if (next <= now)
				next = now + intervalNs;
		}
		int64_t waitNs = next - now;
		if (deadline && !stopSent)
			waitNs = std::min(waitNs, std::max<int64_t>(deadline - now, 0));
		waitForRoot(pidfd, waitNs);
	}
}

bool ProcPoller::stopIfAsked(int64_t deadline)
{
	if (int sig = stopRequested())
		result_.trace.interruptedBy = sig;
	else if (deadline && nowNs() >= deadline)
		result_.trace.timedOut = true;
	else
		return false;
	kill(root_, SIGKILL);
	return true;
}

void ProcPoller::reapChildren()
{
	int st;
	pid_t pid;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		int sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
		if (pid == root_) {
			rootGone_ = true;
			result_.trace.exitCode = code;
			result_.trace.termSignal = sig;
		}
		if (!procs_.count(pid)) {
			if (foreignChildren_.count(pid))
				continue;
			// An orphan of the step that re-parented to the gate and exited between two
			// polls: all that is known is that it existed.
			ProcessRecord pr;
			pr.pid = pid;
			pr.spawnSeq = result_.trace.processes.size();
			Proc &p = procs_[pid];
			p.index = result_.trace.processes.size();
			p.gateChild = true;
			result_.trace.processes.push_back(std::move(pr));
		}
		markExited(pid, code, sig);
	}
}

void ProcPoller::markExited(pid_t pid, int code, int sig)
{
	auto it = procs_.find(pid);
	if (it == procs_.end() || !it->second.alive)
		return;
	it->second.alive = false;
	ProcessRecord &pr = result_.trace.processes[it->second.index];
	pr.exited = true;
	pr.exitCode = code;
	pr.termSignal = sig;
}

bool ProcPoller::refreshProcess(pid_t pid, pid_t parent, std::vector<pid_t> &children)
{
	auto st = readStat(pid);
	auto known = procs_.find(pid);
	if (known != procs_.end() && (!st || st->startTime != known->second.startTime)) {
		// Gone, or the pid now belongs to a new process. A child of the gate was reaped
		// with its real status already; any other exited with a status only its parent saw.
		markExited(pid, -1, 0);
		if (!st)
			return false;
		procs_.erase(known);
		known = procs_.end();
	}
	if (!st)
		return false;
	bool zombie = st->state == 'Z' || st->state == 'X';
	if (known != procs_.end()) {
		Proc &p = known->second;
		if (!p.alive)
			return false;
		if (st->ppid == gate_)
			p.gateChild = true;
		if (zombie) {
			// Its parent has not reaped it yet; field 52 holds its wait status.
			if (!p.gateChild && st->exitCode >= 0)
				markExited(pid, WIFEXITED(st->exitCode) ? WEXITSTATUS(st->exitCode) : -1,
					   WIFSIGNALED(st->exitCode) ? WTERMSIG(st->exitCode) : 0);
			return false;
		}
		if (st->comm != p.comm) {
			// A new comm means an exec: what the process runs now.
			p.comm = st->comm;
			ProcessRecord &pr = result_.trace.processes[p.index];
			std::string exe = readLink(procPath(pid, "/exe"));
			if (!exe.empty())
				pr.exe = std::move(exe);
			auto argv = readCmdline(pid);
			if (!argv.empty())
				pr.argv = std::move(argv);
		}
	} else {
		if (foreignChildren_.count(pid))
			return false;
		ProcessRecord pr;
		pr.pid = pid;
		pr.ppid = (parent == gate_ || st->ppid == gate_) ? 0 : (parent > 0 ? parent : st->ppid);
		pr.spawnSeq = result_.trace.processes.size();
		pr.exe = readLink(procPath(pid, "/exe"));
		pr.argv = readCmdline(pid);
		Proc &p = procs_[pid];
		p.startTime = st->startTime;
		p.comm = st->comm;
		p.index = result_.trace.processes.size();
		p.gateChild = st->ppid == gate_;
		result_.trace.processes.push_back(std::move(pr));
		if (zombie) {
			if (!p.gateChild && st->exitCode >= 0)
				markExited(pid, WIFEXITED(st->exitCode) ? WEXITSTATUS(st->exitCode) : -1,
					   WIFSIGNALED(st->exitCode) ? WTERMSIG(st->exitCode) : 0);
			return false;
		}
	}
	if (haveChildrenFiles_)
		children = childrenOf(pid, st->numThreads <= 1);
	return true;
}

void ProcPoller::discoverTree(std::vector<pid_t> &order)
{
	std::map<pid_t, std::vector<pid_t>> scan;
	if (!haveChildrenFiles_)
		scan = childrenByScan();
	// Breadth first from the root, then the gate's other children (orphans of the step),
	// then every process already known (a children file can miss one mid-fork).
	std::deque<std::pair<pid_t, pid_t>> queue; // (pid, the parent it was found under; -1: none)
	queue.emplace_back(root_, gate_);
	for (pid_t c : haveChildrenFiles_ ? childrenOf(gate_, false) : scan[gate_])
		queue.emplace_back(c, gate_);
	for (const auto &[pid, p] : procs_)
		if (p.alive)
			queue.emplace_back(pid, -1);
	std::set<pid_t> visited;
	while (!queue.empty()) {
		auto [pid, parent] = queue.front();
		queue.pop_front();
		if (!visited.insert(pid).second)
			continue;
		std::vector<pid_t> children;
		if (!refreshProcess(pid, parent, children))
			continue;
		if (!haveChildrenFiles_)
			children = scan[pid];
		order.push_back(pid);
		for (pid_t c : children)
			queue.emplace_back(c, pid);
	}
}

void ProcPoller::pollOnce()
{
	result_.polls++;
	std::vector<pid_t> order;
	discoverTree(order);
	scanSockets(order);
}

void ProcPoller::scanSockets(const std::vector<pid_t> &procs)
{
	struct Pending {
		pid_t pid;
		uint64_t inode;
	};
	std::vector<Pending> pending;
	std::unordered_set<uint64_t> treeInodes; // every socket the tree holds at this poll
	for (pid_t pid : procs) {
		for (uint64_t inode : socketInodes(pid)) {
			treeInodes.insert(inode);
			const InodeState &st = inodes_[inode];
			if (st.local || st.settled)
				continue;
			// A socket already reported only needs a look now and then (SYN-SENT may
			// become ESTAB, a bound UDP socket may connect); a new one, every poll.
			if (!st.proto.empty() && result_.polls < st.nextCheckPoll)
				continue;
			pending.push_back({pid, inode});
		}
	}
	if (pending.empty())
		return; // nothing new: no table is read

	std::map<std::string, Namespace> spaces; // this poll's tables, per network namespace
	for (const Pending &p : pending) {
		InodeState &st = inodes_[p.inode];
		if (st.local || st.settled)
			continue; // a socket shared with a process handled earlier in this poll
		std::string ns = netnsOf(p.pid);
		if (ns.empty())
			continue; // the process is gone
		Namespace &n = spaces[ns];
		std::vector<ProcSocket> &listeners = listeners_[ns];
		auto readOne = [&](const std::string &proto) {
			if (!n.tablesRead.insert(proto).second)
				return;
			for (ProcSocket &s : readTable(p.pid, proto)) {
				if (s.state == kTcpListen && s.proto.rfind("tcp", 0) == 0 &&
				    std::none_of(listeners.begin(), listeners.end(),
						 [&](const ProcSocket &l) { return l.inode == s.inode; }))
					listeners.push_back(s);
				uint64_t inode = s.inode;
				n.inet.emplace(inode, std::move(s));
			}
		};
		if (!st.proto.empty()) {
			readOne(st.proto); // a socket seen before stays in its table
		} else {
			for (const char *proto : kTables)
				readOne(proto);
		}
		if (auto it = n.inet.find(p.inode); it != n.inet.end()) {
			const ProcSocket &s = it->second; // stays valid while readOne() adds entries
			SightingContext ctx{ephemeralRange(ns), nullptr};
			bool connectReported = st.reported & (1u << static_cast<unsigned>(SocketRole::Connect));
			if (!connectReported && s.proto.rfind("tcp", 0) == 0 && s.remote.isLoopback()) {
				// The tree's listeners of this poll, from both TCP tables (a [::] listener
				// takes IPv4 connects too).
				readOne("tcp");
				readOne("tcp6");
				if (!n.haveTreeListeners) {
					n.haveTreeListeners = true;
					for (const auto &[inode, row] : n.inet)
						if (row.state == kTcpListen && row.proto.rfind("tcp", 0) == 0 && treeInodes.count(inode))
							n.treeListeners.push_back(treeListener(row, ns, ctx.ephemeral));
				}
				ctx.self = selfListener(s, ns, n.treeListeners);
			}
			onSighting(p.pid, s, listeners, st, ctx);
			continue;
		}
		if (!n.haveLocal) {
			n.haveLocal = true;
			for (uint64_t i : parseInodeColumn(readProcFile(procPath(p.pid, "/net/unix").c_str()), 6))
				n.local.insert(i);
			for (uint64_t i : parseInodeColumn(readProcFile(procPath(p.pid, "/net/netlink").c_str()), 9))
				n.local.insert(i);
		}
		// Not in any table yet: an inet socket neither bound nor connected, or a family
		// /proc/net does not list. Looked up again next poll.
		if (n.local.count(p.inode))
			st.local = true;
	}
}

PortRange ProcPoller::ephemeralRange(const std::string &netns) const
{
	return netns == gateNetns_ ? gateEphemeral_ : PortRange{};
}

void ProcPoller::onSighting(pid_t pid, const ProcSocket &s, std::vector<ProcSocket> &listeners, InodeState &st,
			    const SightingContext &ctx)
{
	SocketRole role = socketRole(s, listeners);
	if (role == SocketRole::Ignore)
		return;
	st.proto = s.proto;
	st.nextCheckPoll = result_.polls + kRecheckEveryPolls;
	st.settled = roleSettled(s, role);
	if (role == SocketRole::Accepted)
		return;
	uint64_t now = elapsedMs();
	if (role == SocketRole::Connect && st.established >= 0) {
		SeenSocket &seen = result_.established[static_cast<size_t>(st.established)];
		seen.sock = s;
		seen.lastSeenMs = now;
	}
	unsigned bit = 1u << static_cast<unsigned>(role);
	if (st.reported & bit)
		return;
	st.reported |= bit;

	auto proc = procs_.find(pid);
	std::string exe = proc != procs_.end() ? result_.trace.processes[proc->second.index].exe : "";
	SeenSocket seen{{pid, exe, s}, role, now, now};
	if (role == SocketRole::Connect) {
		st.established = static_cast<long>(result_.established.size());
		result_.established.push_back(seen);
	} else {
		result_.listening.push_back(seen);
	}

	NetRecord r = sightingRecord(s, role, opts_.allow, ctx);
	r.seq = seq_++;
	r.pid = pid;
	r.tid = pid;
	r.exe = exe;
	result_.trace.calls++;
	if (r.decision == Decision::Audited)
		sink_.onViolation(r);
	sink_.onRecord(r);
}

void ProcPoller::scanLeftovers()
{
	std::map<std::string, std::vector<ProcSocket>> tables;
	for (const auto &[pid, p] : procs_) {
		if (!p.alive || pid == root_)
			continue;
		auto inodes = socketInodes(pid);
		if (inodes.empty())
			continue;
		std::string ns = netnsOf(pid);
		auto it = tables.find(ns);
		if (it == tables.end())
			it = tables.emplace(ns, readProcNet(pid)).first;
		const std::string &exe = result_.trace.processes[p.index].exe;
		for (const ProcSocket &s : it->second) {
			if (std::find(inodes.begin(), inodes.end(), s.inode) != inodes.end())
				result_.trace.leftSockets.push_back({pid, exe, s});
		}
	}
}

void ProcPoller::killTree()
{
	for (auto &[pid, p] : procs_) {
		if (!p.alive || pid == root_)
			continue;
		result_.trace.processes[p.index].killedByGate = true;
		kill(pid, SIGKILL);
	}
}

void ProcPoller::killAndReapAll()
{
	// Killed processes re-parent to the gate (the subreaper) as their parents die, so
	// the gate reaps them all; anything forked while this runs is found and killed too.
	const int64_t deadline = nowNs() + static_cast<int64_t>(kTeardownTimeoutMs) * 1000000;
	for (;;) {
		reapChildren();
		std::vector<pid_t> order;
		discoverTree(order);
		bool left = false;
		for (auto &[pid, p] : procs_) {
			if (!p.alive)
				continue;
			left = true;
			ProcessRecord &pr = result_.trace.processes[p.index];
			if (!pr.killedByGate && pid != root_) {
				pr.killedByGate = true;
				kill(pid, SIGKILL);
			}
		}
		if (!left)
			return;
		if (nowNs() > deadline) {
			log::procpoll().error("step {}: processes still alive {} s after SIGKILL; giving up on them",
					      opts_.step, kTeardownTimeoutMs / 1000);
			return;
		}
		timespec ts{0, 1000000};
		nanosleep(&ts, nullptr);
	}
}

} // namespace hg
