// Sockets that reach the tree from outside (issue 12). Every socket() of an inet family
// traps; at its exit stop the new socket's inode goes into the ledger (socket_ledger.h). A
// socket accepted from a listener the tree had is its own too (accept is not trapped: the
// socket's local address is that listener's). Any other inet socket in a process of the
// tree came from outside it: received over a unix socket from a process outside the tree
// (inherited descriptors are closed before the step starts, pidfd_getfd of an outside
// process is refused). It is found
//   - at every trapped call on it: the call is refused (EPERM, every mode) and recorded;
//   - by a sweep of the tree's descriptors every kSocketSweepPeriod (and at the end of the
//     step): recorded, and in enforce mode shut down so that it carries nothing more.

#include <dirent.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cstdlib>
#include <memory>
#include <unordered_set>

#include "base/log.h"
#include "base/proc.h"
#include "tracer/supervisor.h"

namespace hg {

namespace {

bool isInet(const SocketInfo &s)
{
	return s.known && (s.domain == AF_INET || s.domain == AF_INET6);
}

// "socket:[123]" -> 123; 0 when link is no socket.
uint64_t socketInode(const std::string &link)
{
	if (link.rfind("socket:[", 0) != 0 || link.back() != ']')
		return 0;
	return static_cast<uint64_t>(parseInteger(link.substr(8, link.size() - 9)).value_or(0));
}

uint64_t inodeOf(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_ino) : 0;
}

// The key a listener's address is remembered by: namespace, type, protocol, address, port.
// An IPv4-mapped address is its IPv4 address (Endpoint::address()).
std::string listenerKey(const std::string &netns, const SocketInfo &s, const std::string &address, uint16_t port)
{
	return netns + '|' + std::to_string(s.type) + '|' + std::to_string(s.protocol) + '|' + address + '|' +
	       std::to_string(port);
}

} // namespace

void Supervisor::onInetSocket(pid_t tid, Tracee &t)
{
	t.newSocket = true;
	resume(tid, PTRACE_SYSCALL);
	exitStopDue_ = true;
}

void Supervisor::noteNewSocket(pid_t tid, Tracee &t)
{
	t.newSocket = false;
	auto info = ops_.syscallInfo(tid);
	if (!info && info.error().errnum == ESRCH)
		return;
	ownNewSocket(tid, info);
	resume(tid, PTRACE_CONT);
}

void Supervisor::ownNewSocket(pid_t tid, const Expected<__ptrace_syscall_info> &info)
{
	if (info && info->op == PTRACE_SYSCALL_INFO_EXIT && !info->exit.is_error) {
		auto fd = static_cast<long>(info->exit.rval);
		if (uint64_t inode = socketInode(readLink(procPath(tid, "/fd/" + std::to_string(fd)))))
			ledger_.own(inode);
	} else if (!info || info->op != PTRACE_SYSCALL_INFO_EXIT) {
		// Fails closed: the socket stays unknown, so the calls made on it are refused as if it
		// came from outside the tree.
		log::tracer().error("cannot read the result of socket() in pid {} ({}): its socket will be refused as foreign",
				    tid, info ? "op " + std::to_string(info->op) : info.error().message);
	}
}

void Supervisor::rememberListener(pid_t tgid, const SocketInfo &sock, const Endpoint &local)
{
	if (listenerHistory_.size() < kMaxListenerHistory)
		listenerHistory_.insert(listenerKey(readLink(procPath(tgid, "/ns/net")), sock, local.address(), local.port));
}

bool Supervisor::acceptedFromTree(pid_t tgid, const SocketInfo &sock, int sockFd) const
{
	if (sock.type != SOCK_STREAM || listenerHistory_.empty())
		return false;
	Endpoint local = localAddress(sockFd);
	if (local.status != AddrStatus::Decoded || !local.isIp)
		return false;
	std::string netns = readLink(procPath(tgid, "/ns/net"));
	// Its own address, or a listener on every address (0.0.0.0, ::) that accepted it on this one.
	for (const std::string &address : {local.address(), std::string("0.0.0.0"), std::string("::")}) {
		if (listenerHistory_.count(listenerKey(netns, sock, address, local.port)))
			return true;
	}
	return false;
}

SocketLedger::Entry Supervisor::socketOrigin(pid_t tgid, uint64_t inode, const TraceeSocket &sock)
{
	SocketLedger::Entry e = ledger_.lookup(inode);
	if (e != SocketLedger::Entry::Unknown)
		return e;
	if (!isInet(sock.info)) {
		ledger_.local(inode);
		return SocketLedger::Entry::Local;
	}
	if (acceptedFromTree(tgid, sock.info, sock.fd.get())) {
		ledger_.own(inode);
		return SocketLedger::Entry::Own;
	}
	ledger_.foreign(inode);
	return SocketLedger::Entry::Foreign;
}

std::string Supervisor::foreignSocketWhy(const NetRecord &r, int sockFd) const
{
	Endpoint local = localAddress(sockFd);
	Endpoint peer = peerAddress(sockFd);
	std::string why = "fd " + std::to_string(r.fd) + " is " + protocolLabel(r.sock) + " socket " +
			  endpointTarget(local);
	if (peer.status == AddrStatus::Decoded)
		why += " -> " + endpointTarget(peer);
	why += " that the tree neither created nor accepted: it came from outside the traced tree";
	return why;
}

