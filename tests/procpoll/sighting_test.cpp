#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>

#include "procpoll/sighting.h"

using namespace hg;

namespace {

// "203.0.113.1:443" or "[2001:db8::1]:443" -> a Decoded endpoint.
Endpoint ep(const std::string &text)
{
	Endpoint e;
	e.status = AddrStatus::Decoded;
	e.isIp = true;
	size_t colon = text.rfind(':');
	std::string host = text.substr(0, colon);
	e.port = static_cast<uint16_t>(std::stoi(text.substr(colon + 1)));
	if (host.front() == '[') {
		host = host.substr(1, host.size() - 2);
		e.family = AF_INET6;
		REQUIRE(inet_pton(AF_INET6, host.c_str(), e.ip.data()) == 1);
	} else {
		e.family = AF_INET;
		e.isV4 = true;
		REQUIRE(inet_pton(AF_INET, host.c_str(), e.ip.data()) == 1);
	}
	return e;
}

ProcSocket sock(const std::string &proto, const std::string &local, const std::string &remote, int state, uint64_t inode = 1)
{
	ProcSocket s;
	s.proto = proto;
	s.local = ep(local);
	s.remote = ep(remote);
	s.state = state;
	s.inode = inode;
	return s;
}

// Outbound exceptions for the specs in `outbound`, then inbound ones for `inbound`.
Allowlist allow(const std::vector<std::string> &outbound, const std::vector<std::string> &inbound = {})
{
	Allowlist a;
	for (const std::string &spec : outbound) {
		auto e = parseHostException(spec, "test");
		REQUIRE(e);
		a.add(std::move(*e));
	}
	for (const std::string &spec : inbound) {
		auto e = parseInboundException(spec, "test");
		REQUIRE(e);
		a.add(std::move(*e));
	}
	return a;
}

constexpr int kSynSent = 2, kTimeWait = 6, kCloseWait = 8;

} // namespace

TEST_CASE("roles of TCP table entries", "[procpoll][sighting]")
{
	std::vector<ProcSocket> none;
	auto est = sock("tcp", "203.0.113.2:40000", "203.0.113.1:443", kTcpEstablished);
	CHECK(socketRole(est, none) == SocketRole::Connect);
	CHECK(roleSettled(est, SocketRole::Connect));

	auto syn = sock("tcp", "203.0.113.2:40000", "203.0.113.1:443", kSynSent);
	CHECK(socketRole(syn, none) == SocketRole::Connect);
	CHECK_FALSE(roleSettled(syn, SocketRole::Connect)); // may still become ESTAB

	CHECK(socketRole(sock("tcp", "203.0.113.2:40000", "203.0.113.1:443", kCloseWait), none) == SocketRole::Connect);
	CHECK(socketRole(sock("tcp", "203.0.113.2:40000", "203.0.113.1:443", kTimeWait), none) == SocketRole::Ignore);
	CHECK(socketRole(sock("tcp", "0.0.0.0:8080", "0.0.0.0:0", kTcpListen), none) == SocketRole::Listen);
	CHECK(socketRole(sock("tcp", "0.0.0.0:8080", "0.0.0.0:0", 7), none) == SocketRole::Ignore);
	CHECK(socketRole(sock("tcp", "0.0.0.0:8080", "0.0.0.0:0", 0), none) == SocketRole::Ignore);
	CHECK(socketRole(sock("tcp", "0.0.0.0:8080", "0.0.0.0:0", 12), none) == SocketRole::Ignore);
}

