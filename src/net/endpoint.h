#pragma once
// Endpoint: a decoded socket address, and SocketInfo: what kind of socket a call used.
// Pure data: nothing here touches ptrace or a tracee.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace hg {

// What the decoder made of a sockaddr.
enum class AddrStatus {
	Absent,      // the call carried no address (NULL pointer / addrlen 0): e.g. send on a connected socket
	Decoded,     // fully decoded
	Undecodable, // a pointer was given but could not be read or is too short for its family
};

enum class UnixKind { Path, Abstract, Unnamed };

struct Endpoint {
	AddrStatus status = AddrStatus::Absent;
	std::string undecodableReason; // set when status == Undecodable: "addrlen 3 shorter than sa_family", "EFAULT reading 0x1234"
	int family = -1;               // raw sa_family (AF_*), -1 when not even that could be read
	uint32_t addrlen = 0;          // addrlen the caller passed

	// AF_INET / AF_INET6. An IPv4-mapped IPv6 address (::ffff:a.b.c.d) has isV4 == true,
	// v4Mapped == true and ip holding the IPv4 address in its first 4 bytes.
	bool isIp = false;
	bool isV4 = false;
	bool v4Mapped = false;
	std::array<uint8_t, 16> ip{}; // network byte order; IPv4 uses the first 4 bytes
	uint16_t port = 0;            // host byte order
	uint32_t flowinfo = 0;        // AF_INET6 only, host byte order
	uint32_t scopeId = 0;         // AF_INET6 only

	// AF_UNIX
	UnixKind unixKind = UnixKind::Unnamed;
	std::string unixPath; // path, or the abstract name without its leading NUL

	// AF_NETLINK
	uint32_t nlPid = 0;
	uint32_t nlGroups = 0;

	// AF_PACKET
	uint16_t pktProtocol = 0; // host byte order
	int pktIfindex = 0;
	uint16_t pktHatype = 0;   // ARPHRD_*
	uint8_t pktPkttype = 0;   // PACKET_*
	uint8_t pktHalen = 0;     // as the caller wrote it (may exceed the 8 bytes of pktAddr)
	std::array<uint8_t, 8> pktAddr{};

	// Families without a decoder of their own: the bytes after sa_family (sa_data),
	// bounded by addrlen, so the address can still be printed as strace does.
	std::vector<uint8_t> rawData;

	// Short text for reports and matching: "203.0.113.1", "2001:db8::1" (mapped
	// addresses print as IPv4), "/run/x.sock", "@abstract", "(unnamed)",
	// "netlink pid=0 groups=0", "packet ifindex=2 proto=0x0800", "family 40".
	// Empty when status is Absent; "undecodable: <reason>" when Undecodable.
	std::string address() const;

	// True for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104.
	bool isLoopback() const;
};

// The socket a call was made on, read from the tracee's fd (SO_DOMAIN, SO_TYPE, SO_PROTOCOL).
struct SocketInfo {
	bool known = false; // false when the fd could not be inspected (closed, not a socket, race)
	int domain = -1;    // AF_*
	int type = -1;      // SOCK_STREAM, SOCK_DGRAM, SOCK_RAW, SOCK_SEQPACKET, SOCK_PACKET (flags masked off)
	int protocol = -1;  // IPPROTO_* (or ETH_P_* for AF_PACKET)
};

// "AF_INET", "AF_INET6", "AF_UNIX", "AF_NETLINK", "AF_PACKET", "AF_VSOCK", ..., "AF_40" for unknown.
std::string familyName(int family);

// The AF_* name of a family Linux defines, or nullptr for a number it does not.
const char *knownFamilyName(int family);

// The SOCK_* name of a socket type Linux defines ("SOCK_STREAM", ..., "SOCK_DCCP"), flags
// masked off, or nullptr for a number it does not.
const char *knownSocketTypeName(int type);

// Protocol label for reports: "tcp", "udp", "raw", "icmp", "icmpv6", "sctp", "mptcp",
// "packet", "unix-stream", "unix-dgram", "unix-seqpacket", "netlink", or "unknown".
std::string protocolLabel(const SocketInfo &sock);

} // namespace hg
