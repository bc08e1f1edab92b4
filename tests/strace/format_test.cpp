// Syscall lines of src/strace/format.h against strace 6.1's own output. The column is the
// width of the "622   " pid prefix strace wrote before each line.

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <catch2/catch.hpp>
#include <cstddef>

#include "../net/sockaddr_bytes.h"
#include "fake_memory.h"
#include "strace/format.h"
#include "strace/names.h"

using hg::test::call;
using hg::test::inet4;
using hg::test::Tracee;

namespace {

constexpr uint64_t kAddr = 0x7ffdd8581bb0;
constexpr uint64_t kLen = 0x7ffdd8581d00;
constexpr uint64_t kBuf = 0x7ffdd8581bc0;

} // namespace

TEST_CASE("socket: families, type flags and protocols", "[strace]")
{
	Tracee t;
	CHECK(t.line(call("socket", { AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0 }), 3) ==
	      "socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 3");
	CHECK(t.line(call("socket", { AF_INET, SOCK_DGRAM, IPPROTO_UDP }), 3) == "socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP) = 3");
	CHECK(t.line(call("socket", { AF_INET6, SOCK_DGRAM, 0 }), 3) == "socket(AF_INET6, SOCK_DGRAM, IPPROTO_IP) = 3");
	CHECK(t.line(call("socket", { AF_UNIX, SOCK_STREAM, 0 }), 3) == "socket(AF_UNIX, SOCK_STREAM, 0)   = 3");
	CHECK(t.line(call("socket", { AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0 }), 3) == "socket(AF_UNIX, SOCK_DGRAM|SOCK_CLOEXEC, 0) = 3");
	CHECK(t.line(call("socket", { AF_UNIX, SOCK_SEQPACKET, 0 }), 3) == "socket(AF_UNIX, SOCK_SEQPACKET, 0) = 3");
	CHECK(t.line(call("socket", { AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE }), 3) ==
	      "socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_ROUTE) = 3");
	CHECK(t.line(call("socket", { AF_NETLINK, SOCK_DGRAM, 99 }), -EPROTONOSUPPORT) ==
	      "socket(AF_NETLINK, SOCK_DGRAM, 0x63 /* NETLINK_??? */) = -1 EPROTONOSUPPORT (Protocol not supported)");
	CHECK(t.line(call("socket", { AF_PACKET, SOCK_RAW, htons(ETH_P_ALL) }), 3) == "socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL)) = 3");
	CHECK(t.line(call("socket", { AF_PACKET, SOCK_RAW, htons(0x1234) }), 3) ==
	      "socket(AF_PACKET, SOCK_RAW, htons(0x1234 /* ETH_P_??? */)) = 3");
	CHECK(t.line(call("socket", { AF_INET6, SOCK_RAW, IPPROTO_ICMPV6 }), 3) == "socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6) = 3");
	CHECK(t.line(call("socket", { AF_INET, SOCK_DGRAM, 200 }), -EPROTONOSUPPORT) ==
	      "socket(AF_INET, SOCK_DGRAM, 0xc8 /* IPPROTO_??? */) = -1 EPROTONOSUPPORT (Protocol not supported)");
	CHECK(t.line(call("socket", { 200, SOCK_STREAM, 0 }), -EAFNOSUPPORT) ==
	      "socket(0xc8 /* AF_??? */, SOCK_STREAM, 0) = -1 EAFNOSUPPORT (Address family not supported by protocol)");
	CHECK(t.line(call("socket", { AF_INET, 99, 0 }), -EINVAL) ==
	      "socket(AF_INET, SOCK_RAW|0x60 /* SOCK_??? */, IPPROTO_IP) = -1 EINVAL (Invalid argument)");
	CHECK(t.line(call("socket", { AF_INET, SOCK_STREAM | 0x100000, 0 }), -EINVAL) ==
	      "socket(AF_INET, SOCK_STREAM|0x100000 /* SOCK_??? */, IPPROTO_IP) = -1 EINVAL (Invalid argument)");
	CHECK(t.line(call("socket", { AF_INET, 7, 0 }), -ESOCKTNOSUPPORT) ==
	      "socket(AF_INET, 0x7 /* SOCK_??? */, IPPROTO_IP) = -1 ESOCKTNOSUPPORT (Socket type not supported)");
	CHECK(t.line(call("socket", { AF_INET, 7 | SOCK_CLOEXEC, 0 }), -ESOCKTNOSUPPORT) ==
	      "socket(AF_INET, SOCK_CLOEXEC|0x7, IPPROTO_IP) = -1 ESOCKTNOSUPPORT (Socket type not supported)");
	CHECK(t.line(call("socket", { AF_VSOCK, SOCK_STREAM, 0 }), 3) == "socket(AF_VSOCK, SOCK_STREAM, 0)  = 3");
	CHECK(t.line(call("socket", { AF_INET, SOCK_PACKET, 0 }), 3) == "socket(AF_INET, SOCK_PACKET, IPPROTO_IP) = 3");
}

