#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <net/if_arp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "net/sockaddr.h"
#include "base/strace_quote.h"
#include "strace/sockaddr.h"
#include "sockaddr_bytes.h"

using namespace hg;
using namespace hg::test;

TEST_CASE("fewer than two bytes cannot even say the family", "[sockaddr]")
{
	Endpoint none = decodeSockaddr({}, 0);
	CHECK(none.status == AddrStatus::Undecodable);
	CHECK(none.family == -1);
	CHECK(none.undecodableReason == "addrlen 0 shorter than sa_family (2)");

	std::vector<uint8_t> one = { AF_INET };
	Endpoint short1 = decodeSockaddr(one, 1);
	CHECK(short1.status == AddrStatus::Undecodable);
	CHECK(short1.addrlen == 1);

	// addrlen is fine but the tracee memory ended after one byte.
	Endpoint unread = decodeSockaddr(one, 16);
	CHECK(unread.status == AddrStatus::Undecodable);
	CHECK(unread.undecodableReason == "only 1 of 2 bytes of sa_family readable");
	CHECK(unread.address() == "undecodable: only 1 of 2 bytes of sa_family readable");
}

TEST_CASE("AF_INET needs the 16 bytes of sockaddr_in", "[sockaddr]")
{
	std::vector<uint8_t> b = bytesOf(inet4("203.0.113.1", 443));

	Endpoint ep = decodeSockaddr(b, 16);
	REQUIRE(ep.status == AddrStatus::Decoded);
	CHECK(ep.family == AF_INET);
	CHECK(ep.isIp);
	CHECK(ep.isV4);
	CHECK_FALSE(ep.v4Mapped);
	CHECK(ep.port == 443);
	CHECK(ep.address() == "203.0.113.1");
	CHECK(strace::sockaddr(ep, 0x1000) ==
	      "{sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr(\"203.0.113.1\")}");

	Endpoint truncated = decodeSockaddr(b, 15);
	CHECK(truncated.status == AddrStatus::Undecodable);
	CHECK(truncated.family == AF_INET);
	CHECK(truncated.undecodableReason == "addrlen 15 shorter than sockaddr_in (16)");
	CHECK(strace::sockaddr(truncated, 0x7ffd1234) == "0x7ffd1234");

	Endpoint familyOnlyLen = decodeSockaddr(b, 2);
	CHECK(familyOnlyLen.status == AddrStatus::Undecodable);

	std::vector<uint8_t> partial(b.begin(), b.begin() + 8);
	Endpoint unread = decodeSockaddr(partial, 16);
	CHECK(unread.status == AddrStatus::Undecodable);
	CHECK(unread.undecodableReason == "only 8 of 16 bytes of sockaddr_in readable");
}

TEST_CASE("an oversized addrlen is clamped to sockaddr_storage", "[sockaddr]")
{
	std::vector<uint8_t> b = bytesOf(inet4("10.1.2.3", 80));
	b.resize(sizeof(sockaddr_storage) + 64, 0xaa);

	Endpoint ep = decodeSockaddr(b, 1u << 30);
	REQUIRE(ep.status == AddrStatus::Decoded);
	CHECK(ep.addrlen == 1u << 30);
	CHECK(ep.address() == "10.1.2.3");
	CHECK(ep.port == 80);

	std::vector<uint8_t> odd = familyOnly(AF_VSOCK, 300);
	Endpoint vsock = decodeSockaddr(odd, 300);
	REQUIRE(vsock.status == AddrStatus::Decoded);
	CHECK(vsock.rawData.size() == sizeof(sockaddr_storage) - sizeof(sa_family_t));
}

TEST_CASE("decoding never reads past the bytes it was given", "[sockaddr]")
{
	// The address ends exactly where mapped memory ends: any read past the span faults.
	long page = sysconf(_SC_PAGESIZE);
	void *mem = mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(mem != MAP_FAILED);
	REQUIRE(mprotect(static_cast<uint8_t *>(mem) + page, page, PROT_NONE) == 0);

	for (int family : { AF_INET, AF_INET6, AF_UNIX, AF_NETLINK, AF_PACKET, AF_VSOCK, 999 }) {
		for (size_t len : { 0, 1, 2, 3, 12, 16, 23, 24, 28, 110 }) {
			uint8_t *end = static_cast<uint8_t *>(mem) + page;
			uint8_t *start = end - len;
			std::memset(start, 'x', len);
			if (len >= 2) {
				sa_family_t f = static_cast<sa_family_t>(family);
				std::memcpy(start, &f, sizeof(f));
			}
			Endpoint ep = decodeSockaddr({ start, len }, 4096);
			CHECK(ep.addrlen == 4096);
			CHECK_FALSE(strace::sockaddr(ep, 1).empty());
		}
	}
	munmap(mem, 2 * page);
}

