#include "net/dns_message.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>

#include "net/sockaddr.h"

namespace hg {

namespace {

constexpr size_t kHeaderLen = 12;
constexpr size_t kQuestionFixedLen = 4; // QTYPE, QCLASS
constexpr size_t kRecordFixedLen = 10;  // TYPE, CLASS, TTL, RDLENGTH
constexpr size_t kMaxNameLen = 255;     // RFC 1035 3.1: wire bytes, length octets included
// Pointers already have to point back, which ends every walk; the cap keeps a chain of
// pointer-to-pointer hops from costing more than a name's worth of work.
constexpr size_t kMaxPointers = 127;
constexpr size_t kTcpLenPrefix = 2;

constexpr uint16_t kTypeA = 1;
constexpr uint16_t kTypeCname = 5;
constexpr uint16_t kTypeAaaa = 28;
constexpr uint16_t kClassIn = 1;
constexpr uint8_t kOpcodeQuery = 0;
constexpr uint8_t kRcodeNoError = 0;

uint16_t load16(std::span<const uint8_t> bytes, size_t at)
{
	return static_cast<uint16_t>(bytes[at] << 8 | bytes[at + 1]);
}

std::string at(size_t offset)
{
	return " at offset " + std::to_string(offset);
}

struct Header {
	uint16_t id = 0;
	bool qr = false;
	uint8_t opcode = 0;
	bool tc = false;
	uint8_t rcode = 0;
	uint16_t qdcount = 0;
	uint16_t ancount = 0;
};

// The caller has checked that msg holds kHeaderLen bytes.
Header readHeader(std::span<const uint8_t> msg)
{
	Header h;
	h.id = load16(msg, 0);
	h.qr = msg[2] & 0x80;
	h.opcode = (msg[2] >> 3) & 0x0f;
	h.tc = msg[2] & 0x02;
	h.rcode = msg[3] & 0x0f;
	h.qdcount = load16(msg, 4);
	h.ancount = load16(msg, 6);
	return h;
}

const char *opcodeName(uint8_t opcode)
{
	switch (opcode) {
	case 0: return "QUERY";
	case 1: return "IQUERY";
	case 2: return "STATUS";
	case 4: return "NOTIFY";
	case 5: return "UPDATE";
	case 6: return "DSO";
	default: return "unassigned";
	}
}

// Checks what both directions share: the header is there, the opcode is QUERY, QR is as
// expected, the question count is within bounds.
Expected<Header> checkHeader(std::span<const uint8_t> msg, bool response)
{
	if (msg.size() < kHeaderLen)
		return Error::msg(std::to_string(msg.size()) + "-byte message is shorter than the " +
				  std::to_string(kHeaderLen) + "-byte header");
	Header h = readHeader(msg);
	if (h.qr != response)
		return Error::msg(response ? "QR bit is 0: a query, not a response"
					   : "QR bit is 1: a response, not a query");
	if (h.opcode != kOpcodeQuery)
		return Error::msg("opcode " + std::to_string(h.opcode) + " (" + opcodeName(h.opcode) +
				  "), not QUERY");
	if (h.qdcount > kDnsMaxQuestions)
		return Error::msg("QDCOUNT " + std::to_string(h.qdcount) + " above the " +
				  std::to_string(kDnsMaxQuestions) + " questions accepted");
	return h;
}

// Appends one label as dig prints it, lower-cased.
void appendLabel(std::string &text, std::span<const uint8_t> label)
{
	for (uint8_t c : label) {
		if (c >= 'A' && c <= 'Z')
			c = static_cast<uint8_t>(c - 'A' + 'a');
		switch (c) {
		case '.': case '\\': case '"': case '(': case ')': case ';':
			text += '\\';
			text += static_cast<char>(c);
			break;
		default:
			if (c > 0x20 && c < 0x7f) {
				text += static_cast<char>(c);
			} else {
				char ddd[8];
				std::snprintf(ddd, sizeof(ddd), "\\%03u", c);
				text += ddd;
			}
		}
	}
}

struct WireName {
	std::string text;
	size_t end = 0; // offset just past the name where it stands (past its first pointer)
};

// Decodes the (possibly compressed) name at `start`. Every pointer must point before the
// place the previous one led to (the first before `start`): what compressors write, as
// they only point at names already written, and it makes a loop impossible to follow.
Expected<WireName> readName(std::span<const uint8_t> msg, size_t start)
{
	WireName name;
	size_t pos = start;
	size_t limit = start; // pointers must land before this
	size_t pointers = 0;
	size_t wireLen = 0;
	bool jumped = false;
	for (;;) {
		if (pos >= msg.size())
			return Error::msg("name runs past the end of the " + std::to_string(msg.size()) +
					  "-byte message" + at(pos));
		const uint8_t len = msg[pos];
		if ((len & 0xc0) == 0xc0) {
			if (pos + 2 > msg.size())
				return Error::msg("compression pointer cut short" + at(pos));
			const size_t target = (len & 0x3fu) << 8 | msg[pos + 1];
			if (target >= limit)
				return Error::msg("compression loop: pointer" + at(pos) + " to offset " +
						  std::to_string(target) + " does not point before offset " +
						  std::to_string(limit));
			if (++pointers > kMaxPointers)
				return Error::msg("more than " + std::to_string(kMaxPointers) +
						  " compression pointers in the name" + at(start));
			if (!jumped)
				name.end = pos + 2;
			jumped = true;
			limit = target;
			pos = target;
			continue;
		}
		if (len & 0xc0) {
			char kind[8];
			std::snprintf(kind, sizeof(kind), "0x%02x", len);
			return Error::msg("label type " + std::string(kind) + at(pos) +
					  " (only plain labels and pointers are valid)");
		}
		wireLen += 1 + len;
		if (wireLen > kMaxNameLen)
			return Error::msg("name longer than " + std::to_string(kMaxNameLen) + " bytes" +
					  at(start));
		if (len == 0)
			break;
		if (pos + 1 + len > msg.size())
			return Error::msg("label of " + std::to_string(len) + " bytes runs past the end of the " +
					  std::to_string(msg.size()) + "-byte message" + at(pos));
		if (wireLen > 1u + len)
			name.text += '.';
		appendLabel(name.text, msg.subspan(pos + 1, len));
		pos += 1 + len;
	}
	if (!jumped)
		name.end = pos + 1;
	return name;
}

// Decodes `count` questions from offset kHeaderLen; returns the offset after them.
Expected<size_t> readQuestions(std::span<const uint8_t> msg, size_t count,
			       std::vector<DnsQuestion> &questions)
{
	size_t pos = kHeaderLen;
	for (size_t i = 0; i < count; i++) {
		auto name = readName(msg, pos);
		if (!name)
			return Error::msg("question " + std::to_string(i + 1) + ": " + name.error().message);
		pos = name->end;
		if (pos + kQuestionFixedLen > msg.size())
			return Error::msg("question " + std::to_string(i + 1) + " cut short: QTYPE and QCLASS" +
					  at(pos) + " need 4 bytes, the message ends at " +
					  std::to_string(msg.size()));
		questions.push_back({ std::move(name->text), load16(msg, pos), load16(msg, pos + 2) });
		pos += kQuestionFixedLen;
	}
	return pos;
}

// An answer record the chain walk needs (class IN: A, AAAA, CNAME), by offsets into the
// message; names are decoded again when compared, so memory stays a few words a record.
struct RecordRef {
	uint16_t type = 0;
	size_t owner = 0; // offset of the owner name
	size_t rdata = 0; // offset of RDATA (the target name for a CNAME)
};

// Walks `count` records from `pos`, checking each, and keeps the ones the chain needs.
Expected<std::vector<RecordRef>> readAnswers(std::span<const uint8_t> msg, size_t pos, size_t count)
{
	std::vector<RecordRef> refs;
	for (size_t i = 0; i < count; i++) {
		const std::string which = "answer " + std::to_string(i + 1);
		const size_t ownerAt = pos;
		auto owner = readName(msg, ownerAt);
		if (!owner)
			return Error::msg(which + ": " + owner.error().message);
		const size_t fixed = owner->end;
		if (fixed + kRecordFixedLen > msg.size())
			return Error::msg(which + " cut short: TYPE to RDLENGTH" + at(fixed) +
					  " need 10 bytes, the message ends at " + std::to_string(msg.size()));
		const uint16_t type = load16(msg, fixed);
		const uint16_t klass = load16(msg, fixed + 2);
		const size_t rdata = fixed + kRecordFixedLen;
		const size_t rdlength = load16(msg, fixed + 8);
		if (rdata + rdlength > msg.size())
			return Error::msg(which + ": RDLENGTH " + std::to_string(rdlength) + at(fixed + 8) +
					  " runs past the end of the " + std::to_string(msg.size()) + "-byte message");
		pos = rdata + rdlength;
		if (klass != kClassIn)
			continue;

		if (type == kTypeA || type == kTypeAaaa) {
			const size_t want = type == kTypeA ? 4 : 16;
			if (rdlength != want)
				return Error::msg(which + ": " + dnsTypeName(type) + " record with RDLENGTH " +
						  std::to_string(rdlength) + at(fixed + 8) + ", not " +
						  std::to_string(want));
		} else if (type == kTypeCname) {
			auto target = readName(msg, rdata);
			if (!target)
				return Error::msg(which + ": CNAME target: " + target.error().message);
			if (target->end != pos)
				return Error::msg(which + ": CNAME target name" + at(rdata) + " ends at offset " +
						  std::to_string(target->end) + ", not where RDLENGTH " +
						  std::to_string(rdlength) + " ends it (" + std::to_string(pos) + ")");
		} else {
			continue;
		}
		refs.push_back({ type, ownerAt, rdata });
	}
	return refs;
}

// The text of a name readAnswers has already checked.
std::string nameAt(std::span<const uint8_t> msg, size_t offset)
{
	auto name = readName(msg, offset);
	return name ? std::move(name->text) : std::string();
}

// Follows CNAME records from `start`, whatever their order in the section. Returns the
// chain, `start` first; a loop or more than kDnsMaxCnameChain links is refused.
Expected<std::vector<std::string>> cnameChain(std::span<const uint8_t> msg,
					      const std::vector<RecordRef> &refs, std::string start)
{
	std::vector<std::string> chain{ std::move(start) };
	for (;;) {
		// A name has at most one CNAME (RFC 2181 10.1); should a resolver send more, the
		// first in section order is the one followed.
		auto link = std::find_if(refs.begin(), refs.end(), [&](const RecordRef &r) {
			return r.type == kTypeCname && nameAt(msg, r.owner) == chain.back();
		});
		if (link == refs.end())
			return chain;
		std::string target = nameAt(msg, link->rdata);
		if (std::find(chain.begin(), chain.end(), target) != chain.end())
			return Error::msg("CNAME loop: " + chain.back() + " points back to " + target + " after " +
					  std::to_string(chain.size()) + " names");
		if (chain.size() > kDnsMaxCnameChain)
			return Error::msg("CNAME chain from " + chain.front() + " longer than " +
					  std::to_string(kDnsMaxCnameChain) + " links");
		chain.push_back(std::move(target));
	}
}

Expected<DnsAnswer> parseResponse(std::span<const uint8_t> msg)
{
	auto header = checkHeader(msg, true);
	if (!header)
		return header.error();
	DnsAnswer answer;
	answer.id = header->id;
	answer.rcode = header->rcode;
	answer.truncated = header->tc;
	auto pos = readQuestions(msg, header->qdcount, answer.questions);
	if (!pos)
		return pos.error();
	auto refs = readAnswers(msg, *pos, header->ancount);
	if (!refs)
		return refs.error();
	if (answer.questions.empty())
		return answer;

	auto chain = cnameChain(msg, *refs, answer.questions.front().name);
	if (!chain)
		return chain.error();
	answer.cnames.assign(chain->begin() + 1, chain->end());
	if (answer.rcode != kRcodeNoError)
		return answer;
	for (const RecordRef &r : *refs) {
		if (r.type == kTypeCname ||
		    std::find(chain->begin(), chain->end(), nameAt(msg, r.owner)) == chain->end())
			continue;
		DnsAddress address;
		address.v4 = r.type == kTypeA;
		std::memcpy(address.addr.data(), &msg[r.rdata], address.v4 ? 4 : 16);
		answer.addresses.push_back(address);
	}
	return answer;
}

// Whether s[i] is preceded by an odd number of backslashes, i.e. escaped.
bool escapedAt(std::string_view s, size_t i)
{
	size_t backslashes = 0;
	while (backslashes < i && s[i - 1 - backslashes] == '\\')
		backslashes++;
	return backslashes % 2 == 1;
}

std::string_view withoutTrailingDot(std::string_view name)
{
	if (!name.empty() && name.back() == '.' && !escapedAt(name, name.size() - 1))
		name.remove_suffix(1);
	return name;
}

bool equalNoCase(std::string_view a, std::string_view b)
{
	auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
	return a.size() == b.size() &&
	       std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) { return lower(x) == lower(y); });
}

} // namespace

