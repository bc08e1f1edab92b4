// net/packet_path.h: what changes where packets go, judged from a call's arguments and bytes.

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>

#include <cstring>
#include <vector>

#include <catch2/catch.hpp>

#include "base/packet_path.h"
#include "net/packet_path.h"

using namespace hg;

namespace {

bool isRaw(const Classification &c)
{
	return c.direction == Direction::Raw && c.violation;
}

bool isClean(const Classification &c)
{
	return c.direction == Direction::None && !c.violation;
}

// A native (x86_64) control message with `data` bytes of payload, padded to 8 bytes.
void addCmsg(std::vector<uint8_t> &buf, int level, int type, size_t data)
{
	cmsghdr h{};
	h.cmsg_len = CMSG_LEN(data);
	h.cmsg_level = level;
	h.cmsg_type = type;
	size_t at = buf.size();
	buf.resize(at + CMSG_SPACE(data));
	std::memcpy(buf.data() + at, &h, sizeof(h));
}

// The compat (i386/x32) layout: 4-byte length, 12-byte header, 4-byte alignment.
void addCompatCmsg(std::vector<uint8_t> &buf, int level, int type, size_t data)
{
	uint32_t len = static_cast<uint32_t>(12 + data);
	size_t at = buf.size();
	buf.resize(at + (len + 3) / 4 * 4);
	std::memcpy(buf.data() + at, &len, 4);
	std::memcpy(buf.data() + at + 4, &level, 4);
	std::memcpy(buf.data() + at + 8, &type, 4);
}

void addNlmsg(std::vector<uint8_t> &buf, uint16_t type, size_t body)
{
	nlmsghdr h{};
	h.nlmsg_len = static_cast<uint32_t>(NLMSG_LENGTH(body));
	h.nlmsg_type = type;
	h.nlmsg_flags = NLM_F_REQUEST;
	size_t at = buf.size();
	buf.resize(at + NLMSG_SPACE(body));
	std::memcpy(buf.data() + at, &h, sizeof(h));
}

} // namespace

TEST_CASE("classifySocket: raw and packet sockets with a protocol are raw violations", "[packet_path]")
{
	CHECK(isRaw(classifySocket(AF_INET, SOCK_RAW, IPPROTO_ICMP)));
	CHECK(isRaw(classifySocket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP)));
	CHECK(isRaw(classifySocket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6)));
	// IPPROTO_RAW: an IPv4 one receives datagrams of IP protocol 255 (seen on Linux 6.x).
	CHECK(isRaw(classifySocket(AF_INET, SOCK_RAW, IPPROTO_RAW)));
	CHECK(isRaw(classifySocket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL))));
	CHECK(isRaw(classifySocket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_IP))));
	// The obsolete AF_INET SOCK_PACKET is an AF_PACKET socket to the kernel.
	CHECK(isRaw(classifySocket(AF_INET, SOCK_PACKET, htons(ETH_P_ALL))));
	Classification c = classifySocket(AF_PACKET, SOCK_RAW, htons(ETH_P_IP));
	CHECK(c.why.find("AF_PACKET socket for protocol 0x0800") == 0);
	CHECK(c.why.find("no bind() and no listen()") != std::string::npos);
}

TEST_CASE("classifySocket: everything else is clean", "[packet_path]")
{
	CHECK(isClean(classifySocket(AF_PACKET, SOCK_RAW, 0)));
	CHECK(isClean(classifySocket(AF_PACKET, SOCK_DGRAM, 0)));
	CHECK(isClean(classifySocket(AF_INET, SOCK_PACKET, 0)));
	CHECK(isClean(classifySocket(AF_INET, SOCK_STREAM, 0)));
	CHECK(isClean(classifySocket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, IPPROTO_UDP)));
	CHECK(isClean(classifySocket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP))); // ping sockets: judged per destination
	CHECK(isClean(classifySocket(AF_UNIX, SOCK_STREAM, 0)));
	CHECK(isClean(classifySocket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE)));
	CHECK(isClean(classifySocket(AF_NETLINK, SOCK_DGRAM, NETLINK_GENERIC)));
	// int arguments: the upper half of the register does not count.
	CHECK(isClean(classifySocket(0x100000000ull | AF_PACKET, SOCK_RAW, 0x500000000ull)));
	CHECK(isRaw(classifySocket(0xffffffff00000000ull | AF_INET, SOCK_RAW, 1)));
}