void Supervisor::checkSocketOrigin(const Tracee &t, NetRecord &r, const TraceeSocket &sock)
{
	if (!sock.fd || !isInet(sock.info))
		return;
	uint64_t inode = inodeOf(sock.fd.get());
	if (inode == 0 || socketOrigin(t.tgid, inode, sock) != SocketLedger::Entry::Foreign)
		return;
	r.cls.direction = Direction::Evasion;
	r.cls.violation = true;
	r.cls.why = foreignSocketWhy(r, sock.fd.get()) + "; " + r.callName + "() refused";
	r.exception = -1;
	r.decision = Decision::Denied; // refused in every mode, as every evasion
}

void Supervisor::maybeSweepSockets()
{
	auto now = std::chrono::steady_clock::now();
	if (now < nextSweep_)
		return;
	nextSweep_ = now + kSocketSweepPeriod;
	sweepSockets();
}

void Supervisor::sweepSockets()
{
	std::unordered_set<pid_t> inFlight;
	for (const auto &[tid, t] : tracees_)
		if (t.newSocket)
			inFlight.insert(t.tgid);
	std::set<uint64_t> deferNext;
	ledger_.beginSweep();
	for (const auto &[tgid, index] : procIndex_)
		sweepProcess(tgid, inFlight.count(tgid) > 0, deferNext);
	ledger_.endSweep();
	deferred_ = std::move(deferNext);
}

void Supervisor::sweepProcess(pid_t tgid, bool inFlight, std::set<uint64_t> &deferNext)
{
	std::unique_ptr<DIR, int (*)(DIR *)> dir(opendir(procPath(tgid, "/fd").c_str()), closedir);
	if (!dir)
		return; // gone: its exit follows
	while (dirent *e = readdir(dir.get())) {
		if (e->d_name[0] == '.')
			continue;
		int fd = std::atoi(e->d_name);
		uint64_t inode = socketInode(readLink(procPath(tgid, "/fd/" + std::string(e->d_name))));
		if (inode == 0)
			continue;
		ledger_.seen(inode);
		if (ledger_.lookup(inode) != SocketLedger::Entry::Unknown)
			continue;
		// Put off once, never twice: the socket() in flight reaches its exit stop long before
		// the next sweep, and a socket from outside is still unknown then.
		if (inFlight && !deferred_.count(inode)) {
			deferNext.insert(inode);
			continue;
		}
		TraceeSocket sock = inspectSocket(pidfdOf(tgid), fd);
		if (!sock.fd || inodeOf(sock.fd.get()) != inode)
			continue; // closed or replaced meanwhile: the next sweep sees what is there
		if (socketOrigin(tgid, inode, sock) == SocketLedger::Entry::Foreign)
			recordForeignSocket(tgid, fd, sock);
	}
}

void Supervisor::recordForeignSocket(pid_t tgid, int fd, TraceeSocket &sock)
{
	Tracee &t = tracee(tgid);
	NetRecord r = newRecord(tgid, t);
	r.call = NetCall::Other;
	r.callName = "foreign_socket";
	r.arch = "x86_64";
	r.fd = fd;
	r.sock = sock.info;
	r.addr = peerAddress(sock.fd.get());
	r.boundAddr = localAddress(sock.fd.get());
	r.cls = Classification{Direction::Evasion, true, foreignSocketWhy(r, sock.fd.get())};
	r.decision = opts_.enforce ? Decision::Denied : Decision::Audited;
	if (opts_.enforce) {
		// Shut down on the gate's duplicate: the socket is one, so it carries nothing more for
		// the step (nor for whoever outside holds it).
		shutdown(sock.fd.get(), SHUT_RDWR);
		r.cls.why += "; the gate shut it down";
	}
	r.resultKnown = true;
	r.result = 0;
	sink_.onViolation(r);
	completeRecord(r);
}

void Supervisor::notePeerProcess(pid_t tid, NetRecord &r, int sockFd)
{
	ucred cred{};
	socklen_t len = sizeof(cred);
	if (getsockopt(sockFd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.pid <= 0 || inTree(cred.pid) ||
	    cred.pid == getpid())
		return;
	r.peerPid = cred.pid;
	r.peerExe = readLink(procPath(cred.pid, "/exe"));
	std::string who = r.peerExe.empty() ? readFirstLine(procPath(cred.pid, "/comm")) : r.peerExe;
	r.cls.why += "; at the other end: pid " + std::to_string(cred.pid) + (who.empty() ? "" : " (" + who + ")") +
		     ", outside the traced tree";
	const char *daemon = r.cls.direction == Direction::Local ? networkDaemonOfExe(r.peerExe) : nullptr;
	if (!daemon)
		return;
	// A daemon the socket list did not name (a socket bind-mounted or renamed): known by its
	// executable. The connect has happened; in enforce mode the gate shuts the socket down,
	// so the daemon gets no request over it.
	UnixTarget target = resolveUnixTarget(tid, r.addr);
	r.cls.direction = Direction::Delegated;
	r.cls.violation = true;
	r.cls.why += ": " + std::string(daemon) + ", which makes network calls for its clients";
	DecisionRules rules{opts_.allow, opts_.enforce, true, &resolved_};
	Judgement j = decide(r.call, r.cls, r.addr, rules, nullptr, &target);
	r.exception = j.exception;
	r.decision = j.decision;
	r.daemonSocket = daemonEndpoint(target);
	if (r.decision == Decision::Denied) {
		shutdown(sockFd, SHUT_RDWR);
		r.cls.why += "; the gate shut the connection down";
	}
	if (r.decision == Decision::Audited || r.decision == Decision::Denied)
		sink_.onViolation(r);
}

} // namespace hg
