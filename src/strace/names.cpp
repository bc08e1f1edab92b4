#include "strace/names.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "net/endpoint.h"

namespace hg::strace {

namespace {

constexpr Named kMsgFlags[] = {
	{ 0x1, "MSG_OOB" },
	{ 0x2, "MSG_PEEK" },
	{ 0x4, "MSG_DONTROUTE" },
	{ 0x8, "MSG_CTRUNC" },
	{ 0x10, "MSG_PROBE" },
	{ 0x20, "MSG_TRUNC" },
	{ 0x40, "MSG_DONTWAIT" },
	{ 0x80, "MSG_EOR" },
	{ 0x100, "MSG_WAITALL" },
	{ 0x200, "MSG_FIN" },
	{ 0x400, "MSG_SYN" },
	{ 0x800, "MSG_CONFIRM" },
	{ 0x1000, "MSG_RST" },
	{ 0x2000, "MSG_ERRQUEUE" },
	{ 0x4000, "MSG_NOSIGNAL" },
	{ 0x8000, "MSG_MORE" },
	{ 0x10000, "MSG_WAITFORONE" },
	{ 0x40000, "MSG_BATCH" },
	{ 0x4000000, "MSG_ZEROCOPY" },
	{ 0x20000000, "MSG_FASTOPEN" },
	{ 0x40000000, "MSG_CMSG_CLOEXEC" },
};

// Kernel-internal restart codes a tracer can see at syscall exit, with the texts strace
// prints for them (observed: "= ? ERESTARTSYS (To be restarted if SA_RESTART is set)").
struct Restart {
	int errnum;
	const char *name;
	const char *text;
};

constexpr Restart kRestarts[] = {
	{ 512, "ERESTARTSYS", "To be restarted if SA_RESTART is set" },
	{ 513, "ERESTARTNOINTR", "To be restarted" },
	{ 514, "ERESTARTNOHAND", "To be restarted if no handler" },
	{ 516, "ERESTART_RESTARTBLOCK", "Interrupted by signal" },
};

const Restart *findRestart(int errnum)
{
	for (const Restart &r : kRestarts)
		if (r.errnum == errnum)
			return &r;
	return nullptr;
}

constexpr long kMaxErrno = 4095;

constexpr Named kSignals[] = {
	{ 1, "SIGHUP" },    { 2, "SIGINT" },     { 3, "SIGQUIT" },   { 4, "SIGILL" },
	{ 5, "SIGTRAP" },   { 6, "SIGABRT" },    { 7, "SIGBUS" },    { 8, "SIGFPE" },
	{ 9, "SIGKILL" },   { 10, "SIGUSR1" },   { 11, "SIGSEGV" },  { 12, "SIGUSR2" },
	{ 13, "SIGPIPE" },  { 14, "SIGALRM" },   { 15, "SIGTERM" },  { 16, "SIGSTKFLT" },
	{ 17, "SIGCHLD" },  { 18, "SIGCONT" },   { 19, "SIGSTOP" },  { 20, "SIGTSTP" },
	{ 21, "SIGTTIN" },  { 22, "SIGTTOU" },   { 23, "SIGURG" },   { 24, "SIGXCPU" },
	{ 25, "SIGXFSZ" },  { 26, "SIGVTALRM" }, { 27, "SIGPROF" },  { 28, "SIGWINCH" },
	{ 29, "SIGIO" },    { 30, "SIGPWR" },    { 31, "SIGSYS" },
};

constexpr int kSigRtMin = 32;
constexpr int kSigRtMax = 64;

constexpr Named kSockTypes[] = {
	{ 1, "SOCK_STREAM" }, { 2, "SOCK_DGRAM" },     { 3, "SOCK_RAW" }, { 4, "SOCK_RDM" },
	{ 5, "SOCK_SEQPACKET" }, { 6, "SOCK_DCCP" }, { 10, "SOCK_PACKET" },
};

// Observed order: SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK.
constexpr Named kSockFlags[] = { { 0x80000, "SOCK_CLOEXEC" }, { 0x800, "SOCK_NONBLOCK" } };
constexpr uint64_t kSockTypeMask = 0xf;

constexpr Named kIpProtocols[] = {
	{ 0, "IPPROTO_IP" },      { 1, "IPPROTO_ICMP" },     { 2, "IPPROTO_IGMP" },
	{ 4, "IPPROTO_IPIP" },    { 6, "IPPROTO_TCP" },      { 8, "IPPROTO_EGP" },
	{ 12, "IPPROTO_PUP" },    { 17, "IPPROTO_UDP" },     { 22, "IPPROTO_IDP" },
	{ 29, "IPPROTO_TP" },     { 33, "IPPROTO_DCCP" },    { 41, "IPPROTO_IPV6" },
	{ 46, "IPPROTO_RSVP" },   { 47, "IPPROTO_GRE" },     { 50, "IPPROTO_ESP" },
	{ 51, "IPPROTO_AH" },     { 58, "IPPROTO_ICMPV6" },  { 92, "IPPROTO_MTP" },
	{ 94, "IPPROTO_BEETPH" }, { 98, "IPPROTO_ENCAP" },   { 103, "IPPROTO_PIM" },
	{ 108, "IPPROTO_COMP" },  { 115, "IPPROTO_L2TP" },   { 132, "IPPROTO_SCTP" },
	{ 135, "IPPROTO_MH" },    { 136, "IPPROTO_UDPLITE" }, { 137, "IPPROTO_MPLS" },
	{ 143, "IPPROTO_ETHERNET" }, { 255, "IPPROTO_RAW" }, { 262, "IPPROTO_MPTCP" },
};

constexpr Named kNetlinkProtocols[] = {
	{ 0, "NETLINK_ROUTE" },        { 1, "NETLINK_UNUSED" },     { 2, "NETLINK_USERSOCK" },
	{ 3, "NETLINK_FIREWALL" },     { 4, "NETLINK_SOCK_DIAG" },  { 5, "NETLINK_NFLOG" },
	{ 6, "NETLINK_XFRM" },         { 7, "NETLINK_SELINUX" },    { 8, "NETLINK_ISCSI" },
	{ 9, "NETLINK_AUDIT" },        { 10, "NETLINK_FIB_LOOKUP" }, { 11, "NETLINK_CONNECTOR" },
	{ 12, "NETLINK_NETFILTER" },   { 13, "NETLINK_IP6_FW" },    { 14, "NETLINK_DNRTMSG" },
	{ 15, "NETLINK_KOBJECT_UEVENT" }, { 16, "NETLINK_GENERIC" }, { 18, "NETLINK_SCSITRANSPORT" },
	{ 19, "NETLINK_ECRYPTFS" },    { 20, "NETLINK_RDMA" },      { 21, "NETLINK_CRYPTO" },
	{ 22, "NETLINK_SMC" },
};

constexpr Named kEthProtocols[] = {
	{ 0x0003, "ETH_P_ALL" },     { 0x0800, "ETH_P_IP" },       { 0x0806, "ETH_P_ARP" },
	{ 0x8035, "ETH_P_RARP" },    { 0x8100, "ETH_P_8021Q" },    { 0x86DD, "ETH_P_IPV6" },
	{ 0x8847, "ETH_P_MPLS_UC" }, { 0x8863, "ETH_P_PPP_DISC" }, { 0x8864, "ETH_P_PPP_SES" },
	{ 0x888E, "ETH_P_PAE" },     { 0x88A8, "ETH_P_8021AD" },   { 0x88CC, "ETH_P_LLDP" },
};

constexpr Named kArpHardware[] = {
	{ 0, "ARPHRD_NETROM" },     { 1, "ARPHRD_ETHER" },     { 6, "ARPHRD_IEEE802" },
	{ 32, "ARPHRD_INFINIBAND" }, { 512, "ARPHRD_PPP" },    { 768, "ARPHRD_TUNNEL" },
	{ 769, "ARPHRD_TUNNEL6" },  { 772, "ARPHRD_LOOPBACK" }, { 776, "ARPHRD_SIT" },
	{ 801, "ARPHRD_IEEE80211" }, { 0xFFFE, "ARPHRD_NONE" }, { 0xFFFF, "ARPHRD_VOID" },
};

constexpr Named kPacketTypes[] = {
	{ 0, "PACKET_HOST" },      { 1, "PACKET_BROADCAST" }, { 2, "PACKET_MULTICAST" },
	{ 3, "PACKET_OTHERHOST" }, { 4, "PACKET_OUTGOING" },  { 5, "PACKET_LOOPBACK" },
	{ 6, "PACKET_USER" },      { 7, "PACKET_KERNEL" },
};

constexpr Named kSocketLevels[] = {
	{ 0, "SOL_IP" },         { 1, "SOL_SOCKET" },     { 6, "SOL_TCP" },       { 17, "SOL_UDP" },
	{ 41, "SOL_IPV6" },      { 58, "SOL_ICMPV6" },    { 132, "SOL_SCTP" },    { 136, "SOL_UDPLITE" },
	{ 255, "SOL_RAW" },      { 256, "SOL_IPX" },      { 257, "SOL_AX25" },    { 258, "SOL_ATALK" },
	{ 259, "SOL_NETROM" },   { 260, "SOL_ROSE" },     { 261, "SOL_DECNET" },  { 262, "SOL_X25" },
	{ 263, "SOL_PACKET" },   { 264, "SOL_ATM" },      { 265, "SOL_AAL" },     { 266, "SOL_IRDA" },
	{ 267, "SOL_NETBEUI" },  { 268, "SOL_LLC" },      { 269, "SOL_DCCP" },    { 270, "SOL_NETLINK" },
	{ 271, "SOL_TIPC" },     { 272, "SOL_RXRPC" },    { 273, "SOL_PPPOL2TP" }, { 274, "SOL_BLUETOOTH" },
	{ 275, "SOL_PNPIPE" },   { 276, "SOL_RDS" },      { 277, "SOL_IUCV" },    { 278, "SOL_CAIF" },
	{ 279, "SOL_ALG" },      { 280, "SOL_NFC" },      { 281, "SOL_KCM" },     { 282, "SOL_TLS" },
	{ 283, "SOL_XDP" },      { 284, "SOL_MPTCP" },    { 285, "SOL_MCTP" },    { 286, "SOL_SMC" },
};

} // namespace

const char *lookup(std::span<const Named> table, uint64_t value)
{
	for (const Named &n : table)
		if (n.value == value)
			return n.name;
	return nullptr;
}

std::string hex(uint64_t value)
{
	char buf[24];
	std::snprintf(buf, sizeof(buf), "%#" PRIx64, value);
	return buf;
}

std::string constant(std::span<const Named> table, uint64_t value, const char *unknownTag)
{
	if (const char *name = lookup(table, value))
		return name;
	return hex(value) + " /* " + unknownTag + " */";
}

std::string flags(std::span<const Named> table, uint64_t value, const char *unknownTag)
{
	if (value == 0)
		return "0";
	std::string out;
	for (const Named &n : table) {
		if (!(value & n.value))
			continue;
		out += (out.empty() ? "" : "|") + std::string(n.name);
		value &= ~n.value;
	}
	if (value) {
		out += (out.empty() ? "" : "|") + hex(value);
		if (unknownTag)
			out += std::string(" /* ") + unknownTag + " */";
	}
	return out;
}

std::string errnoName(int errnum)
{
	if (const Restart *restart = findRestart(errnum))
		return restart->name;
	if (const char *name = strerrorname_np(errnum))
		return name;
	return std::to_string(errnum);
}

std::string errnoText(int errnum)
{
	if (const Restart *restart = findRestart(errnum))
		return restart->text;
	return std::strerror(errnum);
}

bool isRestartCode(int errnum)
{
	return findRestart(errnum) != nullptr;
}

bool isErrorReturn(long ret)
{
	return ret < 0 && ret >= -kMaxErrno;
}

std::string result(std::optional<long> ret)
{
	if (!ret)
		return "?";
	if (!isErrorReturn(*ret))
		return std::to_string(*ret);
	const int errnum = static_cast<int>(-*ret);
	return std::string(isRestartCode(errnum) ? "? " : "-1 ") + errnoName(errnum) + " (" + errnoText(errnum) + ")";
}

std::string msgFlags(uint64_t value)
{
	return flags(kMsgFlags, value);
}

std::string signalName(int sig)
{
	if (const char *name = lookup(kSignals, static_cast<uint64_t>(sig)))
		return name;
	if (sig >= kSigRtMin && sig <= kSigRtMax)
		return "SIGRT_" + std::to_string(sig - kSigRtMin);
	return std::to_string(sig);
}

std::string familyName(int family)
{
	if (const char *name = knownFamilyName(family))
		return name;
	return hex(static_cast<unsigned>(family)) + " /* AF_??? */";
}

// Observed: "SOCK_RAW|0x60 /* SOCK_??? */", "SOCK_CLOEXEC|0x7" and "0x7 /* SOCK_??? */".
std::string socketType(int type)
{
	const uint64_t bits = static_cast<unsigned>(type);
	const uint64_t base = bits & kSockTypeMask;
	const char *baseName = lookup(kSockTypes, base);
	const uint64_t rest = baseName ? bits & ~kSockTypeMask : bits & ~kSockTypeMask & ~base;
	std::string restText = rest ? flags(kSockFlags, rest, "SOCK_???") : "";
	if (baseName)
		return restText.empty() ? baseName : std::string(baseName) + "|" + restText;
	if (restText.empty())
		return hex(base) + " /* SOCK_??? */";
	return restText + "|" + hex(base);
}

std::string ethProtocol(uint16_t hostOrder)
{
	return constant(kEthProtocols, hostOrder, "ETH_P_???");
}

std::string socketProtocol(int family, int protocol)
{
	const uint64_t value = static_cast<unsigned>(protocol);
	switch (family) {
	case 2:  // AF_INET
	case 10: // AF_INET6
		return constant(kIpProtocols, value, "IPPROTO_???");
	case 16: // AF_NETLINK
		return constant(kNetlinkProtocols, value, "NETLINK_???");
	case 17: // AF_PACKET: the protocol is in network byte order
		return "htons(" + ethProtocol(static_cast<uint16_t>(((value & 0xff) << 8) | ((value >> 8) & 0xff))) + ")";
	default:
		return std::to_string(protocol);
	}
}

std::span<const Named> arpHardwareTypes()
{
	return kArpHardware;
}

std::span<const Named> packetTypes()
{
	return kPacketTypes;
}

std::span<const Named> socketLevels()
{
	return kSocketLevels;
}

} // namespace hg::strace

namespace hg::strace {

std::string acceptFlags(uint64_t value)
{
	return flags(kSockFlags, value, "SOCK_???");
}

} // namespace hg::strace