TEST_CASE("socket results and descriptors under -y", "[strace]")
{
	Tracee t;
	t.opt.decodeFds = true;
	t.fdPath = [](int fd) { return fd == 3 ? std::string("socket:[11928655]") : std::string(); };
	CHECK(t.line(call("socket", { AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0 }), 3) ==
	      "socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 3<socket:[11928655]>");
	t.mem.putValue(kAddr, inet4("127.0.0.1", 47955));
	CHECK(t.line(call("sendto", { 3, 0x1, 5, 0, 0, 0 }), -EFAULT) ==
	      "sendto(3<socket:[11928655]>, 0x1, 5, 0, NULL, 0) = -1 EFAULT (Bad address)");
	// An fd the tracer cannot name prints bare.
	CHECK(t.line(call("listen", { 99, 0 }), -EBADF) == "listen(99, 0)                     = -1 EBADF (Bad file descriptor)");
}

TEST_CASE("socketpair prints the pair at exit", "[strace]")
{
	Tracee t;
	int fds[2] = { 3, 4 };
	t.mem.putValue(kAddr, fds);
	CHECK(t.line(call("socketpair", { AF_UNIX, SOCK_STREAM, 0, kAddr }), 0) == "socketpair(AF_UNIX, SOCK_STREAM, 0, [3, 4]) = 0");
	CHECK(t.line(call("socketpair", { AF_INET, SOCK_STREAM, 0, 0x7ffd3dae75d8 }), -EOPNOTSUPP) ==
	      "socketpair(AF_INET, SOCK_STREAM, 0, 0x7ffd3dae75d8) = -1 EOPNOTSUPP (Operation not supported)");
	CHECK(t.line(call("socketpair", { AF_UNIX, SOCK_STREAM, 0, 1 }), -EFAULT) ==
	      "socketpair(AF_UNIX, SOCK_STREAM, 0, 0x1) = -1 EFAULT (Bad address)");
	// An array under -s: strace 6.1 -s 0 and -s 1 print these.
	t.opt.strsize = 0;
	CHECK(t.line(call("socketpair", { AF_UNIX, SOCK_STREAM, 0, kAddr }), 0) == "socketpair(AF_UNIX, SOCK_STREAM, 0, [...]) = 0");
	t.opt.strsize = 1;
	CHECK(t.line(call("socketpair", { AF_UNIX, SOCK_STREAM, 0, kAddr }), 0) == "socketpair(AF_UNIX, SOCK_STREAM, 0, [3, ...]) = 0");
	t.opt.strsize = 32;

	t.opt.decodeFds = true;
	t.fdPath = [](int fd) { return "socket:[" + std::to_string(11928676 + fd) + "]"; };
	CHECK(t.line(call("socketpair", { AF_UNIX, SOCK_STREAM, 0, kAddr }), 0) ==
	      "socketpair(AF_UNIX, SOCK_STREAM, 0, [3<socket:[11928679]>, 4<socket:[11928680]>]) = 0");
}

