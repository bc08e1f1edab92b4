// The supervisor's governed DNS (issue 11): queries sent to the step's resolvers are judged
// by the names they ask for, the thread that sent them is followed until it has read its
// answers, and the addresses an allowed name resolved to are allowed for the rest of the
// step. See tracer/dns_follow.h for what following costs.

#include <sys/socket.h>
#include <sys/syscall.h>

#include <cerrno>

#include "base/log.h"
#include "net/resolv_conf.h"
#include "tracer/send_on_copy.h"
#include "tracer/supervisor.h"

namespace hg {

namespace {

bool isInetStreamOrDatagram(const SocketInfo &sock)
{
	return sock.known && (sock.domain == AF_INET || sock.domain == AF_INET6) &&
	       (sock.type == SOCK_STREAM || sock.type == SOCK_DGRAM);
}

const char *ioCallName(uint64_t nr)
{
	switch (nr) {
	case SYS_write:
		return "write";
	case SYS_writev:
		return "writev";
	default:
		return "sendto";
	}
}

} // namespace

const Endpoint *Supervisor::resolverOf(const NetRecord &r, const TraceeSocket &sock, const DecodedCall &d,
				       Endpoint &peer) const
{
	// The step's own server on port 53 is a self connection, never a resolver: its answers
	// would let the step allow itself any address.
	if (!isInetStreamOrDatagram(sock.info) || r.cls.direction == Direction::Self)
		return nullptr;
	if (r.call != NetCall::Connect && !isSend(r.call))
		return nullptr;
	if (d.addrs.size() == 1 && isResolver(d.addrs[0], opts_.nameservers))
		return &d.addrs[0];
	// A send without an address on a socket connected to a resolver (glibc's sendmmsg).
	bool noAddress = !d.addrs.empty() &&
			 std::all_of(d.addrs.begin(), d.addrs.end(), [](const Endpoint &e) { return e.status == AddrStatus::Absent; });
	if (!isSend(r.call) || !noAddress || !sock.fd)
		return nullptr;
	peer = peerAddress(sock.fd.get());
	return isResolver(peer, opts_.nameservers) ? &peer : nullptr;
}

std::vector<std::pair<DnsQuery, int>> Supervisor::judgeQueries(NetRecord &r, const DnsSend &send,
							       const Endpoint &resolver)
{
	DecisionRules rules{opts_.allow, opts_.enforce, true, &resolved_};
	std::vector<std::pair<DnsQuery, int>> out;
	const std::string via = " to the resolver " + endpointTarget(resolver);
	r.listener = resolver;
	if (!send.problem.empty() || send.queries.empty()) {
		// Bytes to a resolver that are not a DNS query: data like any other.
		std::string why = send.problem.empty() ? "no DNS query in the data" : send.problem;
		r.cls = {Direction::Outbound, true, "data" + via + " that is not a DNS query (" + why + ")"};
		Judgement j = decide(r.call, r.cls, resolver, rules);
		r.exception = j.exception;
		r.decision = j.decision;
		return out;
	}
	int worst = -1;
	for (const DnsQuery &q : send.queries) {
		// A query is allowed when every name it asks is; its answers count for the first.
		int exception = -1;
		bool allowed = true;
		for (const DnsQuestion &question : q.questions) {
			Judgement j = decideQuery(question.name, rules);
			allowed = allowed && j.decision == Decision::Allowed;
			if (exception < 0)
				exception = j.exception;
			if (decisionRank(j.decision) > worst) {
				worst = decisionRank(j.decision);
				r.name = question.name;
				r.exception = j.exception;
				r.decision = j.decision;
				r.cls = {Direction::Dns, true,
					 "DNS query for " + question.name + " (" + dnsTypeName(question.type) + ")" + via};
			}
		}
		out.emplace_back(q, allowed ? exception : -1);
	}
	return out;
}

void Supervisor::judgeDnsSend(pid_t tid, Tracee &t, NetRecord &r, const DecodedCall &d, const Endpoint &resolver,
			      const TraceeSocket &sock)
{
	bool stream = sock.info.type == SOCK_STREAM;
	t.dnsStart = {};
	if (r.call == NetCall::Connect) {
		// A connect sends nothing: the queries that follow on the socket are judged.
		r.cls = {Direction::None, false,
			 protocolLabel(sock.info) + " connect to the resolver " + endpointTarget(resolver) +
				 ": the queries sent on it are judged by name"};
		r.exception = -1;
		r.decision = Decision::Logged;
		t.dnsStart = {true, r.fd, stream, {}};
		return;
	}
	TraceeMemory mem(tid);
	CopiedSend copy = copySend(d, mem);
	DnsSend send;
	if (!copy.problem.empty()) {
		send.problem = "its payload could not be read: " + copy.problem;
	} else {
		std::vector<std::vector<uint8_t>> buffers;
		for (const CopiedMessage &m : copy.msgs)
			buffers.push_back(m.data);
		DnsFollow scratch(r.fd, stream);
		DnsFollow &parser = t.dns && t.dns->fd() == r.fd ? *t.dns : scratch;
		send = parser.parseOutgoing(buffers);
	}
	auto queries = judgeQueries(r, send, resolver);
	t.dnsStart = {true, r.fd, stream, std::move(queries)};
}

void Supervisor::afterDnsCall(pid_t tid, const NetRecord &r)
{
	auto it = tracees_.find(tid);
	if (it == tracees_.end() || !it->second.dnsStart.active)
		return;
	Tracee &t = it->second;
	Tracee::DnsStart start = std::move(t.dnsStart);
	t.dnsStart = {};
	bool ok = r.resultKnown && (r.result >= 0 || (r.call == NetCall::Connect && r.result == -EINPROGRESS));
	if (!ok || start.fd < 0)
		return;
	if (!t.dns || t.dns->fd() != start.fd)
		t.dns = std::make_unique<DnsFollow>(start.fd, start.stream);
	for (const auto &[q, exception] : start.queries)
		t.dns->sent(q, exception);
}

void Supervisor::judgeDnsWrite(pid_t tid, Tracee &t, const IoCall &io)
{
	TraceeMemory mem(tid);
	DnsSend send = t.dns->parseOutgoing(ioBuffers(io, -1, mem, kMaxDnsCopy));
	if (t.dns->stream() && t.dns->pendingOut() > 0 && send.problem.empty())
		// Bytes of a message that does not end in this write would leave unjudged.
		send.problem = "a DNS message over TCP that does not end in this write";
	NetRecord r = newRecord(tid, t);
	r.arch = "x86_64";
	r.nr = static_cast<long>(io.sc.nr);
	r.call = io.sc.nr == SYS_sendto ? NetCall::Sendto : NetCall::Other;
	r.callName = ioCallName(io.sc.nr);
	r.fd = io.fd;
	r.len = io.sc.args[2];
	r.flags = io.sc.nr == SYS_sendto ? io.sc.args[3] : 0;
	TraceeSocket sock = inspectSocket(pidfdOf(t.tgid), io.fd);
	r.sock = sock.info;
	Endpoint resolver = sock.fd ? peerAddress(sock.fd.get()) : Endpoint{};
	auto queries = judgeQueries(r, send, resolver);
	if (r.decision == Decision::Denied) {
		sink_.onViolation(r);
		completeWithoutCall(tid, r, -EPERM, sock);
		return;
	}
	if (r.decision == Decision::Audited)
		sink_.onViolation(r);
	t.dnsStart = {true, io.fd, t.dns->stream(), std::move(queries)};
	t.inCall = true;
	t.pending = std::move(r);
	resume(tid, PTRACE_CONT); // the follow makes it PTRACE_SYSCALL: the exit stop completes the record
}

void Supervisor::learnAnswers(Tracee &t, const std::vector<std::vector<uint8_t>> &buffers)
{
	for (const auto &[query, answer] : t.dns->incoming(buffers)) {
		for (const DnsAddress &a : answer.addresses)
			resolved_.add(toEndpoint(a), query.name, query.exception);
		log::tracer().debug("DNS answer for {} ({}): {} address(es){}", query.name, dnsTypeName(query.type),
				    answer.addresses.size(), query.exception >= 0 ? ", allowed for the rest of the step" : "");
	}
}

void Supervisor::onDnsStop(pid_t tid, Tracee &t)
{
	auto info = ops_.syscallInfo(tid);
	if (!info && info.error().errnum == ESRCH)
		return;
	bool keep = info.ok() && t.dns->tick();
	if (keep && info->op == PTRACE_SYSCALL_INFO_ENTRY) {
		RawSyscall sc;
		sc.auditArch = info->arch;
		sc.nr = info->entry.nr;
		for (int i = 0; i < 6; i++)
			sc.args[i] = info->entry.args[i];
		IoCall io = classifyIo(sc);
		if (io.fd == t.dns->fd()) {
			switch (io.dir) {
			case IoDir::Out:
				judgeDnsWrite(tid, t, io);
				return;
			case IoDir::In:
				t.dns->readStarted(io);
				break;
			case IoDir::Close:
				keep = false;
				break;
			case IoDir::None:
				break;
			}
		}
	} else if (keep && info->op == PTRACE_SYSCALL_INFO_EXIT) {
		if (auto io = t.dns->takeRead()) {
			TraceeMemory mem(tid);
			learnAnswers(t, ioBuffers(*io, static_cast<long>(info->exit.rval), mem, kMaxDnsCopy));
		}
	}
	if (!keep || t.dns->done())
		t.dns.reset();
	resume(tid, PTRACE_CONT);
}

} // namespace hg
