#include <arpa/inet.h>
#include <linux/audit.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <catch2/catch.hpp>

#include "fake_memory.h"
#include "seccomp/filter.h"
#include "tracer/syscall_decoder.h"

using namespace hg;

namespace {

sockaddr_in v4(const char *ip, uint16_t port)
{
	sockaddr_in sa{};
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	inet_pton(AF_INET, ip, &sa.sin_addr);
	return sa;
}

RawSyscall x86_64Call(uint32_t tag, std::initializer_list<uint64_t> args)
{
	RawSyscall sc;
	sc.auditArch = AUDIT_ARCH_X86_64;
	sc.tag = tag;
	int i = 0;
	for (uint64_t a : args)
		sc.args[i++] = a;
	return sc;
}

} // namespace

TEST_CASE("connect on x86_64 decodes the destination", "[decoder]")
{
	FakeMemory mem;
	auto sa = v4("203.0.113.1", 443);
	mem.put(0x1000, &sa, sizeof(sa));
	RawSyscall sc = x86_64Call(kTagConnect, {3, 0x1000, sizeof(sa)});
	sc.nr = 42;
	DecodedCall d = decodeCall(sc, mem);
	CHECK(d.call == NetCall::Connect);
	CHECK(d.callName == "connect");
	CHECK(d.arch == "x86_64");
	CHECK(d.fd == 3);
	REQUIRE(d.addrs.size() == 1);
	CHECK(d.addrs[0].status == AddrStatus::Decoded);
	CHECK(d.addrs[0].address() == "203.0.113.1");
	CHECK(d.addrs[0].port == 443);
}

TEST_CASE("a bad address pointer is undecodable, never dropped", "[decoder]")
{
	FakeMemory mem;
	DecodedCall d = decodeCall(x86_64Call(kTagConnect, {3, 0xdead0000, 16}), mem);
	REQUIRE(d.addrs.size() == 1);
	CHECK(d.addrs[0].status == AddrStatus::Undecodable);
	CHECK(d.addrs[0].undecodableReason.find("0xdead0000") != std::string::npos);
}

TEST_CASE("a NULL destination is absent", "[decoder]")
{
	FakeMemory mem;
	DecodedCall d = decodeCall(x86_64Call(kTagSendto, {4, 0x2000, 12, 0x4000, 0, 0}), mem);
	CHECK(d.call == NetCall::Sendto);
	CHECK(d.bufPtr == 0x2000);
	CHECK(d.len == 12);
	CHECK(d.flags == 0x4000);
	CHECK_FALSE(d.compat);
	REQUIRE(d.addrs.size() == 1);
	CHECK(d.addrs[0].status == AddrStatus::Absent);
}

TEST_CASE("a short read at the end of a mapping is undecodable", "[decoder]")
{
	FakeMemory mem;
	auto sa = v4("203.0.113.1", 80);
	mem.put(0x1000, &sa, 6); // the mapping ends inside the address
	DecodedCall d = decodeCall(x86_64Call(kTagConnect, {3, 0x1000, 16}), mem);
	REQUIRE(d.addrs.size() == 1);
	CHECK(d.addrs[0].status == AddrStatus::Undecodable);
}

TEST_CASE("sendmsg reads msg_name from the 64-bit msghdr", "[decoder]")
{
	FakeMemory mem;
	auto sa = v4("203.0.113.9", 53);
	mem.put(0x3000, &sa, sizeof(sa));
	msghdr mh{};
	mh.msg_name = reinterpret_cast<void *>(0x3000);
	mh.msg_namelen = sizeof(sa);
	mem.put(0x2000, &mh, sizeof(mh));
	DecodedCall d = decodeCall(x86_64Call(kTagSendmsg, {5, 0x2000, 0}), mem);
	CHECK(d.call == NetCall::Sendmsg);
	REQUIRE(d.addrs.size() == 1);
	CHECK(d.addrs[0].address() == "203.0.113.9");
	CHECK(d.addrs[0].port == 53);
}

