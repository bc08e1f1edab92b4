#pragma once
// Governed exceptions: the allowlist an Endpoint is matched against.
// Pure logic: hostnames are resolved by the caller (resolveHosts) before matching.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "net/daemon_sockets.h"
#include "net/endpoint.h"

namespace hg {

struct IpNet {
	bool v4 = true;
	std::array<uint8_t, 16> addr{}; // network byte order; IPv4 in the first 4 bytes
	int prefix = 32;                // 0..32 for v4, 0..128 for v6
	bool contains(const Endpoint &ep) const; // IPv4-mapped endpoints match v4 nets
	std::string str() const;                 // "198.51.100.0/24", "2001:db8::1/128"
};

// What an exception is matched against: the destination of an outbound call, the local
// address of a listen()/bind() (and the self connections that reach such a listener), or
// the daemon socket a delegated call asks (Direction::Delegated).
enum class ExceptionScope { Outbound, Inbound, Delegated };

const char *scopeName(ExceptionScope scope); // "outbound", "inbound", "delegated"

struct Exception {
	enum class Kind { Address, Cidr, Hostname, HostPort, Port, Socket };
	Kind kind = Kind::Address;
	ExceptionScope scope = ExceptionScope::Outbound;
	std::string spec;   // exactly as the user wrote it: "198.51.100.0/24", "registry.example.com:443", "443"
	std::string source; // where it came from: "--allow-host", "policy.yml:12:7", "step unit"
	std::string reason, owner, expires; // optional metadata from the policy file

	std::string host;           // Hostname/HostPort: the name to resolve ("" otherwise); "*.example.com" for a wildcard
	bool wildcard = false;      // host is "*.NAME": every name below NAME, allowed by DNS answers only
	std::vector<IpNet> nets;    // Address/Cidr: one net; Hostname/HostPort: filled by resolve
	std::optional<uint16_t> port; // HostPort/Port: the port; nullopt = any port
	bool resolved = false;      // Hostname/HostPort: resolution has been attempted
	std::string resolveError;   // set when resolution failed (the exception then matches nothing)
	SocketRef socket;           // Socket (scope Delegated): the daemon socket it allows

	// Matches an Decoded AF_INET/AF_INET6 endpoint (address and port).
	bool matches(const Endpoint &ep) const;

	// Hostname/HostPort: whether a DNS query for `name` is covered (exact, or below a wildcard).
	bool matchesName(const std::string &name) const;

	// A Socket exception: matches a delegated call's target (SocketRef::matches).
	bool matches(const UnixTarget &t) const;
};

// Parses "203.0.113.7", "2001:db8::/32", "[2001:db8::1]:443", "198.51.100.0/24", "*.example.com",
// "registry.example.com", "registry.example.com:443", "host:port". Error says what is wrong
// and how to fix it ("bad CIDR prefix /33 in '10.0.0.0/33' (IPv4 prefixes are 0-32)").
Expected<Exception> parseHostException(const std::string &spec, const std::string &source);

// Parses "443" (1-65535) into a Port exception.
Expected<Exception> parsePortException(const std::string &spec, const std::string &source);

// An inbound exception (policy allow.inbound, exec --allow-listen): a port alone ("8080")
// or any form parseHostException takes, with scope Inbound.
Expected<Exception> parseInboundException(const std::string &spec, const std::string &source);

// A delegated exception (policy allow.delegated, exec --allow-delegated): an absolute
// socket path or "@name" (parseSocketPath), scope Delegated, kind Socket.
Expected<Exception> parseDelegatedException(const std::string &spec, const std::string &source);

class Allowlist {
public:
	void add(Exception e) { entries_.push_back(std::move(e)); }
	std::vector<Exception> &entries() { return entries_; }
	const std::vector<Exception> &entries() const { return entries_; }

	// Index of the first exception of that scope matching ep, or -1. Only Decoded inet
	// endpoints can match.
	int match(const Endpoint &ep, ExceptionScope scope) const;
	// Index of the first delegated exception matching t, or -1.
	int match(const UnixTarget &t) const;

	// Index of the first outbound Hostname/HostPort exception covering a DNS query for
	// `name`, or -1.
	int matchName(const std::string &name) const;

	// Resolves every Hostname/HostPort entry once with getaddrinfo (AF_UNSPEC), filling
	// nets with /32 or /128 entries. Failures are stored in resolveError, not fatal.
	// Wildcards are not resolved: only the step's own DNS answers give them addresses.
	void resolveHosts();

	// SocketRef::snapshot() of every delegated exception: the socket files that exist are
	// then matched by inode too.
	void resolveSockets();

private:
	std::vector<Exception> entries_;
};

} // namespace hg
