#include <arpa/inet.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "net/dns_message.h"
#include "policy/allowlist.h"

using namespace hg;

namespace {

constexpr uint16_t kA = 1, kNs = 2, kCname = 5, kSoa = 6, kTxt = 16, kAaaa = 28, kOpt = 41;
constexpr uint16_t kIn = 1, kCh = 3;
constexpr uint16_t kRd = 0x0100;       // query flags glibc sets
constexpr uint16_t kQrRdRa = 0x8180;   // a recursive resolver's NOERROR answer
constexpr uint16_t kNxDomain = 0x8183; // ... with RCODE 3
constexpr uint16_t kTc = 0x0200;

// Writes DNS messages byte by byte, so tests can build exactly the (mal)formed packets
// they need, compression pointers included.
class Wire {
public:
	Wire &u8(uint8_t v)
	{
		b_.push_back(v);
		return *this;
	}
	Wire &u16(uint16_t v) { return u8(static_cast<uint8_t>(v >> 8)).u8(static_cast<uint8_t>(v)); }
	Wire &u32(uint32_t v) { return u16(static_cast<uint16_t>(v >> 16)).u16(static_cast<uint16_t>(v)); }
	Wire &bytes(std::string_view s)
	{
		b_.insert(b_.end(), s.begin(), s.end());
		return *this;
	}
	Wire &header(uint16_t id, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns = 0, uint16_t ar = 0)
	{
		return u16(id).u16(flags).u16(qd).u16(an).u16(ns).u16(ar);
	}
	// "www.example.com" as labels; no terminator, so a pointer or the root can follow.
	Wire &labels(std::string_view dotted)
	{
		while (!dotted.empty()) {
			size_t dot = std::min(dotted.find('.'), dotted.size());
			u8(static_cast<uint8_t>(dot)).bytes(dotted.substr(0, dot));
			dotted.remove_prefix(std::min(dot + 1, dotted.size()));
		}
		return *this;
	}
	Wire &name(std::string_view dotted) { return labels(dotted).u8(0); }
	Wire &pointer(uint16_t offset) { return u16(static_cast<uint16_t>(0xc000 | offset)); }
	Wire &question(std::string_view dotted, uint16_t type, uint16_t klass = kIn)
	{
		return name(dotted).u16(type).u16(klass);
	}
	// TYPE to RDLENGTH of a record whose owner name was just written.
	Wire &rr(uint16_t type, uint16_t rdlength, uint16_t klass = kIn)
	{
		return u16(type).u16(klass).u32(300).u16(rdlength);
	}
	Wire &a(std::string_view owner, const char *ip) { return name(owner).rr(kA, 4).ip(AF_INET, ip); }
	Wire &aaaa(std::string_view owner, const char *ip) { return name(owner).rr(kAaaa, 16).ip(AF_INET6, ip); }
	Wire &cname(std::string_view owner, std::string_view target)
	{
		return name(owner).rr(kCname, static_cast<uint16_t>(target.size() + 2)).name(target);
	}
	// The EDNS0 OPT pseudo-record glibc appends with "options edns0" (1200-byte payload).
	Wire &opt() { return u8(0).u16(kOpt).u16(1200).u32(0).u16(0); }
	Wire &ip(int family, const char *text)
	{
		uint8_t buf[16];
		REQUIRE(inet_pton(family, text, buf) == 1);
		b_.insert(b_.end(), buf, buf + (family == AF_INET ? 4 : 16));
		return *this;
	}
	Wire &append(const std::vector<uint8_t> &more)
	{
		b_.insert(b_.end(), more.begin(), more.end());
		return *this;
	}
	size_t size() const { return b_.size(); }
	std::vector<uint8_t> &vec() { return b_; }
	operator std::span<const uint8_t>() const { return b_; }

private:
	std::vector<uint8_t> b_;
};

std::vector<uint8_t> rec(Wire w)
{
	return std::move(w.vec());
}

// Bytes placed so that they end exactly where mapped memory ends: reading one byte past
// the span faults, without needing a sanitizer build.
class GuardedCopy {
public:
	GuardedCopy()
	{
		page_ = static_cast<size_t>(sysconf(_SC_PAGESIZE));
		mem_ = static_cast<uint8_t *>(mmap(nullptr, 2 * page_, PROT_READ | PROT_WRITE,
						   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
		REQUIRE(mem_ != MAP_FAILED);
		REQUIRE(mprotect(mem_ + page_, page_, PROT_NONE) == 0);
	}
	~GuardedCopy() { munmap(mem_, 2 * page_); }
	GuardedCopy(const GuardedCopy &) = delete;
	GuardedCopy &operator=(const GuardedCopy &) = delete;

	std::span<const uint8_t> place(std::span<const uint8_t> bytes)
	{
		REQUIRE(bytes.size() <= page_);
		uint8_t *start = mem_ + page_ - bytes.size();
		if (!bytes.empty())
			std::memcpy(start, bytes.data(), bytes.size());
		return { start, bytes.size() };
	}

private:
	size_t page_ = 0;
	uint8_t *mem_ = nullptr;
};

std::vector<std::string> addressTexts(const DnsAnswer &answer)
{
	std::vector<std::string> texts;
	for (const DnsAddress &a : answer.addresses)
		texts.push_back(a.str());
	return texts;
}

using Strings = std::vector<std::string>;

// A response's header and its one question, ready for `answers` answer records.
Wire response(uint16_t answers, std::string_view qname = "www.example.com", uint16_t flags = kQrRdRa)
{
	Wire w;
	w.header(1, flags, 1, answers).question(qname, kA);
	return w;
}

// A response the test expects to parse.
DnsAnswer parsed(const Wire &w)
{
	auto answer = parseDnsResponse(w);
	INFO((answer.ok() ? std::string() : answer.error().message));
	REQUIRE(answer.ok());
	return *answer;
}

std::string queryError(const Wire &w)
{
	auto query = parseDnsQuery(w);
	REQUIRE_FALSE(query.ok());
	return query.error().message;
}

std::string responseError(const Wire &w)
{
	auto answer = parseDnsResponse(w);
	REQUIRE_FALSE(answer.ok());
	return answer.error().message;
}

} // namespace

TEST_CASE("glibc's A and AAAA queries with an EDNS0 OPT record", "[dns]")
{
	for (uint16_t type : { kA, kAaaa }) {
		Wire q;
		q.header(0x1a2b, kRd, 1, 0, 0, 1).question("www.example.com", type).opt();
		auto query = parseDnsQuery(q);
		REQUIRE(query.ok());
		CHECK(query->id == 0x1a2b);
		REQUIRE(query->questions.size() == 1);
		CHECK(query->questions[0].name == "www.example.com");
		CHECK(query->questions[0].type == type);
		CHECK(query->questions[0].klass == kIn);
		CHECK(dnsTypeName(query->questions[0].type) == (type == kA ? "A" : "AAAA"));
	}
}

TEST_CASE("a query with two questions, the second name compressed", "[dns]")
{
	Wire q;
	q.header(7, kRd, 2, 0).question("example.com", kA);
	q.labels("mail").pointer(12).u16(kTxt).u16(kIn);
	auto query = parseDnsQuery(q);
	REQUIRE(query.ok());
	REQUIRE(query->questions.size() == 2);
	CHECK(query->questions[0].name == "example.com");
	CHECK(query->questions[1].name == "mail.example.com");
	CHECK(query->questions[1].type == kTxt);
}

TEST_CASE("names are lower-cased and escaped as dig prints them", "[dns]")
{
	Wire q;
	q.header(1, kRd, 1, 0);
	q.u8(7).bytes(std::string("a b.c\\\xff", 7)).labels("WWW.Example.TEST").u8(0).u16(kA).u16(kIn);
	auto query = parseDnsQuery(q);
	REQUIRE(query.ok());
	CHECK(query->questions[0].name == "a\\032b\\.c\\\\\\255.www.example.test");

	Wire root;
	root.header(2, kRd, 1, 0).question("", kNs);
	auto rootQuery = parseDnsQuery(root);
	REQUIRE(rootQuery.ok());
	CHECK(rootQuery->questions[0].name == "");
	CHECK(dnsTypeName(rootQuery->questions[0].type) == "NS");
}

TEST_CASE("queries that are not queries, or are malformed, are refused with a reason", "[dns]")
{

	CHECK(queryError(Wire().u16(1).u16(kRd)) == "DNS query: 4-byte message is shorter than the 12-byte header");
	CHECK(queryError(Wire().header(1, kQrRdRa, 1, 0).question("example.com", kA)) ==
	      "DNS query: QR bit is 1: a response, not a query");
	CHECK(queryError(Wire().header(1, 0x2800, 1, 0).question("example.com", kA)) ==
	      "DNS query: opcode 5 (UPDATE), not QUERY");
	CHECK(queryError(Wire().header(1, kRd, 0, 0, 0, 1).opt()) == "DNS query: QDCOUNT is 0, no question");
	CHECK(queryError(Wire().header(1, kRd, 17, 0).question("example.com", kA)) ==
	      "DNS query: QDCOUNT 17 above the 16 questions accepted");
	CHECK(queryError(Wire().header(1, kRd, 1, 0).name("example.com").u16(kA)) ==
	      "DNS query: question 1 cut short: QTYPE and QCLASS at offset 25 need 4 bytes, the message ends at 27");
	CHECK(queryError(Wire().header(1, kRd, 2, 0).question("example.com", kA)) ==
	      "DNS query: question 2: name runs past the end of the 29-byte message at offset 29");
	CHECK(queryError(Wire().header(1, kRd, 1, 0).u8(40).bytes("example")) ==
	      "DNS query: question 1: label of 40 bytes runs past the end of the 20-byte message at offset 12");
	CHECK(queryError(Wire().header(1, kRd, 1, 0).u8(0x41).bytes("x").u8(0).u16(kA).u16(kIn)) ==
	      "DNS query: question 1: label type 0x41 at offset 12 (only plain labels and pointers are valid)");
	CHECK(queryError(Wire().header(1, kRd, 1, 0).u8(0xc0)) ==
	      "DNS query: question 1: compression pointer cut short at offset 12");
}

TEST_CASE("compression loops are refused, not followed", "[dns]")
{
	// A pointer to itself.
	CHECK(queryError(Wire().header(1, kRd, 1, 0).pointer(12).u16(kA).u16(kIn)) ==
	      "DNS query: question 1: compression loop: pointer at offset 12 to offset 12 does not point before offset 12");
	// A label, then a pointer back to it: every pass adds the label again.
	CHECK(queryError(Wire().header(1, kRd, 1, 0).labels("www").pointer(12).u16(kA).u16(kIn)) ==
	      "DNS query: question 1: compression loop: pointer at offset 16 to offset 12 does not point before offset 12");
	// Two pointers at each other: the second question's name jumps to the first's, which
	// jumps forward to the second's.
	Wire pair;
	pair.header(1, kRd, 2, 0).pointer(18).u16(kA).u16(kIn).pointer(12).u16(kA).u16(kIn);
	CHECK(queryError(pair) ==
	      "DNS query: question 1: compression loop: pointer at offset 12 to offset 18 does not point before offset 12");

	// The same in an answer: a CNAME whose target points at itself.
	CHECK(responseError(response(1).pointer(12).rr(kCname, 2).pointer(45)) ==
	      "DNS response: answer 1: CNAME target: compression loop: pointer at offset 45 to offset 45 does not point before offset 45");
}

TEST_CASE("names longer than 255 bytes are refused; 255 is fine", "[dns]")
{
	const std::string l63(63, 'a');
	const std::string longest = l63 + "." + l63 + "." + l63 + "." + std::string(61, 'b'); // 255 on the wire
	auto ok = parseDnsQuery(Wire().header(1, kRd, 1, 0).question(longest, kA));
	REQUIRE(ok.ok());
	CHECK(ok->questions[0].name == longest);

	auto tooLong = parseDnsQuery(Wire().header(1, kRd, 1, 0).question(longest + "b", kA));
	REQUIRE_FALSE(tooLong.ok());
	CHECK(tooLong.error().message == "DNS query: question 1: name longer than 255 bytes at offset 12");

	// Through compression: 194 bytes of labels, then a pointer to 65 more.
	Wire w;
	w.header(1, kRd, 2, 0).question(l63, kA);
	w.labels(l63 + "." + l63 + "." + l63 + "." + "x").pointer(12).u16(kA).u16(kIn);
	auto viaPointer = parseDnsQuery(w);
	REQUIRE_FALSE(viaPointer.ok());
	CHECK(viaPointer.error().message == "DNS query: question 2: name longer than 255 bytes at offset 81");
}

TEST_CASE("an answer with compressed owner names gives its A and AAAA records", "[dns]")
{
	Wire r;
	r.header(0xbeef, kQrRdRa, 1, 3, 0, 1).question("www.example.com", kA);
	r.pointer(12).rr(kA, 4).ip(AF_INET, "192.0.2.10");
	r.pointer(12).rr(kA, 4).ip(AF_INET, "192.0.2.11");
	r.pointer(12).rr(kAaaa, 16).ip(AF_INET6, "2001:db8::10");
	r.opt();
	DnsAnswer answer = parsed(r);
	CHECK(answer.id == 0xbeef);
	CHECK(answer.rcode == 0);
	CHECK_FALSE(answer.truncated);
	REQUIRE(answer.questions.size() == 1);
	CHECK(answer.questions[0].name == "www.example.com");
	CHECK(answer.cnames.empty());
	CHECK(addressTexts(answer) == Strings{ "192.0.2.10", "192.0.2.11", "2001:db8::10" });
	CHECK(answer.addresses[0].v4);
	CHECK_FALSE(answer.addresses[2].v4);
}

TEST_CASE("a CNAME chain is followed whatever the order of the records", "[dns]")
{
	// www.example.com -> cdn.example.net -> edge.example.net, two A records at the end.
	std::vector<std::vector<uint8_t>> records = {
		rec(Wire().cname("www.example.com", "cdn.example.net")),
		rec(Wire().cname("cdn.example.net", "edge.example.net")),
		rec(Wire().a("edge.example.net", "203.0.113.5")),
		rec(Wire().a("edge.example.net", "203.0.113.6")),
		rec(Wire().aaaa("edge.example.net", "2001:db8::5")),
	};
	std::vector<size_t> order = { 0, 1, 2, 3, 4 };
	int permutations = 0;
	do {
		Wire r = response(static_cast<uint16_t>(records.size()));
		for (size_t i : order)
			r.append(records[i]);
		DnsAnswer answer = parsed(r);
		CHECK(answer.cnames == Strings{ "cdn.example.net", "edge.example.net" });
		Strings got = addressTexts(answer);
		std::sort(got.begin(), got.end());
		CHECK(got == Strings{ "2001:db8::5", "203.0.113.5", "203.0.113.6" });
		permutations++;
	} while (std::next_permutation(order.begin(), order.end()));
	CHECK(permutations == 120);
}

TEST_CASE("the chain's names are compared case-insensitively, compressed or not", "[dns]")
{
	Wire r = response(2, "WWW.Example.COM");
	r.pointer(12).rr(kCname, 6).labels("cdn").pointer(16); // cdn.example.com
	r.labels("CDN").pointer(16).rr(kA, 4).ip(AF_INET, "198.51.100.7");
	DnsAnswer answer = parsed(r);
	CHECK(answer.questions[0].name == "www.example.com");
	CHECK(answer.cnames == Strings{ "cdn.example.com" });
	CHECK(addressTexts(answer) == Strings{ "198.51.100.7" });
}

TEST_CASE("records of names outside the chain are not collected", "[dns]")
{
	Wire r = response(7);
	r.a("other.example.net", "192.0.2.66");                  // an unrelated name
	r.cname("unrelated.example.test", "edge.example.net");  // a CNAME not in our chain...
	r.cname("www.example.com", "cdn.example.net");
	r.a("unrelated.example.test", "192.0.2.67");             // ...and its own address
	r.a("cdn.example.net", "192.0.2.20");
	r.name("www.example.com").rr(kTxt, 3).u8(2).bytes("hi"); // other types of chain names
	r.name("cdn.example.net").rr(kA, 4, kCh).ip(AF_INET, "192.0.2.68"); // class CH, not IN
	DnsAnswer answer = parsed(r);
	CHECK(answer.cnames == Strings{ "cdn.example.net" });
	CHECK(addressTexts(answer) == Strings{ "192.0.2.20" });
}

TEST_CASE("addresses of the start or a middle name of the chain are collected too", "[dns]")
{
	Wire r = response(3);
	r.a("www.example.com", "192.0.2.1");
	r.cname("www.example.com", "cdn.example.net");
	r.a("cdn.example.net", "192.0.2.2");
	CHECK(addressTexts(parsed(r)) == Strings{ "192.0.2.1", "192.0.2.2" });
}

TEST_CASE("NXDOMAIN: rcode 3 and no addresses", "[dns]")
{
	Wire r;
	r.header(4, kNxDomain, 1, 0, 1).question("missing.example.com", kA);
	r.pointer(20).rr(kSoa, 2).pointer(20); // authority: a (shortened) SOA of example.com
	DnsAnswer answer = parsed(r);
	CHECK(answer.rcode == 3);
	CHECK(answer.addresses.empty());

	// A resolver's NXDOMAIN after a CNAME: the chain is reported, an address is not used.
	Wire viaCname = response(2, "www.example.com", kNxDomain);
	viaCname.cname("www.example.com", "gone.example.net").a("gone.example.net", "192.0.2.9");
	DnsAnswer cut = parsed(viaCname);
	CHECK(cut.cnames == Strings{ "gone.example.net" });
	CHECK(cut.addresses.empty());
}

TEST_CASE("the TC flag is reported", "[dns]")
{
	DnsAnswer answer = parsed(response(0, "big.example.com", kQrRdRa | kTc));
	CHECK(answer.truncated);
	CHECK(answer.addresses.empty());
}

TEST_CASE("responses that are not responses, or are malformed, are refused with a reason", "[dns]")
{

	CHECK(responseError(Wire().header(1, kRd, 1, 0).question("www.example.com", kA)) ==
	      "DNS response: QR bit is 0: a query, not a response");
	CHECK(responseError(response(1)) == "DNS response: answer 1: name runs past the end of the 33-byte message at offset 33");
	CHECK(responseError(response(1).pointer(12).u16(kA)) ==
	      "DNS response: answer 1 cut short: TYPE to RDLENGTH at offset 35 need 10 bytes, the message ends at 37");
	CHECK(responseError(response(1).pointer(12).rr(kA, 4).u16(0xc000)) ==
	      "DNS response: answer 1: RDLENGTH 4 at offset 43 runs past the end of the 47-byte message");
	CHECK(responseError(response(1).pointer(12).rr(kA, 5).ip(AF_INET, "192.0.2.1").u8(0)) ==
	      "DNS response: answer 1: A record with RDLENGTH 5 at offset 43, not 4");
	CHECK(responseError(response(1).pointer(12).rr(kAaaa, 4).ip(AF_INET, "192.0.2.1")) ==
	      "DNS response: answer 1: AAAA record with RDLENGTH 4 at offset 43, not 16");
	CHECK(responseError(response(1).pointer(12).rr(kCname, 4).pointer(12).u16(0)) ==
	      "DNS response: answer 1: CNAME target name at offset 45 ends at offset 47, not where RDLENGTH 4 ends it (49)");
	CHECK(responseError(response(1).pointer(12).rr(kCname, 1).pointer(12)) ==
	      "DNS response: answer 1: CNAME target name at offset 45 ends at offset 47, not where RDLENGTH 1 ends it (46)");
	CHECK(responseError(response(1).pointer(12).rr(kCname, 1).u8(0xc0)) ==
	      "DNS response: answer 1: CNAME target: compression pointer cut short at offset 45");
}

TEST_CASE("CNAME loops and over-long chains are refused; 16 links are fine", "[dns]")
{
	Wire loop = response(3, "a.example.com");
	loop.cname("b.example.com", "c.example.com").cname("a.example.com", "b.example.com");
	loop.cname("c.example.com", "A.example.com");
	CHECK(responseError(loop) ==
	      "DNS response: CNAME loop: c.example.com points back to a.example.com after 3 names");

	auto chainOf = [](size_t links) {
		Wire w = response(static_cast<uint16_t>(links + 1), "n0.example.com");
		for (size_t i = 0; i < links; i++)
			w.cname("n" + std::to_string(i) + ".example.com", "n" + std::to_string(i + 1) + ".example.com");
		w.a("n" + std::to_string(links) + ".example.com", "192.0.2.99");
		return w;
	};
	DnsAnswer sixteen = parsed(chainOf(16));
	CHECK(sixteen.cnames.size() == 16);
	CHECK(sixteen.cnames.back() == "n16.example.com");
	CHECK(addressTexts(sixteen) == Strings{ "192.0.2.99" });

	CHECK(responseError(chainOf(17)) == "DNS response: CNAME chain from n0.example.com longer than 16 links");
}

TEST_CASE("a response without a question has nothing to follow", "[dns]")
{
	// FORMERR, as servers answer what they cannot parse.
	DnsAnswer answer = parsed(Wire().header(1, 0x8181, 0, 0));
	CHECK(answer.rcode == 1);
	CHECK(answer.questions.empty());
}

TEST_CASE("every prefix of a valid message is refused or parsed, never read past", "[dns]")
{
	GuardedCopy guard;

	Wire q;
	q.header(0x1a2b, kRd, 2, 0, 0, 1).question("www.example.com", kA);
	q.labels("mail").pointer(12).u16(kAaaa).u16(kIn);
	const size_t questionsEnd = q.size();
	q.opt();
	for (size_t len = 0; len <= q.size(); len++) {
		auto query = parseDnsQuery(guard.place(std::span<const uint8_t>(q).first(len)));
		INFO("query prefix of " << len << " bytes");
		// The additional section is not read: a query cut inside it still parses.
		CHECK(query.ok() == (len >= questionsEnd));
		if (!query.ok())
			CHECK_FALSE(query.error().message.empty());
	}

	Wire r;
	r.header(9, kQrRdRa, 1, 4, 1, 1).question("www.example.com", kA);
	r.pointer(12).rr(kCname, 17).labels("cdn").labels("example").name("net");
	r.pointer(45).rr(kCname, 7).labels("edge").pointer(49); // edge at 74
	r.pointer(74).rr(kA, 4).ip(AF_INET, "203.0.113.5");
	r.pointer(74).rr(kAaaa, 16).ip(AF_INET6, "2001:db8::5");
	const size_t answersEnd = r.size();
	r.pointer(49).rr(kNs, 2).pointer(49).opt();
	DnsAnswer full = parsed(r);
	CHECK(full.cnames == Strings{ "cdn.example.net", "edge.example.net" });
	CHECK(addressTexts(full) == Strings{ "203.0.113.5", "2001:db8::5" });
	for (size_t len = 0; len <= r.size(); len++) {
		auto answer = parseDnsResponse(guard.place(std::span<const uint8_t>(r).first(len)));
		INFO("response prefix of " << len << " bytes");
		CHECK(answer.ok() == (len >= answersEnd));
		if (answer.ok())
			CHECK(answer->addresses == full.addresses);
	}
}

TEST_CASE("TCP framing: split at every byte, two messages in one chunk", "[dns]")
{
	Wire m1;
	m1.header(1, kRd, 1, 0).question("www.example.com", kA);
	Wire m2;
	m2.header(2, kRd, 1, 0).question("www.example.com", kAaaa);
	std::vector<uint8_t> stream;
	for (Wire *m : { &m1, &m2 }) {
		stream.push_back(static_cast<uint8_t>(m->size() >> 8));
		stream.push_back(static_cast<uint8_t>(m->size()));
		stream.insert(stream.end(), m->vec().begin(), m->vec().end());
	}
	const std::span<const uint8_t> all(stream);

	DnsTcpStream s;
	auto both = s.feed(all);
	REQUIRE(both.size() == 2);
	CHECK(both[0] == m1.vec());
	CHECK(both[1] == m2.vec());
	CHECK(s.pending() == 0);

	for (size_t cut = 0; cut <= stream.size(); cut++) {
		INFO("cut at " << cut);
		DnsTcpStream split;
		auto first = split.feed(all.first(cut));
		auto rest = split.feed(all.subspan(cut));
		first.insert(first.end(), rest.begin(), rest.end());
		REQUIRE(first.size() == 2);
		CHECK(first[0] == m1.vec());
		CHECK(first[1] == m2.vec());
		CHECK(split.pending() == 0);
	}

	DnsTcpStream byByte;
	std::vector<std::vector<uint8_t>> got;
	for (uint8_t b : stream) {
		for (auto &m : byByte.feed({ &b, 1 }))
			got.push_back(std::move(m));
		CHECK(byByte.pending() <= 2 + m1.size());
	}
	CHECK(got == std::vector<std::vector<uint8_t>>{ m1.vec(), m2.vec() });
	auto parsed = parseDnsQuery(got[1]);
	REQUIRE(parsed.ok());
	CHECK(parsed->id == 2);
}

TEST_CASE("TCP framing: empty messages, the largest message, reset", "[dns]")
{
	DnsTcpStream s;
	const std::vector<uint8_t> zeroLength = { 0, 0, 0, 0 };
	auto empties = s.feed(zeroLength);
	REQUIRE(empties.size() == 2);
	CHECK(empties[0].empty());
	CHECK_FALSE(parseDnsQuery(empties[0]).ok());

	std::vector<uint8_t> big(2 + 65535, 0x5a);
	big[0] = 0xff;
	big[1] = 0xff;
	CHECK(s.feed(std::span<const uint8_t>(big).first(40000)).empty());
	CHECK(s.pending() == 40000);
	auto done = s.feed(std::span<const uint8_t>(big).subspan(40000));
	REQUIRE(done.size() == 1);
	CHECK(done[0].size() == 65535);
	CHECK(s.pending() == 0);

	const std::vector<uint8_t> partial = { 0, 20, 1, 2, 3 };
	CHECK(s.feed(partial).empty());
	CHECK(s.pending() == 5);
	s.reset();
	CHECK(s.pending() == 0);
	const std::vector<uint8_t> next = { 0, 1, 7 };
	auto after = s.feed(next);
	REQUIRE(after.size() == 1);
	CHECK(after[0] == std::vector<uint8_t>{ 7 });
}

TEST_CASE("dnsNameMatches: exact names and wildcards strictly below", "[dns]")
{
	struct Row {
		const char *pattern;
		const char *name;
		bool match;
	};
	const Row rows[] = {
		{ "example.com", "example.com", true },
		{ "example.com", "EXAMPLE.com.", true },
		{ "example.com.", "example.com", true },
		{ "example.com", "www.example.com", false },
		{ "example.com", "example.co", false },
		{ "example.com", "xexample.com", false },
		{ "*.example.com", "a.example.com", true },
		{ "*.example.com", "a.b.example.com", true },
		{ "*.Example.COM", "A.example.com.", true },
		{ "*.example.com.", "a.example.com", true },
		{ "*.example.com", "example.com", false },
		{ "*.example.com", "xexample.com", false },
		{ "*.example.com", ".example.com", false }, // an empty label is not a name below
		{ "*.example.com", "a\\.example.com", false }, // one label "a.example" under com
		{ "*.example.com", "a\\\\.example.com", true }, // label "a\" under example.com
		{ "*.example.com", "example.net", false },
		{ "*.example.com", "", false },
		{ "*", "example.test", true },
		{ "*", "", false },
		{ "", "", true },
		{ ".", "", true },
		{ "", "example.com", false },
		{ "a*.example.com", "ab.example.com", false }, // only a whole leftmost "*" label is a wildcard
		{ "a*.example.com", "a*.example.com", true },
	};
	for (const Row &row : rows) {
		INFO(row.pattern << " vs " << row.name);
		CHECK(dnsNameMatches(row.pattern, row.name) == row.match);
	}
}

TEST_CASE("dnsTypeName names the common types and spells the rest as RFC 3597", "[dns]")
{
	CHECK(dnsTypeName(1) == "A");
	CHECK(dnsTypeName(28) == "AAAA");
	CHECK(dnsTypeName(5) == "CNAME");
	CHECK(dnsTypeName(15) == "MX");
	CHECK(dnsTypeName(16) == "TXT");
	CHECK(dnsTypeName(33) == "SRV");
	CHECK(dnsTypeName(64) == "SVCB");
	CHECK(dnsTypeName(65) == "HTTPS");
	CHECK(dnsTypeName(12) == "PTR");
	CHECK(dnsTypeName(2) == "NS");
	CHECK(dnsTypeName(6) == "SOA");
	CHECK(dnsTypeName(255) == "ANY");
	CHECK(dnsTypeName(123) == "TYPE123");
	CHECK(dnsTypeName(0) == "TYPE0");
}

TEST_CASE("answer addresses become Endpoints and IpNets the allowlist matches", "[dns]")
{
	Wire r = response(3);
	r.a("www.example.com", "203.0.113.9");
	r.aaaa("www.example.com", "2001:db8::9");
	r.aaaa("www.example.com", "::ffff:198.51.100.9");
	const std::vector<DnsAddress> addresses = parsed(r).addresses;
	REQUIRE(addresses.size() == 3);
	CHECK(addresses[2].str() == "198.51.100.9");

	Endpoint v4 = toEndpoint(addresses[0], 443);
	CHECK(v4.status == AddrStatus::Decoded);
	CHECK(v4.isIp);
	CHECK(v4.isV4);
	CHECK(v4.port == 443);
	Endpoint mapped = toEndpoint(addresses[2]);
	CHECK(mapped.isV4);
	CHECK(mapped.v4Mapped);

	for (const DnsAddress &a : addresses) {
		IpNet net{ a.v4, a.addr, a.v4 ? 32 : 128 };
		INFO(net.str());
		CHECK(net.contains(toEndpoint(a, 53)));
	}
	CHECK(IpNet{ true, addresses[0].addr, 32 }.str() == "203.0.113.9/32");
	CHECK_FALSE(IpNet{ true, addresses[0].addr, 32 }.contains(toEndpoint(addresses[1])));
}