std::string dnsTypeName(uint16_t type)
{
	switch (type) {
	case 1: return "A";
	case 2: return "NS";
	case 5: return "CNAME";
	case 6: return "SOA";
	case 12: return "PTR";
	case 15: return "MX";
	case 16: return "TXT";
	case 28: return "AAAA";
	case 33: return "SRV";
	case 41: return "OPT";
	case 64: return "SVCB";
	case 65: return "HTTPS";
	case 255: return "ANY";
	default: return "TYPE" + std::to_string(type);
	}
}

Expected<DnsQuery> parseDnsQuery(std::span<const uint8_t> msg)
{
	auto header = checkHeader(msg, false);
	if (!header)
		return Error::msg("DNS query: " + header.error().message);
	if (header->qdcount == 0)
		return Error::msg("DNS query: QDCOUNT is 0, no question");
	DnsQuery query;
	query.id = header->id;
	auto end = readQuestions(msg, header->qdcount, query.questions);
	if (!end)
		return Error::msg("DNS query: " + end.error().message);
	return query;
}

Expected<DnsAnswer> parseDnsResponse(std::span<const uint8_t> msg)
{
	auto answer = parseResponse(msg);
	if (!answer)
		return Error::msg("DNS response: " + answer.error().message);
	return answer;
}

