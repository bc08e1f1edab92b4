#pragma once
// The calls, and the arguments, with which a process changes where its packets go or gets
// packets past the socket calls the gate judges (issue 12, part 3). One table for both users:
// the seccomp filter traps exactly these (seccomp/filter.cpp), and the judgement names them
// (net/packet_path.h). Kernel ABI numbers only: no logic.

#include <linux/bpf.h>
#include <linux/sockios.h>
#include <netinet/in.h>

#include <cstdint>

namespace hg {

// A socket option that changes the path of the socket's packets or of the machine's.
struct PathSockopt {
	int level;
	int optname;
	const char *name;
	const char *what;
	// optlen 0 only clears what the option set (IP_OPTIONS, the routing headers): harmless.
	bool emptyClears;
};

// The legacy x_tables and IPVS control calls are not in glibc's headers; the numbers are
// <linux/netfilter_ipv4/ip_tables.h>, ip6_tables.h, arp_tables.h, ebtables.h and ip_vs.h.
inline constexpr int kIptSoSetReplace = 64;   // IPT_SO_SET_REPLACE, IP6T_SO_SET_REPLACE (IPT_BASE_CTL)
inline constexpr int kArptSoSetReplace = 96;  // ARPT_SO_SET_REPLACE (ARPT_BASE_CTL)
inline constexpr int kEbtSoSetEntries = 128;  // EBT_SO_SET_ENTRIES (EBT_BASE_CTL)
inline constexpr int kIpVsSoSetFirst = 1153;  // IP_VS_SO_SET_INSERT (IP_VS_BASE_CTL + 1)
inline constexpr int kIpVsSoSetLast = 1167;   // IP_VS_SO_SET_ZERO

inline constexpr PathSockopt kPathSockopts[] = {
	{ IPPROTO_IP, IP_OPTIONS, "IP_OPTIONS",
	  "IPv4 options on every packet of the socket; loose and strict source routing (LSRR, SSRR) "
	  "among them send a packet for an allowed address through other hosts first",
	  true },
	{ IPPROTO_IPV6, IPV6_RTHDR, "IPV6_RTHDR",
	  "an IPv6 routing header on every packet of the socket sends a packet for an allowed address "
	  "through other hosts first",
	  true },
	{ IPPROTO_IPV6, IPV6_2292RTHDR, "IPV6_2292RTHDR",
	  "an RFC 2292 IPv6 routing header sends a packet for an allowed address through other hosts first", true },
	{ IPPROTO_IPV6, IPV6_2292PKTOPTIONS, "IPV6_2292PKTOPTIONS",
	  "RFC 2292 sticky packet options, which can carry an IPv6 routing header", true },
	{ IPPROTO_IP, kIptSoSetReplace, "IPT_SO_SET_REPLACE",
	  "replaces an iptables table: NAT and mangle rules rewrite where the machine's packets go", false },
	{ IPPROTO_IPV6, kIptSoSetReplace, "IP6T_SO_SET_REPLACE",
	  "replaces an ip6tables table: NAT and mangle rules rewrite where the machine's packets go", false },
	{ IPPROTO_IP, kArptSoSetReplace, "ARPT_SO_SET_REPLACE", "replaces an arptables table", false },
	{ IPPROTO_IP, kEbtSoSetEntries, "EBT_SO_SET_ENTRIES",
	  "replaces an ebtables table: bridge rules rewrite where frames go", false },
	{ IPPROTO_IP, IP_TRANSPARENT, "IP_TRANSPARENT",
	  "lets the socket bind to and receive for addresses that are not the machine's (transparent proxying)",
	  false },
	{ IPPROTO_IPV6, IPV6_TRANSPARENT, "IPV6_TRANSPARENT",
	  "lets the socket bind to and receive for addresses that are not the machine's (transparent proxying)",
	  false },
};

// IPVS (IP_VS_SO_SET_*, level IPPROTO_IP, kIpVsSoSetFirst..kIpVsSoSetLast) rewrites where
// connections to a virtual address go; named by number.
inline constexpr const char *kIpVsWhat = "changes the IPVS load balancer, which rewrites where connections go";

// A control message of sendmsg/sendmmsg that gives that one packet a source route.
struct PathCmsg {
	int level;
	int type;
	const char *name;
};

inline constexpr PathCmsg kPathCmsgs[] = {
	{ IPPROTO_IP, IP_RETOPTS, "IP_RETOPTS" },
	{ IPPROTO_IP, IP_OPTIONS, "IP_OPTIONS" },
	{ IPPROTO_IPV6, IPV6_RTHDR, "IPV6_RTHDR" },
	{ IPPROTO_IPV6, IPV6_2292RTHDR, "IPV6_2292RTHDR" },
};

// An ioctl that changes routes, interfaces, neighbours, bridges or tunnels, or makes a tun/tap
// device whose fd injects packets with write().
struct PathIoctl {
	uint32_t cmd;
	const char *name;
};

inline constexpr uint32_t kTunSetIff = 0x400454ca; // TUNSETIFF: _IOW('T', 202, int)

inline constexpr PathIoctl kPathIoctls[] = {
	{ SIOCADDRT, "SIOCADDRT" },         { SIOCDELRT, "SIOCDELRT" },
	{ SIOCSIFLINK, "SIOCSIFLINK" },     { SIOCSIFFLAGS, "SIOCSIFFLAGS" },
	{ SIOCSIFADDR, "SIOCSIFADDR" },     { SIOCSIFDSTADDR, "SIOCSIFDSTADDR" },
	{ SIOCSIFBRDADDR, "SIOCSIFBRDADDR" }, { SIOCSIFNETMASK, "SIOCSIFNETMASK" },
	{ SIOCSIFMETRIC, "SIOCSIFMETRIC" }, { SIOCSIFMTU, "SIOCSIFMTU" },
	{ SIOCSIFNAME, "SIOCSIFNAME" },     { SIOCSIFHWADDR, "SIOCSIFHWADDR" },
	{ SIOCSIFENCAP, "SIOCSIFENCAP" },   { SIOCSIFSLAVE, "SIOCSIFSLAVE" },
	{ SIOCADDMULTI, "SIOCADDMULTI" },   { SIOCDELMULTI, "SIOCDELMULTI" },
	{ SIOCSIFPFLAGS, "SIOCSIFPFLAGS" }, { SIOCDIFADDR, "SIOCDIFADDR" },
	{ SIOCSIFHWBROADCAST, "SIOCSIFHWBROADCAST" }, { SIOCSIFBR, "SIOCSIFBR" },
	{ SIOCSIFTXQLEN, "SIOCSIFTXQLEN" }, { SIOCSIFMAP, "SIOCSIFMAP" },
	{ SIOCDARP, "SIOCDARP" },           { SIOCSARP, "SIOCSARP" },
	{ SIOCDRARP, "SIOCDRARP" },         { SIOCSRARP, "SIOCSRARP" },
	{ SIOCADDDLCI, "SIOCADDDLCI" },     { SIOCDELDLCI, "SIOCDELDLCI" },
	{ SIOCSIFVLAN, "SIOCSIFVLAN" },     { SIOCBONDENSLAVE, "SIOCBONDENSLAVE" },
	{ SIOCBONDRELEASE, "SIOCBONDRELEASE" }, { SIOCBONDSETHWADDR, "SIOCBONDSETHWADDR" },
	{ SIOCBONDCHANGEACTIVE, "SIOCBONDCHANGEACTIVE" },
	{ SIOCBRADDBR, "SIOCBRADDBR" },     { SIOCBRDELBR, "SIOCBRDELBR" },
	{ SIOCBRADDIF, "SIOCBRADDIF" },     { SIOCBRDELIF, "SIOCBRDELIF" },
	// ip_tunnel, sit and 6rd device ioctls (SIOCDEVPRIVATE + n; the gets are left out).
	{ SIOCDEVPRIVATE + 1, "SIOCADDTUNNEL" }, { SIOCDEVPRIVATE + 2, "SIOCDELTUNNEL" },
	{ SIOCDEVPRIVATE + 3, "SIOCCHGTUNNEL" }, { SIOCDEVPRIVATE + 5, "SIOCADDPRL" },
	{ SIOCDEVPRIVATE + 6, "SIOCDELPRL" },    { SIOCDEVPRIVATE + 7, "SIOCCHGPRL" },
	{ SIOCDEVPRIVATE + 9, "SIOCADD6RD" },    { SIOCDEVPRIVATE + 10, "SIOCDEL6RD" },
	{ SIOCDEVPRIVATE + 11, "SIOCCHG6RD" },
	{ kTunSetIff, "TUNSETIFF" },
};

// bpf() commands that attach a program to the network stack (cgroup socket hooks, XDP, tc,
// sk_lookup, netfilter) or run one that can transmit (BPF_PROG_TEST_RUN with live frames).
struct PathBpfCmd {
	int cmd;
	const char *name;
};

inline constexpr PathBpfCmd kPathBpfCmds[] = {
	{ BPF_PROG_ATTACH, "BPF_PROG_ATTACH" },
	{ BPF_PROG_TEST_RUN, "BPF_PROG_TEST_RUN" },
	{ BPF_LINK_CREATE, "BPF_LINK_CREATE" },
	{ BPF_LINK_UPDATE, "BPF_LINK_UPDATE" },
};

// Netlink protocols whose messages rewrite packet filtering, NAT or IPsec policy: trapped at
// socket(). NETLINK_ROUTE is not here: glibc's getaddrinfo and getifaddrs open it (see
// net/packet_path.h for how its changes are seen).
struct PathNetlink {
	int protocol;
	const char *name;
};

inline constexpr PathNetlink kPathNetlinks[] = {
	{ 3, "NETLINK_FIREWALL" },
	{ 5, "NETLINK_NFLOG" },
	{ 6, "NETLINK_XFRM" },
	{ 12, "NETLINK_NETFILTER" },
	{ 13, "NETLINK_IP6_FW" },
};

} // namespace hg