TEST_CASE("AF_INET6 needs 24 bytes and prints its scope id only from 28", "[sockaddr]")
{
	std::vector<uint8_t> b = bytesOf(inet6("2001:db8::1", 443, 7, 3));

	Endpoint full = decodeSockaddr(b, 28);
	REQUIRE(full.status == AddrStatus::Decoded);
	CHECK_FALSE(full.isV4);
	CHECK(full.port == 443);
	CHECK(full.flowinfo == 7);
	CHECK(full.scopeId == 3);
	CHECK(full.address() == "2001:db8::1");
	CHECK(strace::sockaddr(full, 0) ==
	      "{sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(7), "
	      "inet_pton(AF_INET6, \"2001:db8::1\", &sin6_addr), sin6_scope_id=3}");

	Endpoint rfc2133 = decodeSockaddr(b, 24);
	REQUIRE(rfc2133.status == AddrStatus::Decoded);
	CHECK(rfc2133.scopeId == 0);
	CHECK(strace::sockaddr(rfc2133, 0) ==
	      "{sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(7), "
	      "inet_pton(AF_INET6, \"2001:db8::1\", &sin6_addr)}");

	Endpoint truncated = decodeSockaddr(b, 23);
	CHECK(truncated.status == AddrStatus::Undecodable);
	CHECK(truncated.undecodableReason == "addrlen 23 shorter than sockaddr_in6 (24)");

	// 16 bytes is a full sockaddr_in but not enough for the AF_INET6 it claims to be.
	CHECK(decodeSockaddr(b, 16).status == AddrStatus::Undecodable);
}

TEST_CASE("IPv4-mapped IPv6 addresses decode as IPv4", "[sockaddr]")
{
	Endpoint ep = v6Endpoint("::ffff:203.0.113.9", 53);
	REQUIRE(ep.status == AddrStatus::Decoded);
	CHECK(ep.family == AF_INET6);
	CHECK(ep.isV4);
	CHECK(ep.v4Mapped);
	CHECK(ep.ip[0] == 203);
	CHECK(ep.ip[3] == 9);
	CHECK(ep.ip[4] == 0);
	CHECK(ep.address() == "203.0.113.9");
	// strace shows what the tracee wrote, not the unmapped form.
	CHECK(strace::sockaddr(ep, 0).find("\"::ffff:203.0.113.9\"") != std::string::npos);

	// ::203.0.113.9 (IPv4-compatible, deprecated) is not mapped.
	Endpoint compat = v6Endpoint("::203.0.113.9", 53);
	CHECK_FALSE(compat.isV4);
	CHECK_FALSE(compat.v4Mapped);
}

