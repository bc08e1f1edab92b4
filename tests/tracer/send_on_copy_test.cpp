#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include <cstring>
#include <string>

#include <catch2/catch.hpp>

#include "fake_memory.h"
#include "net/sockaddr.h"
#include "tracer/send_on_copy.h"

using namespace hg;

namespace {

constexpr uint64_t kMsg = 0x1000;
constexpr uint64_t kIov = 0x2000;
constexpr uint64_t kBufA = 0x3000;
constexpr uint64_t kBufB = 0x4000;
constexpr uint64_t kCtl = 0x5000;

template<typename T>
T *at(uint64_t addr)
{
	return reinterpret_cast<T *>(addr);
}

DecodedCall call(NetCall c, uint64_t addrPtr, uint64_t len = 0, uint64_t flags = 0)
{
	DecodedCall d;
	d.call = c;
	d.arch = "x86_64";
	d.addrPtr = addrPtr;
	d.len = len;
	d.flags = flags;
	return d;
}

std::string text(const std::vector<uint8_t> &v)
{
	return std::string(v.begin(), v.end());
}

// A cmsg of `level`/`type` carrying one int, laid out as the kernel reads it.
std::vector<uint8_t> cmsgInt(int level, int type, int value)
{
	std::vector<uint8_t> buf(CMSG_SPACE(sizeof(int)));
	cmsghdr c{};
	c.cmsg_len = CMSG_LEN(sizeof(int));
	c.cmsg_level = level;
	c.cmsg_type = type;
	std::memcpy(buf.data(), &c, sizeof(c));
	std::memcpy(buf.data() + CMSG_LEN(0), &value, sizeof(value));
	return buf;
}

Endpoint v4(const char *ip, uint16_t port)
{
	sockaddr_in sa{};
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	inet_pton(AF_INET, ip, &sa.sin_addr);
	return decodeSockaddr({reinterpret_cast<const uint8_t *>(&sa), sizeof(sa)}, sizeof(sa));
}

// A msghdr at kMsg with two iovecs ("hello, " and "world") and the given control bytes.
void putMsghdr(FakeMemory &mem, const std::vector<uint8_t> &control, size_t iovlen = 2)
{
	mem.put(kBufA, "hello, ", 7);
	mem.put(kBufB, "world", 5);
	iovec iov[2] = {{at<void>(kBufA), 7}, {at<void>(kBufB), 5}};
	mem.put(kIov, iov, sizeof(iov));
	msghdr h{};
	h.msg_iov = at<iovec>(kIov);
	h.msg_iovlen = iovlen;
	if (!control.empty()) {
		mem.put(kCtl, control.data(), control.size());
		h.msg_control = at<void>(kCtl);
		h.msg_controllen = control.size();
	}
	mem.put(kMsg, &h, sizeof(h));
}

} // namespace

TEST_CASE("sendto: the payload is copied", "[send-on-copy]")
{
	FakeMemory mem;
	mem.put(kBufA, "datagram", 8);
	DecodedCall d = call(NetCall::Sendto, 0x9000, 8);
	d.bufPtr = kBufA;
	CopiedSend c = copySend(d, mem);
	REQUIRE(c.problem.empty());
	REQUIRE(c.msgs.size() == 1);
	CHECK(text(c.msgs[0].data) == "datagram");
	CHECK(c.msgs[0].control.empty());
}

TEST_CASE("sendto: what cannot be copied says why", "[send-on-copy]")
{
	FakeMemory mem;
	mem.put(kBufA, "short", 5);
	DecodedCall d = call(NetCall::Sendto, 0x9000, 8);
	d.bufPtr = kBufA;
	SECTION("a payload past the end of readable memory")
	{
		CHECK_THAT(copySend(d, mem).problem, Catch::Contains("cannot read payload at 0x3005"));
	}
	SECTION("a payload larger than a datagram")
	{
		d.len = kMaxCopyDatagram + 1;
		CHECK_THAT(copySend(d, mem).problem, Catch::Contains("larger than the gate copies"));
	}
	SECTION("a compat ABI")
	{
		d.compat = true;
		d.arch = "i386";
		CHECK_THAT(copySend(d, mem).problem, Catch::Contains("i386 layouts"));
	}
	SECTION("MSG_ZEROCOPY")
	{
		d.flags = MSG_ZEROCOPY;
		CHECK_THAT(copySend(d, mem).problem, Catch::Contains("MSG_ZEROCOPY"));
	}
	SECTION("an address the decoder could not read")
	{
		d.problem = "cannot read msghdr at 0x9000";
		CHECK(copySend(d, mem).problem == d.problem);
	}
}

