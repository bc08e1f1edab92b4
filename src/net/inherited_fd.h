#pragma once
// A descriptor the gate inherited from whoever started it (a CI runner, a shell), as the
// evidence names it, and how passing it on to a step is judged. Pure: the facts are read
// elsewhere (net/fd_snapshot.h); nothing here touches a descriptor.

#include <cstdint>
#include <string>

#include "net/classify.h"
#include "net/endpoint.h"

namespace hg {

enum class FdType {
	Socket,
	Pipe,       // an anonymous pipe ("pipe:[N]")
	Fifo,       // a named pipe
	File,       // a regular file (memfds included)
	Directory,
	CharDevice, // a terminal, /dev/null, ...
	BlockDevice,
	AnonInode,  // eventfd, io_uring, pidfd, epoll, signalfd, timerfd, inotify, ...
	Other,
};

// "socket", "pipe", "fifo", "file", "directory", "char_device", "block_device",
// "anon_inode", "other": the values of report.json's inherited_fds[].type.
const char *fdTypeName(FdType t);

// The TCP state number (include/net/tcp_states.h) of a connect still in progress.
constexpr int kTcpStateSynSent = 2;

// What the gate read about one of its descriptors.
struct FdFacts {
	int fd = -1;
	bool statOk = false;
	unsigned mode = 0;    // st_mode
	uint64_t inode = 0;   // st_ino
	std::string link;     // readlink(/proc/self/fd/N): "socket:[N]", "pipe:[N]", "anon_inode:[eventfd]", a path
	// Sockets: SO_DOMAIN/SO_TYPE/SO_PROTOCOL (known false when unreadable), SO_ACCEPTCONN,
	// getsockname, and the peer: getpeername, or for a connect still in progress (which
	// getpeername does not report) the remote address /proc/net shows for its inode.
	SocketInfo sock;
	bool listening = false;
	int tcpState = -1;    // TCP_INFO tcpi_state; -1 for other protocols or when unreadable
	Endpoint local;
	Endpoint peer;
};

struct InheritedFd {
	int fd = -1;
	FdType type = FdType::Other;
	// File, fifo, directory, device: its path; anon_inode: its kind ("io_uring", "eventfd",
	// "pidfd", "inotify"); pipe and socket: "".
	std::string detail;
	SocketInfo sock;
	bool listening = false;
	bool connecting = false; // a TCP connect in progress (SYN-SENT): peer is where it goes
	int tcpState = -1;
	uint64_t inode = 0;      // a socket's inode (st_ino), 0 for other types
	Endpoint local;          // Absent when the socket has no name (or is not a socket)
	Endpoint peer;           // Absent when it has no peer
};

// Names the descriptor from the facts read about it: the file type from st_mode, refined
// by the link (an anonymous pipe from a FIFO, an anon_inode's kind).
InheritedFd describeFd(const FdFacts &facts);

// One line for humans: "socket AF_INET tcp 127.0.0.1:40000 -> 127.0.0.1:5000",
// "socket AF_INET6 tcp listening on [::]:8080", "pipe", "file /tmp/log",
// "anon_inode [io_uring]".
std::string fdSummary(const InheritedFd &d);

// "SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW", "SOCK_SEQPACKET", "SOCK_RDM", "SOCK_PACKET",
// "SOCK_DCCP", or "SOCK_N" for another number.
std::string socketTypeName(int type);

// True for an io_uring ring: operations submitted on it bypass the traced syscalls, so
// the gate never passes one on.
bool isIoUring(const InheritedFd &d);

// How an inherited socket passed on to a step is judged: as the call that would give the
// step what the socket already has, which the step can then use without any call the gate
// traps (write/read/accept on the descriptor).
struct PassedSocketUse {
	NetCall like = NetCall::Connect; // the modelled call it is judged as (decide()'s call)
	Endpoint matched;                // what exceptions are matched against: the peer, or the local address
	Classification cls;
};

// - connected (or connecting) socket: a connect to its peer (an inet peer is outbound,
//   loopback included; a datagram socket connected to loopback is not, as for connect);
// - listening socket: a listen on its local address (inbound for inet);
// - bound datagram inet socket: a bind of that address (inbound);
// - raw or packet socket: outbound, whatever its addresses;
// - AF_UNIX / AF_NETLINK: local;
// - an inet stream socket neither listening nor connected: nothing yet (its connect or
//   listen would be trapped), unless it is connecting to a peer the gate could not read,
//   or could not be inspected at all: then a violation (fail closed).
// why starts with "inherited fd N: ".
PassedSocketUse classifyPassedSocket(const InheritedFd &d);

} // namespace hg