TEST_CASE("an accepted connection is not a connect", "[procpoll][sighting]")
{
	std::vector<ProcSocket> listeners = {sock("tcp", "127.0.0.1:8080", "0.0.0.0:0", kTcpListen, 10),
					     sock("tcp6", "[::]:9090", "[::]:0", kTcpListen, 11)};
	// Server side of a loopback connection: local port 8080 on the listener's address.
	CHECK(socketRole(sock("tcp", "127.0.0.1:8080", "127.0.0.1:45000", kTcpEstablished), listeners) == SocketRole::Accepted);
	// The client side of the same connection is a connect.
	CHECK(socketRole(sock("tcp", "127.0.0.1:45000", "127.0.0.1:8080", kTcpEstablished), listeners) == SocketRole::Connect);
	// A wildcard IPv6 listener accepts on any address, v4-mapped ones included.
	auto mapped = sock("tcp6", "[::1]:9090", "[::1]:50000", kTcpEstablished);
	CHECK(socketRole(mapped, listeners) == SocketRole::Accepted);
	// Same port on another address than the (non-wildcard) listener's: a connect.
	CHECK(socketRole(sock("tcp", "10.0.0.2:8080", "203.0.113.1:443", kTcpEstablished), listeners) == SocketRole::Connect);
	// A SYN-SENT socket is never an accepted one.
	CHECK(socketRole(sock("tcp", "127.0.0.1:8080", "127.0.0.1:45000", kSynSent), listeners) == SocketRole::Connect);
	CHECK(roleSettled(sock("tcp", "127.0.0.1:8080", "127.0.0.1:45000", kTcpEstablished), SocketRole::Accepted));
}

TEST_CASE("roles of UDP, raw, ICMP and packet entries", "[procpoll][sighting]")
{
	std::vector<ProcSocket> none;
	auto bound = sock("udp", "0.0.0.0:5353", "0.0.0.0:0", kSocketClose);
	CHECK(socketRole(bound, none) == SocketRole::Bind);
	CHECK_FALSE(roleSettled(bound, SocketRole::Bind)); // may connect later
	auto connected = sock("udp", "10.0.0.2:41000", "203.0.113.1:53", kTcpEstablished);
	CHECK(socketRole(connected, none) == SocketRole::Connect);
	CHECK(roleSettled(connected, SocketRole::Connect));
	CHECK(socketRole(sock("udp6", "[::]:0", "[::]:0", kSocketClose), none) == SocketRole::Ignore);
	CHECK(socketRole(sock("raw", "0.0.0.0:1", "0.0.0.0:0", kSocketClose), none) == SocketRole::Open);
	CHECK(socketRole(sock("icmp", "0.0.0.0:7", "0.0.0.0:0", kSocketClose), none) == SocketRole::Open);
	ProcSocket packet;
	packet.proto = "packet";
	packet.local.status = AddrStatus::Decoded;
	packet.local.family = AF_PACKET;
	packet.local.pktProtocol = 0x0003;
	packet.local.pktIfindex = 2;
	packet.state = kSocketClose;
	CHECK(socketRole(packet, none) == SocketRole::Open);
	CHECK(socketRole(sock("sctp", "0.0.0.0:1", "0.0.0.0:0", 1), none) == SocketRole::Ignore);

	NetRecord r = sightingRecord(packet, SocketRole::Open, nullptr);
	CHECK(r.call == NetCall::Other);
	CHECK(r.callName == "socket");
	CHECK(r.cls.violation);
	CHECK(r.cls.direction == Direction::Outbound);
	CHECK(r.cls.why == "AF_PACKET socket open (protocol 0x0003, ifindex 2): it can send any frame");
	CHECK(r.decision == Decision::Audited);
}

TEST_CASE("socket kinds follow the table", "[procpoll][sighting]")
{
	SocketInfo tcp6 = socketInfoFor(sock("tcp6", "[::]:80", "[::]:0", kTcpListen));
	CHECK(tcp6.known);
	CHECK(tcp6.domain == AF_INET6);
	CHECK(tcp6.type == SOCK_STREAM);
	CHECK(tcp6.protocol == IPPROTO_TCP);
	SocketInfo udp = socketInfoFor(sock("udp", "0.0.0.0:53", "0.0.0.0:0", kSocketClose));
	CHECK(udp.domain == AF_INET);
	CHECK(udp.type == SOCK_DGRAM);
	CHECK(udp.protocol == IPPROTO_UDP);
	SocketInfo raw = socketInfoFor(sock("raw6", "[::]:58", "[::]:0", kSocketClose));
	CHECK(raw.type == SOCK_RAW);
	CHECK(raw.protocol == 58); // the protocol sits in the port column
	SocketInfo icmp = socketInfoFor(sock("icmp", "0.0.0.0:7", "0.0.0.0:0", kSocketClose));
	CHECK(icmp.type == SOCK_DGRAM);
	CHECK(icmp.protocol == IPPROTO_ICMP);
}