TEST_CASE("sendmsg: iovecs are joined and control data is copied verbatim", "[send-on-copy]")
{
	FakeMemory mem;
	std::vector<uint8_t> tos = cmsgInt(SOL_IP, IP_TOS, 0x10);
	std::vector<uint8_t> control = tos;
	std::vector<uint8_t> seg = cmsgInt(SOL_UDP, UDP_SEGMENT, 1200);
	control.insert(control.end(), seg.begin(), seg.end());
	putMsghdr(mem, control);
	CopiedSend c = copySend(call(NetCall::Sendmsg, kMsg), mem);
	REQUIRE(c.problem.empty());
	REQUIRE(c.msgs.size() == 1);
	CHECK(text(c.msgs[0].data) == "hello, world");
	CHECK(c.msgs[0].control == control);
}

TEST_CASE("sendmsg: what cannot be copied says why", "[send-on-copy]")
{
	FakeMemory mem;
	SECTION("a control message that needs privileges")
	{
		putMsghdr(mem, cmsgInt(SOL_SOCKET, SO_MARK, 7));
		CHECK_THAT(copySend(call(NetCall::Sendmsg, kMsg), mem).problem,
			   Catch::Contains("level 1 type 36 may need privileges"));
	}
	SECTION("more iovecs than the kernel takes")
	{
		putMsghdr(mem, {}, kMaxCopyIov + 1);
		CHECK_THAT(copySend(call(NetCall::Sendmsg, kMsg), mem).problem, Catch::Contains("1025 iovecs"));
	}
	SECTION("an iovec array past readable memory")
	{
		putMsghdr(mem, {}, 3);
		CHECK_THAT(copySend(call(NetCall::Sendmsg, kMsg), mem).problem,
			   Catch::Contains("cannot read iovec array at 0x2020"));
	}
	SECTION("an unreadable msghdr")
	{
		CHECK_THAT(copySend(call(NetCall::Sendmsg, kMsg), mem).problem,
			   Catch::Contains("cannot read msghdr at 0x1000: Bad address"));
	}
}

TEST_CASE("sendmmsg: every message, with where its msg_len goes", "[send-on-copy]")
{
	FakeMemory mem;
	mem.put(kBufA, "one", 3);
	mem.put(kBufB, "two", 3);
	iovec iov[2] = {{at<void>(kBufA), 3}, {at<void>(kBufB), 3}};
	mem.put(kIov, iov, sizeof(iov));
	mmsghdr m[2]{};
	m[0].msg_hdr.msg_iov = at<iovec>(kIov);
	m[0].msg_hdr.msg_iovlen = 1;
	m[1].msg_hdr.msg_iov = at<iovec>(kIov + sizeof(iovec));
	m[1].msg_hdr.msg_iovlen = 1;
	mem.put(kMsg, m, sizeof(m));

	CopiedSend c = copySend(call(NetCall::Sendmmsg, kMsg, 2), mem);
	REQUIRE(c.problem.empty());
	REQUIRE(c.msgs.size() == 2);
	CHECK(text(c.msgs[0].data) == "one");
	CHECK(text(c.msgs[1].data) == "two");
	CHECK(c.msgs[0].lenAddr == kMsg + 56);
	CHECK(c.msgs[1].lenAddr == kMsg + 64 + 56);

	SECTION("a vlen past the readable vector names the message")
	{
		CopiedSend bad = copySend(call(NetCall::Sendmmsg, kMsg, 3), mem);
		CHECK_THAT(bad.problem, Catch::StartsWith("message 2: cannot read msghdr"));
		CHECK(bad.msgs.empty());
	}
}

