#pragma once
// sockaddrs as strace 6.1 prints them (observed):
//   {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("203.0.113.1")}
//   {sa_family=AF_INET6, sin6_port=htons(8080), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::", &sin6_addr), sin6_scope_id=0}
//   {sa_family=AF_UNIX, sun_path="/run/x.sock"}   {sa_family=AF_UNIX, sun_path=@"abstract"}
//   {sa_family=AF_NETLINK, nl_pid=0, nl_groups=0x000010}
//   {sa_family=AF_PACKET, sll_protocol=htons(ETH_P_IP), sll_ifindex=if_nametoindex("lo"), ...}
//   {sa_family=AF_INET, sa_data="\2413"}   (shorter than its family's struct)
//   NULL, 0x7ffd1234 (absent; unreadable or shorter than sa_family)

#include <cstdint>
#include <span>
#include <string>

#include "net/endpoint.h"

namespace hg::strace {

// A decoded Endpoint; `pointer` is the tracee address, printed for Absent/Undecodable.
std::string sockaddr(const Endpoint &ep, uint64_t pointer);

// The address at `pointer` of which `bytes` could be read and `len` is the length to show
// (the caller's addrlen, or the smaller of the lengths before and after the call).
std::string sockaddr(std::span<const uint8_t> bytes, uint32_t len, uint64_t pointer);

} // namespace hg::strace
