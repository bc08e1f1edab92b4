#pragma once
// Pure parsers for the /proc files the poller reads besides the inet tables (which
// net/proc_sockets.h parses): /proc/net/packet, the inode column of /proc/net/unix
// and /proc/net/netlink, /proc/PID/task/TID/children, /proc/PID/stat and
// /proc/sys/net/ipv4/ip_local_port_range. No I/O here.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/proc_sockets.h"

namespace hg {

// /proc/net/packet: one ProcSocket per line, proto "packet", local = an AF_PACKET endpoint
// (pktProtocol from the Proto column, pktIfindex from Iface), state kSocketClose.
// `types` (optional) receives the Type column (SOCK_RAW, SOCK_DGRAM) of each socket.
std::vector<ProcSocket> parsePacketTable(std::string_view text, std::vector<int> *types = nullptr);

// The inode column (0-based whitespace-separated field `column`) of every line after the
// header: column 6 in /proc/net/unix, 9 in /proc/net/netlink. Malformed lines are skipped.
std::vector<uint64_t> parseInodeColumn(std::string_view text, size_t column);

// "12 345 6789 " (a children file) -> {12, 345, 6789}. Stops at the first non-number.
std::vector<pid_t> parsePidList(std::string_view text);

// The fields of /proc/PID/stat the poller uses.
struct ProcStat {
	pid_t pid = 0;
	std::string comm;     // without the parentheses; may contain spaces and ')'
	char state = '?';     // R, S, D, Z, X, ...
	pid_t ppid = 0;
	uint64_t utimeTicks = 0;
	uint64_t stimeTicks = 0;
	int numThreads = 1;
	uint64_t startTime = 0; // clock ticks after boot: with pid, identifies a process
	int exitCode = -1;      // the wait status of a zombie (field 52), -1 when absent
};

// Parses one /proc/PID/stat line; nullopt when it is not one.
std::optional<ProcStat> parseProcStat(std::string_view text);

// The ports the kernel picks from when a socket is bound to port 0 or connects unbound
// (net.ipv4.ip_local_port_range, per network namespace; IPv6 uses it too). Inclusive.
struct PortRange {
	uint16_t low = 32768; // the kernel's default, which a new network namespace starts with
	uint16_t high = 60999;
	bool contains(uint16_t port) const { return port >= low && port <= high; }
};

// "32768\t60999\n" (ip_local_port_range) -> {32768, 60999}; nullopt unless two ports
// 1..65535 with low <= high.
std::optional<PortRange> parsePortRange(std::string_view text);

} // namespace hg