TEST_CASE("records are judged like trapped calls", "[procpoll][sighting]")
{
	SECTION("TCP connect: outbound violation, loopback included")
	{
		NetRecord r = sightingRecord(sock("tcp", "203.0.113.2:40000", "203.0.113.1:443", kTcpEstablished),
					     SocketRole::Connect, nullptr);
		CHECK(r.call == NetCall::Connect);
		CHECK(r.callName == "connect");
		CHECK(r.addr.address() == "203.0.113.1");
		CHECK(r.addr.port == 443);
		CHECK(r.boundAddr.port == 40000);
		CHECK(r.cls.why == "TCP connect to 203.0.113.1:443");
		CHECK(r.decision == Decision::Audited);
		CHECK(r.resultKnown);
		CHECK(r.result == 0);

		NetRecord lo = sightingRecord(sock("tcp", "127.0.0.1:40000", "127.0.0.1:8080", kTcpEstablished),
					      SocketRole::Connect, nullptr);
		CHECK(lo.decision == Decision::Audited);
	}
	SECTION("SYN-SENT: an attempt whose outcome is unknown")
	{
		NetRecord r = sightingRecord(sock("tcp", "203.0.113.2:40000", "203.0.113.1:443", kSynSent),
					     SocketRole::Connect, nullptr);
		CHECK(r.decision == Decision::Audited);
		CHECK_FALSE(r.resultKnown);
		CHECK(r.cls.why == "TCP connect to 203.0.113.1:443 (seen in SYN-SENT)");
	}
	SECTION("the outbound allowlist matches the remote address")
	{
		Allowlist out = allow({"203.0.113.0/24"}, {"0.0.0.0/0"});
		auto s = sock("tcp", "203.0.113.2:40000", "203.0.113.1:443", kTcpEstablished);
		NetRecord r = sightingRecord(s, SocketRole::Connect, &out);
		CHECK(r.decision == Decision::Allowed);
		CHECK(r.exception == 0);
		NetRecord other = sightingRecord(sock("tcp", "203.0.113.2:40000", "198.51.100.1:443", kTcpEstablished),
						 SocketRole::Connect, &out);
		CHECK(other.decision == Decision::Audited); // inbound exceptions are not consulted for a connect
		CHECK(other.exception == -1);
	}
	SECTION("UDP: loopback connect is logged, remote connect audited, bind inbound")
	{
		NetRecord lo = sightingRecord(sock("udp", "127.0.0.1:41000", "127.0.0.1:53", kTcpEstablished),
					      SocketRole::Connect, nullptr);
		CHECK(lo.decision == Decision::Logged);
		CHECK_FALSE(lo.cls.violation);
		NetRecord remote = sightingRecord(sock("udp", "203.0.113.2:41000", "203.0.113.1:53", kTcpEstablished),
						  SocketRole::Connect, nullptr);
		CHECK(remote.decision == Decision::Audited);
		CHECK(remote.cls.direction == Direction::Outbound);
		NetRecord bind = sightingRecord(sock("udp", "127.0.0.1:5353", "0.0.0.0:0", kSocketClose), SocketRole::Bind, nullptr);
		CHECK(bind.call == NetCall::Bind);
		CHECK(bind.cls.direction == Direction::Inbound);
		CHECK(bind.addr.port == 5353);
		CHECK(bind.decision == Decision::Audited);
		CHECK(bind.cls.why == "UDP bind to 127.0.0.1:5353 (an explicit bind, or the implicit bind of a sendto)");
	}
	SECTION("listen: inbound, the inbound allowlist matches the local address")
	{
		Allowlist both = allow({"0.0.0.0/0"}, {"127.0.0.1"});
		auto s = sock("tcp", "127.0.0.1:8080", "0.0.0.0:0", kTcpListen);
		NetRecord r = sightingRecord(s, SocketRole::Listen, &both);
		CHECK(r.call == NetCall::Listen);
		CHECK(r.addr.port == 8080);
		CHECK(r.cls.direction == Direction::Inbound);
		CHECK(r.decision == Decision::Allowed);
		NetRecord wild = sightingRecord(sock("tcp", "0.0.0.0:8080", "0.0.0.0:0", kTcpListen), SocketRole::Listen,
						&both);
		CHECK(wild.decision == Decision::Audited);
	}
	SECTION("raw and ICMP sockets: outbound, never allowed by an address")
	{
		Allowlist out = allow({"0.0.0.0/0"});
		NetRecord raw = sightingRecord(sock("raw", "0.0.0.0:1", "0.0.0.0:0", kSocketClose), SocketRole::Open, &out);
		CHECK(raw.call == NetCall::Other);
		CHECK(raw.decision == Decision::Audited);
		CHECK(raw.cls.why == "AF_INET raw socket open (protocol 1): it can send any packet");
		CHECK(raw.addr.status == AddrStatus::Absent);
		NetRecord ping = sightingRecord(sock("icmp6", "[::]:7", "[::]:0", kSocketClose), SocketRole::Open, nullptr);
		CHECK(ping.cls.why == "AF_INET6 ICMP datagram (ping) socket open");
		CHECK(ping.decision == Decision::Audited);
	}
}

