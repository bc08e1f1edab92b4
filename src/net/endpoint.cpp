#include "net/endpoint.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdio>

#include "net/sockaddr.h"
#include "base/strace_quote.h"

namespace hg {

namespace {

// Indexed by AF_* number, as in strace's xlat/addrfams.in. Numbers are the Linux
// ABI, so the table does not depend on how recent the libc headers are.
constexpr std::array<const char *, 46> kFamilyNames = {
	"AF_UNSPEC", "AF_UNIX", "AF_INET", "AF_AX25", "AF_IPX", "AF_APPLETALK",
	"AF_NETROM", "AF_BRIDGE", "AF_ATMPVC", "AF_X25", "AF_INET6", "AF_ROSE",
	"AF_DECnet", "AF_NETBEUI", "AF_SECURITY", "AF_KEY", "AF_NETLINK", "AF_PACKET",
	"AF_ASH", "AF_ECONET", "AF_ATMSVC", "AF_RDS", "AF_SNA", "AF_IRDA",
	"AF_PPPOX", "AF_WANPIPE", "AF_LLC", "AF_IB", "AF_MPLS", "AF_CAN",
	"AF_TIPC", "AF_BLUETOOTH", "AF_IUCV", "AF_RXRPC", "AF_ISDN", "AF_PHONET",
	"AF_IEEE802154", "AF_CAIF", "AF_ALG", "AF_NFC", "AF_VSOCK", "AF_KCM",
	"AF_QIPCRTR", "AF_SMC", "AF_XDP", "AF_MCTP",
};

static_assert(AF_INET6 == 10 && AF_NETLINK == 16 && AF_PACKET == 17);
static_assert(AF_CAN == 29 && AF_TIPC == 30 && AF_BLUETOOTH == 31 && AF_ALG == 38);
static_assert(AF_VSOCK == 40 && AF_KCM == 41 && AF_QIPCRTR == 42 && AF_XDP == 44);

std::string ipText(const Endpoint &ep)
{
	char buf[INET6_ADDRSTRLEN] = {};
	if (ep.isV4)
		inet_ntop(AF_INET, ep.ip.data(), buf, sizeof(buf));
	else
		inet_ntop(AF_INET6, ep.ip.data(), buf, sizeof(buf));
	return buf;
}

} // namespace

const char *knownSocketTypeName(int type)
{
	switch (type) {
	case SOCK_STREAM:
		return "SOCK_STREAM";
	case SOCK_DGRAM:
		return "SOCK_DGRAM";
	case SOCK_RAW:
		return "SOCK_RAW";
	case SOCK_SEQPACKET:
		return "SOCK_SEQPACKET";
	case SOCK_RDM:
		return "SOCK_RDM";
	case SOCK_PACKET:
		return "SOCK_PACKET";
	case SOCK_DCCP:
		return "SOCK_DCCP";
	default:
		return nullptr;
	}
}

const char *knownFamilyName(int family)
{
	if (family < 0 || static_cast<size_t>(family) >= kFamilyNames.size())
		return nullptr;
	return kFamilyNames[family];
}

std::string familyName(int family)
{
	if (const char *name = knownFamilyName(family))
		return name;
	return "AF_" + std::to_string(family);
}

std::string Endpoint::address() const
{
	switch (status) {
	case AddrStatus::Absent:
		return {};
	case AddrStatus::Undecodable:
		return "undecodable: " + undecodableReason;
	case AddrStatus::Decoded:
		break;
	}

	if (isIp)
		return ipText(*this);

	char buf[64];
	switch (family) {
	case AF_UNIX:
		switch (unixKind) {
		case UnixKind::Path:
			return strace::escape(unixPath);
		case UnixKind::Abstract: {
			// Appended, not "@" + temporary: GCC 12 misreports that at -O3
			// (-Wrestrict, gcc.gnu.org/PR105329).
			std::string text = "@";
			text += strace::escape(unixPath);
			return text;
		}
		case UnixKind::Unnamed:
			return "(unnamed)";
		}
		break;
	case AF_NETLINK:
		std::snprintf(buf, sizeof(buf), "netlink pid=%u groups=%u", nlPid, nlGroups);
		return buf;
	case AF_PACKET:
		std::snprintf(buf, sizeof(buf), "packet ifindex=%d proto=0x%04x",
			      pktIfindex, pktProtocol);
		return buf;
	default:
		break;
	}
	return "family " + std::to_string(family);
}

bool Endpoint::isLoopback() const
{
	if (status != AddrStatus::Decoded || !isIp)
		return false;
	if (isV4)
		return ip[0] == 127;
	static constexpr std::array<uint8_t, 16> kV6Loopback = { 0, 0, 0, 0, 0, 0, 0, 0,
								  0, 0, 0, 0, 0, 0, 0, 1 };
	return ip == kV6Loopback;
}

std::string protocolLabel(const SocketInfo &sock)
{
	if (!sock.known)
		return "unknown";

	switch (sock.domain) {
	case AF_UNIX:
		switch (sock.type) {
		case SOCK_STREAM:
			return "unix-stream";
		case SOCK_DGRAM:
			return "unix-dgram";
		case SOCK_SEQPACKET:
			return "unix-seqpacket";
		default:
			return "unknown";
		}
	case AF_NETLINK:
		return "netlink";
	case AF_PACKET:
		return "packet";
	case AF_INET:
	case AF_INET6:
		break;
	default:
		return "unknown";
	}

	// Ping sockets (SOCK_DGRAM + IPPROTO_ICMP) and raw ICMP sockets both read as icmp.
	switch (sock.protocol) {
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "icmpv6";
	default:
		break;
	}
	if (sock.type == SOCK_RAW)
		return "raw";
	if (sock.type == SOCK_PACKET)
		return "packet";

	switch (sock.protocol) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
		return "udp";
	case IPPROTO_SCTP:
		return "sctp";
	case IPPROTO_MPTCP:
		return "mptcp";
	default:
		break;
	}

	// SO_PROTOCOL reports the protocol the kernel picked, but be lenient with 0.
	if (sock.type == SOCK_STREAM)
		return "tcp";
	if (sock.type == SOCK_DGRAM)
		return "udp";
	return "unknown";
}

} // namespace hg