TEST_CASE("AF_UNIX: unnamed, path and abstract names", "[sockaddr]")
{
	SECTION("addrlen == sizeof(sa_family_t) is unnamed")
	{
		Endpoint ep = decode(unixBytes(""));
		REQUIRE(ep.status == AddrStatus::Decoded);
		CHECK(ep.unixKind == UnixKind::Unnamed);
		CHECK(ep.address() == "(unnamed)");
		CHECK(strace::sockaddr(ep, 0) == "{sa_family=AF_UNIX}");
	}
	SECTION("a path stops at its NUL")
	{
		sockaddr_un sun{};
		sun.sun_family = AF_UNIX;
		std::strcpy(sun.sun_path, "/run/x.sock");
		Endpoint ep = decodeSockaddr(bytesOf(sun), sizeof(sun));
		CHECK(ep.unixKind == UnixKind::Path);
		CHECK(ep.unixPath == "/run/x.sock");
		CHECK(ep.address() == "/run/x.sock");
		CHECK(strace::sockaddr(ep, 0) == "{sa_family=AF_UNIX, sun_path=\"/run/x.sock\"}");
	}
	SECTION("a path without a NUL stops at addrlen")
	{
		std::vector<uint8_t> b = unixBytes("/tmp/abcdef");
		Endpoint ep = decodeSockaddr(b, static_cast<uint32_t>(b.size() - 3));
		CHECK(ep.unixKind == UnixKind::Path);
		CHECK(ep.unixPath == "/tmp/abc");
	}
	SECTION("a path is never longer than sun_path")
	{
		std::vector<uint8_t> b = unixBytes(std::string(200, 'p'));
		Endpoint ep = decode(b);
		CHECK(ep.unixPath.size() == sizeof(sockaddr_un::sun_path));
	}
	SECTION("a leading NUL makes an abstract name, printed with @")
	{
		Endpoint ep = decode(unixBytes(std::string("\0hg-netprobe-1", 14)));
		CHECK(ep.unixKind == UnixKind::Abstract);
		CHECK(ep.unixPath == "hg-netprobe-1");
		CHECK(ep.address() == "@hg-netprobe-1");
		CHECK(strace::sockaddr(ep, 0) == "{sa_family=AF_UNIX, sun_path=@\"hg-netprobe-1\"}");
	}
	SECTION("abstract names are length-delimited and may hold NULs")
	{
		Endpoint ep = decode(unixBytes(std::string("\0a\0" "7\n", 5)));
		CHECK(ep.unixKind == UnixKind::Abstract);
		CHECK(ep.unixPath == std::string("a\0" "7\n", 4));
		CHECK(ep.address() == "@a\\0007\\n");
		CHECK(strace::sockaddr(ep, 0) == "{sa_family=AF_UNIX, sun_path=@\"a\\0007\\n\"}");
	}
	SECTION("addrlen 3 with a NUL is the empty abstract name")
	{
		Endpoint ep = decode(unixBytes(std::string("\0", 1)));
		CHECK(ep.unixKind == UnixKind::Abstract);
		CHECK(ep.unixPath.empty());
		CHECK(ep.address() == "@");
	}
}

TEST_CASE("AF_NETLINK", "[sockaddr]")
{
	sockaddr_nl nl{};
	nl.nl_family = AF_NETLINK;
	nl.nl_pid = 1234;
	nl.nl_groups = 0x10;
	Endpoint ep = decodeSockaddr(bytesOf(nl), sizeof(nl));
	REQUIRE(ep.status == AddrStatus::Decoded);
	CHECK(ep.nlPid == 1234);
	CHECK(ep.nlGroups == 0x10);
	CHECK(ep.address() == "netlink pid=1234 groups=16");
	CHECK(strace::sockaddr(ep, 0) == "{sa_family=AF_NETLINK, nl_pid=1234, nl_groups=0x000010}");

	CHECK(decodeSockaddr(bytesOf(nl), sizeof(nl) - 1).status == AddrStatus::Undecodable);
}

TEST_CASE("AF_PACKET", "[sockaddr]")
{
	sockaddr_ll ll{};
	ll.sll_family = AF_PACKET;
	ll.sll_protocol = htons(0x0800);
	ll.sll_ifindex = 1; // "lo", which strace names
	ll.sll_hatype = ARPHRD_ETHER;
	ll.sll_pkttype = PACKET_HOST;
	ll.sll_halen = 6;
	uint8_t mac[6] = { 0x02, 0x01, 0x5e, 0x10, 0x0a, 0xff };
	std::memcpy(ll.sll_addr, mac, sizeof(mac));

	Endpoint ep = decodeSockaddr(bytesOf(ll), sizeof(ll));
	REQUIRE(ep.status == AddrStatus::Decoded);
	CHECK(ep.pktProtocol == 0x0800);
	CHECK(ep.pktIfindex == 1);
	CHECK(ep.address() == "packet ifindex=1 proto=0x0800");
	CHECK(strace::sockaddr(ep, 0) ==
	      "{sa_family=AF_PACKET, sll_protocol=htons(ETH_P_IP), sll_ifindex=if_nametoindex(\"lo\"), "
	      "sll_hatype=ARPHRD_ETHER, sll_pkttype=PACKET_HOST, sll_halen=6, "
	      "sll_addr=[0x2, 0x1, 0x5e, 0x10, 0xa, 0xff]}");

	// A halen larger than sll_addr or than addrlen never reads further.
	ll.sll_halen = 200;
	ll.sll_protocol = htons(0x1234);
	Endpoint big = decodeSockaddr(bytesOf(ll), 14);
	REQUIRE(big.status == AddrStatus::Decoded);
	CHECK(big.pktAddr[0] == 0x02);
	CHECK(big.pktAddr[2] == 0);
	CHECK(strace::sockaddr(big, 0).find("sll_protocol=htons(0x1234 /* ETH_P_??? */)") != std::string::npos);

	CHECK(decodeSockaddr(bytesOf(ll), 11).status == AddrStatus::Undecodable);
}

