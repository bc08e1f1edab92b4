#include "net/resolv_conf.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <string>

#include "net/listener_table.h"

namespace hg {

namespace {

std::string_view trim(std::string_view s)
{
	size_t b = s.find_first_not_of(" \t\r");
	if (b == std::string_view::npos)
		return {};
	size_t e = s.find_last_not_of(" \t\r");
	return s.substr(b, e - b + 1);
}

Endpoint nameserver(std::string_view word)
{
	std::string text(word.substr(0, word.find('%')));
	Endpoint ep;
	uint8_t bytes[16] = {};
	if (inet_pton(AF_INET, text.c_str(), bytes) == 1) {
		ep.family = AF_INET;
		ep.isV4 = true;
		std::memcpy(ep.ip.data(), bytes, 4);
	} else if (inet_pton(AF_INET6, text.c_str(), bytes) == 1) {
		ep.family = AF_INET6;
		std::memcpy(ep.ip.data(), bytes, 16);
	} else {
		return ep;
	}
	ep.status = AddrStatus::Decoded;
	ep.isIp = true;
	ep.port = kDnsPort;
	return ep;
}

} // namespace

std::vector<Endpoint> parseResolvConf(std::string_view text)
{
	std::vector<Endpoint> out;
	while (!text.empty()) {
		size_t nl = text.find('\n');
		std::string_view line = text.substr(0, nl);
		text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
		line = trim(line);
		constexpr std::string_view kKey = "nameserver";
		if (line.substr(0, kKey.size()) != kKey || line.size() == kKey.size() ||
		    (line[kKey.size()] != ' ' && line[kKey.size()] != '\t'))
			continue;
		std::string_view rest = trim(line.substr(kKey.size()));
		rest = rest.substr(0, rest.find_first_of(" \t#;"));
		Endpoint ep = nameserver(rest);
		if (ep.status == AddrStatus::Decoded)
			out.push_back(ep);
	}
	return out;
}

bool isResolver(const Endpoint &dest, const std::vector<Endpoint> &nameservers)
{
	if (dest.status != AddrStatus::Decoded || !dest.isIp || dest.port != kDnsPort)
		return false;
	if (dest.isLoopback())
		return true;
	for (const Endpoint &ns : nameservers)
		if (sameIp(ns, dest))
			return true;
	return false;
}

} // namespace hg