TEST_CASE("classifySocket: netlink protocols that rewrite filtering are evasions", "[packet_path]")
{
	for (const PathNetlink &n : kPathNetlinks) {
		Classification c = classifySocket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, n.protocol);
		CHECK(c.direction == Direction::Evasion);
		CHECK(c.violation);
		CHECK(c.why.find(n.name) != std::string::npos);
	}
	CHECK(classifySocket(AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER).why.find("socket(AF_NETLINK, NETLINK_NETFILTER)") == 0);
}

TEST_CASE("judgeSockopt: every trapped option is refused, and names its call", "[packet_path]")
{
	for (const PathSockopt &o : kPathSockopts) {
		auto why = judgeSockopt(o.level, o.optname, 40);
		REQUIRE(why);
		CHECK(why->find(std::string(", ") + o.name + ")") != std::string::npos);
		CHECK(judgeSockopt(o.level, o.optname, 0).has_value() == !o.emptyClears);
	}
	CHECK(*judgeSockopt(IPPROTO_IP, IP_OPTIONS, 12) ==
	      std::string("setsockopt(IPPROTO_IP, IP_OPTIONS): ") + kPathSockopts[0].what);
	CHECK(judgeSockopt(IPPROTO_IPV6, IPV6_RTHDR, 24)->find("setsockopt(IPPROTO_IPV6, IPV6_RTHDR)") == 0);
	for (int opt = kIpVsSoSetFirst; opt <= kIpVsSoSetLast; opt++)
		CHECK(judgeSockopt(IPPROTO_IP, opt, 8));
	CHECK_FALSE(judgeSockopt(IPPROTO_IP, kIpVsSoSetFirst - 1, 8)); // IP_VS_SO_SET_NONE: a peek
	CHECK_FALSE(judgeSockopt(IPPROTO_IP, IP_TOS, 4));
	CHECK_FALSE(judgeSockopt(SOL_SOCKET, SO_REUSEADDR, 4));
	CHECK_FALSE(judgeSockopt(IPPROTO_TCP, IP_OPTIONS, 4)); // the level counts
	CHECK(judgeSockopt(0x700000000ull | IPPROTO_IP, 0x100000000ull | IP_TRANSPARENT, 4));
}

TEST_CASE("judgeControl: source routing control messages, both layouts", "[packet_path]")
{
	std::vector<uint8_t> benign;
	addCmsg(benign, IPPROTO_IP, IP_PKTINFO, 12);
	addCmsg(benign, IPPROTO_IP, IP_TTL, 4);
	CHECK_FALSE(judgeControl(benign, false));
	CHECK_FALSE(judgeControl({}, false));

	for (const PathCmsg &c : kPathCmsgs) {
		std::vector<uint8_t> buf = benign;
		addCmsg(buf, c.level, c.type, 8);
		auto why = judgeControl(buf, false);
		REQUIRE(why);
		CHECK(why->find(c.name) != std::string::npos);

		std::vector<uint8_t> compat;
		addCompatCmsg(compat, IPPROTO_IP, IP_TTL, 4);
		addCompatCmsg(compat, c.level, c.type, 8);
		CHECK(judgeControl(compat, true));
		// Read in the wrong layout the second header is somewhere else: the layouts differ.
		CHECK_FALSE(judgeControl(compat, false));
	}
	// A malformed header stops the walk (the kernel fails the call with EINVAL).
	std::vector<uint8_t> bad;
	addCmsg(bad, IPPROTO_IP, IP_RETOPTS, 8);
	cmsghdr h;
	std::memcpy(&h, bad.data(), sizeof(h));
	h.cmsg_len = bad.size() + 1;
	std::memcpy(bad.data(), &h, sizeof(h));
	CHECK_FALSE(judgeControl(bad, false));
}

