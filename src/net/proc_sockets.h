#pragma once
// Sockets as /proc shows them: /proc/PID/net/{tcp,tcp6,udp,udp6,raw,raw6} tables and the
// socket inodes in /proc/PID/fd. Used to list what the tree still has open when a step
// ends (ss_listen.txt). The table parser is pure and unit-tested.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "net/endpoint.h"

namespace hg {

struct ProcSocket {
	std::string proto;   // "tcp", "tcp6", "udp", "udp6", "raw", "raw6"
	Endpoint local;      // Decoded inet endpoint
	Endpoint remote;
	int state = 0;       // the kernel's TCP state number (10 = LISTEN, 7 = CLOSE for udp/raw)
	uint64_t inode = 0;
};

constexpr int kTcpListen = 10;
constexpr int kTcpEstablished = 1;
constexpr int kSocketClose = 7; // udp/raw sockets that are bound but not connected

// Parses one /proc/net/{tcp,udp,raw}[6] table; `proto` names it. Malformed lines are skipped.
std::vector<ProcSocket> parseProcNetTable(const std::string &text, const std::string &proto);

// "LISTEN", "ESTAB", "UNCONN", ... as ss prints the state for that protocol.
std::string ssStateName(const std::string &proto, int state);

// "203.0.113.1:443", "[2001:db8::1]:443", "[::]:80"; an IPv4-mapped address prints as
// IPv4; other families print Endpoint::address(). As ss prints the columns.
std::string ssEndpoint(const Endpoint &ep);

// Socket inodes open in a process (/proc/PID/fd/* -> "socket:[N]").
std::vector<uint64_t> socketInodes(pid_t pid);

// All inet sockets of the network namespace that pid lives in.
std::vector<ProcSocket> readProcNet(pid_t pid);

} // namespace hg
