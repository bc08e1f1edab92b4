#pragma once
// Classification of one trapped network call: is it outbound, inbound, or local IPC?
// A pure function of (syscall, socket, address): no ptrace, no policy.

#include <string>

#include "net/endpoint.h"

namespace hg {

enum class NetCall {
	Connect,
	Bind,
	Listen,
	Sendto,
	Sendmsg,
	Sendmmsg,
	Socket, // socket() of a kind that receives or sends past the other calls (net/packet_path.h)
	Other, // a trapped syscall the decoder does not model (recorded, never silent)
};

// "connect", "bind", ...
const char *netCallName(NetCall call);

// sendto, sendmsg or sendmmsg.
bool isSend(NetCall call);

// An address as reports name it: "203.0.113.1:443", "[2001:db8::1]:443",
// "AF_UNIX /run/x.sock", "AF_VSOCK family 40", "undecodable: <reason>".
std::string endpointTarget(const Endpoint &ep);

enum class Direction {
	None,     // nothing leaves or enters the machine (datagram connect to loopback, send on a connected socket)
	Local,    // AF_UNIX / AF_NETLINK: local IPC, logged, never a violation
	Outbound, // may carry data off the process towards a network destination
	Inbound,  // opens the process to the network (listen, datagram/raw bind)
	Evasion,  // an attempt to blind or get around the gate (untraced clone, signals to it, ...)
	// The step talking to itself: a connect or send to a loopback address and port that a
	// process of the same step listens on (or has bound, for datagrams) at that moment.
	// classify() never returns it: the tracer, which knows the step's listeners, does.
	Self,
	// A DNS query sent to the step's resolver, judged by the name it asks for (issue 11).
	// classify() never returns it: the tracer, which reads the query, does.
	Dns,
	// Delegated egress: a connect or an addressed send on an AF_UNIX socket to the socket
	// of a daemon that makes network calls for its clients (net/daemon_sockets.h). What the
	// daemon then does is outside the traced tree: the call records that the step asked.
	// classify() never returns it (AF_UNIX is Local): the tracer, which knows the list, does.
	Delegated,
	// A raw or packet socket that receives packets with no bind() and no listen(), and sends
	// to any address or none: inbound and outbound at once, judged at its creation
	// (net/packet_path.h's classifySocket; classify() never returns it).
	Raw,
};

// "none", "local", "outbound", "inbound", "evasion", "self", "dns", "delegated", "raw"
const char *directionName(Direction d);

struct Classification {
	Direction direction = Direction::None;
	bool violation = false; // before the allowlist is consulted
	std::string why;        // one line for humans: "TCP connect to 203.0.113.1:443"
};

// Rules (issue #2, point 4):
// - connect/sendto/sendmsg/sendmmsg towards AF_INET/AF_INET6 = outbound violation
//   (loopback included; the allowlist can allow it). TCP Fast Open (sendto with an
//   address on a stream socket) is a connect.
// - connect on a datagram inet socket to a loopback address: Direction::None, logged only
//   (glibc's getaddrinfo does this to sort addresses); to any other address: violation.
// - any send or connect on AF_PACKET or a SOCK_RAW socket: outbound violation, address or not.
// - listen() on an inet socket, bind() of a datagram or raw inet socket, bind() of
//   AF_PACKET: inbound violation. bind() of an inet stream socket alone: None.
// - AF_UNIX and AF_NETLINK: Local, never a violation.
// - connect/send on any other family (AF_VSOCK, AF_TIPC, AF_CAN, AF_BLUETOOTH, AF_RDS,
//   unknown numbers): outbound violation.
// - an Undecodable address, or an unknown socket with an address that is not
//   AF_UNIX/AF_NETLINK: violation (never silent).
// - a send with no address on a connected inet stream/dgram socket: None (its connect
//   was already judged).
// `sock` may be unknown (known == false); then the address family decides and an inet
// address is treated as a stream socket.
Classification classify(NetCall call, const SocketInfo &sock, const Endpoint &addr);

} // namespace hg