TEST_CASE("a local port in the ephemeral range is taken as the kernel's choice", "[procpoll][sighting]")
{
	const PortRange range{32768, 60999};
	CHECK(reportedLocal(ep("127.0.0.1:32768"), range).port == 0);
	CHECK(reportedLocal(ep("127.0.0.1:60999"), range).port == 0);
	CHECK(reportedLocal(ep("127.0.0.1:32767"), range).port == 32767);
	CHECK(reportedLocal(ep("127.0.0.1:61000"), range).port == 61000);
	Endpoint v6 = reportedLocal(ep("[::]:40000"), range);
	CHECK(v6.port == 0);
	CHECK(v6.address() == "::");
	CHECK(reportedLocal(ep("[::]:40000"), PortRange{1024, 2048}).port == 40000); // the namespace's own range
	Endpoint unixPath;
	unixPath.status = AddrStatus::Decoded;
	unixPath.family = AF_UNIX;
	unixPath.port = 40000;
	CHECK(reportedLocal(unixPath, range).port == 40000); // only IP endpoints

	SightingContext ctx{range, nullptr};
	SECTION("listen: addr shows port 0, boundAddr keeps the real port; inbound exceptions see port 0")
	{
		Allowlist in = allow({}, {"127.0.0.1:41000"});
		auto s = sock("tcp", "127.0.0.1:41000", "0.0.0.0:0", kTcpListen);
		NetRecord r = sightingRecord(s, SocketRole::Listen, &in, ctx);
		CHECK(r.addr.address() == "127.0.0.1");
		CHECK(r.addr.port == 0);
		CHECK(r.boundAddr.port == 41000);
		CHECK(r.decision == Decision::Audited); // the run's real port never matches
		Allowlist any = allow({}, {"127.0.0.1"});
		CHECK(sightingRecord(s, SocketRole::Listen, &any, ctx).decision == Decision::Allowed);
	}
	SECTION("a port outside the range is reported as it is")
	{
		Allowlist in = allow({}, {"127.0.0.1:8080"});
		NetRecord r = sightingRecord(sock("tcp", "127.0.0.1:8080", "0.0.0.0:0", kTcpListen), SocketRole::Listen, &in, ctx);
		CHECK(r.addr.port == 8080);
		CHECK(r.decision == Decision::Allowed);
	}
	SECTION("UDP bind: the same rule")
	{
		NetRecord r = sightingRecord(sock("udp", "0.0.0.0:45000", "0.0.0.0:0", kSocketClose), SocketRole::Bind, nullptr, ctx);
		CHECK(r.addr.port == 0);
		CHECK(r.boundAddr.port == 45000);
		CHECK(r.cls.why == "UDP bind to 0.0.0.0:0 (an explicit bind, or the implicit bind of a sendto)");
	}
	SECTION("a connect's remote port is never rewritten")
	{
		NetRecord r = sightingRecord(sock("tcp", "127.0.0.1:45000", "127.0.0.1:41000", kTcpEstablished),
					     SocketRole::Connect, nullptr, ctx);
		CHECK(r.addr.port == 41000);
		CHECK(r.boundAddr.port == 45000);
	}
}