TEST_CASE("other families keep their raw bytes", "[sockaddr]")
{
	std::vector<uint8_t> b = familyOnly(AF_VSOCK, 6);
	b[2] = 'a';
	b[3] = 0;
	b[4] = '1';
	b[5] = 0xff;
	Endpoint ep = decode(b);
	REQUIRE(ep.status == AddrStatus::Decoded);
	CHECK(ep.family == AF_VSOCK);
	CHECK_FALSE(ep.isIp);
	CHECK(ep.address() == "family 40");
	CHECK(strace::sockaddr(ep, 0) == "{sa_family=AF_VSOCK, sa_data=\"a\\0001\\377\"}");

	Endpoint unknown = decode(familyOnly(200, 2));
	REQUIRE(unknown.status == AddrStatus::Decoded);
	CHECK(unknown.address() == "family 200");
	CHECK(strace::sockaddr(unknown, 0) == "{sa_family=0xc8 /* AF_??? */}");
}

TEST_CASE("absent and unreadable addresses print as pointers", "[sockaddr]")
{
	Endpoint absent;
	CHECK(strace::sockaddr(absent, 0) == "NULL");
	CHECK(absent.address().empty());

	Endpoint bad = undecodableEndpoint(16, "EFAULT reading 0x1234");
	CHECK(bad.status == AddrStatus::Undecodable);
	CHECK(bad.addrlen == 16);
	CHECK(bad.family == -1);
	CHECK(bad.address() == "undecodable: EFAULT reading 0x1234");
	CHECK(strace::sockaddr(bad, 0x1234) == "0x1234");
}

TEST_CASE("escapeBytes quotes as strace does", "[sockaddr]")
{
	CHECK(strace::escape("plain /path") == "plain /path");
	CHECK(strace::escape("q\"b\\") == "q\\\"b\\\\");
	CHECK(strace::escape("\t\r\n\f\v") == "\\t\\r\\n\\f\\v");
	CHECK(strace::escape(std::string("\0x", 2)) == "\\0x");
	CHECK(strace::escape(std::string("\0" "1", 2)) == "\\0001");
	CHECK(strace::escape("\x7f\x80") == "\\177\\200");
}

TEST_CASE("toSockaddr builds what decodeSockaddr reads, in the socket's family", "[sockaddr]")
{
	auto roundTrip = [](const Endpoint &ep, int domain) {
		sockaddr_storage ss;
		socklen_t len = toSockaddr(ep, domain, ss);
		REQUIRE(len > 0);
		return decodeSockaddr({reinterpret_cast<const uint8_t *>(&ss), len}, len);
	};
	sockaddr_storage ss;
	Endpoint v4 = roundTrip(v4Endpoint("203.0.113.1", 53), AF_INET);
	CHECK(v4.family == AF_INET);
	CHECK(v4.address() == "203.0.113.1");
	CHECK(v4.port == 53);

	Endpoint mapped = roundTrip(v4, AF_INET6);
	CHECK(mapped.family == AF_INET6);
	CHECK(mapped.v4Mapped);
	CHECK(mapped.address() == "203.0.113.1");
	CHECK(mapped.port == 53);

	Endpoint v6 = v6Endpoint("2001:db8::1", 443);
	CHECK(roundTrip(v6, AF_INET6).address() == "2001:db8::1");
	CHECK(toSockaddr(v6, AF_INET, ss) == 0); // an AF_INET socket cannot take it
	CHECK(toSockaddr(Endpoint{}, AF_INET, ss) == 0);
}
