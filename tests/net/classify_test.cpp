#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>

#include "net/classify.h"
#include "net/sockaddr.h"
#include "sockaddr_bytes.h"

using namespace hg;
using namespace hg::test;

namespace {

SocketInfo sock(int domain, int type, int protocol = 0)
{
	return SocketInfo{ true, domain, type, protocol };
}

const SocketInfo kTcp4 = sock(AF_INET, SOCK_STREAM, IPPROTO_TCP);
const SocketInfo kTcp6 = sock(AF_INET6, SOCK_STREAM, IPPROTO_TCP);
const SocketInfo kUdp4 = sock(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
const SocketInfo kUdp6 = sock(AF_INET6, SOCK_DGRAM, IPPROTO_UDP);
const SocketInfo kPing4 = sock(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
const SocketInfo kSctp4 = sock(AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP);
const SocketInfo kRaw4 = sock(AF_INET, SOCK_RAW, IPPROTO_RAW);
const SocketInfo kRaw6 = sock(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
const SocketInfo kPacket = sock(AF_PACKET, SOCK_RAW, 0x0300);
const SocketInfo kPacketDgram = sock(AF_PACKET, SOCK_DGRAM, 0x0300);
const SocketInfo kUnixStream = sock(AF_UNIX, SOCK_STREAM);
const SocketInfo kUnixDgram = sock(AF_UNIX, SOCK_DGRAM);
const SocketInfo kNetlink = sock(AF_NETLINK, SOCK_RAW);
const SocketInfo kVsock = sock(AF_VSOCK, SOCK_STREAM);
const SocketInfo kTipc = sock(AF_TIPC, SOCK_RDM);
const SocketInfo kBluetooth = sock(AF_BLUETOOTH, SOCK_STREAM, 3);
const SocketInfo kCanRaw = sock(AF_CAN, SOCK_RAW, 1);
const SocketInfo kFamily200 = sock(200, SOCK_STREAM);
const SocketInfo kUnknown{};

const Endpoint kNone{};
const Endpoint kPublic4 = v4Endpoint("203.0.113.1", 443);
const Endpoint kAny4 = v4Endpoint("0.0.0.0", 8080);
const Endpoint kLoop4 = v4Endpoint("127.0.0.1", 53);
const Endpoint kLoop6 = v6Endpoint("::1", 53);
const Endpoint kMappedLoop = v6Endpoint("::ffff:127.0.0.53", 53);
const Endpoint kMappedPublic = v6Endpoint("::ffff:198.51.100.7", 53);
const Endpoint kPublic6 = v6Endpoint("2001:db8::1", 53);
const Endpoint kUnspec = decode(familyOnly(AF_UNSPEC, 16));
const Endpoint kUnixPath = decode(unixBytes("/run/x.sock"));
const Endpoint kUnixAbstract = decode(unixBytes(std::string("\0name", 5)));
const Endpoint kNetlinkAddr = decode(familyOnly(AF_NETLINK, sizeof(sockaddr_nl)));
const Endpoint kPacketAddr = decode(familyOnly(AF_PACKET, sizeof(sockaddr_ll)));
const Endpoint kVsockAddr = decode(familyOnly(AF_VSOCK, 16));
const Endpoint kUnknownAddr = decode(familyOnly(200, 16));
const Endpoint kShort4 = decodeSockaddr(bytesOf(inet4("203.0.113.1", 443)), 8);
const Endpoint kEfault = undecodableEndpoint(16, "EFAULT reading 0x10");

constexpr auto Connect = NetCall::Connect;
constexpr auto Bind = NetCall::Bind;
constexpr auto Listen = NetCall::Listen;
constexpr auto Sendto = NetCall::Sendto;
constexpr auto Sendmsg = NetCall::Sendmsg;
constexpr auto Sendmmsg = NetCall::Sendmmsg;
constexpr auto Other = NetCall::Other;

constexpr auto None = Direction::None;
constexpr auto Local = Direction::Local;
constexpr auto Out = Direction::Outbound;
constexpr auto In = Direction::Inbound;

struct Case {
	const char *name;
	NetCall call;
	SocketInfo sock;
	Endpoint addr;
	Direction direction;
	bool violation;
};

} // namespace

TEST_CASE("classify: the rules as a table", "[classify]")
{
	const Case cases[] = {
		// Outbound inet, loopback included.
		{ "tcp connect public", Connect, kTcp4, kPublic4, Out, true },
		{ "tcp connect loopback", Connect, kTcp4, kLoop4, Out, true },
		{ "tcp6 connect ::1", Connect, kTcp6, kLoop6, Out, true },
		{ "tcp6 connect mapped", Connect, kTcp6, kMappedPublic, Out, true },
		{ "sctp connect", Connect, kSctp4, kPublic4, Out, true },
		{ "udp sendto public", Sendto, kUdp4, kPublic4, Out, true },
		{ "udp sendto loopback", Sendto, kUdp4, kLoop4, Out, true },
		{ "udp6 sendmsg", Sendmsg, kUdp6, kPublic6, Out, true },
		{ "udp6 sendmmsg loopback", Sendmmsg, kUdp6, kLoop6, Out, true },
		{ "ping sendto", Sendto, kPing4, kPublic4, Out, true },
		{ "tcp fast open sendto", Sendto, kTcp4, kPublic4, Out, true },
		{ "tcp fast open sendmsg to loopback", Sendmsg, kTcp6, kLoop6, Out, true },
		// Datagram connect to loopback is only logged.
		{ "udp connect 127.0.0.1", Connect, kUdp4, kLoop4, None, false },
		{ "udp6 connect ::1", Connect, kUdp6, kLoop6, None, false },
		{ "udp6 connect mapped loopback", Connect, kUdp6, kMappedLoop, None, false },
		{ "ping connect loopback", Connect, kPing4, kLoop4, None, false },
		{ "udp connect public", Connect, kUdp4, kPublic4, Out, true },
		{ "udp6 connect mapped public", Connect, kUdp6, kMappedPublic, Out, true },
		{ "udp6 connect with an AF_INET address", Connect, kUdp6, kPublic4, Out, true },
		// connect(AF_UNSPEC) disconnects; sendto(AF_UNSPEC) still sends.
		{ "udp connect AF_UNSPEC", Connect, kUdp4, kUnspec, None, false },
		{ "tcp connect AF_UNSPEC", Connect, kTcp4, kUnspec, None, false },
		{ "udp sendto AF_UNSPEC", Sendto, kUdp4, kUnspec, Out, true },
		{ "tcp connect AF_UNIX address", Connect, kTcp4, kUnixPath, Out, true },
		// Sends without an address ride on an already judged connect.
		{ "udp sendto no address", Sendto, kUdp4, kNone, None, false },
		{ "tcp sendmsg no address", Sendmsg, kTcp4, kNone, None, false },
		{ "udp6 sendmmsg no address", Sendmmsg, kUdp6, kNone, None, false },
		// Raw and packet sockets: any send or connect.
		{ "raw sendto no address", Sendto, kRaw4, kNone, Out, true },
		{ "raw sendto loopback", Sendto, kRaw4, kLoop4, Out, true },
		{ "raw connect loopback", Connect, kRaw4, kLoop4, Out, true },
		{ "raw6 sendmsg", Sendmsg, kRaw6, kPublic6, Out, true },
		{ "packet sendto no address", Sendto, kPacket, kNone, Out, true },
		{ "packet sendto ll address", Sendto, kPacket, kPacketAddr, Out, true },
		{ "packet dgram sendmsg", Sendmsg, kPacketDgram, kPacketAddr, Out, true },
		{ "packet connect", Connect, kPacket, kPacketAddr, Out, true },
		{ "can raw sendto", Sendto, kCanRaw, kNone, Out, true },
		// Inbound.
		{ "tcp listen", Listen, kTcp4, kNone, In, true },
		{ "tcp6 listen", Listen, kTcp6, kNone, In, true },
		{ "sctp listen", Listen, kSctp4, kNone, In, true },
		{ "udp bind", Bind, kUdp4, kAny4, In, true },
		{ "udp bind loopback", Bind, kUdp4, kLoop4, In, true },
		{ "udp6 bind", Bind, kUdp6, kLoop6, In, true },
		{ "raw bind", Bind, kRaw4, kAny4, In, true },
		{ "packet bind", Bind, kPacket, kPacketAddr, In, true },
		{ "tcp bind alone", Bind, kTcp4, kAny4, None, false },
		{ "tcp6 bind alone", Bind, kTcp6, kLoop6, None, false },
		{ "sctp bind alone", Bind, kSctp4, kAny4, None, false },
		// Local IPC.
		{ "unix connect path", Connect, kUnixStream, kUnixPath, Local, false },
		{ "unix connect abstract", Connect, kUnixStream, kUnixAbstract, Local, false },
		{ "unix sendto", Sendto, kUnixDgram, kUnixPath, Local, false },
		{ "unix send no address", Sendmsg, kUnixDgram, kNone, Local, false },
		{ "unix bind", Bind, kUnixStream, kUnixPath, Local, false },
		{ "unix listen", Listen, kUnixStream, kNone, Local, false },
		{ "unix undecodable", Connect, kUnixStream, kEfault, Local, false },
		{ "netlink sendto", Sendto, kNetlink, kNetlinkAddr, Local, false },
		{ "netlink bind", Bind, kNetlink, kNetlinkAddr, Local, false },
		{ "unix other syscall", Other, kUnixStream, kNone, Local, false },
		// Other families.
		{ "vsock connect", Connect, kVsock, kVsockAddr, Out, true },
		{ "vsock send no address", Sendmsg, kVsock, kNone, Out, true },
		{ "tipc sendto", Sendto, kTipc, kNone, Out, true },
		{ "bluetooth connect", Connect, kBluetooth, kUnknownAddr, Out, true },
		{ "unknown family connect", Connect, kFamily200, kUnknownAddr, Out, true },
		{ "vsock listen", Listen, kVsock, kNone, In, true },
		{ "vsock bind", Bind, kVsock, kVsockAddr, None, false },
		// Undecodable addresses are never silent.
		{ "tcp connect efault", Connect, kTcp4, kEfault, Out, true },
		{ "udp connect truncated", Connect, kUdp4, kShort4, Out, true },
		{ "udp sendto efault", Sendto, kUdp4, kEfault, Out, true },
		{ "tcp bind efault", Bind, kTcp4, kEfault, In, true },
		// Unknown socket: the address decides, inet counts as stream.
		{ "unknown connect public", Connect, kUnknown, kPublic4, Out, true },
		{ "unknown connect loopback", Connect, kUnknown, kLoop4, Out, true },
		{ "unknown sendto v6", Sendto, kUnknown, kPublic6, Out, true },
		{ "unknown bind inet", Bind, kUnknown, kAny4, In, true },
		{ "unknown connect vsock", Connect, kUnknown, kVsockAddr, Out, true },
		{ "unknown connect AF_UNSPEC", Connect, kUnknown, kUnspec, Out, true },
		{ "unknown sendto packet", Sendto, kUnknown, kPacketAddr, Out, true },
		{ "unknown connect efault", Connect, kUnknown, kEfault, Out, true },
		{ "unknown connect unix", Connect, kUnknown, kUnixPath, Local, false },
		{ "unknown sendto netlink", Sendto, kUnknown, kNetlinkAddr, Local, false },
		{ "unknown send no address", Sendmsg, kUnknown, kNone, None, false },
		{ "unknown listen", Listen, kUnknown, kNone, In, true },
		// A trapped call the decoder does not model.
		{ "other on tcp", Other, kTcp4, kNone, Out, true },
		{ "other on unknown", Other, kUnknown, kNone, Out, true },
	};

	for (const Case &c : cases) {
		INFO(c.name);
		Classification cls = classify(c.call, c.sock, c.addr);
		INFO(cls.why);
		CHECK(cls.direction == c.direction);
		CHECK(cls.violation == c.violation);
		CHECK_FALSE(cls.why.empty());
	}
}

TEST_CASE("classify: why names protocol, call and destination", "[classify]")
{
	CHECK(classify(Connect, kTcp4, kPublic4).why == "TCP connect to 203.0.113.1:443");
	CHECK(classify(Sendto, kUdp6, kPublic6).why == "UDP send to [2001:db8::1]:53 (sendto)");
	CHECK(classify(Sendmsg, kUdp6, kMappedPublic).why == "UDP send to 198.51.100.7:53 (sendmsg)");
	CHECK(classify(Listen, kTcp6, kNone).why == "TCP listen");
	CHECK(classify(Bind, kUdp4, kAny4).why == "UDP bind to 0.0.0.0:8080");
	CHECK(classify(Connect, kUnixStream, kUnixAbstract).why == "unix-stream connect to AF_UNIX @name");
	CHECK(classify(Sendto, kPacket, kNone).why == "AF_PACKET send without an address (sendto)");
	CHECK(classify(Connect, kTcp4, kEfault).why ==
	      "connect to undecodable: EFAULT reading 0x10 (address could not be decoded)");
}

TEST_CASE("names of calls and directions", "[classify]")
{
	CHECK(std::string(netCallName(Connect)) == "connect");
	CHECK(std::string(netCallName(Bind)) == "bind");
	CHECK(std::string(netCallName(Listen)) == "listen");
	CHECK(std::string(netCallName(Sendto)) == "sendto");
	CHECK(std::string(netCallName(Sendmsg)) == "sendmsg");
	CHECK(std::string(netCallName(Sendmmsg)) == "sendmmsg");
	CHECK(std::string(netCallName(Other)) == "other");
	CHECK(std::string(directionName(None)) == "none");
	CHECK(std::string(directionName(Local)) == "local");
	CHECK(std::string(directionName(Out)) == "outbound");
	CHECK(std::string(directionName(In)) == "inbound");
}
