#include "tracer/supervisor.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <filesystem>
#include <optional>

#include <linux/audit.h>
#include <seccomp.h>

#include "base/log.h"
#include "base/proc.h"
#include "base/stop_request.h"
#include "base/unique_fd.h"
#include "record/fd_pass.h"
#include "net/sockaddr.h"

#include "tracer/path_trap.h"
#include "tracer/ptrace_ops.h"
#include "tracer/send_on_copy.h"
#include "tracer/syscall_decoder.h"

namespace hg {

namespace {

// Tgid and PPid of a task we have not seen created (it stopped before its creator's
// event). A task that is already gone reads as its own process with no parent.
void readStatusIds(pid_t tid, pid_t &tgid, pid_t &ppid)
{
	std::string status = procPath(tid, "/status");
	tgid = static_cast<pid_t>(parseInteger(procFileField(status, "Tgid")).value_or(tid));
	ppid = static_cast<pid_t>(parseInteger(procFileField(status, "PPid")).value_or(0));
}

bool isLocalOnly(const Endpoint &ep)
{
	return ep.status == AddrStatus::Decoded && (ep.family == AF_UNIX || ep.family == AF_NETLINK);
}

bool hasInetDestination(const std::vector<Endpoint> &addrs)
{
	return std::any_of(addrs.begin(), addrs.end(), [](const Endpoint &ep) { return ep.isIp; });
}

// TCP Fast Open: a send on an unconnected stream socket connects it to msg_name.
bool isFastOpen(const NetRecord &r)
{
	return isSend(r.call) && (r.flags & MSG_FASTOPEN) && r.sock.known && r.sock.type == SOCK_STREAM;
}

bool isInetDatagram(const SocketInfo &sock)
{
	return sock.known && (sock.domain == AF_INET || sock.domain == AF_INET6) && sock.type == SOCK_DGRAM;
}

} // namespace

Supervisor::Supervisor(SupervisorOptions opts, RecordSink &sink)
	: ops_(kernelOps_), waiter_(waitpidWaiter_), opts_(opts), sink_(sink)
{
}

Supervisor::Supervisor(SupervisorOptions opts, RecordSink &sink, PtraceOps &ops, PidWaiter &waiter)
	: ops_(ops), waiter_(waiter), opts_(opts), sink_(sink)
{
}

Supervisor::Tracee &Supervisor::tracee(pid_t tid)
{
	auto it = tracees_.find(tid);
	if (it != tracees_.end())
		return it->second;
	onUnknownTracee(tid);
	return tracees_[tid];
}

int Supervisor::pidfdOf(pid_t tgid)
{
	// One pidfd per process, opened at its first trapped call and closed at its exit:
	// two system calls less on every call after the first.
	auto it = pidfds_.find(tgid);
	if (it != pidfds_.end())
		return it->second.get();
	UniqueFd fd(static_cast<int>(syscall(SYS_pidfd_open, tgid, 0)));
	if (!fd)
		return -1; // not kept: the next call tries again
	return pidfds_.emplace(tgid, std::move(fd)).first->second.get();
}

ProcessRecord &Supervisor::process(pid_t tgid, pid_t ppid)
{
	auto it = procIndex_.find(tgid);
	if (it != procIndex_.end())
		return result_.processes[it->second];
	ProcessRecord p;
	p.pid = tgid;
	p.ppid = ppid;
	p.spawnSeq = result_.processes.size();
	auto parent = procIndex_.find(ppid);
	if (parent != procIndex_.end()) {
		// A child runs its parent's program until it execs.
		p.argv = result_.processes[parent->second].argv;
		p.exe = result_.processes[parent->second].exe;
	}
	procIndex_[tgid] = result_.processes.size();
	result_.processes.push_back(std::move(p));
	sink_.onTreeSize(procIndex_.size());
	return result_.processes.back();
}

void Supervisor::endProcess(pid_t tgid, int code, int sig)
{
	// The process is over: its record is final, and nothing keyed by its pid outlives it
	// (strace's droptcb()), so a process that gets the same pid later in the step gets a
	// record of its own instead of merging into this one.
	auto p = procIndex_.find(tgid);
	if (p != procIndex_.end()) {
		ProcessRecord &pr = result_.processes[p->second];
		pr.exited = true;
		pr.exitCode = code;
		pr.termSignal = sig;
		// The timeout and SIGINT/SIGTERM handlers kill the root themselves.
		if (tgid == root_ && sig == SIGKILL && (stepTimedOut() || stopRequested()))
			pr.killedByGate = true;
		procIndex_.erase(p);
		sink_.onTreeSize(procIndex_.size());
	}
	pidfds_.erase(tgid);
	requestedPort_.erase(requestedPort_.lower_bound({tgid, INT_MIN}), requestedPort_.upper_bound({tgid, INT_MAX}));
	listeners_.endProcess(tgid, [this](const LocalListener &l) { return locateListener(l); });
}

void Supervisor::onUnknownTracee(pid_t tid)
{
	pid_t tgid, ppid;
	readStatusIds(tid, tgid, ppid);
	Tracee &t = tracees_[tid];
	t.tgid = tgid;
	if (tgid == tid)
		process(tid, ppid);
}

Expected<TraceResult> Supervisor::run(const SpawnSpec &spec)
{
	auto filter = buildNetworkFilter();
	if (!filter)
		return filter.error();
	filter_ = std::move(*filter);

	// Orphans of the step re-parent to the gate instead of init, so they stay in reach.
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	// Not dumpable: a step running as the same (non-root) user cannot ptrace the gate or
	// open its /proc/PID/mem. The child makes itself dumpable again before it is seized.
	prctl(PR_SET_DUMPABLE, 0);

	if (opts_.observer) {
		auto observe = buildObserveFilter(opts_.observer->syscalls());
		if (!observe)
			return observe.error();
		observeFilter_ = std::move(*observe);
	}
	auto child = spawnTraced(spec, filter_, opts_.observer ? &observeFilter_ : nullptr);
	if (!child)
		return child.error();
	setStopTarget(child->pid);
	if (stopRequested())
		ops_.kill(child->pid, SIGKILL);
	armStepTimeout(opts_.timeoutSeconds);
	emitInheritedRecords(opts_.inheritedRecords, child->pid, child->path, seq_, result_.calls, sink_);
	for (uint64_t inode : opts_.passedSockets)
		ledger_.own(inode);

	TraceResult result = trace(child->pid, spec.argv, child->path);

	result.timedOut = disarmStepTimeout();
	result.interruptedBy = stopRequested();

	int err = 0;
	if (read(child->execErrors.get(), &err, sizeof(err)) == sizeof(err) && err != 0)
		return Error{err, "cannot start '" + spec.argv[0] + "': " + std::strerror(err)};
	return result;
}

TraceResult Supervisor::trace(pid_t root, std::vector<std::string> argv, std::string exe)
{
	root_ = root;
	result_.rootPid = root_;
	tracees_[root_].tgid = root_;
	ProcessRecord &rootProc = process(root_, 0);
	rootProc.argv = std::move(argv);
	rootProc.exe = std::move(exe);
	if (opts_.observer)
		opts_.observer->onNewTask(root_, 0);

	// Sockets that came from outside the tree are looked for on a tick as well as between
	// events, so that a step that makes no call at all is swept too.
	if (!waiter_.setTick(kSocketSweepPeriod))
		log::tracer().error("cannot wake up for the socket sweep ({}): the tree's descriptors are swept only "
				    "between its events", std::strerror(errno));
	nextSweep_ = std::chrono::steady_clock::now() + kSocketSweepPeriod;
	TraceEvent ev;
	while (waiter_.next(ev, exitStopDue_ ? kExitStopSpin : std::chrono::nanoseconds(0))) {
		exitStopDue_ = false;
		dispatch(ev);
		maybeSweepSockets();
	}
	waiter_.setTick(std::chrono::milliseconds(0));
	return std::move(result_);
}

bool Supervisor::dispatch(const TraceEvent &ev)
{
	pid_t tid = ev.pid;
	switch (ev.kind) {
	case TraceEventKind::Exited:
		onExited(tid, ev.value, 0);
		break;
	case TraceEventKind::Signaled:
		onExited(tid, -1, ev.value, ev.coreDumped);
		break;
	case TraceEventKind::SeccompStop:
		onSeccomp(tid);
		break;
	case TraceEventKind::SyscallExit:
		onSyscallExit(tid);
		break;
	case TraceEventKind::NewChild:
		onNewChild(tid, ev.value);
		break;
	case TraceEventKind::Exec:
		onExec(tid);
		break;
	case TraceEventKind::GroupStop:
		tracee(tid);
		if (opts_.observer)
			opts_.observer->onGroupStop(tid, ev.value);
		resume(tid, PTRACE_LISTEN);
		break;
	case TraceEventKind::SignalDelivery:
		tracee(tid);
		if (opts_.observer)
			opts_.observer->onSignal(tid, ev.value);
		resume(tid, PTRACE_CONT, ev.value); // re-inject, never swallow
		break;
	case TraceEventKind::Tick:
		break; // the loop sweeps after every event
	case TraceEventKind::PtraceStop:
	case TraceEventKind::VforkDone:
	case TraceEventKind::ExitEvent:
	case TraceEventKind::Unknown:
		tracee(tid);
		resume(tid, PTRACE_CONT);
		break;
	}
	return true;
}

void Supervisor::onExited(pid_t tid, int code, int sig, bool coreDumped)
{
	auto it = tracees_.find(tid);
	if (it == tracees_.end())
		return; // an untraced orphan re-parented to us; nothing to record
	Tracee &t = it->second;
	if (t.inCall)
		completeRecord(t.pending); // resultKnown stays false: it died inside the call
	if (opts_.observer) {
		if (t.observed)
			opts_.observer->onExit(tid, std::nullopt);
		opts_.observer->onTaskExit(tid, code, sig, coreDumped);
	}
	// A leader's exit is reported only once its other threads are gone: the process is over.
	if (t.tgid == tid)
		endProcess(tid, code, sig);
	tracees_.erase(it);
	if (tid == root_) {
		rootGone_ = true;
		result_.exitCode = code;
		result_.termSignal = sig;
		setStopTarget(0);
		scanLeftovers();
		killTree();
	}
}

void Supervisor::scanLeftovers()
{
	std::vector<ProcSocket> table;
	bool haveTable = false;
	for (auto &[tid, t] : tracees_) {
		if (t.tgid != tid)
			continue;
		auto inodes = socketInodes(tid);
		if (inodes.empty())
			continue;
		if (!haveTable) {
			table = readProcNet(tid);
			haveTable = true;
		}
		auto p = procIndex_.find(tid);
		std::string exe = p != procIndex_.end() ? result_.processes[p->second].exe : "";
		for (const ProcSocket &s : table) {
			if (std::find(inodes.begin(), inodes.end(), s.inode) != inodes.end())
				result_.leftSockets.push_back({tid, exe, s});
		}
	}
}

void Supervisor::killTree()
{
	for (auto &[tid, t] : tracees_) {
		if (t.tgid != tid)
			continue;
		auto p = procIndex_.find(tid);
		if (p != procIndex_.end() && !result_.processes[p->second].exited)
			result_.processes[p->second].killedByGate = true;
		ops_.kill(tid, SIGKILL);
	}
}

void Supervisor::onNewChild(pid_t tid, int event)
{
	Tracee &parent = tracee(tid);
	pid_t parentTgid = parent.tgid;
	auto msg = ops_.eventMsg(tid);
	if (msg) {
		pid_t child = static_cast<pid_t>(*msg);
		// A clone() without CLONE_THREAD is a process; tgkill(sig 0) tells which.
		bool thread = event == PTRACE_EVENT_CLONE && ops_.isThreadOf(parentTgid, child);
		Tracee &c = tracees_[child];
		c.tgid = thread ? parentTgid : child;
		if (!thread) {
			ProcessRecord &pr = process(child, parentTgid);
			pr.ppid = parentTgid;
		}
		if (opts_.observer)
			opts_.observer->onNewTask(child, tid);
		if (rootGone_)
			ops_.kill(child, SIGKILL); // born while the tree is being torn down
	}
	resume(tid, PTRACE_CONT);
}

void Supervisor::onExec(pid_t tid)
{
	auto former = ops_.eventMsg(tid);
	if (former && static_cast<pid_t>(*former) != tid)
		tracees_.erase(static_cast<pid_t>(*former)); // a non-leader thread exec'd and took the leader's pid
	Tracee &t = tracee(tid);
	t.tgid = tid;
	t.dns.reset(); // a new program: its sockets are its own business from here
	ProcessRecord &pr = process(tid, 0);
	pr.exe = readLink(procPath(tid, "/exe"));
	auto argv = readCmdline(tid);
	if (!argv.empty())
		pr.argv = std::move(argv);
	if (opts_.observer)
		opts_.observer->onExec(tid);
	resume(tid, PTRACE_CONT);
}

void Supervisor::judge(NetRecord &r, const TraceeSocket &sock, const std::vector<Endpoint> &addrs)
{
	DecisionRules rules{opts_.allow, opts_.enforce, true, &resolved_};
	// Several destinations (sendmmsg): the record shows the worst one.
	int bestRank = -1;
	for (const Endpoint &ep : addrs) {
		bool listen = r.call == NetCall::Listen;
		Classification c = classify(r.call, sock.info, listen ? Endpoint{} : ep);
		// Inbound exceptions are matched on the listener's address as reports show it
		// (port 0 when the kernel chose it), so that they match the same way every run.
		const LocalListener *self = listen ? nullptr : selfListener(r.pid, r.call, c, sock.info, ep);
		if (self) {
			c.direction = Direction::Self;
			c.why += ": the step's own listener on " + endpointTarget(self->reported) +
				 (self->reported.port != self->local.port ? " (port chosen by the kernel)" : "");
		}
		UnixTarget target;
		const DaemonSocket *daemon = delegatedDaemon(r.tid, r.call, c, ep, target);
		if (daemon) {
			c.direction = Direction::Delegated;
			c.violation = true;
			c.why += ": the socket of " + daemon->daemon + " (" + target.path +
				 "), which makes network calls for its clients";
		}
		Judgement j = decide(r.call, c, listen ? r.addr : ep, rules, self ? &self->reported : nullptr,
				     daemon ? &target : nullptr);
		int rank = decisionRank(j.decision);
		if (rank > bestRank) {
			bestRank = rank;
			r.cls = std::move(c);
			r.exception = j.exception;
			r.decision = j.decision;
			r.listener = self ? self->reported : Endpoint{};
			const Resolution *named = c.direction == Direction::Outbound ? resolved_.find(ep) : nullptr;
			r.name = named ? named->name : "";
			r.daemonSocket = daemon ? daemonEndpoint(target) : Endpoint{};
			if (!listen)
				r.addr = ep;
		}
	}
}

void Supervisor::onSeccomp(pid_t tid)
{
	Tracee &t = tracee(tid);
	auto info = ops_.syscallInfo(tid);
	if (!info && info.error().errnum == ESRCH)
		return; // killed at the stop: the call never runs, and its exit status follows
	if (!info || info->op != PTRACE_SYSCALL_INFO_SECCOMP) {
		refuseUnreadable(tid, t, info);
		return;
	}
	RawSyscall sc;
	sc.auditArch = info->arch;
	sc.nr = info->seccomp.nr;
	for (int i = 0; i < 6; i++)
		sc.args[i] = info->seccomp.args[i];
	sc.tag = info->seccomp.ret_data;
	if (opts_.observer && opts_.observer->wants(sc))
		observeEntry(tid, t, sc);
	if (sc.tag == kTagObserved) {
		resume(tid, PTRACE_CONT); // a call the network filter lets run: only the observer asked
		return;
	}
	if ((sc.tag >= kTagUntracedClone && sc.tag <= kTagProcessAccess) || isPathTag(sc.tag)) {
		onGuardTrap(tid, sc);
		return;
	}
	if (sc.tag == kTagInetSocket || sc.tag == kTagSocket) {
		onSocketTrap(tid, sc);
		return;
	}
	TraceeMemory mem(tid);
	DecodedCall d = decodeCall(sc, mem);
	TraceeSocket sock;
	NetRecord r = judgedRecord(tid, t, sc, d, sock);
	Endpoint peer;
	if (const Endpoint *resolver = resolverOf(r, sock, d, peer))
		judgeDnsSend(tid, t, r, d, *resolver, sock);
	refusePathSend(r, d, mem);
	act(tid, t, std::move(r), sc, d, sock);
}

NetRecord Supervisor::newRecord(pid_t tid, const Tracee &t)
{
	NetRecord r;
	r.seq = seq_++;
	r.pid = t.tgid;
	r.tid = tid;
	ProcessRecord &pr = process(t.tgid, 0);
	if (pr.exe.empty())
		pr.exe = readLink(procPath(t.tgid, "/exe"));
	r.exe = pr.exe;
	result_.calls++;
	return r;
}

NetRecord Supervisor::judgedRecord(pid_t tid, const Tracee &t, const RawSyscall &sc, const DecodedCall &d,
				   TraceeSocket &sock)
{
	NetRecord r = newRecord(tid, t);
	r.arch = d.arch;
	r.nr = static_cast<long>(sc.nr);
	r.viaSocketcall = d.viaSocketcall;
	r.call = d.call;
	r.callName = d.callName;
	r.fd = d.fd;
	r.addrPtr = d.addrPtr;
	r.len = d.len;
	r.flags = d.flags;
	// Every call's socket is looked at, even for a local address (AF_UNIX, AF_NETLINK):
	// another task sharing this memory (a thread, a CLONE_VM process, a MAP_SHARED page)
	// could swap in an inet address after this read, and an inet socket would take it
	// (see refuseForeignFamily).
	if (r.call != NetCall::Other)
		sock = inspectSocket(pidfdOf(t.tgid), r.fd);
	r.sock = sock.info;
	if (r.call == NetCall::Listen) {
		r.boundAddr = localAddress(sock.fd.get());
		r.addr = reportedListenAddress(t.tgid, r.fd, r.boundAddr);
	}
	judge(r, sock, d.addrs);
	checkSocketOrigin(t, r, sock);
	return r;
}

void Supervisor::act(pid_t tid, Tracee &t, NetRecord r, const RawSyscall &sc, const DecodedCall &d,
		     TraceeSocket &sock)
{
	bool localOnly = r.call != NetCall::Listen && r.call != NetCall::Other;
	for (const Endpoint &ep : d.addrs)
		localOnly = localOnly && isLocalOnly(ep);
	if (localOnly && refuseForeignFamily(tid, r, sock))
		return;

	if (r.decision == Decision::Denied) {
		r.resultKnown = true;
		r.result = -EPERM;
		sink_.onViolation(r);
		completeWithoutCall(tid, r, -EPERM, sock);
		return;
	}
	if (r.decision == Decision::Audited)
		sink_.onViolation(r);
	if (connectOnCopy(tid, r, sock) || sendOnCopy(tid, r, d, sock))
		return;
	t.inCall = true;
	t.pending = std::move(r);
	// Another task sharing this memory can rewrite the address between this read and the
	// kernel's copy: the destination is checked again after the call, on the socket's peer
	// where it has one (connect, TCP Fast Open), else in memory. Not only in multi-threaded
	// processes: a CLONE_VM child or a MAP_SHARED page races as well as a thread does.
	NetCall call = t.pending.call;
	bool raceable = (call == NetCall::Connect || isSend(call)) && hasInetDestination(d.addrs);
	t.checkPeer = raceable && (call == NetCall::Connect || isFastOpen(t.pending));
	t.checkSendAddr = raceable && !t.checkPeer;
	if (t.checkSendAddr) {
		t.raw = sc;
		t.judgedAddrs = d.addrs;
	}
	bool selfDatagram = t.pending.cls.direction == Direction::Self && isInetDatagram(t.pending.sock);
	bool unixConnect = call == NetCall::Connect && t.pending.sock.domain == AF_UNIX; // who answers: notePeerProcess
	if (call == NetCall::Bind || call == NetCall::Listen || t.checkPeer || selfDatagram || unixConnect)
		t.sock = std::move(sock.fd);
	resume(tid, PTRACE_SYSCALL);
	exitStopDue_ = true;
}

void Supervisor::refuseUnreadable(pid_t tid, const Tracee &t, const Expected<__ptrace_syscall_info> &info)
{
	// A call the gate cannot read it cannot judge: it is refused in every mode, never resumed
	// unjudged. The filter's tag (PTRACE_GETEVENTMSG, older than PTRACE_GET_SYSCALL_INFO)
	// still names the call where it stands for one.
	const std::string request = "ptrace(PTRACE_GET_SYSCALL_INFO, tid=" + std::to_string(tid) + ")";
	std::string what;
	if (!info)
		what = request + " failed with " + errnoName(info.error().errnum) + " (" +
		       std::strerror(info.error().errnum) + ")";
	else
		what = request + " reported op " + std::to_string(info->op) + ", not a seccomp stop";
	NetRecord r = newRecord(tid, t);
	r.call = NetCall::Other;
	auto tag = ops_.eventMsg(tid);
	r.callName = tag ? trapTagCallName(static_cast<uint32_t>(*tag)) : "";
	if (r.callName.empty())
		r.callName = "unknown";
	r.addr = undecodableEndpoint(0, what);
	r.cls = {Direction::Outbound, true, "the gate could not read the call's details: " + what};
	DecisionRules rules{opts_.allow, opts_.enforce, true, &resolved_};
	r.decision = decide(r.call, r.cls, r.addr, rules).decision; // Denied: NetCall::Other
	r.resultKnown = true;
	r.result = -EPERM;
	log::tracer().warn("refusing {} of pid {}: {}", r.callName, tid, r.cls.why);
	sink_.onViolation(r);
	TraceeSocket none;
	completeWithoutCall(tid, r, -EPERM, none);
}

std::string Supervisor::syscallName(uint32_t arch, uint64_t nr)
{
	char *name = seccomp_syscall_resolve_num_arch(arch, static_cast<int>(nr));
	std::string out = name ? name : "syscall_" + std::to_string(nr);
	free(name);
	return out;
}

// What a guard trap is (the filter's tags from kTagUntracedClone on, but kTagProcessAccess,
// which judgeProcessAccess() decides), and what the refused call returns in ret.
static std::optional<Classification> guardClassification(const RawSyscall &sc, const std::string &name, long &ret)
{
	switch (sc.tag) {
	case kTagUntracedClone:
		return Classification{Direction::Evasion, true, "clone() with CLONE_UNTRACED would start a process the gate cannot follow"};
	case kTagSeccompListener:
		return Classification{Direction::Evasion, true, "a seccomp filter with a user-notification listener could hide calls from the gate"};
	case kTagIoUring:
		// Refused with the errno runtimes (libuv, tokio, liburing users) fall back on.
		ret = -ENOSYS;
		return Classification{Direction::None, false, "io_uring refused: its operations would bypass the traced syscalls"};
	default:
		return Classification{Direction::Evasion, true, name + "() trapped with unknown tag " + std::to_string(sc.tag)};
	}
}

void Supervisor::onGuardTrap(pid_t tid, const RawSyscall &sc)
{
	Tracee &t = tracee(tid);
	const std::string name = syscallName(sc.auditArch, sc.nr);
	long ret = -EPERM;
	auto cls = sc.tag == kTagProcessAccess ? judgeProcessAccess(tid, sc, name)
		   : isPathTag(sc.tag)		    ? pathTrapClassification(tid, sc)
						    : guardClassification(sc, name, ret);
	if (!cls) {
		resume(tid, PTRACE_CONT);
		return;
	}
	NetRecord r = newRecord(tid, t);
	r.call = NetCall::Other;
	r.callName = name;
	r.nr = static_cast<long>(sc.nr);
	r.arch = trapArch(sc);
	r.fd = -1;
	r.cls = std::move(*cls);
	r.decision = r.cls.violation ? Decision::Denied : Decision::Logged;
	auto skipped = ops_.skipSyscall(tid, ret);
	if (!skipped) {
		log::tracer().error("cannot refuse {} of pid {}: {}; killing it", r.callName, tid, skipped.error().message);
		killTracee(tid);
		r.cls.why += "; the gate could not refuse the call (" + skipped.error().message + "): the process was killed";
	}
	r.resultKnown = skipped.ok();
	r.result = ret;
	if (r.cls.violation)
		sink_.onViolation(r);
	completeRecord(r);
	if (skipped)
		resume(tid, PTRACE_CONT);
}

void Supervisor::onSyscallExit(pid_t tid)
{
	Tracee &t = tracee(tid);
	if (t.observed && !observeExit(tid, t))
		return;
	if (t.newSocket) {
		noteNewSocket(tid, t);
		return;
	}
	if (!t.inCall) {
		if (t.dns)
			onDnsStop(tid, t);
		else
			resume(tid, PTRACE_CONT);
		return;
	}
	auto info = ops_.syscallInfo(tid);
	if (info && info->op == PTRACE_SYSCALL_INFO_EXIT) {
		t.pending.resultKnown = true;
		t.pending.result = static_cast<long>(info->exit.rval);
	} else if (!info && info.error().errnum == ESRCH) {
		return; // killed in the call: onExited completes its record, result unknown
	} else {
		// The call has run; only its result is unknown (resultKnown stays false). The
		// tracee is resumed all the same: left stopped, it would hold the step.
		log::tracer().warn("result of {} of pid {} unknown: {}", t.pending.callName, tid,
			     info ? "PTRACE_GET_SYSCALL_INFO reported op " + std::to_string(info->op) : info.error().message);
	}
	if (t.pending.call == NetCall::Socket && (t.pending.sock.domain == AF_INET || t.pending.sock.domain == AF_INET6))
		ownNewSocket(tid, info);
	if (t.checkPeer)
		checkRacedConnect(t);
	else if (t.checkSendAddr)
		checkRacedSend(tid, t);
	t.checkPeer = false;
	t.checkSendAddr = false;
	t.judgedAddrs.clear();
	if (t.sock) {
		NetRecord &p = t.pending;
		p.boundAddr = localAddress(t.sock.get());
		if (p.call == NetCall::Listen)
			p.addr = reportedListenAddress(t.tgid, p.fd, p.boundAddr);
		else if (p.resultKnown && p.result == 0 && p.addr.isIp)
			requestedPort_[{t.tgid, p.fd}] = p.addr.port;
		if (p.resultKnown && p.result == 0 &&
		    (p.call == NetCall::Listen || (p.call == NetCall::Bind && p.sock.type == SOCK_DGRAM)))
			addListener(t.tgid, p, t.sock.get());
		addImplicitListener(t.tgid, p, t.sock.get());
		if (p.call == NetCall::Connect && p.sock.domain == AF_UNIX && p.resultKnown && p.result == 0)
			notePeerProcess(tid, p, t.sock.get());
		// Closed before the tracee goes on: a duplicate still open when it closes its own
		// fd would hold back the FIN and change which side of a TCP connection ends in
		// TIME-WAIT (seen as EADDRINUSE on a later bind to the same port).
		t.sock.reset();
	}
	t.inCall = false;
	completeRecord(t.pending);
	afterDnsCall(tid, t.pending);
	resume(tid, PTRACE_CONT);
}

void Supervisor::observeEntry(pid_t tid, Tracee &t, const RawSyscall &sc)
{
	opts_.observer->onEntry(tid, sc);
	t.observed = true;
}

bool Supervisor::observeExit(pid_t tid, Tracee &t)
{
	auto info = ops_.syscallInfo(tid);
	if (!info && info.error().errnum == ESRCH)
		return false; // killed in the call: onExited tells the observer
	if (info && info->op == PTRACE_SYSCALL_INFO_ENTRY)
		return true; // a syscall-entry stop of a followed thread: the call has not run yet
	t.observed = false;
	if (info && info->op == PTRACE_SYSCALL_INFO_EXIT) {
		opts_.observer->onExit(tid, static_cast<long>(info->exit.rval));
	} else {
		log::tracer().warn("result of an observed call of pid {} unknown: {}", tid,
				   info ? "PTRACE_GET_SYSCALL_INFO reported op " + std::to_string(info->op) : info.error().message);
		opts_.observer->onExit(tid, std::nullopt);
	}
	return true;
}

void Supervisor::resume(pid_t tid, int request, int sig)
{
	// A thread followed through its DNS exchange stops at every syscall until it is over; one
	// in a call the observer follows stops at its exit (a call the gate skipped stops there too).
	if (request == PTRACE_CONT) {
		auto followed = tracees_.find(tid);
		if (followed != tracees_.end() && (followed->second.dns || followed->second.observed))
			request = PTRACE_SYSCALL;
	}
	auto resumed = ops_.restart(tid, request, sig);
	if (resumed || resumed.error().errnum == ESRCH)
		return; // ESRCH: killed or exited under us; its exit status follows
	// Left stopped, the tracee would hold its step, and the gate waiting for it, for ever.
	log::tracer().error("{}; killing pid {}, which the gate cannot resume", resumed.error().message, tid);
	auto t = tracees_.find(tid);
	if (t != tracees_.end() && t->second.inCall)
		t->second.pending.cls.why +=
			"; the gate could not resume the call (" + resumed.error().message + "): the process was killed";
	killTracee(tid);
}

void Supervisor::killTracee(pid_t tid)
{
	auto t = tracees_.find(tid);
	auto p = procIndex_.find(t != tracees_.end() ? t->second.tgid : tid);
	if (p != procIndex_.end())
		result_.processes[p->second].killedByGate = true;
	if (int err = ops_.kill(tid, SIGKILL); err != 0 && err != -ESRCH)
		log::tracer().error("kill(pid={}, SIGKILL): {}", tid, std::strerror(-err));
}

namespace {

bool sameInet(const Endpoint &a, const Endpoint &b)
{
	if (!a.isIp || !b.isIp || a.isV4 != b.isV4 || a.port != b.port)
		return false;
	return std::memcmp(a.ip.data(), b.ip.data(), a.isV4 ? 4 : 16) == 0;
}

// Whether two reads of a destination name the same one (undecodable reads never do).
bool sameDestination(const Endpoint &a, const Endpoint &b)
{
	if (a.isIp || b.isIp)
		return sameInet(a, b);
	return a.status == b.status && a.status != AddrStatus::Undecodable && a.family == b.family &&
	       a.address() == b.address();
}

// The remote address of a socket that getpeername() will not tell yet (a non-blocking
// connect still in SYN-SENT): its row in /proc/PID/net/tcp[6], found by inode.
Endpoint pendingPeer(pid_t tgid, int sockFd)
{
	struct stat st;
	if (fstat(sockFd, &st) != 0)
		return Endpoint{};
	for (const ProcSocket &s : readProcNet(tgid)) {
		if (s.inode == st.st_ino)
			return s.remote;
	}
	return Endpoint{};
}

} // namespace

bool Supervisor::connectOnCopy(pid_t tid, NetRecord &r, TraceeSocket &sock)
{
	// Another task could rewrite the address after the gate read it. For a
	// non-blocking socket the gate makes the connect itself, on the socket it holds,
	// with the address it judged, and skips the tracee's call: the kernel can only use
	// that copy. (A blocking connect would stall the gate; those are checked after the
	// call instead, see checkRacedConnect.)
	if (!opts_.enforce || r.call != NetCall::Connect || r.addr.status != AddrStatus::Decoded || !r.addr.isIp ||
	    !sock.fd)
		return false;
	int flags = fcntl(sock.fd.get(), F_GETFL);
	if (flags < 0 || !(flags & O_NONBLOCK))
		return false;
	sockaddr_storage ss;
	socklen_t len = toSockaddr(r.addr, sock.info.domain, ss);
	if (len == 0)
		return false;
	long ret = ::connect(sock.fd.get(), reinterpret_cast<sockaddr *>(&ss), len) == 0 ? 0 : -errno;
	completeWithoutCall(tid, r, ret, sock);
	return true;
}

bool Supervisor::sendOnCopy(pid_t tid, NetRecord &r, const DecodedCall &d, TraceeSocket &sock)
{
	// The same for datagrams, in either mode: the gate sends its own copy of the payload on
	// the socket it holds, to the destinations it judged, and skips the tracee's call. What
	// it cannot send so (send_on_copy.h) runs as the tracee's call, checked after it.
	if (!isSend(r.call) || !isInetDatagram(sock.info) || !sock.fd || !hasInetDestination(d.addrs))
		return false;
	TraceeMemory mem(tid);
	CopiedSend copy = copySend(d, mem);
	SendOutcome sent;
	sent.problem = copy.problem;
	if (copy.problem.empty())
		sent = sendCopy(sock.fd.get(), sock.info.domain, d, copy, mem);
	if (!sent.done) {
		log::tracer().debug("{} of pid {} not sent on a copy ({}): checked after the call", r.callName, tid, sent.problem);
		return false;
	}
	completeWithoutCall(tid, r, sent.ret, sock);
	return true;
}

bool Supervisor::refuseForeignFamily(pid_t tid, NetRecord &r, TraceeSocket &sock)
{
	// A local address on an inet socket: the kernel would refuse it (EAFNOSUPPORT), but
	// only after copying the address again, and by then another thread may have made it an
	// inet one that the gate never judged. The gate refuses it itself, as the kernel would.
	if (!sock.info.known || (sock.info.domain != AF_INET && sock.info.domain != AF_INET6))
		return false;
	r.decision = Decision::Logged;
	r.cls.why = "a " + familyName(r.addr.family) + " address on an " + familyName(sock.info.domain) +
		    " socket: refused by the gate with EAFNOSUPPORT, as the kernel would, so that no other thread "
		    "can swap in an inet address during the call";
	completeWithoutCall(tid, r, -EAFNOSUPPORT, sock);
	return true;
}

void Supervisor::completeWithoutCall(pid_t tid, NetRecord &r, long ret, TraceeSocket &sock)
{
	// The gate answers for the kernel (a refusal, or the result of its own call on a copy):
	// the tracee's call is skipped with ret. One that cannot be skipped would run unjudged,
	// so its caller is killed instead (a fatal signal at a seccomp stop skips the call).
	auto skipped = ops_.skipSyscall(tid, ret);
	if (!skipped) {
		log::tracer().error("cannot skip {} of pid {}: {}; killing it", r.callName, tid, skipped.error().message);
		killTracee(tid);
		r.cls.why += "; the gate could not skip the call (" + skipped.error().message + "): the process was killed";
	}
	r.resultKnown = skipped.ok();
	r.result = ret;
	completeRecord(r);
	afterDnsCall(tid, r);
	if (sock.fd)
		addImplicitListener(r.pid, r, sock.fd.get());
	sock.fd.reset(); // before the tracee goes on (see onSyscallExit)
	if (skipped)
		resume(tid, PTRACE_CONT);
}

void Supervisor::checkRacedConnect(Tracee &t)
{
	NetRecord &p = t.pending;
	// connect returns 0 or -errno, a Fast Open send the bytes it queued.
	if (!t.sock || !p.resultKnown || (p.result < 0 && p.result != -EINPROGRESS))
		return;
	Endpoint actual = peerAddress(t.sock.get());
	if (!actual.isIp)
		actual = pendingPeer(t.tgid, t.sock.get());
	if (!actual.isIp || sameInet(actual, p.addr))
		return;

	// The record must name the destination the kernel used, not the one first read.
	rejudgeRaced(t, {actual}, "destination rewritten by another thread or process during the call: the gate read " +
					  endpointTarget(p.addr) + ", the kernel used " + endpointTarget(actual));
}

void Supervisor::checkRacedSend(pid_t tid, Tracee &t)
{
	// A datagram leaves no peer behind: what the tracee's memory holds now is the other
	// destination the kernel may have copied. Both are judged; the record says which.
	TraceeMemory mem(tid);
	DecodedCall after = decodeCall(t.raw, mem);
	std::vector<Endpoint> dests = t.judgedAddrs;
	std::string read, held;
	for (size_t i = 0; i < after.addrs.size() && i < t.judgedAddrs.size(); i++) {
		if (sameDestination(after.addrs[i], t.judgedAddrs[i]))
			continue;
		dests.push_back(after.addrs[i]);
		read += (read.empty() ? "" : ", ") + endpointTarget(t.judgedAddrs[i]);
		held += (held.empty() ? "" : ", ") + endpointTarget(after.addrs[i]);
	}
	if (dests.size() == t.judgedAddrs.size())
		return;
	rejudgeRaced(t, dests, "destination may have been rewritten by another thread or process during the call: the gate read " +
				       read + ", memory held " + held + " after the call");
}

void Supervisor::rejudgeRaced(Tracee &t, const std::vector<Endpoint> &dests, std::string why)
{
	NetRecord &p = t.pending;
	TraceeSocket sock;
	sock.info = p.sock;
	judge(p, sock, dests);
	p.cls.why = std::move(why);
	if (p.decision == Decision::Denied) {
		// The call has already happened: stop the process before it can go on.
		if (t.sock)
			shutdown(t.sock.get(), SHUT_RDWR);
		ops_.kill(t.tgid, SIGKILL);
		p.cls.why += t.sock ? "; the socket was shut down and the process killed" : "; the process was killed";
	}
	// Live output names the other destination too, even when the one first read was
	// already a violation.
	if (p.decision == Decision::Audited || p.decision == Decision::Denied)
		sink_.onViolation(p);
}

Endpoint Supervisor::reportedListenAddress(pid_t tgid, int fd, const Endpoint &bound) const
{
	// A port the kernel picked (bind to port 0, or listen() on an unbound socket) differs
	// from run to run; the record says 0 so reports stay comparable. The real port is
	// in boundAddr (ss_listen.txt).
	Endpoint ep = bound;
	if (!ep.isIp || ep.port == 0)
		return ep;
	auto it = requestedPort_.find({tgid, fd});
	if (it == requestedPort_.end() || it->second != ep.port)
		ep.port = 0;
	return ep;
}

namespace {

// The listener entry for the inet socket sockFd (the supervisor's duplicate of the
// tracee's fd) with local address `local`, reported as `reported`.
std::optional<LocalListener> listenerEntry(pid_t tgid, int fd, const SocketInfo &sock, int sockFd,
					   const Endpoint &local, const Endpoint &reported)
{
	struct stat st {};
	if (!sock.known || (sock.domain != AF_INET && sock.domain != AF_INET6) || !local.isIp ||
	    fstat(sockFd, &st) != 0)
		return std::nullopt;
	LocalListener l;
	l.tgid = tgid;
	l.fd = fd;
	l.inode = st.st_ino;
	l.netns = readLink(procPath(tgid, "/ns/net"));
	l.sock = sock;
	l.local = local;
	l.reported = reported;
	int v6only = 0;
	socklen_t len = sizeof(v6only);
	if (sock.domain == AF_INET6 && getsockopt(sockFd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &len) == 0)
		l.v6only = v6only != 0;
	return l;
}

} // namespace

void Supervisor::addListener(pid_t tgid, const NetRecord &r, int sockFd)
{
	// listen: the port as reported (0 when the kernel chose it); bind: the port it asked for.
	Endpoint reported = r.boundAddr;
	reported.port = r.call == NetCall::Listen ? r.addr.port : r.addr.isIp ? r.addr.port : 0;
	if (r.call == NetCall::Listen)
		rememberListener(tgid, r.sock, r.boundAddr);
	if (auto l = listenerEntry(tgid, r.fd, r.sock, sockFd, r.boundAddr, reported))
		listeners_.add(std::move(*l));
}

void Supervisor::addImplicitListener(pid_t tgid, const NetRecord &r, int sockFd)
{
	if ((!isSend(r.call) && r.call != NetCall::Connect) || r.cls.direction != Direction::Self ||
	    !isInetDatagram(r.sock) || !r.resultKnown || r.result < 0 || listeners_.contains(tgid, r.fd))
		return;
	Endpoint local = localAddress(sockFd);
	if (local.port == 0)
		return;
	// Reported as the listener it talked to: a reply is that same exchange, covered by that
	// listener's inbound exception (the socket itself may be bound to 0.0.0.0 by the kernel).
	if (auto l = listenerEntry(tgid, r.fd, r.sock, sockFd, local, r.listener))
		listeners_.add(std::move(*l));
}

std::optional<std::pair<pid_t, int>> Supervisor::locateListener(const LocalListener &l) const
{
	// Still open as the same socket where it was, or in another live process of the step
	// (handed to a child, passed over a unix socket): an fd closed or reused since is no
	// listener of the step's any more, and the port may belong to anyone now.
	const std::string want = "socket:[" + std::to_string(l.inode) + "]";
	if (procIndex_.count(l.tgid) && readLink(procPath(l.tgid, "/fd/" + std::to_string(l.fd))) == want)
		return std::make_pair(l.tgid, l.fd);
	for (const auto &[tgid, index] : procIndex_) {
		std::error_code ec;
		for (const auto &entry : std::filesystem::directory_iterator(procPath(tgid, "/fd"), ec)) {
			if (readLink(entry.path()) != want)
				continue;
			if (auto fd = parseInteger(entry.path().filename().string()))
				return std::make_pair(tgid, static_cast<int>(*fd));
		}
	}
	return std::nullopt;
}

const DaemonSocket *Supervisor::delegatedDaemon(pid_t tid, NetCall call, const Classification &cls,
						 const Endpoint &dest, UnixTarget &target) const
{
	// classify() calls every AF_UNIX call Local; only a connect or a send with a name can
	// reach a daemon (a bind makes a socket, it asks nobody).
	if (!opts_.daemons || cls.direction != Direction::Local || (call != NetCall::Connect && !isSend(call)) ||
	    dest.status != AddrStatus::Decoded || dest.family != AF_UNIX || dest.unixKind == UnixKind::Unnamed)
		return nullptr;
	target = resolveUnixTarget(tid, dest);
	return opts_.daemons->match(target);
}

const LocalListener *Supervisor::selfListener(pid_t tgid, NetCall call, const Classification &cls,
					      const SocketInfo &sock, const Endpoint &dest)
{
	// An outbound violation, or a datagram connect to loopback (not a violation, but it
	// binds the socket where the listener's replies will come: addImplicitListener).
	bool outbound = cls.violation && cls.direction == Direction::Outbound;
	bool datagramConnect = call == NetCall::Connect && isInetDatagram(sock);
	if (!(outbound || datagramConnect) || !sock.known || !dest.isLoopback() || listeners_.empty())
		return nullptr;
	return listeners_.find(sock, dest, readLink(procPath(tgid, "/ns/net")),
			       [this](const LocalListener &l) { return locateListener(l); });
}

void Supervisor::completeRecord(NetRecord &r)
{
	sink_.onRecord(r);
}

} // namespace hg