TEST_CASE("sendmmsg decodes every message's destination", "[decoder]")
{
	FakeMemory mem;
	auto a = v4("127.0.0.1", 1);
	auto b = v4("203.0.113.7", 2);
	mem.put(0x5000, &a, sizeof(a));
	mem.put(0x6000, &b, sizeof(b));
	mmsghdr msgs[2] = {};
	msgs[0].msg_hdr.msg_name = reinterpret_cast<void *>(0x5000);
	msgs[0].msg_hdr.msg_namelen = sizeof(a);
	msgs[1].msg_hdr.msg_name = reinterpret_cast<void *>(0x6000);
	msgs[1].msg_hdr.msg_namelen = sizeof(b);
	static_assert(sizeof(mmsghdr) == 64);
	mem.put(0x4000, msgs, sizeof(msgs));
	DecodedCall d = decodeCall(x86_64Call(kTagSendmmsg, {6, 0x4000, 2, 0}), mem);
	REQUIRE(d.addrs.size() == 2);
	CHECK(d.addrs[0].address() == "127.0.0.1");
	CHECK(d.addrs[1].address() == "203.0.113.7");
	CHECK_FALSE(d.truncated);
}

TEST_CASE("sendmmsg with an unreadable vector records what it could not read", "[decoder]")
{
	FakeMemory mem;
	DecodedCall d = decodeCall(x86_64Call(kTagSendmmsg, {6, 0x4000, 3, 0}), mem);
	REQUIRE(d.addrs.size() == 1);
	CHECK(d.addrs[0].status == AddrStatus::Undecodable);
	CHECK_FALSE(d.problem.empty());
}

TEST_CASE("i386 socketcall: arguments come from tracee memory", "[decoder]")
{
	FakeMemory mem;
	auto sa = v4("203.0.113.1", 8080);
	mem.put(0x8000, &sa, sizeof(sa));
	uint32_t args[3] = {7, 0x8000, sizeof(sa)};
	mem.put(0x7000, args, sizeof(args)); // connect takes three; the read may be short
	RawSyscall sc;
	sc.auditArch = AUDIT_ARCH_I386;
	sc.nr = 102;
	sc.tag = kTagConnect;
	sc.args[0] = 3; // SYS_CONNECT
	sc.args[1] = 0x7000;
	DecodedCall d = decodeCall(sc, mem);
	CHECK(d.arch == "i386");
	CHECK(d.viaSocketcall);
	CHECK(d.fd == 7);
	REQUIRE(d.addrs.size() == 1);
	CHECK(d.addrs[0].address() == "203.0.113.1");
	CHECK(d.addrs[0].port == 8080);
}

TEST_CASE("i386 direct connect masks arguments to 32 bits", "[decoder]")
{
	FakeMemory mem;
	auto sa = v4("203.0.113.2", 22);
	mem.put(0x9000, &sa, sizeof(sa));
	RawSyscall sc;
	sc.auditArch = AUDIT_ARCH_I386;
	sc.nr = 362;
	sc.tag = kTagConnect;
	sc.args[0] = 0xffffffff00000004ull;
	sc.args[1] = 0xabcd000000009000ull;
	sc.args[2] = sizeof(sa);
	DecodedCall d = decodeCall(sc, mem);
	CHECK_FALSE(d.viaSocketcall);
	CHECK(d.fd == 4);
	CHECK(d.addrs[0].address() == "203.0.113.2");
}

TEST_CASE("x32 sendmsg uses the compat msghdr layout", "[decoder]")
{
	FakeMemory mem;
	auto sa = v4("203.0.113.3", 123);
	mem.put(0xa000, &sa, sizeof(sa));
	uint32_t compatHdr[7] = {0xa000, sizeof(sa), 0, 0, 0, 0, 0};
	mem.put(0xb000, compatHdr, sizeof(compatHdr));
	RawSyscall sc;
	sc.auditArch = AUDIT_ARCH_X86_64;
	sc.nr = 0x40000000 | 518;
	sc.tag = kTagSendmsg;
	sc.args[0] = 5;
	sc.args[1] = 0xb000;
	DecodedCall d = decodeCall(sc, mem);
	CHECK(d.arch == "x32");
	CHECK(d.compat);
	CHECK(d.addrs[0].address() == "203.0.113.3");
	CHECK(d.addrs[0].port == 123);
}

TEST_CASE("a trap from an unknown ABI is recorded as such", "[decoder]")
{
	FakeMemory mem;
	RawSyscall sc;
	sc.auditArch = 0x12345678;
	sc.nr = 9;
	sc.tag = kTagBadArch;
	DecodedCall d = decodeCall(sc, mem);
	CHECK(d.call == NetCall::Other);
	CHECK_FALSE(d.abiKnown);
	CHECK(d.callName == "syscall_9");
	CHECK(d.arch.find("0x12345678") != std::string::npos);
}

TEST_CASE("listen carries the backlog", "[decoder]")
{
	FakeMemory mem;
	DecodedCall d = decodeCall(x86_64Call(kTagListen, {3, 128}), mem);
	CHECK(d.call == NetCall::Listen);
	CHECK(d.flags == 128);
}
