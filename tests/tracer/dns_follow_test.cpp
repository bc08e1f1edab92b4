// Following a thread through its DNS exchange: which calls carry its bytes (dns_io.h), and
// which queries and answers they hold (dns_follow.h).

#include <linux/audit.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include <catch2/catch.hpp>

#include "fake_memory.h"
#include "tracer/dns_follow.h"

using namespace hg;

namespace {

RawSyscall x64(long nr, std::initializer_list<uint64_t> args)
{
	RawSyscall sc;
	sc.auditArch = AUDIT_ARCH_X86_64;
	sc.nr = static_cast<uint64_t>(nr);
	int i = 0;
	for (uint64_t a : args)
		sc.args[i++] = a;
	return sc;
}

void putName(std::vector<uint8_t> &m, const std::string &name)
{
	size_t start = 0;
	while (start <= name.size()) {
		size_t dot = name.find('.', start);
		if (dot == std::string::npos)
			dot = name.size();
		m.push_back(static_cast<uint8_t>(dot - start));
		m.insert(m.end(), name.begin() + static_cast<long>(start), name.begin() + static_cast<long>(dot));
		start = dot + 1;
	}
	m.push_back(0);
}

// An A query (response = false) or its answer with one address.
std::vector<uint8_t> message(uint16_t id, const std::string &name, bool response, uint8_t last = 10)
{
	std::vector<uint8_t> m = { static_cast<uint8_t>(id >> 8), static_cast<uint8_t>(id), static_cast<uint8_t>(response ? 0x81 : 0x01),
				   static_cast<uint8_t>(response ? 0x80 : 0x00), 0, 1, 0, static_cast<uint8_t>(response ? 1 : 0), 0, 0, 0, 0 };
	putName(m, name);
	m.insert(m.end(), { 0, 1, 0, 1 });
	if (response)
		m.insert(m.end(), { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 203, 0, 113, last });
	return m;
}

} // namespace

TEST_CASE("classifyIo: the untrapped calls that carry a followed thread's DNS bytes", "[dns]")
{
	CHECK(classifyIo(x64(SYS_write, { 5, 0x1000, 30 })).dir == IoDir::Out);
	CHECK(classifyIo(x64(SYS_writev, { 5, 0x1000, 2 })).dir == IoDir::Out);
	CHECK(classifyIo(x64(SYS_sendto, { 5, 0x1000, 30, 0, 0, 0 })).dir == IoDir::Out);
	// With an address sendto is trapped, and judged at its seccomp stop.
	CHECK(classifyIo(x64(SYS_sendto, { 5, 0x1000, 30, 0, 0x2000, 16 })).dir == IoDir::None);
	for (long nr : { SYS_read, SYS_readv, SYS_recvfrom, SYS_recvmsg, SYS_recvmmsg })
		CHECK(classifyIo(x64(nr, { 5 })).dir == IoDir::In);
	CHECK(classifyIo(x64(SYS_close, { 5 })).dir == IoDir::Close);
	CHECK(classifyIo(x64(SYS_close, { 5 })).fd == 5);
	CHECK(classifyIo(x64(SYS_poll, { 5 })).dir == IoDir::None);
	RawSyscall i386 = x64(4, { 5, 0x1000, 30 });
	i386.auditArch = AUDIT_ARCH_I386;
	CHECK(classifyIo(i386).dir == IoDir::None);
}