TEST_CASE("bind, connect, listen, shutdown", "[strace]")
{
	Tracee t;
	t.mem.putValue(kAddr, inet4("127.0.0.1", 0));
	CHECK(t.line(call("bind", { 3, kAddr, 16 }), 0) ==
	      "bind(3, {sa_family=AF_INET, sin_port=htons(0), sin_addr=inet_addr(\"127.0.0.1\")}, 16) = 0");
	CHECK(t.line(call("listen", { 3, 5 }), 0) == "listen(3, 5)                      = 0");
	CHECK(t.line(call("listen", { 3, static_cast<uint64_t>(-1) }), 0) == "listen(3, -1)                     = 0");
	t.mem.putValue(kAddr, inet4("127.0.0.1", 41267));
	CHECK(t.line(call("connect", { 4, kAddr, 16 }), -EINPROGRESS) ==
	      "connect(4, {sa_family=AF_INET, sin_port=htons(41267), sin_addr=inet_addr(\"127.0.0.1\")}, 16) = -1 EINPROGRESS (Operation now in progress)");
	t.mem.putValue(kAddr, inet4("127.0.0.1", 1));
	CHECK(t.line(call("connect", { 13, kAddr, 16 }), -ECONNREFUSED) ==
	      "connect(13, {sa_family=AF_INET, sin_port=htons(1), sin_addr=inet_addr(\"127.0.0.1\")}, 16) = -1 ECONNREFUSED (Connection refused)");
	CHECK(t.line(call("connect", { 7, 0x1, 16 }), -EFAULT) == "connect(7, 0x1, 16)               = -1 EFAULT (Bad address)");
	CHECK(t.line(call("connect", { 7, kAddr, 1 }), -EINVAL) == "connect(7, 0x7ffdd8581bb0, 1)     = -1 EINVAL (Invalid argument)");
	CHECK(t.line(call("connect", { 7, kAddr, 0 }), -EINVAL) == "connect(7, 0x7ffdd8581bb0, 0)     = -1 EINVAL (Invalid argument)");
	CHECK(t.line(call("connect", { 7, 0, 0 }), -EINVAL) == "connect(7, NULL, 0)               = -1 EINVAL (Invalid argument)");
	CHECK(t.line(call("shutdown", { 4, SHUT_WR }), 0) == "shutdown(4, SHUT_WR)              = 0");
	CHECK(t.line(call("shutdown", { 4, SHUT_RDWR }), 0) == "shutdown(4, SHUT_RDWR)            = 0");
	CHECK(t.line(call("shutdown", { 4, 7 }), -EINVAL) == "shutdown(4, 0x7 /* SHUT_??? */)   = -1 EINVAL (Invalid argument)");
}