TEST_CASE("the tree's own listener a TCP connect reaches", "[procpoll][sighting]")
{
	const PortRange range{32768, 60999};
	const std::string ns = "net:[4026532000]";
	std::vector<LocalListener> listeners = {
		treeListener(sock("tcp", "127.0.0.1:41000", "0.0.0.0:0", kTcpListen, 10), ns, range),
		treeListener(sock("tcp6", "[::]:42000", "[::]:0", kTcpListen, 11), ns, range),
		treeListener(sock("tcp", "0.0.0.0:8080", "0.0.0.0:0", kTcpListen, 12), ns, range),
	};
	CHECK(listeners[0].inode == 10);
	CHECK(listeners[0].netns == ns);
	CHECK(listeners[0].local.port == 41000);
	CHECK(listeners[0].reported.port == 0);
	CHECK(listeners[0].sock.type == SOCK_STREAM);
	CHECK_FALSE(listeners[1].v6only); // not in /proc: [::] is taken as dual-stack
	CHECK(listeners[2].reported.port == 8080);

	auto client = [](const std::string &proto, const std::string &remote, int state = kTcpEstablished) {
		return sock(proto, proto == "tcp6" ? "[::1]:50000" : "127.0.0.1:50000", remote, state, 20);
	};
	CHECK(selfListener(client("tcp", "127.0.0.1:41000"), ns, listeners) == &listeners[0]);
	CHECK(selfListener(client("tcp", "127.0.0.1:41000", kSynSent), ns, listeners) == &listeners[0]);
	CHECK(selfListener(client("tcp", "127.0.0.1:41000"), "net:[4026531840]", listeners) == nullptr); // another namespace
	CHECK(selfListener(client("tcp", "127.0.0.2:41000"), ns, listeners) == nullptr); // not the listener's address
	CHECK(selfListener(client("tcp", "127.0.0.1:41001"), ns, listeners) == nullptr);
	CHECK(selfListener(client("tcp6", "[::1]:41000"), ns, listeners) == nullptr); // 127.0.0.1 does not take ::1
	ProcSocket mapped = client("tcp6", "[::1]:41000");
	mapped.remote = ep("127.0.0.1:41000"); // ::ffff:127.0.0.1 as the table parser decodes it
	mapped.remote.family = AF_INET6;
	mapped.remote.v4Mapped = true;
	CHECK(selfListener(mapped, ns, listeners) == &listeners[0]);
	CHECK(selfListener(client("tcp", "127.0.0.1:42000"), ns, listeners) == &listeners[1]); // dual-stack [::]
	CHECK(selfListener(client("tcp6", "[::1]:42000"), ns, listeners) == &listeners[1]);
	CHECK(selfListener(client("tcp", "127.9.9.9:8080"), ns, listeners) == &listeners[2]);
	CHECK(selfListener(client("tcp6", "[::1]:8080"), ns, listeners) == nullptr); // 0.0.0.0 takes no IPv6
	CHECK(selfListener(client("udp", "127.0.0.1:41000"), ns, listeners) == nullptr); // UDP reaches no TCP listener
	CHECK(selfListener(sock("tcp", "203.0.113.2:50000", "203.0.113.1:8080", kTcpEstablished), ns, listeners) == nullptr);
	CHECK(selfListener(sock("tcp", "127.0.0.1:41000", "0.0.0.0:0", kTcpListen, 10), ns, listeners) == nullptr);
	CHECK(selfListener(client("tcp", "127.0.0.1:41000"), ns, {}) == nullptr);
}