TEST_CASE("ioBuffers reads what a call sends or received", "[dns]")
{
	FakeMemory mem;
	std::vector<uint8_t> data = { 1, 2, 3, 4, 5, 6 };
	mem.put(0x1000, data.data(), data.size());
	using Bytes = std::vector<std::vector<uint8_t>>;
	CHECK(ioBuffers(classifyIo(x64(SYS_write, { 5, 0x1000, 6 })), -1, mem, 100) == Bytes{ data });
	// In: only what the call received.
	CHECK(ioBuffers(classifyIo(x64(SYS_recvfrom, { 5, 0x1000, 6, 0, 0, 0 })), 4, mem, 100) ==
	      Bytes{ { 1, 2, 3, 4 } });
	CHECK(ioBuffers(classifyIo(x64(SYS_read, { 5, 0x1000, 6 })), -11, mem, 100).empty());
	// The cap bounds the copy.
	CHECK(ioBuffers(classifyIo(x64(SYS_write, { 5, 0x1000, 6 })), -1, mem, 2) == Bytes{ { 1, 2 } });

	iovec iov[2] = { { reinterpret_cast<void *>(0x1000), 2 }, { reinterpret_cast<void *>(0x1004), 2 } };
	mem.put(0x3000, iov, sizeof(iov));
	CHECK(ioBuffers(classifyIo(x64(SYS_writev, { 5, 0x3000, 2 })), -1, mem, 100) == Bytes{ { 1, 2, 5, 6 } });
	CHECK(ioBuffers(classifyIo(x64(SYS_readv, { 5, 0x3000, 2 })), 3, mem, 100) == Bytes{ { 1, 2, 5 } });

	// recvmmsg: each message's msg_len, as the kernel wrote it.
	mmsghdr mm[2] = {};
	mm[0].msg_hdr.msg_iov = reinterpret_cast<iovec *>(0x3000);
	mm[0].msg_hdr.msg_iovlen = 1;
	mm[0].msg_len = 2;
	mm[1].msg_hdr.msg_iov = reinterpret_cast<iovec *>(0x3000 + sizeof(iovec));
	mm[1].msg_hdr.msg_iovlen = 1;
	mm[1].msg_len = 1;
	mem.put(0x4000, mm, sizeof(mm));
	CHECK(ioBuffers(classifyIo(x64(SYS_recvmmsg, { 5, 0x4000, 2, 0, 0 })), 2, mem, 100) == Bytes{ { 1, 2 }, { 5 } });
	// Unreadable memory gives nothing, not garbage.
	CHECK(ioBuffers(classifyIo(x64(SYS_write, { 5, 0x9000, 6 })), -1, mem, 100) == Bytes{ {} });
}

TEST_CASE("DnsFollow matches answers to the queries sent", "[dns]")
{
	DnsFollow udp(5, false);
	DnsSend send = udp.parseOutgoing({ message(0x1234, "api.example.test", false) });
	REQUIRE(send.problem.empty());
	REQUIRE(send.queries.size() == 1);
	CHECK(send.queries[0].questions[0].name == "api.example.test");
	CHECK_FALSE(udp.done());
	udp.sent(send.queries[0], 3);

	// A spoofed id, or the right id for another name, answers nothing.
	CHECK(udp.incoming({ message(0x9999, "api.example.test", true) }).empty());
	CHECK(udp.incoming({ message(0x1234, "evil.example.test", true) }).empty());
	CHECK_FALSE(udp.done());
	auto answers = udp.incoming({ message(0x1234, "api.example.test", true, 77) });
	REQUIRE(answers.size() == 1);
	CHECK(answers[0].first.name == "api.example.test");
	CHECK(answers[0].first.exception == 3);
	REQUIRE(answers[0].second.addresses.size() == 1);
	CHECK(answers[0].second.addresses[0].str() == "203.0.113.77");
	CHECK(udp.done());

	// Bytes that are not a query say why.
	CHECK_FALSE(udp.parseOutgoing({ { 1, 2, 3 } }).problem.empty());

	// TCP: the 2-byte length prefix, split over two writes.
	DnsFollow tcp(6, true);
	std::vector<uint8_t> q = message(7, "api.example.test", false);
	std::vector<uint8_t> framed = { 0, static_cast<uint8_t>(q.size()) };
	framed.insert(framed.end(), q.begin(), q.end());
	std::vector<uint8_t> head(framed.begin(), framed.begin() + 5), tail(framed.begin() + 5, framed.end());
	CHECK(tcp.parseOutgoing({ head }).queries.empty());
	CHECK(tcp.pendingOut() == 5);
	CHECK(tcp.parseOutgoing({ tail }).queries.size() == 1);
	CHECK(tcp.pendingOut() == 0);

	// The budget of followed syscalls ends a follow that never completes.
	DnsFollow idle(7, false);
	unsigned ticks = 0;
	while (idle.tick())
		ticks++;
	CHECK(ticks == kMaxFollowedSyscalls);
}
