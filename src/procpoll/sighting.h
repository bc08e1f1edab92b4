#pragma once
// What a socket seen in /proc means, as a pure function: the role of a socket table
// entry (a connect, a listen, a bind, an open raw socket, ...) and the NetRecord the
// poller emits for it, judged with classify() and the allowlists like the tracer judges
// a trapped call. A poller cannot refuse anything: violations are Audited.
//
// Where the tracer knows what a call asked for, a poller only sees the resulting socket:
// a local port inside the namespace's ephemeral range is taken as the kernel's choice
// (reported as port 0, like the tracer reports a bind to port 0), and a TCP connect to a
// loopback address and port the tree's own listener holds is a self connection
// (Direction::Self), matched with net/listener_table.h's reaches().

#include <string>
#include <vector>

#include "net/listener_table.h"
#include "net/proc_sockets.h"
#include "policy/allowlist.h"
#include "procpoll/proc_tables.h"
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

// The local address `local` as records show it: port 0 when the port lies in `ephemeral`
// (taken as chosen by the kernel: a poller cannot see whether bind() asked for port 0, so a
// port of that range that was asked for explicitly is shown as 0 too). Other ports, and
// endpoints that are not IP, are returned as they are.
Endpoint reportedLocal(const Endpoint &local, const PortRange &ephemeral);

// The tree's listener for l, a TCP LISTEN row whose inode a process of the tree holds, in
// network namespace netns: local = l's address, reported = reportedLocal(). /proc does not
// show IPV6_V6ONLY, so a [::] listener is taken as dual-stack (v6only false); tgid and fd
// are not known (0 and -1).
LocalListener treeListener(const ProcSocket &l, const std::string &netns, const PortRange &ephemeral);

// The listener in `listeners` (the tree's, from treeListener()) that s, a TCP socket seen
// in a connected state (SYN-SENT included) in namespace netns, is connected to: same
// namespace and reaches(l, s's kind, s's remote), so only a loopback remote qualifies.
// nullptr when there is none, or s is not such a socket.
const LocalListener *selfListener(const ProcSocket &s, const std::string &netns,
				  const std::vector<LocalListener> &listeners);

// What a sighting's record depends on besides the socket and the allowlist.
struct SightingContext {
	PortRange ephemeral;                 // the ephemeral range of s's network namespace
	const LocalListener *self = nullptr; // Connect: the tree's listener it reaches (selfListener())
};

// The record for a sighting of s in role (Connect, Listen, Bind or Open): call, addr
// (remote for Connect; for Listen/Bind the local address as reportedLocal() shows it),
// boundAddr (local, the real port), cls, exception and decision (Logged / Allowed /
// Audited). A Connect with ctx.self is a self connection: direction Self, listener =
// ctx.self->reported, judged with that listener (decide()). pid, exe and seq are left for
// the caller. The result is known (0) except for a TCP connect still in SYN-SENT.
NetRecord sightingRecord(const ProcSocket &s, SocketRole role, const Allowlist *allow,
			 const SightingContext &ctx = {});

} // namespace hg