TEST_CASE("sockaddr families as connect prints them", "[strace]")
{
	Tracee t;
	sockaddr_in6 s6{};
	s6.sin6_family = AF_INET6;
	s6.sin6_port = htons(8080);
	s6.sin6_flowinfo = htonl(7);
	s6.sin6_scope_id = 3;
	inet_pton(AF_INET6, "2001:db8::1", &s6.sin6_addr);
	t.mem.putValue(kAddr, s6);
	CHECK(t.line(call("connect", { 6, kAddr, 28 }), -EHOSTUNREACH) ==
	      "connect(6, {sa_family=AF_INET6, sin6_port=htons(8080), sin6_flowinfo=htonl(7), inet_pton(AF_INET6, \"2001:db8::1\", &sin6_addr), sin6_scope_id=3}, 28) = -1 EHOSTUNREACH (No route to host)");
	CHECK(t.line(call("connect", { 6, kAddr, 24 }), -EHOSTUNREACH) ==
	      "connect(6, {sa_family=AF_INET6, sin6_port=htons(8080), sin6_flowinfo=htonl(7), inet_pton(AF_INET6, \"2001:db8::1\", &sin6_addr)}, 24) = -1 EHOSTUNREACH (No route to host)");
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &s6.sin6_addr);
	t.mem.putValue(kAddr, s6);
	CHECK(t.line(call("connect", { 6, kAddr, 28 }), -ENETUNREACH) ==
	      "connect(6, {sa_family=AF_INET6, sin6_port=htons(8080), sin6_flowinfo=htonl(7), inet_pton(AF_INET6, \"::ffff:127.0.0.1\", &sin6_addr), sin6_scope_id=3}, 28) = -1 ENETUNREACH (Network is unreachable)");

	sockaddr_in6 zero6{};
	zero6.sin6_family = AF_INET6;
	t.mem.putValue(kAddr, zero6);
	CHECK(t.line(call("connect", { 8, kAddr, 20 }), -EAFNOSUPPORT) ==
	      "connect(8, {sa_family=AF_INET6, sa_data=\"\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\"}, 20) = -1 EAFNOSUPPORT (Address family not supported by protocol)");
	CHECK(t.line(call("connect", { 8, kAddr, 8 }), -EINVAL) ==
	      "connect(8, {sa_family=AF_INET6, sa_data=\"\\0\\0\\0\\0\\0\\0\"}, 8) = -1 EINVAL (Invalid argument)");

	t.mem.putValue(kAddr, inet4("0.0.0.0", 80));
	CHECK(t.line(call("connect", { 8, kAddr, 2 }), -EINVAL) == "connect(8, {sa_family=AF_INET}, 2) = -1 EINVAL (Invalid argument)");
	CHECK(t.line(call("connect", { 8, kAddr, 3 }), -EINVAL) ==
	      "connect(8, {sa_family=AF_INET, sa_data=\"\\0\"}, 3) = -1 EINVAL (Invalid argument)");
	std::vector<uint8_t> big(200);
	auto sin = inet4("0.0.0.0", 80);
	std::memcpy(big.data(), &sin, sizeof(sin));
	t.mem.put(kAddr, big);
	CHECK(t.line(call("connect", { 8, kAddr, 200 }), -EINVAL) ==
	      "connect(8, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr(\"0.0.0.0\")}, 200) = -1 EINVAL (Invalid argument)");

	std::vector<uint8_t> generic = { 200, 0, 'a', 'b', 0, 1, 0, 0 };
	t.mem.put(kAddr, generic);
	CHECK(t.line(call("connect", { 12, kAddr, 8 }), -EINVAL) ==
	      "connect(12, {sa_family=0xc8 /* AF_??? */, sa_data=\"ab\\0\\1\\0\\0\"}, 8) = -1 EINVAL (Invalid argument)");
}

