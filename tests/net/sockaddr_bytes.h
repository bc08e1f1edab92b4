#pragma once
// Builders of sockaddr bytes as a tracee would pass them, for the net unit tests.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "net/sockaddr.h"

namespace hg::test {

template<typename T>
std::vector<uint8_t> bytesOf(const T &value)
{
	std::vector<uint8_t> v(sizeof(T));
	std::memcpy(v.data(), &value, sizeof(T));
	return v;
}

inline sockaddr_in inet4(const char *ip, uint16_t port)
{
	sockaddr_in sin{};
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	inet_pton(AF_INET, ip, &sin.sin_addr);
	return sin;
}

inline sockaddr_in6 inet6(const char *ip, uint16_t port, uint32_t flowinfo = 0, uint32_t scope = 0)
{
	sockaddr_in6 sin6{};
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(port);
	sin6.sin6_flowinfo = htonl(flowinfo);
	sin6.sin6_scope_id = scope;
	inet_pton(AF_INET6, ip, &sin6.sin6_addr);
	return sin6;
}

inline Endpoint decode(const std::vector<uint8_t> &bytes)
{
	return decodeSockaddr(bytes, static_cast<uint32_t>(bytes.size()));
}

inline Endpoint v4Endpoint(const char *ip, uint16_t port)
{
	return decode(bytesOf(inet4(ip, port)));
}

inline Endpoint v6Endpoint(const char *ip, uint16_t port)
{
	return decode(bytesOf(inet6(ip, port)));
}

// sockaddr_un with `path` (may contain NULs) and addrlen = offsetof(sun_path) + path size.
inline std::vector<uint8_t> unixBytes(const std::string &path)
{
	std::vector<uint8_t> v(offsetof(sockaddr_un, sun_path) + path.size());
	sa_family_t family = AF_UNIX;
	std::memcpy(v.data(), &family, sizeof(family));
	std::memcpy(v.data() + offsetof(sockaddr_un, sun_path), path.data(), path.size());
	return v;
}

inline std::vector<uint8_t> familyOnly(int family, size_t total)
{
	std::vector<uint8_t> v(total);
	sa_family_t f = static_cast<sa_family_t>(family);
	std::memcpy(v.data(), &f, sizeof(f));
	return v;
}

} // namespace hg::test
