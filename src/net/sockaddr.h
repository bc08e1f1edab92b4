#pragma once
// Decoding of sockaddr bytes copied out of a tracee, and strace-syntax rendering.
// Modelled on strace's decode_sockaddr(): clamp to sockaddr_storage, zero-pad,
// dispatch on family with a minimum length per family.

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

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

// strace's rendering of an address argument, e.g.
//   {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("203.0.113.1")}
//   {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "2001:db8::1", &sin6_addr), sin6_scope_id=0}
//   {sa_family=AF_UNIX, sun_path="/run/x.sock"}   {sa_family=AF_UNIX, sun_path=@"abstract"}
//   {sa_family=AF_NETLINK, nl_pid=0, nl_groups=00000000}
//   {sa_family=AF_PACKET, sll_protocol=htons(ETH_P_IP), sll_ifindex=2, ...}
//   {sa_family=AF_VSOCK, sa_data=...}   NULL (Absent)   0x7ffd1234 (Undecodable: the raw pointer)
// `pointer` is the tracee address, used only for the Absent/Undecodable spellings.
std::string straceSockaddr(const Endpoint &ep, uint64_t pointer);

// Bytes as strace quotes them, without the surrounding quotes: printable ASCII as is,
// \" \\ \n \t etc. escaped, anything else in octal (\0, \377).
std::string escapeBytes(std::string_view bytes);

} // namespace hg