TEST_CASE("AF_UNIX, AF_NETLINK and AF_PACKET addresses", "[strace]")
{
	Tracee t;
	sockaddr_un un{};
	un.sun_family = AF_UNIX;
	std::strcpy(un.sun_path, "/tmp/sf/sock\n1");
	t.mem.putValue(kAddr, un);
	CHECK(t.line(call("bind", { 7, kAddr, 110 }), 0) == "bind(7, {sa_family=AF_UNIX, sun_path=\"/tmp/sf/sock\\n1\"}, 110) = 0");
	CHECK(t.line(call("bind", { 7, kAddr, 17 }), -EADDRINUSE) ==
	      "bind(7, {sa_family=AF_UNIX, sun_path=\"/tmp/sf/sock\\n1\"}, 17) = -1 EADDRINUSE (Address already in use)");
	CHECK(t.line(call("connect", { 11, kAddr, 2 }), -EINVAL) == "connect(11, {sa_family=AF_UNIX}, 2) = -1 EINVAL (Invalid argument)");

	std::memcpy(un.sun_path, "\0hg-abs\0x", 9);
	t.mem.putValue(kAddr, un);
	CHECK(t.line(call("bind", { 11, kAddr, 11 }), 0) == "bind(11, {sa_family=AF_UNIX, sun_path=@\"hg-abs\\0x\"}, 11) = 0");
	CHECK(t.line(call("connect", { 8, kAddr, 3 }), -EINVAL) == "connect(8, {sa_family=AF_UNIX, sun_path=@\"\"}, 3) = -1 EINVAL (Invalid argument)");

	std::vector<uint8_t> longPath(114, 'A');
	longPath[0] = AF_UNIX;
	longPath[1] = 0;
	t.mem.put(kAddr, longPath);
	const std::string as(108, 'A');
	CHECK(t.line(call("connect", { 11, kAddr, 114 }), -EINVAL) ==
	      "connect(11, {sa_family=AF_UNIX, sun_path=\"" + as + "\"}, 114) = -1 EINVAL (Invalid argument)");

	sockaddr_nl nl{};
	nl.nl_family = AF_NETLINK;
	nl.nl_groups = 0x10;
	t.mem.putValue(kAddr, nl);
	CHECK(t.line(call("bind", { 3, kAddr, 12 }), 0) == "bind(3, {sa_family=AF_NETLINK, nl_pid=0, nl_groups=0x000010}, 12) = 0");

	sockaddr_ll ll{};
	ll.sll_family = AF_PACKET;
	ll.sll_protocol = htons(ETH_P_IP);
	ll.sll_ifindex = 1; // "lo" in every network namespace
	ll.sll_hatype = ARPHRD_ETHER;
	ll.sll_pkttype = PACKET_HOST;
	ll.sll_halen = 6;
	const uint8_t mac[6] = { 1, 2, 3, 4, 5, 6 };
	std::memcpy(ll.sll_addr, mac, sizeof(mac));
	t.mem.putValue(kAddr, ll);
	CHECK(t.line(call("bind", { 3, kAddr, 20 }), 0) ==
	      "bind(3, {sa_family=AF_PACKET, sll_protocol=htons(ETH_P_IP), sll_ifindex=if_nametoindex(\"lo\"), sll_hatype=ARPHRD_ETHER, sll_pkttype=PACKET_HOST, sll_halen=6, sll_addr=[0x1, 0x2, 0x3, 0x4, 0x5, 0x6]}, 20) = 0");
}