std::string DnsAddress::str() const
{
	return toEndpoint(*this).address();
}

Endpoint toEndpoint(const DnsAddress &address, uint16_t port)
{
	// Through the sockaddr decoder, so the Endpoint is the one a connect() to this address
	// would produce (IPv4-mapped AAAA included).
	if (address.v4) {
		sockaddr_in sin{};
		sin.sin_family = AF_INET;
		sin.sin_port = htons(port);
		std::memcpy(&sin.sin_addr, address.addr.data(), 4);
		return decodeSockaddr({ reinterpret_cast<const uint8_t *>(&sin), sizeof(sin) }, sizeof(sin));
	}
	sockaddr_in6 sin6{};
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(port);
	std::memcpy(&sin6.sin6_addr, address.addr.data(), 16);
	return decodeSockaddr({ reinterpret_cast<const uint8_t *>(&sin6), sizeof(sin6) }, sizeof(sin6));
}

std::vector<std::vector<uint8_t>> DnsTcpStream::feed(std::span<const uint8_t> bytes)
{
	std::vector<std::vector<uint8_t>> messages;
	while (!bytes.empty()) {
		// Until the prefix is complete the target is the prefix; then prefix + message.
		size_t want = kTcpLenPrefix;
		if (buf_.size() >= kTcpLenPrefix)
			want += load16(buf_, 0);
		const size_t take = std::min(want - buf_.size(), bytes.size());
		buf_.insert(buf_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(take));
		bytes = bytes.subspan(take);
		if (buf_.size() >= kTcpLenPrefix && buf_.size() == kTcpLenPrefix + load16(buf_, 0)) {
			messages.emplace_back(buf_.begin() + kTcpLenPrefix, buf_.end());
			buf_.clear();
		}
	}
	return messages;
}

bool dnsNameMatches(std::string_view pattern, std::string_view name)
{
	pattern = withoutTrailingDot(pattern);
	name = withoutTrailingDot(name);
	if (pattern == "*")
		return !name.empty();
	if (!pattern.starts_with("*."))
		return equalNoCase(pattern, name);
	const std::string_view base = pattern.substr(2);
	if (name.size() <= base.size() + 1)
		return false;
	const size_t dot = name.size() - base.size() - 1;
	return name[dot] == '.' && !escapedAt(name, dot) && equalNoCase(name.substr(dot + 1), base);
}

} // namespace hg
