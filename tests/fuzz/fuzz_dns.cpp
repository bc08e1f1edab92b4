// libFuzzer target: arbitrary bytes through the DNS query and response parsers and the
// TCP framer, checking the invariants the tracer relies on: names are one printable
// line, addresses come only from A/AAAA RDATA of a NOERROR answer, bounds hold.
//
// Input: the message itself; the framer gets the same bytes split where the first byte says.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

#include "net/dns_message.h"

namespace {

void check(bool ok)
{
	if (!ok)
		__builtin_trap();
}

// One printable line, lower-cased, no trailing dot, at most 255 wire bytes escaped.
void checkName(const std::string &name)
{
	check(name.size() <= 4 * 255);
	for (char c : name)
		check(c > 0x20 && c < 0x7f && !(c >= 'A' && c <= 'Z'));
	check(name.empty() || name.back() != '.' || (name.size() >= 2 && name[name.size() - 2] == '\\'));

	check(hg::dnsNameMatches(name, name));
	check(hg::dnsNameMatches("*." + name, "x." + name));
	check(!hg::dnsNameMatches("*." + name, name));
}

bool contains(std::span<const uint8_t> haystack, const uint8_t *needle, size_t len)
{
	return std::search(haystack.begin(), haystack.end(), needle, needle + len) != haystack.end();
}

void parseBoth(std::span<const uint8_t> msg)
{
	auto query = hg::parseDnsQuery(msg);
	if (query) {
		check(!query->questions.empty() && query->questions.size() <= hg::kDnsMaxQuestions);
		for (const hg::DnsQuestion &q : query->questions) {
			checkName(q.name);
			check(!hg::dnsTypeName(q.type).empty());
		}
	} else {
		check(!query.error().message.empty());
		check(query.error().message.find('\n') == std::string::npos);
	}

	auto answer = hg::parseDnsResponse(msg);
	if (!answer) {
		check(!answer.error().message.empty());
		check(answer.error().message.find('\n') == std::string::npos);
		return;
	}
	check(!query); // QR tells them apart
	check(answer->questions.size() <= hg::kDnsMaxQuestions);
	for (const hg::DnsQuestion &q : answer->questions)
		checkName(q.name);
	check(answer->cnames.size() <= hg::kDnsMaxCnameChain);
	for (const std::string &c : answer->cnames)
		checkName(c);
	if (answer->questions.empty())
		check(answer->cnames.empty() && answer->addresses.empty());
	if (answer->rcode != 0)
		check(answer->addresses.empty());
	// Each A record costs 2 (owner pointer) + 10 + 4 bytes past the 12-byte header.
	check(answer->addresses.size() * 16 <= msg.size());
	for (const hg::DnsAddress &a : answer->addresses) {
		check(contains(msg, a.addr.data(), a.v4 ? 4 : 16));
		if (a.v4)
			check(std::all_of(a.addr.begin() + 4, a.addr.end(), [](uint8_t b) { return b == 0; }));
		hg::Endpoint ep = hg::toEndpoint(a, 443);
		check(ep.status == hg::AddrStatus::Decoded && ep.isIp && ep.port == 443);
		check(!a.str().empty());
	}
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	std::span<const uint8_t> input(data, size);
	parseBoth(input);

	if (size == 0)
		return 0;
	const size_t cut = std::min<size_t>(data[0], size);
	hg::DnsTcpStream stream;
	size_t out = 0;
	for (std::span<const uint8_t> chunk : { input.first(cut), input.subspan(cut) }) {
		for (const auto &message : stream.feed(chunk)) {
			out += 2 + message.size();
			parseBoth(message);
		}
		check(stream.pending() <= 2 + 65535);
	}
	check(out + stream.pending() == size);
	stream.reset();
	check(stream.pending() == 0);
	return 0;
}