TEST_CASE("accept and getsockname print in => out lengths", "[strace]")
{
	Tracee t;
	const auto local = inet4("127.0.0.1", 41267);
	auto exitAfter = [&](const hg::strace::Call &c, uint32_t lenBefore, uint32_t lenAfter, std::optional<long> ret) {
		t.mem.putValue(kLen, lenBefore);
		return t.line(c, ret, [&] {
			t.mem.putValue(kAddr, local);
			t.mem.putValue(kLen, lenAfter);
		});
	};
	const std::string addr = "{sa_family=AF_INET, sin_port=htons(41267), sin_addr=inet_addr(\"127.0.0.1\")}";
	CHECK(exitAfter(call("getsockname", { 3, kAddr, kLen }), 16, 16, 0) == "getsockname(3, " + addr + ", [16]) = 0");
	CHECK(exitAfter(call("getsockname", { 3, kAddr, kLen }), 100, 16, 0) == "getsockname(3, " + addr + ", [100 => 16]) = 0");
	CHECK(exitAfter(call("getsockname", { 3, kAddr, kLen }), 4, 16, 0) ==
	      "getsockname(3, {sa_family=AF_INET, sa_data=\"\\2413\"}, [4 => 16]) = 0");
	CHECK(exitAfter(call("getpeername", { 4, kAddr, kLen }), 16, 16, 0) == "getpeername(4, " + addr + ", [16]) = 0");

	const std::string peer = "{sa_family=AF_INET, sin_port=htons(41267), sin_addr=inet_addr(\"127.0.0.1\")}";
	CHECK(exitAfter(call("accept", { 3, kAddr, kLen }), 16, 16, 5) == "accept(3, " + peer + ", [16]) = 5");
	CHECK(exitAfter(call("accept4", { 3, kAddr, kLen, SOCK_CLOEXEC }), 16, 16, 12) == "accept4(3, " + peer + ", [16], SOCK_CLOEXEC) = 12");
	CHECK(t.line(call("accept4", { 3, 0, 0, SOCK_NONBLOCK | SOCK_CLOEXEC }), 9) == "accept4(3, NULL, NULL, SOCK_CLOEXEC|SOCK_NONBLOCK) = 9");
	CHECK(t.line(call("accept4", { 4, 0, 0, 0x4000 }), -EINVAL) ==
	      "accept4(4, NULL, NULL, 0x4000 /* SOCK_??? */) = -1 EINVAL (Invalid argument)");
	CHECK(exitAfter(call("accept", { 4, 0x7ffcb3163ec0, kLen }), 16, 16, -EAGAIN) ==
	      "accept(4, 0x7ffcb3163ec0, [16])   = -1 EAGAIN (Resource temporarily unavailable)");
	CHECK(exitAfter(call("accept4", { 4, 0x7ffcb3163ec0, kLen, 0 }), 16, 16, -EAGAIN) ==
	      "accept4(4, 0x7ffcb3163ec0, [16], 0) = -1 EAGAIN (Resource temporarily unavailable)");
	CHECK(t.line(call("accept", { 4, 0x7ffcb3163ec0, 1 }), -EAGAIN) ==
	      "accept(4, 0x7ffcb3163ec0, 0x1)    = -1 EAGAIN (Resource temporarily unavailable)");
	CHECK(t.line(call("accept", { 3, 0, 0 }), -512) ==
	      "accept(3, NULL, NULL)             = ? ERESTARTSYS (To be restarted if SA_RESTART is set)");

	sockaddr_un unnamed{};
	unnamed.sun_family = AF_UNIX;
	t.mem.putValue(kLen, uint32_t{ 110 });
	CHECK(t.line(call("accept", { 7, kAddr, kLen }), 9, [&] {
		t.mem.putValue(kAddr, unnamed);
		t.mem.putValue(kLen, uint32_t{ 2 });
	}) == "accept(7, {sa_family=AF_UNIX}, [110 => 2]) = 9");
}

