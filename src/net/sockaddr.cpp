#include "net/sockaddr.h"

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <cinttypes>
#include <cstddef>
#include <cstdio>
#include <cstring>

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

uint16_t load16(const uint8_t *p)
{
	uint16_t v;
	std::memcpy(&v, p, sizeof(v));
	return v;
}

uint32_t load32(const uint8_t *p)
{
	uint32_t v;
	std::memcpy(&v, p, sizeof(v));
	return v;
}

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

struct Name {
	unsigned value;
	const char *name;
};

const char *lookup(std::span<const Name> table, unsigned value)
{
	for (const Name &n : table)
		if (n.value == value)
			return n.name;
	return nullptr;
}

constexpr Name kEthProtocols[] = {
	{ 0x0003, "ETH_P_ALL" },   { 0x0800, "ETH_P_IP" },   { 0x0806, "ETH_P_ARP" },
	{ 0x8035, "ETH_P_RARP" },  { 0x8100, "ETH_P_8021Q" }, { 0x86DD, "ETH_P_IPV6" },
	{ 0x8847, "ETH_P_MPLS_UC" }, { 0x8863, "ETH_P_PPP_DISC" }, { 0x8864, "ETH_P_PPP_SES" },
	{ 0x888E, "ETH_P_PAE" },   { 0x88A8, "ETH_P_8021AD" }, { 0x88CC, "ETH_P_LLDP" },
};

constexpr Name kArpHardware[] = {
	{ ARPHRD_NETROM, "ARPHRD_NETROM" }, { ARPHRD_ETHER, "ARPHRD_ETHER" },
	{ ARPHRD_IEEE802, "ARPHRD_IEEE802" }, { ARPHRD_INFINIBAND, "ARPHRD_INFINIBAND" },
	{ ARPHRD_PPP, "ARPHRD_PPP" },       { ARPHRD_TUNNEL, "ARPHRD_TUNNEL" },
	{ ARPHRD_TUNNEL6, "ARPHRD_TUNNEL6" }, { ARPHRD_LOOPBACK, "ARPHRD_LOOPBACK" },
	{ ARPHRD_SIT, "ARPHRD_SIT" },       { ARPHRD_IEEE80211, "ARPHRD_IEEE80211" },
	{ ARPHRD_NONE, "ARPHRD_NONE" },     { ARPHRD_VOID, "ARPHRD_VOID" },
};

constexpr Name kPacketTypes[] = {
	{ PACKET_HOST, "PACKET_HOST" },         { PACKET_BROADCAST, "PACKET_BROADCAST" },
	{ PACKET_MULTICAST, "PACKET_MULTICAST" }, { PACKET_OTHERHOST, "PACKET_OTHERHOST" },
	{ PACKET_OUTGOING, "PACKET_OUTGOING" }, { PACKET_LOOPBACK, "PACKET_LOOPBACK" },
	{ PACKET_USER, "PACKET_USER" },         { PACKET_KERNEL, "PACKET_KERNEL" },
};

std::string hex(uint64_t v)
{
	char buf[24];
	std::snprintf(buf, sizeof(buf), "%#" PRIx64, v);
	return buf;
}

std::string named(std::span<const Name> table, unsigned value)
{
	if (const char *name = lookup(table, value))
		return name;
	return hex(value);
}

