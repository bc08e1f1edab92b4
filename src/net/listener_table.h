#pragma once
// The step's own servers: the inet sockets its processes listen on (TCP) or have bound
// (UDP), so that a connect or send to one of them is known as the step talking to itself
// (Direction::Self) rather than a call to whatever else listens on loopback. Pure: the
// caller says which entries are still open (the `alive` check) and drops the entries of a
// process that ended.
//
// Size: one entry per (process, fd) that ever listened, an fd reused for another listener
// replacing its entry, so at most the open-file limit per live process; never one per call.

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "net/endpoint.h"

namespace hg {

struct LocalListener {
	pid_t tgid = 0;     // the process that listened or bound
	int fd = -1;        // its fd for the socket
	uint64_t inode = 0; // the socket's inode (the fd is only trusted while it still names it)
	std::string netns;  // the process's network namespace ("net:[4026531840]"): loopback is per namespace
	SocketInfo sock;    // domain, type and protocol
	Endpoint local;     // the real local address (getsockname)
	Endpoint reported;  // as reports show it: port 0 when the kernel chose the port
	bool v6only = false; // AF_INET6 with IPV6_V6ONLY: a wildcard listener takes no IPv4
};

// True for 0.0.0.0 and :: (the address of a socket bound to every address).
bool isWildcardIp(const Endpoint &ep);

// Same IP address; an IPv4-mapped address equals its IPv4 address.
bool sameIp(const Endpoint &a, const Endpoint &b);

// Whether a datagram or a connection from a socket of kind `sock` to the loopback
// address `dest` reaches listener l: same type and protocol, l's port, and l's address or
// a wildcard of a family that takes dest (an IPv6 wildcard takes IPv4 unless v6only).
bool reaches(const LocalListener &l, const SocketInfo &sock, const Endpoint &dest);

// Where a listener's socket is open now: (tgid, fd) of a process of the step that holds
// its inode (the one that listened, or one it was handed to: a forked child, an fd passed
// over a unix socket), or nullopt when none does any more.
using LocateListener = std::function<std::optional<std::pair<pid_t, int>>(const LocalListener &)>;

class ListenerTable {
public:
	// Records a listener; one already known for the same (tgid, fd) is replaced.
	void add(LocalListener l);

	// The listener in namespace netns that `dest` (a decoded loopback address) reaches
	// from a socket of kind `sock`, or nullptr. Each candidate is located first: one no
	// process of the step holds any more is dropped, one held elsewhere now moves there.
	const LocalListener *find(const SocketInfo &sock, const Endpoint &dest, const std::string &netns,
				  const LocateListener &locate);

	// The process ended: its listeners still open in another process of the step move
	// there, the others are dropped.
	void endProcess(pid_t tgid, const LocateListener &locate);

	// Whether (tgid, fd) has an entry.
	bool contains(pid_t tgid, int fd) const { return entries_.count({ tgid, fd }) != 0; }

	// Drops every listener of the process (tests; the supervisor uses endProcess).
	void dropProcess(pid_t tgid);

	bool empty() const { return entries_.empty(); }
	size_t size() const { return entries_.size(); }

private:
	using Map = std::map<std::pair<pid_t, int>, LocalListener>;
	// Moves entry `it` to where locate finds its socket; end() when it is gone.
	Map::iterator relocate(Map::iterator it, const LocateListener &locate);
	Map entries_;
};

} // namespace hg