TEST_CASE("sendto and recvfrom quote data as -s says", "[strace]")
{
	Tracee t;
	const char msg[] = "hello\n\t\"w\\\0\1\0018\377x";
	t.mem.put(kBuf, { msg, msg + sizeof(msg) - 1 });
	CHECK(t.line(call("sendto", { 4, kBuf, 16, MSG_NOSIGNAL, 0, 0 }), 16) ==
	      "sendto(4, \"hello\\n\\t\\\"w\\\\\\0\\1\\18\\377x\", 16, MSG_NOSIGNAL, NULL, 0) = 16");
	CHECK(t.line(call("recvfrom", { 5, kBuf, 256, MSG_DONTWAIT, 0, 0 }), 16) ==
	      "recvfrom(5, \"hello\\n\\t\\\"w\\\\\\0\\1\\18\\377x\", 256, MSG_DONTWAIT, NULL, NULL) = 16");
	t.opt.strsize = 8;
	CHECK(t.line(call("sendto", { 4, kBuf, 16, MSG_NOSIGNAL, 0, 0 }), 16) == "sendto(4, \"hello\\n\\t\\\"\"..., 16, MSG_NOSIGNAL, NULL, 0) = 16");
	t.opt.strsize = 0;
	CHECK(t.line(call("sendto", { 4, kBuf, 16, MSG_NOSIGNAL, 0, 0 }), 16) == "sendto(4, \"\"..., 16, MSG_NOSIGNAL, NULL, 0) = 16");
	CHECK(t.line(call("recvfrom", { 5, kBuf, 256, 0, 0, 0 }), 46) == "recvfrom(5, \"\"..., 256, 0, NULL, NULL) = 46");
	CHECK(t.line(call("sendto", { 4, kBuf, 0, 0, 0, 0 }), 0) == "sendto(4, \"\", 0, 0, NULL, 0)      = 0");
	CHECK(t.line(call("sendto", { 4, 1, 5, 0, 0, 0 }), -EFAULT) == "sendto(4, 0x1, 5, 0, NULL, 0)     = -1 EFAULT (Bad address)");
	t.opt.strsize = 32;
	t.mem.putText(kBuf, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ");
	CHECK(t.line(call("sendto", { 4, kBuf, 46, 0, 0, 0 }), 46) == "sendto(4, \"0123456789abcdefghijklmnopqrstuv\"..., 46, 0, NULL, 0) = 46");
	CHECK(t.line(call("recvfrom", { 5, kBuf, 256, MSG_DONTWAIT, 0, 0 }), -EAGAIN) ==
	      "recvfrom(5, 0x7ffdd8581bc0, 256, MSG_DONTWAIT, NULL, NULL) = -1 EAGAIN (Resource temporarily unavailable)");
	CHECK(t.line(call("sendto", { 8, 0, 0, 0, 0, 0 }), -EDESTADDRREQ) ==
	      "sendto(8, NULL, 0, 0, NULL, 0)    = -1 EDESTADDRREQ (Destination address required)");
	t.mem.putText(kBuf, "\v\f\r\x7f\x80 ~");
	CHECK(t.line(call("sendto", { 8, kBuf, 7, 0, 0, 0 }), -EDESTADDRREQ) ==
	      "sendto(8, \"\\v\\f\\r\\177\\200 ~\", 7, 0, NULL, 0) = -1 EDESTADDRREQ (Destination address required)");

	t.mem.putText(kBuf, "ping");
	t.mem.putValue(kAddr, inet4("127.0.0.1", 44363));
	const std::string to = "{sa_family=AF_INET, sin_port=htons(44363), sin_addr=inet_addr(\"127.0.0.1\")}";
	CHECK(t.line(call("sendto", { 7, kBuf, 4, 0, kAddr, 16 }), 4) == "sendto(7, \"ping\", 4, 0, " + to + ", 16) = 4");
	t.mem.putValue(kLen, uint32_t{ 16 });
	CHECK(t.line(call("recvfrom", { 7, kBuf, 256, 0, kAddr, kLen }), 4) == "recvfrom(7, \"ping\", 256, 0, " + to + ", [16]) = 4");
	CHECK(t.line(call("recvfrom", { 7, 0x7ffdd8581bc0, 256, 0, 0x7ffdd8581ba0, 0 }), -EFAULT) ==
	      "recvfrom(7, 0x7ffdd8581bc0, 256, 0, 0x7ffdd8581ba0, NULL) = -1 EFAULT (Bad address)");
	t.mem.putValue(kLen, uint32_t{ 2 });
	CHECK(t.line(call("recvfrom", { 8, 0x7ffcb3163e68, 8, 0, 0x7ffcb3163e50, kLen }), -EAGAIN) ==
	      "recvfrom(8, 0x7ffcb3163e68, 8, 0, 0x7ffcb3163e50, [2]) = -1 EAGAIN (Resource temporarily unavailable)");
}

TEST_CASE("results: values, errors, restarts, vanished tracees", "[strace]")
{
	CHECK(hg::strace::result(3) == "3");
	CHECK(hg::strace::result(-ECONNREFUSED) == "-1 ECONNREFUSED (Connection refused)");
	CHECK(hg::strace::result(-512) == "? ERESTARTSYS (To be restarted if SA_RESTART is set)");
	CHECK(hg::strace::result(std::nullopt) == "?");
}

TEST_CASE("networkSyscalls is the x86_64 %network class", "[strace]")
{
	const auto &names = hg::strace::networkSyscalls();
	CHECK(names.size() == 18);
	for (const char *n : { "socket", "socketpair", "recvmmsg", "sendmmsg", "getsockopt", "accept4", "shutdown" })
		CHECK(std::find(names.begin(), names.end(), n) != names.end());
}
