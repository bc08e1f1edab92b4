#include "policy/allowlist.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <memory>

#include "net/dns_message.h"

namespace hg {

namespace {

constexpr size_t kMaxHostnameLen = 253; // RFC 1035, without the trailing dot

// The 16 bytes an endpoint is compared on against an IPv6 net: mapped
// addresses get their ::ffff: prefix back.
std::array<uint8_t, 16> v6Bytes(const Endpoint &ep)
{
	if (!ep.v4Mapped)
		return ep.ip;
	std::array<uint8_t, 16> b{};
	b[10] = 0xff;
	b[11] = 0xff;
	std::copy_n(ep.ip.begin(), 4, b.begin() + 12);
	return b;
}

bool prefixEqual(const uint8_t *a, const uint8_t *b, int prefix)
{
	int full = prefix / 8;
	if (std::memcmp(a, b, full) != 0)
		return false;
	int rest = prefix % 8;
	if (rest == 0)
		return true;
	uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

void maskHostBits(IpNet &net)
{
	int bits = net.v4 ? 32 : 128;
	for (int i = net.prefix; i < bits; i++)
		net.addr[i / 8] &= static_cast<uint8_t>(~(0x80 >> (i % 8)));
}

// ::ffff:a.b.c.d/n with n >= 96 names IPv4 addresses: store it as a.b.c.d/(n-96) so
// plain IPv4 endpoints match it too, not only mapped ones.
void unmapV4(IpNet &net)
{
	static constexpr uint8_t kMappedPrefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (net.v4 || net.prefix < 96 ||
	    std::memcmp(net.addr.data(), kMappedPrefix, sizeof(kMappedPrefix)) != 0)
		return;
	std::array<uint8_t, 16> v4{};
	std::copy_n(net.addr.begin() + 12, 4, v4.begin());
	net.addr = v4;
	net.v4 = true;
	net.prefix -= 96;
}

// `unmap`: turn ::ffff:a.b.c.d into a.b.c.d/32 (callers that still check a
// prefix or the family the user wrote unmap later themselves).
std::optional<IpNet> parseIp(const std::string &text, bool unmap = true)
{
	IpNet net;
	if (inet_pton(AF_INET, text.c_str(), net.addr.data()) == 1) {
		net.v4 = true;
		net.prefix = 32;
		return net;
	}
	if (inet_pton(AF_INET6, text.c_str(), net.addr.data()) == 1) {
		net.v4 = false;
		net.prefix = 128;
		if (unmap)
			unmapV4(net);
		return net;
	}
	return std::nullopt;
}

bool allDigits(const std::string &s)
{
	return !s.empty() && std::all_of(s.begin(), s.end(),
					 [](char c) { return c >= '0' && c <= '9'; });
}

Expected<uint16_t> parsePort(const std::string &text, const std::string &spec)
{
	unsigned long value = 0;
	auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
	if (!allDigits(text) || ec != std::errc() || end != text.data() + text.size() ||
	    value < 1 || value > 65535)
		return Error::msg("bad port '" + text + "' in '" + spec +
				  "' (ports are 1-65535)");
	return static_cast<uint16_t>(value);
}

// Letters, digits, '-' and '_' in dot-separated labels of 1-63 characters.
bool validHostname(const std::string &host)
{
	if (host.empty() || host.size() > kMaxHostnameLen)
		return false;
	size_t label = 0;
	for (char c : host) {
		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '-' || c == '_';
		if (!ok || ++label > 63)
			return false;
	}
	return label > 0 || host.size() > 1;
}

bool looksNumeric(const std::string &host)
{
	return std::all_of(host.begin(), host.end(),
			   [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

Expected<IpNet> parseCidr(const std::string &addr, const std::string &prefixText,
			  const std::string &spec)
{
	std::optional<IpNet> net = parseIp(addr, false);
	if (!net)
		return Error::msg("bad address '" + addr + "' in CIDR '" + spec +
				  "' (expected e.g. 198.51.100.0/24 or 2001:db8::/32)");

	int maxPrefix = net->v4 ? 32 : 128;
	int prefix = -1;
	auto [end, ec] = std::from_chars(prefixText.data(), prefixText.data() + prefixText.size(), prefix);
	if (!allDigits(prefixText) || ec != std::errc() ||
	    end != prefixText.data() + prefixText.size() || prefix > maxPrefix)
		return Error::msg("bad CIDR prefix /" + prefixText + " in '" + spec + "' (" +
				  (net->v4 ? "IPv4 prefixes are 0-32" : "IPv6 prefixes are 0-128") + ")");
	net->prefix = prefix;
	maskHostBits(*net);
	unmapV4(*net);
	return *net;
}

Exception base(const std::string &spec, const std::string &source)
{
	Exception e;
	e.spec = spec;
	e.source = source;
	return e;
}

// "[2001:db8::1]:443", "[2001:db8::1]", "[2001:db8::/32]:443".
Expected<Exception> parseBracketed(const std::string &spec, const std::string &source)
{
	size_t close = spec.find(']');
	if (close == std::string::npos)
		return Error::msg("missing ']' in '" + spec + "' (write [2001:db8::1]:443)");
	std::string inner = spec.substr(1, close - 1);
	std::string after = spec.substr(close + 1);

	if (inner.find(':') == std::string::npos)
		return Error::msg("bad IPv6 address '" + inner + "' in '" + spec +
				  "' (brackets are for IPv6: [2001:db8::1]:443)");

	Exception e = base(spec, source);
	size_t slash = inner.find('/');
	std::optional<IpNet> net;
	if (slash != std::string::npos) {
		Expected<IpNet> cidr = parseCidr(inner.substr(0, slash), inner.substr(slash + 1), spec);
		if (!cidr)
			return cidr.error();
		net = *cidr;
		e.kind = Exception::Kind::Cidr;
	} else {
		net = parseIp(inner);
		e.kind = Exception::Kind::Address;
	}
	if (!net)
		return Error::msg("bad IPv6 address '" + inner + "' in '" + spec +
				  "' (expected e.g. [2001:db8::1]:443)");
	e.nets.push_back(*net);

	if (after.empty())
		return e;
	if (after[0] != ':')
		return Error::msg("unexpected '" + after + "' after ']' in '" + spec +
				  "' (write [2001:db8::1]:443)");
	Expected<uint16_t> port = parsePort(after.substr(1), spec);
	if (!port)
		return port.error();
	e.port = *port;
	if (e.kind == Exception::Kind::Address) {
		// A literal with a port: already resolved, so resolveHosts leaves it alone.
		e.kind = Exception::Kind::HostPort;
		e.host = inner;
		e.resolved = true;
	}
	return e;
}

} // namespace

const char *scopeName(ExceptionScope scope)
{
	switch (scope) {
	case ExceptionScope::Outbound:
		return "outbound";
	case ExceptionScope::Inbound:
		return "inbound";
	case ExceptionScope::Delegated:
		return "delegated";
	}
	return "outbound";
}

bool IpNet::contains(const Endpoint &ep) const
{
	if (ep.status != AddrStatus::Decoded || !ep.isIp)
		return false;
	if (v4)
		return ep.isV4 && prefixEqual(addr.data(), ep.ip.data(), prefix);
	if (ep.isV4 && !ep.v4Mapped)
		return false;
	std::array<uint8_t, 16> bytes = v6Bytes(ep);
	return prefixEqual(addr.data(), bytes.data(), prefix);
}

std::string IpNet::str() const
{
	char buf[INET6_ADDRSTRLEN] = {};
	inet_ntop(v4 ? AF_INET : AF_INET6, addr.data(), buf, sizeof(buf));
	return std::string(buf) + "/" + std::to_string(prefix);
}

bool Exception::matches(const UnixTarget &t) const
{
	return kind == Kind::Socket && socket.matches(t);
}

bool Exception::matches(const Endpoint &ep) const
{
	if (kind == Kind::Socket)
		return false;
	if (ep.status != AddrStatus::Decoded || !ep.isIp)
		return false;
	if (port && ep.port != *port)
		return false;
	if (kind == Kind::Port)
		return true;
	return std::any_of(nets.begin(), nets.end(),
			   [&](const IpNet &net) { return net.contains(ep); });
}

Expected<Exception> parseHostException(const std::string &spec, const std::string &source)
{
	if (spec.empty())
		return Error::msg("empty host exception (expected an address, CIDR, hostname "
				  "or host:port, e.g. 203.0.113.7, 198.51.100.0/24, registry.example.com:443)");

	if (spec.find("://") != std::string::npos)
		return Error::msg("'" + spec + "' is a URL, not a host (write the host alone, "
				  "e.g. example.com or example.com:443)");

	if (spec[0] == '[')
		return parseBracketed(spec, source);

	Exception e = base(spec, source);
	std::string host = spec;

	// Two or more colons can only be an IPv6 literal; one separates host and port.
	size_t colons = std::count(spec.begin(), spec.end(), ':');
	if (colons == 1) {
		size_t colon = spec.find(':');
		host = spec.substr(0, colon);
		Expected<uint16_t> port = parsePort(spec.substr(colon + 1), spec);
		if (!port)
			return port.error();
		e.port = *port;
	}

	size_t slash = host.find('/');
	if (slash != std::string::npos) {
		if (e.port)
			return Error::msg("a CIDR cannot take a port in '" + spec +
					  "' (use a separate port exception)");
		Expected<IpNet> net = parseCidr(host.substr(0, slash), host.substr(slash + 1), spec);
		if (!net)
			return net.error();
		e.kind = Exception::Kind::Cidr;
		e.nets.push_back(*net);
		return e;
	}

	if (std::optional<IpNet> net = parseIp(host)) {
		e.nets.push_back(*net);
		if (!e.port) {
			e.kind = Exception::Kind::Address;
			return e;
		}
		e.kind = Exception::Kind::HostPort;
		e.host = host;
		e.resolved = true;
		return e;
	}

	if (colons > 1)
		return Error::msg("bad IPv6 address '" + spec +
				  "' (for an address with a port write [2001:db8::1]:443)");
	if (host.empty())
		return Error::msg("missing host before ':' in '" + spec + "' (for any host use a port exception)");
	if (looksNumeric(host))
		return Error::msg("bad IPv4 address '" + host + "' in '" + spec +
				  "' (expected four numbers 0-255, e.g. 203.0.113.7)");
	// "*.example.com": every name below example.com, known only from DNS answers.
	bool wildcard = host.rfind("*.", 0) == 0;
	std::string name = wildcard ? host.substr(2) : host;
	if (!validHostname(name) || (wildcard && name.find('.') == std::string::npos))
		return Error::msg("bad hostname '" + host + "' in '" + spec +
				  "' (letters, digits, '-', '_' and '.', or *.example.com for every name below "
				  "a domain; no scheme or path)");

	e.kind = e.port ? Exception::Kind::HostPort : Exception::Kind::Hostname;
	e.host = host;
	e.wildcard = wildcard;
	e.resolved = wildcard;
	return e;
}

Expected<Exception> parsePortException(const std::string &spec, const std::string &source)
{
	if (spec.empty())
		return Error::msg("empty port exception (expected a port 1-65535, e.g. 443)");
	Expected<uint16_t> port = parsePort(spec, spec);
	if (!port)
		return port.error();
	Exception e = base(spec, source);
	e.kind = Exception::Kind::Port;
	e.port = *port;
	return e;
}

Expected<Exception> parseInboundException(const std::string &spec, const std::string &source)
{
	Expected<Exception> e = allDigits(spec) ? parsePortException(spec, source) : parseHostException(spec, source);
	if (e)
		e->scope = ExceptionScope::Inbound;
	return e;
}

bool Exception::matchesName(const std::string &name) const
{
	return (kind == Kind::Hostname || kind == Kind::HostPort) && !host.empty() && dnsNameMatches(host, name);
}

int Allowlist::matchName(const std::string &name) const
{
	for (size_t i = 0; i < entries_.size(); i++)
		if (entries_[i].scope == ExceptionScope::Outbound && entries_[i].matchesName(name))
			return static_cast<int>(i);
	return -1;
}

Expected<Exception> parseDelegatedException(const std::string &spec, const std::string &source)
{
	Expected<std::string> path = parseSocketPath(spec);
	if (!path)
		return path.error();
	Exception e = base(spec, source);
	e.kind = Exception::Kind::Socket;
	e.scope = ExceptionScope::Delegated;
	e.socket.path = *path;
	return e;
}

int Allowlist::match(const UnixTarget &t) const
{
	for (size_t i = 0; i < entries_.size(); i++)
		if (entries_[i].scope == ExceptionScope::Delegated && entries_[i].matches(t))
			return static_cast<int>(i);
	return -1;
}

void Allowlist::resolveSockets()
{
	for (Exception &e : entries_)
		if (e.kind == Exception::Kind::Socket)
			e.socket.snapshot();
}

int Allowlist::match(const Endpoint &ep, ExceptionScope scope) const
{
	for (size_t i = 0; i < entries_.size(); i++)
		if (entries_[i].scope == scope && entries_[i].matches(ep))
			return static_cast<int>(i);
	return -1;
}

void Allowlist::resolveHosts()
{
	for (Exception &e : entries_) {
		if (e.resolved || (e.kind != Exception::Kind::Hostname &&
				   e.kind != Exception::Kind::HostPort))
			continue;
		e.resolved = true;

		addrinfo hints{};
		hints.ai_family = AF_UNSPEC;
		// One socket type only, or every address comes back once per type.
		hints.ai_socktype = SOCK_STREAM;
		addrinfo *raw = nullptr;
		int rc = getaddrinfo(e.host.c_str(), nullptr, &hints, &raw);
		std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> list(raw, &freeaddrinfo);
		if (rc != 0) {
			e.resolveError = "getaddrinfo(" + e.host + "): " + gai_strerror(rc);
			continue;
		}

		for (const addrinfo *ai = list.get(); ai; ai = ai->ai_next) {
			IpNet net;
			if (ai->ai_family == AF_INET) {
				const auto *sin = reinterpret_cast<const sockaddr_in *>(ai->ai_addr);
				std::memcpy(net.addr.data(), &sin->sin_addr, 4);
				net.v4 = true;
				net.prefix = 32;
			} else if (ai->ai_family == AF_INET6) {
				const auto *sin6 = reinterpret_cast<const sockaddr_in6 *>(ai->ai_addr);
				std::memcpy(net.addr.data(), &sin6->sin6_addr, 16);
				net.v4 = false;
				net.prefix = 128;
			} else {
				continue;
			}
			bool seen = std::any_of(e.nets.begin(), e.nets.end(), [&](const IpNet &n) {
				return n.v4 == net.v4 && n.addr == net.addr && n.prefix == net.prefix;
			});
			if (!seen)
				e.nets.push_back(net);
		}
		if (e.nets.empty())
			e.resolveError = "getaddrinfo(" + e.host + "): no IPv4 or IPv6 address";
	}
}

} // namespace hg
