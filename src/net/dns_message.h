#pragma once
// DNS wire format (RFC 1035): the queries a traced step sends to port 53 and the answers
// it receives, as bytes copied out of tracee memory. Pure: no network, no resolver.
// Every input is untrusted: nothing is read past its end, compression pointers must
// point back (so a loop is refused, not followed), names stop at 255 bytes, and work and
// memory grow with the input size only.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "net/endpoint.h"

namespace hg {

// One entry of the question section.
struct DnsQuestion {
	// Lower-cased, labels joined by '.', no trailing dot, "" for the root. Escaped as dig
	// prints names: one of . \ " ( ) ; inside a label gets a backslash, a byte outside
	// 0x21..0x7e becomes \DDD (decimal, "\032" for a space): always one printable line.
	std::string name;
	uint16_t type = 0;  // QTYPE: 1 = A, 28 = AAAA, ...
	uint16_t klass = 0; // QCLASS: 1 = IN
};

// "A", "AAAA", "CNAME", "MX", "TXT", "SRV", "HTTPS", "SVCB", "PTR", "NS", "SOA", "ANY",
// "OPT", else "TYPE123" (RFC 3597 spelling).
std::string dnsTypeName(uint16_t type);

struct DnsQuery {
	uint16_t id = 0;
	std::vector<DnsQuestion> questions; // 1 to kDnsMaxQuestions entries
};

constexpr size_t kDnsMaxQuestions = 16;
constexpr size_t kDnsMaxCnameChain = 16;

// Decodes a query: QR = 0, opcode QUERY, 1 to kDnsMaxQuestions questions. The sections
// after the questions (EDNS OPT in the additional section) are not read. The error is
// one line saying what is wrong and at which offset ("DNS query: label of 40 bytes runs
// past the end of the 30-byte message at offset 12").
Expected<DnsQuery> parseDnsQuery(std::span<const uint8_t> msg);

// An address from an A (4 bytes) or AAAA (16 bytes) record, laid out as IpNet's
// (src/policy/allowlist.h): IpNet{a.v4, a.addr, a.v4 ? 32 : 128}.
struct DnsAddress {
	bool v4 = true;
	std::array<uint8_t, 16> addr{}; // network byte order; IPv4 in the first 4 bytes
	bool operator==(const DnsAddress &) const = default;
	std::string str() const; // "203.0.113.1", "2001:db8::1"
};

// The address as the sockaddr decoder would give it for a connect() to `port`, so that
// Endpoint-based matching (IpNet::contains, Allowlist::match) applies. An AAAA record of
// an IPv4-mapped address comes out with isV4 and v4Mapped set, as decodeSockaddr does.
Endpoint toEndpoint(const DnsAddress &address, uint16_t port = 0);

struct DnsAnswer {
	uint16_t id = 0;
	uint8_t rcode = 0;       // header RCODE (0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN); EDNS extension not applied
	bool truncated = false;  // TC: a UDP answer cut short; the client will retry over TCP
	std::vector<DnsQuestion> questions;
	// The CNAME chain followed from the first question's name, in order, without that
	// name: {"cdn.example.net", "edge.example.net"} for www.example.com -> cdn -> edge.
	std::vector<std::string> cnames;
	// A and AAAA records (class IN) of the answer section owned by the first question's
	// name or a name of its CNAME chain, in section order; empty unless rcode is 0.
	// Records of other names (anything a resolver added) are not collected.
	std::vector<DnsAddress> addresses;
};

// Decodes a response: QR = 1, opcode QUERY, at most kDnsMaxQuestions questions, then every
// answer record (bounds and names checked; authority and additional sections not read).
// CNAME records are followed in any order from the first question's name; a chain that
// loops or is longer than kDnsMaxCnameChain is refused. Matching the answer to its query
// (id and question) is the caller's job.
Expected<DnsAnswer> parseDnsResponse(std::span<const uint8_t> msg);

// Splits a DNS-over-TCP byte stream (RFC 1035 4.2.2: a 2-byte big-endian length, then the
// message) into messages. Feed the bytes of one direction of one connection in order;
// only the unfinished message is kept (at most 2 + 65535 bytes).
class DnsTcpStream {
public:
	// The messages this chunk completes, in order (a zero length prefix gives an empty
	// message, which the parsers refuse as too short).
	std::vector<std::vector<uint8_t>> feed(std::span<const uint8_t> bytes);

	// Bytes held for the unfinished message (length prefix included); 0 between messages.
	size_t pending() const { return buf_.size(); }

	// Forgets the unfinished message: after bytes were missed, or a new connection.
	void reset() { buf_.clear(); }

private:
	std::vector<uint8_t> buf_; // length prefix, then what has come of the message
};

// Whether `name` is covered by `pattern`, ASCII case-insensitively, a trailing dot on
// either ignored: "example.com" matches only example.com; "*.example.com" matches every
// name strictly below it (a.example.com, a.b.example.com) but not example.com itself.
// Names are in DnsQuestion's spelling; an escaped "\." is part of a label, not a separator.
bool dnsNameMatches(std::string_view pattern, std::string_view name);

} // namespace hg