TEST_CASE("a self connection is judged with its listener's inbound exception", "[procpoll][sighting]")
{
	const PortRange range{32768, 60999};
	const std::string ns = "net:[4026532000]";
	LocalListener kernelPort = treeListener(sock("tcp", "127.0.0.1:41000", "0.0.0.0:0", kTcpListen, 10), ns, range);
	auto s = sock("tcp", "127.0.0.1:50000", "127.0.0.1:41000", kTcpEstablished, 20);
	SightingContext ctx{range, &kernelPort};

	NetRecord r = sightingRecord(s, SocketRole::Connect, nullptr, ctx);
	CHECK(r.cls.direction == Direction::Self);
	CHECK(r.cls.violation);
	CHECK(r.decision == Decision::Audited);
	CHECK(r.addr.port == 41000); // the destination as it was
	CHECK(r.listener.address() == "127.0.0.1");
	CHECK(r.listener.port == 0);
	CHECK(r.cls.why == "TCP connect to 127.0.0.1:41000: the step's own listener on 127.0.0.1:0 (port chosen by the kernel)");

	Allowlist inbound = allow({"203.0.113.0/24"}, {"127.0.0.1"});
	NetRecord allowed = sightingRecord(s, SocketRole::Connect, &inbound, ctx);
	CHECK(allowed.decision == Decision::Allowed);
	CHECK(allowed.exception == 1);
	Allowlist otherAddr = allow({}, {"127.0.0.2"});
	CHECK(sightingRecord(s, SocketRole::Connect, &otherAddr, ctx).decision == Decision::Audited);
	Allowlist realPort = allow({}, {"127.0.0.1:41000"});
	CHECK(sightingRecord(s, SocketRole::Connect, &realPort, ctx).decision == Decision::Audited);
	Allowlist outbound = allow({"127.0.0.1"});
	NetRecord asLoopback = sightingRecord(s, SocketRole::Connect, &outbound, ctx);
	CHECK(asLoopback.decision == Decision::Allowed); // an outbound exception for the destination still covers it
	CHECK(asLoopback.cls.direction == Direction::Self);

	NetRecord syn = sightingRecord(sock("tcp", "127.0.0.1:50000", "127.0.0.1:41000", kSynSent, 20), SocketRole::Connect,
				       &inbound, ctx);
	CHECK(syn.cls.direction == Direction::Self);
	CHECK(syn.decision == Decision::Allowed);
	CHECK_FALSE(syn.resultKnown);

	LocalListener fixedPort = treeListener(sock("tcp", "127.0.0.1:8080", "0.0.0.0:0", kTcpListen, 12), ns, range);
	NetRecord fixed = sightingRecord(sock("tcp", "127.0.0.1:50000", "127.0.0.1:8080", kTcpEstablished, 20),
					 SocketRole::Connect, nullptr, SightingContext{range, &fixedPort});
	CHECK(fixed.listener.port == 8080);
	CHECK(fixed.cls.why == "TCP connect to 127.0.0.1:8080: the step's own listener on 127.0.0.1:8080");

	NetRecord plain = sightingRecord(s, SocketRole::Connect, nullptr, SightingContext{range, nullptr});
	CHECK(plain.cls.direction == Direction::Outbound);
	CHECK(plain.listener.status == AddrStatus::Absent);
}

