#pragma once
// Where the step's resolver sends its queries: the nameservers of resolv.conf(5), so that
// the tracer can tell a DNS exchange (judged by the names it asks for) from data sent to
// some host's port 53 (an ordinary outbound call). Pure parsing; the caller reads the file.

#include <string_view>
#include <vector>

#include "net/endpoint.h"

namespace hg {

inline constexpr uint16_t kDnsPort = 53;

// The addresses of the `nameserver` lines of a resolv.conf text, in file order, as
// Decoded AF_INET/AF_INET6 endpoints with port 53. Lines that do not parse are skipped,
// as glibc skips them; an IPv6 scope suffix ("fe80::1%eth0") is dropped.
std::vector<Endpoint> parseResolvConf(std::string_view text);

// The resolvers a step may query: `nameservers` (from the gate's resolv.conf), and any
// loopback address (local resolvers such as systemd-resolved's 127.0.0.53, dnsmasq or a test
// server). True when dest is one of them at port 53.
bool isResolver(const Endpoint &dest, const std::vector<Endpoint> &nameservers);

} // namespace hg