std::string inet6Text(const Endpoint &ep)
{
	char buf[INET6_ADDRSTRLEN] = {};
	if (ep.v4Mapped) {
		uint8_t mapped[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
		std::memcpy(mapped + 12, ep.ip.data(), 4);
		inet_ntop(AF_INET6, mapped, buf, sizeof(buf));
	} else {
		inet_ntop(AF_INET6, ep.ip.data(), buf, sizeof(buf));
	}
	return buf;
}

std::string straceInet(const Endpoint &ep)
{
	char ip[INET_ADDRSTRLEN] = {};
	inet_ntop(AF_INET, ep.ip.data(), ip, sizeof(ip));
	return "{sa_family=AF_INET, sin_port=htons(" + std::to_string(ep.port) +
	       "), sin_addr=inet_addr(\"" + ip + "\")}";
}

std::string straceInet6(const Endpoint &ep)
{
	std::string s = "{sa_family=AF_INET6, sin6_port=htons(" + std::to_string(ep.port) +
			"), sin6_flowinfo=htonl(" + std::to_string(ep.flowinfo) +
			"), inet_pton(AF_INET6, \"" + inet6Text(ep) + "\", &sin6_addr)";
	// As strace: a 24-byte (RFC 2133) address has no sin6_scope_id to print.
	if (ep.addrlen >= sizeof(sockaddr_in6))
		s += ", sin6_scope_id=" + std::to_string(ep.scopeId);
	return s + "}";
}

std::string straceUnix(const Endpoint &ep)
{
	switch (ep.unixKind) {
	case UnixKind::Unnamed:
		return "{sa_family=AF_UNIX}";
	case UnixKind::Abstract:
		return "{sa_family=AF_UNIX, sun_path=@\"" + escapeBytes(ep.unixPath) + "\"}";
	case UnixKind::Path:
		break;
	}
	return "{sa_family=AF_UNIX, sun_path=\"" + escapeBytes(ep.unixPath) + "\"}";
}

std::string straceNetlink(const Endpoint &ep)
{
	char groups[16];
	std::snprintf(groups, sizeof(groups), "%08x", ep.nlGroups);
	return "{sa_family=AF_NETLINK, nl_pid=" + std::to_string(ep.nlPid) +
	       ", nl_groups=" + groups + "}";
}

std::string stracePacket(const Endpoint &ep)
{
	std::string s = "{sa_family=AF_PACKET, sll_protocol=htons(" +
			named(kEthProtocols, ep.pktProtocol) +
			"), sll_ifindex=" + std::to_string(ep.pktIfindex) +
			", sll_hatype=" + named(kArpHardware, ep.pktHatype) +
			", sll_pkttype=" + named(kPacketTypes, ep.pktPkttype) +
			", sll_halen=" + std::to_string(ep.pktHalen);
	size_t n = std::min<size_t>(ep.pktHalen, ep.pktAddr.size());
	if (n > 0) {
		s += ", sll_addr=[";
		for (size_t i = 0; i < n; i++) {
			char byte[8];
			std::snprintf(byte, sizeof(byte), "%s0x%02x", i ? ", " : "", ep.pktAddr[i]);
			s += byte;
		}
		s += "]";
	}
	return s + "}";
}

std::string straceRaw(const Endpoint &ep)
{
	std::string s = "{sa_family=";
	if (const char *name = knownFamilyName(ep.family))
		s += name;
	else
		s += hex(static_cast<unsigned>(ep.family)) + " /* AF_??? */";
	if (!ep.rawData.empty()) {
		std::string_view data(reinterpret_cast<const char *>(ep.rawData.data()),
				      ep.rawData.size());
		s += ", sa_data=\"" + escapeBytes(data) + "\"";
	}
	return s + "}";
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

std::string straceSockaddr(const Endpoint &ep, uint64_t pointer)
{
	if (ep.status != AddrStatus::Decoded)
		return pointer ? hex(pointer) : "NULL";

	switch (ep.family) {
	case AF_INET:
		return straceInet(ep);
	case AF_INET6:
		return straceInet6(ep);
	case AF_UNIX:
		return straceUnix(ep);
	case AF_NETLINK:
		return straceNetlink(ep);
	case AF_PACKET:
		return stracePacket(ep);
	default:
		return straceRaw(ep);
	}
}

std::string escapeBytes(std::string_view bytes)
{
	std::string out;
	out.reserve(bytes.size());
	for (size_t i = 0; i < bytes.size(); i++) {
		unsigned char c = static_cast<unsigned char>(bytes[i]);
		switch (c) {
		case '"':
			out += "\\\"";
			continue;
		case '\\':
			out += "\\\\";
			continue;
		case '\f':
			out += "\\f";
			continue;
		case '\n':
			out += "\\n";
			continue;
		case '\r':
			out += "\\r";
			continue;
		case '\t':
			out += "\\t";
			continue;
		case '\v':
			out += "\\v";
			continue;
		default:
			break;
		}
		if (c >= ' ' && c <= '~') {
			out += static_cast<char>(c);
			continue;
		}
		// strace's string_quote(): the shortest octal form, unless the next
		// character is itself an octal digit and would be read as part of it.
		bool nextIsDigit = i + 1 < bytes.size() && bytes[i + 1] >= '0' && bytes[i + 1] <= '7';
		char esc[8];
		if (nextIsDigit)
			std::snprintf(esc, sizeof(esc), "\\%03o", c);
		else
			std::snprintf(esc, sizeof(esc), "\\%o", c);
		out += esc;
	}
	return out;
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
