#pragma once
// What a socket seen in /proc means, as a pure function: the role of a socket table
// entry (a connect, a listen, a bind, an open raw socket, ...) and the NetRecord the
// poller emits for it, judged with classify() and the allowlists like the tracer judges
// a trapped call. A poller cannot refuse anything: violations are Audited.

#include <vector>

#include "net/proc_sockets.h"
#include "policy/allowlist.h"
#include "record/record.h"

namespace hg {

enum class SocketRole {
	Ignore,   // nothing to report yet (closed, TIME-WAIT, UDP without a port)
	Connect,  // outbound: TCP in a connected state (SYN-SENT included), or a connected UDP socket
	Accepted, // the server side of a TCP connection a listener accepted: not a connect
	Listen,   // TCP LISTEN
	Bind,     // unconnected UDP socket with a local port (an explicit bind, or a sendto's implicit one)
	Open,     // raw, packet or ICMP (ping) socket: being open is what counts
};

const char *socketRoleName(SocketRole role); // "ignore", "connect", ...

// The role of s. `listeners` are the TCP LISTEN entries of s's network namespace (current
// and earlier ones): a connected TCP socket whose local port one of them listens on
// (same address or a wildcard) is Accepted.
SocketRole socketRole(const ProcSocket &s, const std::vector<ProcSocket> &listeners);

// True when a later sighting of the same socket cannot change what is reported for it:
// false for SYN-SENT (may become ESTAB), unconnected UDP (may connect) and Ignore.
bool roleSettled(const ProcSocket &s, SocketRole role);

// The socket kind a table implies: "tcp6" -> {AF_INET6, SOCK_STREAM, IPPROTO_TCP}; raw
// sockets take their protocol from the local "port" column; packet sockets are SOCK_RAW.
SocketInfo socketInfoFor(const ProcSocket &s);

// The record for a sighting of s in role (Connect, Listen, Bind or Open): call, addr
// (remote for Connect, local for Listen/Bind), boundAddr (local), cls, exception and
// decision (Logged / Allowed / Audited). pid, exe and seq are left for the caller. The
// result is known (0) except for a TCP connect still in SYN-SENT.
NetRecord sightingRecord(const ProcSocket &s, SocketRole role, const Allowlist *allow);

} // namespace hg
