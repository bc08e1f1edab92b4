// tracer/send_path.h: the control data and rtnetlink payload of a trapped send, read from
// (fake) tracee memory in both ABI layouts, and judged.

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <vector>

#include <catch2/catch.hpp>

#include "fake_memory.h"
#include "tracer/send_path.h"

using namespace hg;

namespace {

constexpr uint64_t kMsg = 0x10000, kIov = 0x20000, kData = 0x30000, kCtl = 0x40000;
const SocketInfo kUdp{ true, AF_INET, SOCK_DGRAM, IPPROTO_UDP };
const SocketInfo kRoute{ true, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE };

std::vector<uint8_t> cmsg(int level, int type, size_t data)
{
	std::vector<uint8_t> buf(CMSG_SPACE(data));
	cmsghdr h{};
	h.cmsg_len = CMSG_LEN(data);
	h.cmsg_level = level;
	h.cmsg_type = type;
	std::memcpy(buf.data(), &h, sizeof(h));
	return buf;
}

std::vector<uint8_t> nlmsg(uint16_t type)
{
	std::vector<uint8_t> buf(NLMSG_SPACE(sizeof(rtmsg)));
	nlmsghdr h{};
	h.nlmsg_len = NLMSG_LENGTH(sizeof(rtmsg));
	h.nlmsg_type = type;
	h.nlmsg_flags = NLM_F_REQUEST;
	std::memcpy(buf.data(), &h, sizeof(h));
	return buf;
}

// A native msghdr at `at` with one iovec (payload at kData) and control at kCtl.
void putMsg(FakeMemory &mem, uint64_t at, const std::vector<uint8_t> &payload, const std::vector<uint8_t> &control)
{
	msghdr m{};
	m.msg_iov = reinterpret_cast<iovec *>(kIov);
	m.msg_iovlen = 1;
	m.msg_control = control.empty() ? nullptr : reinterpret_cast<void *>(kCtl);
	m.msg_controllen = control.size();
	mem.put(at, &m, sizeof(m));
	iovec v{ reinterpret_cast<void *>(kData), payload.size() };
	mem.put(kIov, &v, sizeof(v));
	mem.put(kData, payload.data(), payload.size());
	if (!control.empty())
		mem.put(kCtl, control.data(), control.size());
}

DecodedCall call(NetCall c, bool compat = false)
{
	DecodedCall d;
	d.call = c;
	d.compat = compat;
	d.addrPtr = kMsg;
	return d;
}

} // namespace

TEST_CASE("judgeSendPath: a source routing control message on sendmsg", "[send_path]")
{
	FakeMemory mem;
	putMsg(mem, kMsg, { 'x' }, cmsg(IPPROTO_IP, IP_PKTINFO, sizeof(in_pktinfo)));
	CHECK_FALSE(judgeSendPath(call(NetCall::Sendmsg), kUdp, mem));

	FakeMemory routed;
	std::vector<uint8_t> control = cmsg(IPPROTO_IP, IP_TTL, 4);
	std::vector<uint8_t> retopts = cmsg(IPPROTO_IP, IP_RETOPTS, 8);
	control.insert(control.end(), retopts.begin(), retopts.end());
	putMsg(routed, kMsg, { 'x' }, control);
	auto why = judgeSendPath(call(NetCall::Sendmsg), kUdp, routed);
	REQUIRE(why);
	CHECK(why->find("IP_RETOPTS") != std::string::npos);
	// Control data the gate cannot read is refused, not passed.
	FakeMemory unreadable;
	msghdr m{};
	m.msg_control = reinterpret_cast<void *>(kCtl);
	m.msg_controllen = 32;
	unreadable.put(kMsg, &m, sizeof(m));
	CHECK(judgeSendPath(call(NetCall::Sendmsg), kUdp, unreadable));
}

TEST_CASE("judgeSendPath: the compat layout and sendmmsg's later messages", "[send_path]")
{
	// i386/x32 msghdr: seven 4-byte fields; control at offset 16, its length at 20.
	FakeMemory mem;
	uint32_t hdr[7] = { 0, 0, 0, 0, static_cast<uint32_t>(kCtl), 20, 0 };
	mem.put(kMsg, hdr, sizeof(hdr));
	uint32_t c[5] = { 20, IPPROTO_IPV6, IPV6_RTHDR, 0, 0 };
	mem.put(kCtl, c, sizeof(c));
	CHECK(judgeSendPath(call(NetCall::Sendmsg, true), kUdp, mem));

	// sendmmsg: the second of two native messages carries it.
	FakeMemory two;
	putMsg(two, kMsg, { 'x' }, {});
	std::vector<uint8_t> rt = cmsg(IPPROTO_IP, IP_RETOPTS, 8);
	msghdr second{};
	second.msg_control = reinterpret_cast<void *>(kCtl + 0x1000);
	second.msg_controllen = rt.size();
	two.put(kMsg + sizeof(mmsghdr), &second, sizeof(second));
	two.put(kCtl + 0x1000, rt.data(), rt.size());
	DecodedCall d = call(NetCall::Sendmmsg);
	d.len = 1;
	CHECK_FALSE(judgeSendPath(d, kUdp, two));
	d.len = 2;
	CHECK(judgeSendPath(d, kUdp, two));
}

TEST_CASE("judgeSendPath: rtnetlink changes by sendmsg and sendto, dumps pass", "[send_path]")
{
	FakeMemory mem;
	putMsg(mem, kMsg, nlmsg(RTM_GETROUTE), {});
	CHECK_FALSE(judgeSendPath(call(NetCall::Sendmsg), kRoute, mem));
	FakeMemory change;
	putMsg(change, kMsg, nlmsg(RTM_NEWROUTE), {});
	CHECK(judgeSendPath(call(NetCall::Sendmsg), kRoute, change));
	// Not a NETLINK_ROUTE socket: the same bytes change nothing the gate judges here.
	CHECK_FALSE(judgeSendPath(call(NetCall::Sendmsg), SocketInfo{ true, AF_NETLINK, SOCK_RAW, NETLINK_GENERIC }, change));

	DecodedCall to = call(NetCall::Sendto);
	to.bufPtr = kData;
	std::vector<uint8_t> newaddr = nlmsg(RTM_NEWADDR);
	FakeMemory buf;
	buf.put(kData, newaddr.data(), newaddr.size());
	to.len = newaddr.size();
	CHECK(judgeSendPath(to, kRoute, buf));
	CHECK_FALSE(judgeSendPath(to, kUdp, buf)); // sendto has no control data
}
