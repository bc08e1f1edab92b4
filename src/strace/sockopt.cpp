#include "strace/sockopt.h"

#include <span>

#include "strace/names.h"

namespace hg::strace {

namespace {

constexpr int kSolIp = 0;
constexpr int kSolSocket = 1;
constexpr int kSolTcp = 6;
constexpr int kSolIpv6 = 41;

constexpr Named kSoOptions[] = {
	{ 1, "SO_DEBUG" }, { 2, "SO_REUSEADDR" }, { 3, "SO_TYPE" }, { 4, "SO_ERROR" },
	{ 5, "SO_DONTROUTE" }, { 6, "SO_BROADCAST" }, { 7, "SO_SNDBUF" }, { 8, "SO_RCVBUF" },
	{ 9, "SO_KEEPALIVE" }, { 10, "SO_OOBINLINE" }, { 11, "SO_NO_CHECK" }, { 12, "SO_PRIORITY" },
	{ 13, "SO_LINGER" }, { 14, "SO_BSDCOMPAT" }, { 15, "SO_REUSEPORT" }, { 16, "SO_PASSCRED" },
	{ 17, "SO_PEERCRED" }, { 18, "SO_RCVLOWAT" }, { 19, "SO_SNDLOWAT" }, { 20, "SO_RCVTIMEO_OLD" },
	{ 21, "SO_SNDTIMEO_OLD" }, { 22, "SO_SECURITY_AUTHENTICATION" },
	{ 23, "SO_SECURITY_ENCRYPTION_TRANSPORT" }, { 24, "SO_SECURITY_ENCRYPTION_NETWORK" },
	{ 25, "SO_BINDTODEVICE" }, { 26, "SO_ATTACH_FILTER" }, { 27, "SO_DETACH_FILTER" },
	{ 28, "SO_PEERNAME" }, { 29, "SO_TIMESTAMP_OLD" }, { 30, "SO_ACCEPTCONN" }, { 31, "SO_PEERSEC" },
	{ 32, "SO_SNDBUFFORCE" }, { 33, "SO_RCVBUFFORCE" }, { 34, "SO_PASSSEC" },
	{ 35, "SO_TIMESTAMPNS_OLD" }, { 36, "SO_MARK" }, { 37, "SO_TIMESTAMPING_OLD" },
	{ 38, "SO_PROTOCOL" }, { 39, "SO_DOMAIN" }, { 40, "SO_RXQ_OVFL" }, { 41, "SO_WIFI_STATUS" },
	{ 42, "SO_PEEK_OFF" }, { 43, "SO_NOFCS" }, { 44, "SO_LOCK_FILTER" }, { 45, "SO_SELECT_ERR_QUEUE" },
	{ 46, "SO_BUSY_POLL" }, { 47, "SO_MAX_PACING_RATE" }, { 48, "SO_BPF_EXTENSIONS" },
	{ 49, "SO_INCOMING_CPU" }, { 50, "SO_ATTACH_BPF" }, { 51, "SO_ATTACH_REUSEPORT_CBPF" },
	{ 52, "SO_ATTACH_REUSEPORT_EBPF" }, { 53, "SO_CNX_ADVICE" }, { 55, "SO_MEMINFO" },
	{ 56, "SO_INCOMING_NAPI_ID" }, { 57, "SO_COOKIE" }, { 59, "SO_PEERGROUPS" }, { 60, "SO_ZEROCOPY" },
	{ 61, "SO_TXTIME" }, { 62, "SO_BINDTOIFINDEX" }, { 63, "SO_TIMESTAMP_NEW" },
	{ 64, "SO_TIMESTAMPNS_NEW" }, { 65, "SO_TIMESTAMPING_NEW" }, { 66, "SO_RCVTIMEO_NEW" },
	{ 67, "SO_SNDTIMEO_NEW" }, { 68, "SO_DETACH_REUSEPORT_BPF" }, { 69, "SO_PREFER_BUSY_POLL" },
	{ 70, "SO_BUSY_POLL_BUDGET" }, { 71, "SO_NETNS_COOKIE" }, { 72, "SO_BUF_LOCK" },
	{ 73, "SO_RESERVE_MEM" }, { 74, "SO_TXREHASH" }, { 75, "SO_RCVMARK" },
};

constexpr Named kIpOptions[] = {
	{ 1, "IP_TOS" }, { 2, "IP_TTL" }, { 3, "IP_HDRINCL" }, { 4, "IP_OPTIONS" },
	{ 5, "IP_ROUTER_ALERT" }, { 6, "IP_RECVOPTS" }, { 7, "IP_RETOPTS" }, { 8, "IP_PKTINFO" },
	{ 9, "IP_PKTOPTIONS" }, { 10, "IP_MTU_DISCOVER" }, { 11, "IP_RECVERR" }, { 12, "IP_RECVTTL" },
	{ 13, "IP_RECVTOS" }, { 14, "IP_MTU" }, { 15, "IP_FREEBIND" }, { 16, "IP_IPSEC_POLICY" },
	{ 17, "IP_XFRM_POLICY" }, { 18, "IP_PASSSEC" }, { 19, "IP_TRANSPARENT" }, { 20, "IP_ORIGDSTADDR" },
	{ 21, "IP_MINTTL" }, { 22, "IP_NODEFRAG" }, { 23, "IP_CHECKSUM" }, { 24, "IP_BIND_ADDRESS_NO_PORT" },
	{ 25, "IP_RECVFRAGSIZE" }, { 26, "IP_RECVERR_RFC4884" }, { 32, "IP_MULTICAST_IF" },
	{ 33, "IP_MULTICAST_TTL" }, { 34, "IP_MULTICAST_LOOP" }, { 35, "IP_ADD_MEMBERSHIP" },
	{ 36, "IP_DROP_MEMBERSHIP" }, { 37, "IP_UNBLOCK_SOURCE" }, { 38, "IP_BLOCK_SOURCE" },
	{ 39, "IP_ADD_SOURCE_MEMBERSHIP" }, { 40, "IP_DROP_SOURCE_MEMBERSHIP" }, { 41, "IP_MSFILTER" },
	{ 49, "IP_MULTICAST_ALL" }, { 50, "IP_UNICAST_IF" },
};

constexpr Named kIpv6Options[] = {
	{ 1, "IPV6_ADDRFORM" }, { 2, "IPV6_2292PKTINFO" }, { 3, "IPV6_2292HOPOPTS" },
	{ 4, "IPV6_2292DSTOPTS" }, { 5, "IPV6_2292RTHDR" }, { 6, "IPV6_2292PKTOPTIONS" },
	{ 7, "IPV6_CHECKSUM" }, { 8, "IPV6_2292HOPLIMIT" }, { 9, "IPV6_NEXTHOP" }, { 10, "IPV6_AUTHHDR" },
	{ 11, "IPV6_FLOWINFO" }, { 16, "IPV6_UNICAST_HOPS" }, { 17, "IPV6_MULTICAST_IF" },
	{ 18, "IPV6_MULTICAST_HOPS" }, { 19, "IPV6_MULTICAST_LOOP" }, { 20, "IPV6_ADD_MEMBERSHIP" },
	{ 21, "IPV6_DROP_MEMBERSHIP" }, { 22, "IPV6_ROUTER_ALERT" }, { 23, "IPV6_MTU_DISCOVER" },
	{ 24, "IPV6_MTU" }, { 25, "IPV6_RECVERR" }, { 26, "IPV6_V6ONLY" }, { 27, "IPV6_JOIN_ANYCAST" },
	{ 28, "IPV6_LEAVE_ANYCAST" }, { 29, "IPV6_MULTICAST_ALL" }, { 30, "IPV6_ROUTER_ALERT_ISOLATE" },
	{ 31, "IPV6_RECVERR_RFC4884" }, { 49, "IPV6_RECVPKTINFO" }, { 50, "IPV6_PKTINFO" },
	{ 51, "IPV6_RECVHOPLIMIT" }, { 52, "IPV6_HOPLIMIT" }, { 53, "IPV6_RECVHOPOPTS" },
	{ 54, "IPV6_HOPOPTS" }, { 55, "IPV6_RTHDRDSTOPTS" }, { 56, "IPV6_RECVRTHDR" }, { 57, "IPV6_RTHDR" },
	{ 58, "IPV6_RECVDSTOPTS" }, { 59, "IPV6_DSTOPTS" }, { 60, "IPV6_RECVPATHMTU" },
	{ 61, "IPV6_PATHMTU" }, { 62, "IPV6_DONTFRAG" }, { 66, "IPV6_RECVTCLASS" }, { 67, "IPV6_TCLASS" },
	{ 70, "IPV6_AUTOFLOWLABEL" }, { 72, "IPV6_ADDR_PREFERENCES" }, { 73, "IPV6_MINHOPCOUNT" },
	{ 74, "IPV6_ORIGDSTADDR" }, { 75, "IPV6_TRANSPARENT" }, { 76, "IPV6_UNICAST_IF" },
	{ 77, "IPV6_RECVFRAGSIZE" }, { 78, "IPV6_FREEBIND" },
};

constexpr Named kTcpOptions[] = {
	{ 1, "TCP_NODELAY" }, { 2, "TCP_MAXSEG" }, { 3, "TCP_CORK" }, { 4, "TCP_KEEPIDLE" },
	{ 5, "TCP_KEEPINTVL" }, { 6, "TCP_KEEPCNT" }, { 7, "TCP_SYNCNT" }, { 8, "TCP_LINGER2" },
	{ 9, "TCP_DEFER_ACCEPT" }, { 10, "TCP_WINDOW_CLAMP" }, { 11, "TCP_INFO" }, { 12, "TCP_QUICKACK" },
	{ 13, "TCP_CONGESTION" }, { 14, "TCP_MD5SIG" }, { 15, "TCP_COOKIE_TRANSACTIONS" },
	{ 16, "TCP_THIN_LINEAR_TIMEOUTS" }, { 17, "TCP_THIN_DUPACK" }, { 18, "TCP_USER_TIMEOUT" },
	{ 19, "TCP_REPAIR" }, { 20, "TCP_REPAIR_QUEUE" }, { 21, "TCP_QUEUE_SEQ" },
	{ 22, "TCP_REPAIR_OPTIONS" }, { 23, "TCP_FASTOPEN" }, { 24, "TCP_TIMESTAMP" },
	{ 25, "TCP_NOTSENT_LOWAT" }, { 26, "TCP_CC_INFO" }, { 27, "TCP_SAVE_SYN" }, { 28, "TCP_SAVED_SYN" },
	{ 29, "TCP_REPAIR_WINDOW" }, { 30, "TCP_FASTOPEN_CONNECT" }, { 31, "TCP_ULP" },
	{ 32, "TCP_MD5SIG_EXT" }, { 33, "TCP_FASTOPEN_KEY" }, { 34, "TCP_FASTOPEN_NO_COOKIE" },
	{ 35, "TCP_ZEROCOPY_RECEIVE" }, { 36, "TCP_INQ" }, { 37, "TCP_TX_DELAY" },
};

struct Level {
	int level;
	std::span<const Named> options;
	const char *unknownTag;
};

constexpr Level kLevels[] = {
	{ kSolSocket, kSoOptions, "SO_???" },
	{ kSolIp, kIpOptions, "IP_???" },
	{ kSolIpv6, kIpv6Options, "IPV6_???" },
	{ kSolTcp, kTcpOptions, "TCP_???" },
};

// How an option's value prints; options not listed are ints ("[1]"), as strace prints
// even the ones it does not know.
enum class Kind { Int, String, Linger, PeerCred, Error };

struct OptKind {
	int level;
	int name;
	Kind kind;
};

constexpr OptKind kKinds[] = {
	{ kSolSocket, 4, Kind::Error },   { kSolSocket, 13, Kind::Linger },  { kSolSocket, 17, Kind::PeerCred },
	{ kSolSocket, 20, Kind::String }, { kSolSocket, 21, Kind::String },  { kSolSocket, 25, Kind::String },
	{ kSolSocket, 66, Kind::String }, { kSolSocket, 67, Kind::String },  { kSolTcp, 13, Kind::String },
	{ kSolTcp, 31, Kind::String },
};

Kind kindOf(int level, int name)
{
	for (const OptKind &k : kKinds)
		if (k.level == level && k.name == name)
			return k.kind;
	return Kind::Int;
}

std::string linger(const std::vector<uint8_t> &b)
{
	return "{l_onoff=" + std::to_string(static_cast<int>(load32(b.data()))) +
	       ", l_linger=" + std::to_string(static_cast<int>(load32(b.data() + 4))) + "}";
}

std::string peerCred(const std::vector<uint8_t> &b)
{
	return "{pid=" + std::to_string(static_cast<int>(load32(b.data()))) + ", uid=" +
	       std::to_string(load32(b.data() + 4)) + ", gid=" + std::to_string(load32(b.data() + 8)) + "}";
}

// A fixed-size value: its struct when len is the struct's size and it is readable.
std::string fixed(const Ctx &c, uint64_t addr, uint32_t len, size_t size,
		  std::string (*print)(const std::vector<uint8_t> &))
{
	if (len != size)
		return hex(addr);
	auto bytes = readExact(c.mem, addr, size);
	return bytes ? print(*bytes) : hex(addr);
}

std::string intValue(const Ctx &c, uint64_t addr, bool asErrno)
{
	auto v = readU32(c.mem, addr);
	if (!v)
		return hex(addr);
	const int n = static_cast<int>(*v);
	return "[" + (asErrno && n > 0 ? errnoName(n) : std::to_string(n)) + "]";
}

} // namespace

std::string sockoptName(int level, int name)
{
	for (const Level &l : kLevels)
		if (l.level == level)
			return std::string(lookup(socketLevels(), static_cast<unsigned>(level))) + ", " +
			       constant(l.options, static_cast<unsigned>(name), l.unknownTag);
	return constant(socketLevels(), static_cast<unsigned>(level), "SOL_??") + ", " + std::to_string(name);
}

std::string setsockoptValue(const Ctx &c, int level, int name, uint64_t addr, uint32_t optlen)
{
	switch (kindOf(level, name)) {
	case Kind::String:
		return buffer(c, addr, optlen);
	case Kind::Linger:
		return fixed(c, addr, optlen, 8, linger);
	default:
		// Observed: [1] for optlen 4 and 8, the pointer for optlen 2 and 3.
		return optlen >= 4 ? intValue(c, addr, false) : hex(addr);
	}
}

std::string getsockoptValue(const Ctx &c, int level, int name, uint64_t addr, uint32_t outlen)
{
	switch (Kind kind = kindOf(level, name)) {
	case Kind::String:
		return buffer(c, addr, outlen);
	case Kind::Linger:
		return fixed(c, addr, outlen, 8, linger);
	case Kind::PeerCred:
		return fixed(c, addr, outlen, 12, peerCred);
	default:
		// Observed: an int of another size prints as hex bytes ("\x00\x00").
		return outlen == 4 ? intValue(c, addr, kind == Kind::Error) : buffer(c, addr, outlen, true);
	}
}

} // namespace hg::strace
