// libFuzzer target: arbitrary bytes through the sockaddr decoder, its strace
// rendering, classify() and the allowlist, checking the invariants reports rely on.
//
// Input layout: [call][domain][type][addrlen selector] then the sockaddr bytes.

#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "evidence/strace_log.h"
#include "net/classify.h"
#include "net/sockaddr.h"
#include "base/strace_quote.h"
#include "strace/sockaddr.h"
#include "policy/allowlist.h"

namespace {

constexpr std::array kDomains = { AF_INET, AF_INET6, AF_UNIX, AF_NETLINK, AF_PACKET,
				  AF_VSOCK, AF_UNSPEC, AF_BLUETOOTH };
constexpr std::array kTypes = { SOCK_STREAM, SOCK_DGRAM, SOCK_RAW, SOCK_SEQPACKET, SOCK_PACKET };

void check(bool ok)
{
	if (!ok)
		__builtin_trap();
}

const hg::Allowlist &allowlist()
{
	static const hg::Allowlist list = [] {
		hg::Allowlist l;
		for (const char *spec : { "10.0.0.0/8", "2001:db8::/32", "[::1]:53", "::ffff:0:0/96" })
			l.add(*hg::parseHostException(spec, "fuzz"));
		l.add(*hg::parsePortException("443", "fuzz"));
		for (const char *spec : { "127.0.0.1", "8080", "[::1]:8080" })
			l.add(*hg::parseInboundException(spec, "fuzz"));
		return l;
	}();
	return list;
}

uint32_t addrlenFor(uint8_t selector, size_t available)
{
	// Below 0x80: a literal addrlen, often shorter or longer than the bytes.
	// From 0x80: the bytes available plus a surplus, up to far past sockaddr_storage.
	if (selector < 0x80)
		return selector;
	if (selector == 0xff)
		return UINT32_MAX;
	return static_cast<uint32_t>(available) + (selector - 0x80u) * 8u;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;

	const auto call = static_cast<hg::NetCall>(data[0] % 7);
	hg::SocketInfo sock;
	sock.known = data[1] & 0x80;
	sock.domain = kDomains[(data[1] & 0x7f) % kDomains.size()];
	sock.type = kTypes[data[2] % kTypes.size()];
	sock.protocol = data[2] >> 4;
	std::span<const uint8_t> bytes(data + 4, size - 4);
	const uint32_t addrlen = addrlenFor(data[3], bytes.size());

	hg::Endpoint ep = hg::decodeSockaddr(bytes, addrlen);
	check(ep.addrlen == addrlen);
	check(ep.status != hg::AddrStatus::Absent);
	check(!ep.address().empty());
	if (ep.status == hg::AddrStatus::Undecodable)
		check(!ep.undecodableReason.empty() && !ep.isIp);
	if (ep.isV4)
		check(ep.isIp);
	if (ep.v4Mapped)
		check(ep.isV4 && ep.family == AF_INET6);
	if (ep.isIp)
		check(ep.family == AF_INET || ep.family == AF_INET6);
	check(ep.rawData.size() <= bytes.size());

	std::string rendered = hg::strace::sockaddr(ep, 0x7ffc0000);
	check(!rendered.empty());
	if (ep.status == hg::AddrStatus::Decoded)
		check(rendered.front() == '{' && rendered.back() == '}');

	hg::Classification cls = hg::classify(call, sock, ep);
	check(!cls.why.empty());
	if (cls.direction == hg::Direction::Local)
		check(!cls.violation);
	if (ep.status == hg::AddrStatus::Undecodable && cls.direction != hg::Direction::Local)
		check(cls.violation);

	for (hg::ExceptionScope scope : { hg::ExceptionScope::Outbound, hg::ExceptionScope::Inbound }) {
		int match = allowlist().match(ep, scope);
		if (match >= 0)
			check(ep.status == hg::AddrStatus::Decoded && ep.isIp && allowlist().entries()[match].scope == scope);
	}

	hg::NetRecord r;
	r.pid = 1;
	r.call = call;
	r.callName = "fuzz";
	r.fd = 3;
	r.addr = std::move(ep);
	r.addrPtr = 0x7ffc0000;
	r.len = addrlen;
	r.flags = addrlen;
	r.resultKnown = data[0] & 0x80;
	r.result = -static_cast<long>(data[1]) * 17;
	std::string line = hg::straceLine(r);
	check(line.find(" = ") != std::string::npos);
	return 0;
}
