#include "procpoll/sighting.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>

namespace hg {

namespace {

constexpr int kTcpSynSent = 2;
constexpr int kTcpSynRecv = 3;
constexpr int kTcpTimeWait = 6;
constexpr int kTcpClose = 7;

bool startsWith(const std::string &s, const char *prefix)
{
	return s.rfind(prefix, 0) == 0;
}

std::string openWhy(const ProcSocket &s, const SocketInfo &info)
{
	char proto[8];
	if (s.proto == "packet") {
		snprintf(proto, sizeof(proto), "0x%04x", s.local.pktProtocol);
		return "AF_PACKET socket open (protocol " + std::string(proto) + ", ifindex " +
		       std::to_string(s.local.pktIfindex) + "): it can send any frame";
	}
	if (info.type == SOCK_DGRAM)
		return familyName(info.domain) + " ICMP datagram (ping) socket open";
	return familyName(info.domain) + " raw socket open (protocol " + std::to_string(info.protocol) +
	       "): it can send any packet";
}

} // namespace

const char *socketRoleName(SocketRole role)
{
	switch (role) {
	case SocketRole::Ignore:
		return "ignore";
	case SocketRole::Connect:
		return "connect";
	case SocketRole::Accepted:
		return "accepted";
	case SocketRole::Listen:
		return "listen";
	case SocketRole::Bind:
		return "bind";
	case SocketRole::Open:
		return "open";
	}
	return "ignore";
}

SocketRole socketRole(const ProcSocket &s, const std::vector<ProcSocket> &listeners)
{
	if (startsWith(s.proto, "raw") || startsWith(s.proto, "icmp") || s.proto == "packet")
		return SocketRole::Open;
	if (startsWith(s.proto, "udp")) {
		if (s.state == kTcpEstablished)
			return SocketRole::Connect;
		return s.local.port != 0 ? SocketRole::Bind : SocketRole::Ignore;
	}
	if (!startsWith(s.proto, "tcp"))
		return SocketRole::Ignore;
	if (s.state == kTcpListen)
		return SocketRole::Listen;
	// SYN-RECV entries are request sockets without an inode; TIME-WAIT ones have none
	// either; CLOSE sockets are not in the table. Everything else came from a connect()
	// or an accept().
	if (s.state <= 0 || s.state == kTcpSynRecv || s.state == kTcpTimeWait || s.state == kTcpClose || s.state > 11)
		return SocketRole::Ignore;
	if (s.state != kTcpSynSent) {
		for (const ProcSocket &l : listeners) {
			if (l.state == kTcpListen && startsWith(l.proto, "tcp") && l.local.port == s.local.port &&
			    (isWildcardIp(l.local) || sameIp(l.local, s.local)))
				return SocketRole::Accepted;
		}
	}
	return SocketRole::Connect;
}

bool roleSettled(const ProcSocket &s, SocketRole role)
{
	switch (role) {
	case SocketRole::Ignore:
	case SocketRole::Bind:
		return false;
	case SocketRole::Connect:
		return !(startsWith(s.proto, "tcp") && s.state == kTcpSynSent);
	case SocketRole::Accepted:
	case SocketRole::Listen:
	case SocketRole::Open:
		return true;
	}
	return false;
}

SocketInfo socketInfoFor(const ProcSocket &s)
{
	SocketInfo info;
	info.known = true;
	if (s.proto == "packet") {
		info.domain = AF_PACKET;
		info.type = SOCK_RAW;
		info.protocol = s.local.pktProtocol;
		return info;
	}
	bool v6 = !s.proto.empty() && s.proto.back() == '6';
	info.domain = v6 ? AF_INET6 : AF_INET;
	if (startsWith(s.proto, "tcp")) {
		info.type = SOCK_STREAM;
		info.protocol = IPPROTO_TCP;
	} else if (startsWith(s.proto, "udp")) {
		info.type = SOCK_DGRAM;
		info.protocol = IPPROTO_UDP;
	} else if (startsWith(s.proto, "icmp")) {
		info.type = SOCK_DGRAM;
		info.protocol = v6 ? static_cast<int>(IPPROTO_ICMPV6) : static_cast<int>(IPPROTO_ICMP);
	} else {
		// /proc/net/raw prints the socket's protocol in the local port column.
		info.type = SOCK_RAW;
		info.protocol = s.local.port;
	}
	return info;
}

Endpoint reportedLocal(const Endpoint &local, const PortRange &ephemeral)
{
	Endpoint ep = local;
	if (ep.isIp && ep.port != 0 && ephemeral.contains(ep.port))
		ep.port = 0;
	return ep;
}

LocalListener treeListener(const ProcSocket &l, const std::string &netns, const PortRange &ephemeral)
{
	LocalListener out;
	out.inode = l.inode;
	out.netns = netns;
	out.sock = socketInfoFor(l);
	out.local = l.local;
	out.reported = reportedLocal(l.local, ephemeral);
	return out;
}

const LocalListener *selfListener(const ProcSocket &s, const std::string &netns,
				  const std::vector<LocalListener> &listeners)
{
	if (!startsWith(s.proto, "tcp") || s.state == kTcpListen)
		return nullptr;
	SocketInfo sock = socketInfoFor(s);
	for (const LocalListener &l : listeners)
		if (l.netns == netns && reaches(l, sock, s.remote))
			return &l;
	return nullptr;
}

NetRecord sightingRecord(const ProcSocket &s, SocketRole role, const Allowlist *allow, const SightingContext &ctx)
{
	NetRecord r;
	r.sock = socketInfoFor(s);
	r.boundAddr = s.local;
	r.resultKnown = true;
	r.result = 0;
	switch (role) {
	case SocketRole::Connect:
		r.call = NetCall::Connect;
		r.addr = s.remote;
		r.cls = classify(r.call, r.sock, r.addr);
		if (startsWith(s.proto, "tcp") && s.state != kTcpEstablished) {
			r.cls.why += " (seen in " + ssStateName(s.proto, s.state) + ")";
			if (s.state == kTcpSynSent)
				r.resultKnown = false; // still in progress: its outcome is not known
		}
		if (ctx.self && r.cls.violation) {
			r.cls.direction = Direction::Self;
			r.cls.why += ": the step's own listener on " + endpointTarget(ctx.self->reported) +
				     (ctx.self->reported.port != ctx.self->local.port ? " (port chosen by the kernel)" : "");
			r.listener = ctx.self->reported;
		}
		break;
	case SocketRole::Listen:
		r.call = NetCall::Listen;
		r.addr = reportedLocal(s.local, ctx.ephemeral);
		r.cls = classify(r.call, r.sock, Endpoint{});
		break;
	case SocketRole::Bind:
		r.call = NetCall::Bind;
		r.addr = reportedLocal(s.local, ctx.ephemeral);
		r.cls = classify(r.call, r.sock, r.addr);
		r.cls.why += " (an explicit bind, or the implicit bind of a sendto)";
		break;
	case SocketRole::Open:
	case SocketRole::Accepted:
	case SocketRole::Ignore:
		// An open raw/packet/ICMP socket matches no call the tracer models.
		r.call = NetCall::Other;
		r.callName = "socket";
		if (s.remote.isIp && !isWildcardIp(s.remote))
			r.addr = s.remote;
		r.cls = classify(r.call, r.sock, r.addr);
		r.cls.why = openWhy(s, r.sock);
		break;
	}
	if (r.call != NetCall::Other)
		r.callName = netCallName(r.call);
	// A poller sees sockets after the calls: it can refuse nothing.
	Judgement j = decide(r.call, r.cls, r.addr, DecisionRules{allow, false, false},
			     r.cls.direction == Direction::Self ? &r.listener : nullptr);
	r.exception = j.exception;
	r.decision = j.decision;
	return r;
}

} // namespace hg