TEST_CASE("sendmmsg: the payload of the whole call is bounded", "[send-on-copy]")
{
	FakeMemory mem;
	std::vector<uint8_t> big(kMaxCopyDatagram, 'x');
	mem.put(kBufA, big.data(), big.size());
	iovec iov{at<void>(kBufA), big.size()};
	mem.put(kIov, &iov, sizeof(iov));
	size_t n = kMaxCopyTotal / kMaxCopyDatagram + 1;
	std::vector<mmsghdr> m(n);
	for (mmsghdr &h : m) {
		h = {};
		h.msg_hdr.msg_iov = at<iovec>(kIov);
		h.msg_hdr.msg_iovlen = 1;
	}
	mem.put(0x100000, m.data(), m.size() * sizeof(mmsghdr));
	CHECK(copySend(call(NetCall::Sendmmsg, 0x100000, n - 1), mem).problem.empty());
	CHECK_THAT(copySend(call(NetCall::Sendmmsg, 0x100000, n), mem).problem,
		   Catch::StartsWith("message " + std::to_string(n - 1) + ": payload larger"));
}

TEST_CASE("control messages the gate passes on", "[send-on-copy]")
{
	CHECK(controlProblem({}).empty());
	CHECK(controlProblem(cmsgInt(SOL_IPV6, IPV6_TCLASS, 0)).empty());
	CHECK_THAT(controlProblem(cmsgInt(SOL_SOCKET, SO_PRIORITY, 7)), Catch::Contains("may need privileges"));
	std::vector<uint8_t> bad = cmsgInt(SOL_IP, IP_TTL, 1);
	cmsghdr c;
	std::memcpy(&c, bad.data(), sizeof(c));
	c.cmsg_len = bad.size() + 1; // runs past msg_controllen
	std::memcpy(bad.data(), &c, sizeof(c));
	CHECK_THAT(controlProblem(bad), Catch::StartsWith("malformed control message at offset 0"));
}

TEST_CASE("the copy goes to the judged destinations, in the socket's family", "[send-on-copy]")
{
	CopiedSend copy;
	copy.msgs.resize(2);
	copy.msgs[0].data = {'a', 'b'};
	copy.msgs[1].control = cmsgInt(SOL_IP, IP_TOS, 0);
	Endpoint none;

	OutgoingMessages out = buildMessages(copy, {v4("127.0.0.1", 9), none}, AF_INET6);
	REQUIRE(out.problem.empty());
	REQUIRE(out.hdrs.size() == 2);
	const msghdr &h0 = out.hdrs[0].msg_hdr;
	REQUIRE(h0.msg_namelen == sizeof(sockaddr_in6));
	Endpoint sent = decodeSockaddr({static_cast<const uint8_t *>(h0.msg_name), h0.msg_namelen}, h0.msg_namelen);
	CHECK(sent.v4Mapped);
	CHECK(sent.address() == "127.0.0.1");
	CHECK(sent.port == 9);
	CHECK(h0.msg_iovlen == 1);
	CHECK(h0.msg_iov->iov_base == copy.msgs[0].data.data());
	CHECK(h0.msg_iov->iov_len == 2);
	CHECK(h0.msg_control == nullptr);
	const msghdr &h1 = out.hdrs[1].msg_hdr;
	CHECK(h1.msg_name == nullptr); // no address: as the tracee's msg_name NULL
	CHECK(h1.msg_control == copy.msgs[1].control.data());
	CHECK(h1.msg_controllen == copy.msgs[1].control.size());

	SECTION("an IPv6 destination on an AF_INET socket is left to the kernel")
	{
		sockaddr_in6 sa{};
		sa.sin6_family = AF_INET6;
		inet_pton(AF_INET6, "2001:db8::1", &sa.sin6_addr);
		Endpoint v6 = decodeSockaddr({reinterpret_cast<const uint8_t *>(&sa), sizeof(sa)}, sizeof(sa));
		CHECK_THAT(buildMessages(copy, {v6, none}, AF_INET).problem, Catch::Contains("does not fit the socket's family (AF_INET)"));
	}
	SECTION("fewer destinations than messages")
	{
		CHECK(!buildMessages(copy, {none}, AF_INET).problem.empty());
	}
}
