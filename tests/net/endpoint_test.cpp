#include <netinet/in.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>

#include "net/endpoint.h"
#include "sockaddr_bytes.h"

using namespace hg;
using namespace hg::test;

TEST_CASE("isLoopback covers 127/8, ::1 and mapped 127/8 only", "[endpoint]")
{
	CHECK(v4Endpoint("127.0.0.1", 1).isLoopback());
	CHECK(v4Endpoint("127.255.0.9", 1).isLoopback());
	CHECK_FALSE(v4Endpoint("126.0.0.1", 1).isLoopback());
	CHECK_FALSE(v4Endpoint("128.0.0.1", 1).isLoopback());
	CHECK_FALSE(v4Endpoint("0.0.0.0", 1).isLoopback());
	CHECK(v6Endpoint("::1", 1).isLoopback());
	CHECK_FALSE(v6Endpoint("::2", 1).isLoopback());
	CHECK_FALSE(v6Endpoint("::", 1).isLoopback());
	CHECK_FALSE(v6Endpoint("::1:0:0:0:1", 1).isLoopback());
	CHECK(v6Endpoint("::ffff:127.0.0.1", 1).isLoopback());
	CHECK(v6Endpoint("::ffff:127.1.2.3", 1).isLoopback());
	CHECK_FALSE(v6Endpoint("::ffff:10.0.0.1", 1).isLoopback());

	CHECK_FALSE(Endpoint{}.isLoopback());
	CHECK_FALSE(decode(unixBytes("/tmp/s")).isLoopback());
	CHECK_FALSE(undecodableEndpoint(16, "EFAULT").isLoopback());
}

TEST_CASE("address() of every kind", "[endpoint]")
{
	CHECK(v4Endpoint("203.0.113.1", 443).address() == "203.0.113.1");
	CHECK(v6Endpoint("2001:db8::1", 443).address() == "2001:db8::1");
	CHECK(v6Endpoint("::ffff:198.51.100.2", 443).address() == "198.51.100.2");
	CHECK(decode(unixBytes("/run/x.sock")).address() == "/run/x.sock");
	CHECK(decode(familyOnly(AF_TIPC, 16)).address() == "family 30");
}

TEST_CASE("familyName knows Linux families and numbers the rest", "[endpoint]")
{
	auto [family, name] = GENERATE(table<int, std::string>({
		{ AF_UNSPEC, "AF_UNSPEC" },
		{ AF_UNIX, "AF_UNIX" },
		{ AF_INET, "AF_INET" },
		{ AF_AX25, "AF_AX25" },
		{ AF_IPX, "AF_IPX" },
		{ AF_APPLETALK, "AF_APPLETALK" },
		{ AF_X25, "AF_X25" },
		{ AF_INET6, "AF_INET6" },
		{ AF_NETLINK, "AF_NETLINK" },
		{ AF_PACKET, "AF_PACKET" },
		{ AF_RDS, "AF_RDS" },
		{ AF_MPLS, "AF_MPLS" },
		{ AF_CAN, "AF_CAN" },
		{ AF_TIPC, "AF_TIPC" },
		{ AF_BLUETOOTH, "AF_BLUETOOTH" },
		{ AF_ALG, "AF_ALG" },
		{ AF_VSOCK, "AF_VSOCK" },
		{ AF_KCM, "AF_KCM" },
		{ AF_QIPCRTR, "AF_QIPCRTR" },
		{ AF_XDP, "AF_XDP" },
		{ 45, "AF_MCTP" },
		{ 46, "AF_46" },
		{ 4242, "AF_4242" },
		{ -1, "AF_-1" },
	}));
	CAPTURE(family);
	CHECK(familyName(family) == name);
	CHECK((knownFamilyName(family) != nullptr) == (family >= 0 && family <= 45));
}

TEST_CASE("protocolLabel", "[endpoint]")
{
	auto [domain, type, protocol, label] = GENERATE(table<int, int, int, std::string>({
		{ AF_INET, SOCK_STREAM, IPPROTO_TCP, "tcp" },
		{ AF_INET6, SOCK_STREAM, 0, "tcp" },
		{ AF_INET, SOCK_DGRAM, IPPROTO_UDP, "udp" },
		{ AF_INET6, SOCK_DGRAM, IPPROTO_UDPLITE, "udp" },
		{ AF_INET, SOCK_RAW, IPPROTO_RAW, "raw" },
		{ AF_INET, SOCK_RAW, IPPROTO_ICMP, "icmp" },
		{ AF_INET, SOCK_DGRAM, IPPROTO_ICMP, "icmp" },
		{ AF_INET6, SOCK_RAW, IPPROTO_ICMPV6, "icmpv6" },
		{ AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP, "sctp" },
		{ AF_INET, SOCK_STREAM, IPPROTO_MPTCP, "mptcp" },
		{ AF_INET, SOCK_PACKET, 0, "packet" },
		{ AF_PACKET, SOCK_RAW, 0x0300, "packet" },
		{ AF_UNIX, SOCK_STREAM, 0, "unix-stream" },
		{ AF_UNIX, SOCK_DGRAM, 0, "unix-dgram" },
		{ AF_UNIX, SOCK_SEQPACKET, 0, "unix-seqpacket" },
		{ AF_NETLINK, SOCK_RAW, 0, "netlink" },
		{ AF_VSOCK, SOCK_STREAM, 0, "unknown" },
		{ AF_INET, SOCK_RDM, 0, "unknown" },
	}));
	CAPTURE(domain, type, protocol);
	SocketInfo sock{ true, domain, type, protocol };
	CHECK(protocolLabel(sock) == label);
	sock.known = false;
	CHECK(protocolLabel(sock) == "unknown");
}
