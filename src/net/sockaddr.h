#pragma once
// Decoding of sockaddr bytes copied out of a tracee (strace/sockaddr.h prints them).
// Modelled on strace's decode_sockaddr(): clamp to sockaddr_storage, zero-pad,
// dispatch on family with a minimum length per family.

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "net/endpoint.h"

namespace hg {

// Decodes an address the tracee passed. `bytes` holds what could be read from the
// tracee (at most sizeof(sockaddr_storage)); `addrlen` is the length the tracee claimed.
// A read shorter than both addrlen and the family's minimum makes the result
// Undecodable with a reason; never throws.
Endpoint decodeSockaddr(std::span<const uint8_t> bytes, uint32_t addrlen);

// An Endpoint for a call that gave a pointer which could not be read at all.
Endpoint undecodableEndpoint(uint32_t addrlen, std::string reason);

// The sockaddr the kernel expects for an inet endpoint on a socket of `domain` (an IPv4
// endpoint on an AF_INET6 socket becomes ::ffff:a.b.c.d): what the gate passes when it makes
// a call itself with the address it judged. Returns its length, 0 when it cannot be built
// (not an inet endpoint, or IPv6 on an AF_INET socket).
socklen_t toSockaddr(const Endpoint &ep, int domain, sockaddr_storage &ss);

} // namespace hg
