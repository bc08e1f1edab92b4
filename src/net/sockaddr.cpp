#include "net/sockaddr.h"

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "base/bytes.h"

namespace hg {

namespace {

// Minimum lengths the kernel itself insists on before it looks at an address.
constexpr size_t kSaFamilyLen = sizeof(sa_family_t);
constexpr size_t kInetMinLen = sizeof(sockaddr_in);               // inet_stream_connect, udp_sendmsg
constexpr size_t kInet6MinLen = 24;                               // SIN6_LEN_RFC2133: no sin6_scope_id
constexpr size_t kNetlinkMinLen = sizeof(sockaddr_nl);            // netlink_connect
constexpr size_t kPacketMinLen = offsetof(sockaddr_ll, sll_addr); // packet_snd: halen + offset

static_assert(kInetMinLen == 16 && kNetlinkMinLen == 12 && kPacketMinLen == 12);
static_assert(sizeof(sockaddr_in6) == 28);

Endpoint tooShort(Endpoint ep, size_t have, size_t need, const char *what)
{
	ep.status = AddrStatus::Undecodable;
	if (ep.addrlen < need)
		ep.undecodableReason = "addrlen " + std::to_string(ep.addrlen) +
				       " shorter than " + what + " (" +
				       std::to_string(need) + ")";
	else
		ep.undecodableReason = "only " + std::to_string(have) + " of " +
				       std::to_string(need) + " bytes of " + what + " readable";
	return ep;
}

void decodeInet(Endpoint &ep, const uint8_t *buf)
{
	const uint8_t *sin = buf;
	ep.isIp = true;
	ep.isV4 = true;
	ep.port = ntohs(load16(sin + offsetof(sockaddr_in, sin_port)));
	std::memcpy(ep.ip.data(), sin + offsetof(sockaddr_in, sin_addr), 4);
}

void decodeInet6(Endpoint &ep, const uint8_t *buf, size_t len)
{
	static constexpr uint8_t kMappedPrefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	const uint8_t *addr = buf + offsetof(sockaddr_in6, sin6_addr);

	ep.isIp = true;
	ep.port = ntohs(load16(buf + offsetof(sockaddr_in6, sin6_port)));
	ep.flowinfo = ntohl(load32(buf + offsetof(sockaddr_in6, sin6_flowinfo)));
	if (len >= sizeof(sockaddr_in6))
		ep.scopeId = load32(buf + offsetof(sockaddr_in6, sin6_scope_id));

	if (std::memcmp(addr, kMappedPrefix, sizeof(kMappedPrefix)) == 0) {
		// The kernel routes ::ffff:a.b.c.d over IPv4 (udpv6_sendmsg, tcp_v6_connect).
		ep.isV4 = true;
		ep.v4Mapped = true;
		std::memcpy(ep.ip.data(), addr + sizeof(kMappedPrefix), 4);
	} else {
		std::memcpy(ep.ip.data(), addr, 16);
	}
}

void decodeUnix(Endpoint &ep, const uint8_t *buf, size_t len)
{
	// The kernel rejects longer addresses (unix_validate_addr), so never look further.
	len = std::min(len, sizeof(sockaddr_un));
	const char *path = reinterpret_cast<const char *>(buf) + offsetof(sockaddr_un, sun_path);
	size_t pathLen = len - offsetof(sockaddr_un, sun_path);

	if (pathLen == 0) {
		ep.unixKind = UnixKind::Unnamed;
	} else if (path[0] == '\0') {
		// Abstract names are length-delimited and may hold NULs (unix(7)).
		ep.unixKind = UnixKind::Abstract;
		ep.unixPath.assign(path + 1, pathLen - 1);
	} else {
		ep.unixKind = UnixKind::Path;
		ep.unixPath.assign(path, strnlen(path, pathLen));
	}
}

void decodeNetlink(Endpoint &ep, const uint8_t *buf)
{
	ep.nlPid = load32(buf + offsetof(sockaddr_nl, nl_pid));
	ep.nlGroups = load32(buf + offsetof(sockaddr_nl, nl_groups));
}

void decodePacket(Endpoint &ep, const uint8_t *buf, size_t len)
{
	ep.pktProtocol = ntohs(load16(buf + offsetof(sockaddr_ll, sll_protocol)));
	ep.pktIfindex = static_cast<int>(load32(buf + offsetof(sockaddr_ll, sll_ifindex)));
	ep.pktHatype = load16(buf + offsetof(sockaddr_ll, sll_hatype));
	ep.pktPkttype = buf[offsetof(sockaddr_ll, sll_pkttype)];
	ep.pktHalen = buf[offsetof(sockaddr_ll, sll_halen)];
	size_t have = len - offsetof(sockaddr_ll, sll_addr);
	size_t n = std::min({ have, ep.pktAddr.size(), static_cast<size_t>(ep.pktHalen) });
	std::memcpy(ep.pktAddr.data(), buf + offsetof(sockaddr_ll, sll_addr), n);
}

} // namespace

Endpoint decodeSockaddr(std::span<const uint8_t> bytes, uint32_t addrlen)
{
	Endpoint ep;
	ep.addrlen = addrlen;

	// As strace: never look past sockaddr_storage, whatever addrlen claims, and
	// zero-pad what was read so fixed-offset loads stay inside the buffer.
	size_t len = std::min({ static_cast<size_t>(addrlen), bytes.size(), sizeof(sockaddr_storage) });
	alignas(sockaddr_storage) uint8_t buf[sizeof(sockaddr_storage)] = {};
	if (len > 0)
		std::memcpy(buf, bytes.data(), len);

	if (len < kSaFamilyLen)
		return tooShort(std::move(ep), len, kSaFamilyLen, "sa_family");

	ep.family = load16(buf);
	switch (ep.family) {
	case AF_INET:
		if (len < kInetMinLen)
			return tooShort(std::move(ep), len, kInetMinLen, "sockaddr_in");
		decodeInet(ep, buf);
		break;
	case AF_INET6:
		if (len < kInet6MinLen)
			return tooShort(std::move(ep), len, kInet6MinLen, "sockaddr_in6");
		decodeInet6(ep, buf, len);
		break;
	case AF_UNIX:
		decodeUnix(ep, buf, len);
		break;
	case AF_NETLINK:
		if (len < kNetlinkMinLen)
			return tooShort(std::move(ep), len, kNetlinkMinLen, "sockaddr_nl");
		decodeNetlink(ep, buf);
		break;
	case AF_PACKET:
		if (len < kPacketMinLen)
			return tooShort(std::move(ep), len, kPacketMinLen, "sockaddr_ll");
		decodePacket(ep, buf, len);
		break;
	default:
		ep.rawData.assign(buf + kSaFamilyLen, buf + len);
		break;
	}
	ep.status = AddrStatus::Decoded;
	return ep;
}

Endpoint undecodableEndpoint(uint32_t addrlen, std::string reason)
{
	Endpoint ep;
	ep.status = AddrStatus::Undecodable;
	ep.addrlen = addrlen;
	ep.undecodableReason = std::move(reason);
	return ep;
}

socklen_t toSockaddr(const Endpoint &ep, int domain, sockaddr_storage &ss)
{
	ss = {};
	if (domain == AF_INET && ep.isV4) {
		auto *sin = reinterpret_cast<sockaddr_in *>(&ss);
		sin->sin_family = AF_INET;
		sin->sin_port = htons(ep.port);
		std::memcpy(&sin->sin_addr, ep.ip.data(), 4);
		return sizeof(sockaddr_in);
	}
	if (domain == AF_INET6) {
		auto *sin6 = reinterpret_cast<sockaddr_in6 *>(&ss);
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(ep.port);
		sin6->sin6_flowinfo = htonl(ep.flowinfo);
		sin6->sin6_scope_id = ep.scopeId;
		if (ep.isV4) {
			sin6->sin6_addr.s6_addr[10] = 0xff;
			sin6->sin6_addr.s6_addr[11] = 0xff;
			std::memcpy(&sin6->sin6_addr.s6_addr[12], ep.ip.data(), 4);
		} else {
			std::memcpy(&sin6->sin6_addr, ep.ip.data(), 16);
		}
		return sizeof(sockaddr_in6);
	}
	return 0;
}

} // namespace hg