TEST_CASE("judgeNetlinkSend: rtnetlink changes are refused, dumps pass", "[packet_path]")
{
	std::vector<uint8_t> dump; // what getaddrinfo and getifaddrs send
	addNlmsg(dump, RTM_GETADDR, sizeof(rtgenmsg));
	CHECK_FALSE(judgeNetlinkSend(NETLINK_ROUTE, dump, true));
	addNlmsg(dump, RTM_GETLINK, sizeof(ifinfomsg));
	CHECK_FALSE(judgeNetlinkSend(NETLINK_ROUTE, dump, true));

	for (uint16_t type : {RTM_NEWROUTE, RTM_DELROUTE, RTM_NEWADDR, RTM_SETLINK, RTM_NEWLINK, RTM_NEWNEIGH,
			      RTM_NEWRULE, RTM_NEWQDISC, RTM_NEWTFILTER, RTM_NEWNEXTHOP}) {
		std::vector<uint8_t> batch = dump;
		addNlmsg(batch, type, 16);
		auto why = judgeNetlinkSend(NETLINK_ROUTE, batch, true);
		REQUIRE(why);
		CHECK(why->find("rtnetlink message type " + std::to_string(type)) == 0);
		CHECK_FALSE(judgeNetlinkSend(NETLINK_GENERIC, batch, true));
	}
	// Control messages (below RTM_BASE) change nothing.
	std::vector<uint8_t> noop;
	addNlmsg(noop, NLMSG_NOOP, 0);
	CHECK_FALSE(judgeNetlinkSend(NETLINK_ROUTE, noop, true));
	// Only a prefix read: what follows is unknown.
	CHECK(judgeNetlinkSend(NETLINK_ROUTE, dump, false));
	// A message after a bad length is never seen by the kernel either.
	std::vector<uint8_t> cut;
	addNlmsg(cut, RTM_GETLINK, 0);
	nlmsghdr h;
	std::memcpy(&h, cut.data(), sizeof(h));
	h.nlmsg_len = 4;
	std::memcpy(cut.data(), &h, sizeof(h));
	addNlmsg(cut, RTM_NEWROUTE, 0);
	CHECK_FALSE(judgeNetlinkSend(NETLINK_ROUTE, cut, true));
}

TEST_CASE("judgeIoctl, judgeBpf: the table's calls, and nothing else", "[packet_path]")
{
	for (const PathIoctl &i : kPathIoctls) {
		auto why = judgeIoctl(i.cmd);
		REQUIRE(why);
		CHECK(why->find(std::string("ioctl(") + i.name + ")") == 0);
	}
	CHECK(judgeIoctl(kTunSetIff)->find("tun/tap") != std::string::npos);
	CHECK(judgeIoctl(0xffffffff00000000ull | SIOCADDRT));
	CHECK_FALSE(judgeIoctl(SIOCGIFINDEX));
	CHECK_FALSE(judgeIoctl(SIOCGIFCONF));
	CHECK_FALSE(judgeIoctl(0x5401)); // TCGETS
	for (const PathBpfCmd &b : kPathBpfCmds)
		CHECK(judgeBpf(b.cmd)->find(std::string("bpf(") + b.name + ")") == 0);
	CHECK_FALSE(judgeBpf(BPF_MAP_CREATE));
	CHECK_FALSE(judgeBpf(BPF_PROG_LOAD));
}

TEST_CASE("judgeSetns: entering a network namespace", "[packet_path]")
{
	CHECK(judgeSetns(CLONE_NEWNET, "net:[4026531840]"));
	CHECK(judgeSetns(0, "net:[4026531840]")->find("setns(net:[4026531840], 0)") == 0);
	CHECK(judgeSetns(CLONE_NEWNET | CLONE_NEWNS, "anon_inode:[pidfd]"));
	CHECK_FALSE(judgeSetns(0, "mnt:[4026531841]"));
	CHECK_FALSE(judgeSetns(CLONE_NEWNS, "mnt:[4026531841]"));
	// Unreadable fd with nstype 0: it could be a network namespace.
	CHECK(judgeSetns(0, ""));
}
