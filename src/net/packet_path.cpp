#include "net/packet_path.h"

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "base/packet_path.h"

namespace hg {

namespace {

uint32_t low32(uint64_t v)
{
	return static_cast<uint32_t>(v);
}

std::string levelName(int level)
{
	switch (level) {
	case IPPROTO_IP:
		return "IPPROTO_IP";
	case IPPROTO_IPV6:
		return "IPPROTO_IPV6";
	default:
		return std::to_string(level);
	}
}

std::string hex(uint32_t v, int width)
{
	char buf[16];
	snprintf(buf, sizeof(buf), "0x%0*x", width, v);
	return buf;
}

// What a raw or packet socket lets the step do, after what it is.
constexpr const char *kRawWhat = ": it receives packets with no bind() and no listen(), and sends them to any "
				 "address with headers of its own";

Classification rawSocket(std::string what)
{
	what += kRawWhat;
	return Classification{ Direction::Raw, true, std::move(what) };
}

// The kernel's walk of control messages: a header at each aligned offset whose length
// covers at least the header and stays within the buffer (CMSG_OK, CMSG_COMPAT_OK).
struct CmsgHeader {
	uint64_t len;
	int level;
	int type;
};

bool readCmsg(std::span<const uint8_t> control, size_t off, bool compat, CmsgHeader &h, size_t &hdrLen)
{
	hdrLen = compat ? 12 : sizeof(cmsghdr);
	if (off + hdrLen > control.size())
		return false;
	if (compat) {
		uint32_t len;
		std::memcpy(&len, control.data() + off, 4);
		h.len = len;
		std::memcpy(&h.level, control.data() + off + 4, 4);
		std::memcpy(&h.type, control.data() + off + 8, 4);
	} else {
		cmsghdr c;
		std::memcpy(&c, control.data() + off, sizeof(c));
		h.len = c.cmsg_len;
		h.level = c.cmsg_level;
		h.type = c.cmsg_type;
	}
	return h.len >= hdrLen && h.len <= control.size() - off;
}

} // namespace

Classification classifySocket(uint64_t domain, uint64_t type, uint64_t protocol)
{
	const int family = static_cast<int>(low32(domain));
	const uint32_t kind = low32(type) & 0xf; // SOCK_TYPE_MASK: the flags are above it
	const uint32_t proto = low32(protocol);
	// A packet socket's protocol is an Ethernet type in network byte order.
	const std::string ethType = "protocol " + hex(ntohs(static_cast<uint16_t>(proto)), 4);
	if (family == AF_PACKET && proto != 0)
		return rawSocket("AF_PACKET socket for " + ethType);
	if (family == AF_INET && kind == SOCK_PACKET && proto != 0)
		return rawSocket("AF_INET SOCK_PACKET socket (an AF_PACKET one to the kernel) for " + ethType);
	if ((family == AF_INET || family == AF_INET6) && kind == SOCK_RAW)
		return rawSocket(std::string(family == AF_INET ? "AF_INET" : "AF_INET6") + " SOCK_RAW socket for IP protocol " +
				 std::to_string(proto));
	if (family == AF_NETLINK) {
		for (const PathNetlink &n : kPathNetlinks) {
			if (static_cast<uint32_t>(n.protocol) == proto)
				return Classification{ Direction::Evasion, true,
						       std::string("socket(AF_NETLINK, ") + n.name +
							       "): its messages rewrite the machine's packet filtering, NAT "
							       "or IPsec policy, and so where packets go" };
		}
	}
	return Classification{ Direction::None, false, "socket" };
}

std::optional<std::string> judgeSockopt(uint64_t level, uint64_t optname, uint64_t optlen)
{
	const int lvl = static_cast<int>(low32(level));
	const int opt = static_cast<int>(low32(optname));
	for (const PathSockopt &o : kPathSockopts) {
		if (o.level != lvl || o.optname != opt)
			continue;
		if (o.emptyClears && low32(optlen) == 0)
			return std::nullopt;
		return "setsockopt(" + levelName(lvl) + ", " + o.name + "): " + o.what;
	}
	if (lvl == IPPROTO_IP && opt >= kIpVsSoSetFirst && opt <= kIpVsSoSetLast)
		return "setsockopt(IPPROTO_IP, IP_VS_SO_SET_" + std::to_string(opt) + "): " + kIpVsWhat;
	return std::nullopt;
}

std::optional<std::string> judgeControl(std::span<const uint8_t> control, bool compat)
{
	const size_t align = compat ? 4 : sizeof(size_t);
	size_t off = 0;
	CmsgHeader h;
	size_t hdrLen;
	while (readCmsg(control, off, compat, h, hdrLen)) {
		for (const PathCmsg &c : kPathCmsgs) {
			if (c.level == h.level && c.type == h.type)
				return "control message " + levelName(h.level) + "/" + c.name +
				       " on a send: it gives the packet a source route (IP options or an IPv6 routing "
				       "header) that takes it through other hosts before its destination";
		}
		off += (h.len + align - 1) / align * align;
	}
	return std::nullopt;
}

std::optional<std::string> judgeNetlinkSend(int protocol, std::span<const uint8_t> payload, bool complete)
{
	if (protocol != NETLINK_ROUTE)
		return std::nullopt;
	// netlink_rcv_skb(): one message after another while a header fits; a length shorter
	// than the header stops it, and so does one past the end of what was sent.
	size_t off = 0;
	while (payload.size() - off >= sizeof(nlmsghdr)) {
		nlmsghdr h;
		std::memcpy(&h, payload.data() + off, sizeof(h));
		if (h.nlmsg_type >= RTM_BASE && (h.nlmsg_type & 3) != (RTM_GETLINK & 3))
			return "rtnetlink message type " + std::to_string(h.nlmsg_type) +
			       " (RTM_NEW*, RTM_DEL* or RTM_SET*) on a NETLINK_ROUTE socket: it changes the machine's "
			       "routes, addresses, links, neighbours, rules or traffic control, and so where packets go";
		if (h.nlmsg_len < sizeof(nlmsghdr))
			return std::nullopt;
		if (h.nlmsg_len > payload.size() - off)
			break;
		off += std::min<size_t>(NLMSG_ALIGN(h.nlmsg_len), payload.size() - off);
	}
	if (!complete)
		return std::string("a NETLINK_ROUTE send longer than the gate reads: its rtnetlink messages "
				   "could not all be checked for changes to the machine's routes and links");
	return std::nullopt;
}

std::optional<std::string> judgeIoctl(uint64_t cmd)
{
	for (const PathIoctl &i : kPathIoctls) {
		if (i.cmd != low32(cmd))
			continue;
		if (i.cmd == kTunSetIff)
			return std::string("ioctl(TUNSETIFF): attaches a tun/tap device, and write() on its fd injects "
					   "packets that no socket call carries");
		return std::string("ioctl(") + i.name +
		       "): changes the machine's routes, interfaces, neighbours, bridges or tunnels, and so where "
		       "packets go";
	}
	return std::nullopt;
}

std::optional<std::string> judgeBpf(uint64_t cmd)
{
	for (const PathBpfCmd &b : kPathBpfCmds) {
		if (static_cast<uint32_t>(b.cmd) == low32(cmd))
			return std::string("bpf(") + b.name +
			       "): attaches or runs a program in the network stack, which can redirect, rewrite or "
			       "inject packets";
	}
	return std::nullopt;
}

std::optional<std::string> judgeSetns(uint64_t nstype, const std::string &fdTarget)
{
	const uint32_t type = low32(nstype);
	const bool netFd = fdTarget.rfind("net:", 0) == 0;
	if (!(type & CLONE_NEWNET) && !netFd) {
		if (type != 0 || !fdTarget.empty())
			return std::nullopt;
		return std::string("setns(fd, 0) on an fd the gate could not read: it may enter another network "
				   "namespace");
	}
	return "setns(" + (netFd ? fdTarget : std::string("fd")) + ", " +
	       (type & CLONE_NEWNET ? "CLONE_NEWNET" : std::to_string(type)) +
	       "): enters the fd's network namespace, where the loopback and allowed addresses can lead to "
	       "other hosts and services than in the step's own";
}

} // namespace hg
