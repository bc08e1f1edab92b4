#include "strace/sockaddr.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "net/sockaddr.h"
#include "strace/names.h"
#include "base/strace_quote.h"

namespace hg::strace {

namespace {

std::string inet6Text(const Endpoint &ep)
{
	char buf[INET6_ADDRSTRLEN] = {};
	uint8_t addr[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (ep.v4Mapped)
		std::memcpy(addr + 12, ep.ip.data(), 4);
	else
		std::memcpy(addr, ep.ip.data(), 16);
	inet_ntop(AF_INET6, addr, buf, sizeof(buf));
	return buf;
}

std::string inet(const Endpoint &ep)
{
	char ip[INET_ADDRSTRLEN] = {};
	inet_ntop(AF_INET, ep.ip.data(), ip, sizeof(ip));
	return "{sa_family=AF_INET, sin_port=htons(" + std::to_string(ep.port) +
	       "), sin_addr=inet_addr(\"" + ip + "\")}";
}

std::string inet6(const Endpoint &ep)
{
	std::string s = "{sa_family=AF_INET6, sin6_port=htons(" + std::to_string(ep.port) +
			"), sin6_flowinfo=htonl(" + std::to_string(ep.flowinfo) +
			"), inet_pton(AF_INET6, \"" + inet6Text(ep) + "\", &sin6_addr)";
	// A 24-byte (RFC 2133) address has no sin6_scope_id to print.
	if (ep.addrlen >= sizeof(sockaddr_in6))
		s += ", sin6_scope_id=" + std::to_string(ep.scopeId);
	return s + "}";
}

std::string unixAddr(const Endpoint &ep)
{
	switch (ep.unixKind) {
	case UnixKind::Unnamed:
		return "{sa_family=AF_UNIX}";
	case UnixKind::Abstract:
		return "{sa_family=AF_UNIX, sun_path=@\"" + escape(ep.unixPath) + "\"}";
	case UnixKind::Path:
		break;
	}
	return "{sa_family=AF_UNIX, sun_path=\"" + escape(ep.unixPath) + "\"}";
}

std::string netlink(const Endpoint &ep)
{
	char groups[16];
	std::snprintf(groups, sizeof(groups), "%#08x", ep.nlGroups);
	return "{sa_family=AF_NETLINK, nl_pid=" + std::to_string(ep.nlPid) + ", nl_groups=" + groups + "}";
}

// strace names the interface in its own namespace, as if_nametoindex("lo").
std::string ifindex(int index)
{
	char name[IF_NAMESIZE] = {};
	if (index > 0 && if_indextoname(static_cast<unsigned>(index), name))
		return std::string("if_nametoindex(\"") + name + "\")";
	return std::to_string(index);
}

std::string packet(const Endpoint &ep)
{
	std::string s = "{sa_family=AF_PACKET, sll_protocol=htons(" + ethProtocol(ep.pktProtocol) +
			"), sll_ifindex=" + ifindex(ep.pktIfindex) +
			", sll_hatype=" + constant(arpHardwareTypes(), ep.pktHatype, "ARPHRD_???") +
			", sll_pkttype=" + constant(packetTypes(), ep.pktPkttype, "PACKET_???") +
			", sll_halen=" + std::to_string(ep.pktHalen);
	size_t n = std::min<size_t>(ep.pktHalen, ep.pktAddr.size());
	if (n > 0) {
		s += ", sll_addr=[";
		for (size_t i = 0; i < n; i++)
			s += (i ? ", " : "") + hex(ep.pktAddr[i]);
		s += "]";
	}
	return s + "}";
}

std::string raw(int family, std::span<const uint8_t> data)
{
	std::string s = "{sa_family=" + familyName(family);
	if (!data.empty()) {
		std::string_view text(reinterpret_cast<const char *>(data.data()), data.size());
		s += ", sa_data=\"" + escape(text) + "\"";
	}
	return s + "}";
}

} // namespace

std::string sockaddr(const Endpoint &ep, uint64_t pointer)
{
	if (ep.status != AddrStatus::Decoded)
		return pointer ? hex(pointer) : "NULL";

	switch (ep.family) {
	case AF_INET:
		return inet(ep);
	case AF_INET6:
		return inet6(ep);
	case AF_UNIX:
		return unixAddr(ep);
	case AF_NETLINK:
		return netlink(ep);
	case AF_PACKET:
		return packet(ep);
	default:
		return raw(ep.family, ep.rawData);
	}
}

std::string sockaddr(std::span<const uint8_t> bytes, uint32_t len, uint64_t pointer)
{
	if (!pointer)
		return "NULL";
	const size_t shown = std::min({ static_cast<size_t>(len), bytes.size(), sizeof(sockaddr_storage) });
	if (len < sizeof(sa_family_t) || shown < std::min<size_t>(len, sizeof(sockaddr_storage)))
		return hex(pointer);
	Endpoint ep = decodeSockaddr(bytes, len);
	if (ep.status == AddrStatus::Decoded)
		return sockaddr(ep, pointer);
	// Shorter than its family's struct: strace shows the family and the bytes after it.
	uint16_t family;
	std::memcpy(&family, bytes.data(), sizeof(family));
	return raw(family, bytes.subspan(sizeof(family), shown - sizeof(family)));
}

} // namespace hg::strace
