// decide(): the one verdict both detectors use, as a table over violation, exceptions,
// mode and whether the detector can refuse.

#include <catch2/catch.hpp>

#include "policy/decide.h"
#include "../net/sockaddr_bytes.h"

using namespace hg;
using namespace hg::test;

namespace {

// One outbound exception, then one inbound exception.
Allowlist listOf(const std::string &outbound, const std::string &inbound)
{
	Allowlist a;
	auto o = parseHostException(outbound, "test");
	auto i = parseInboundException(inbound, "test");
	REQUIRE(o.ok());
	REQUIRE(i.ok());
	a.add(*o);
	a.add(*i);
	return a;
}

const Classification kOutbound{Direction::Outbound, true, "TCP connect"};
const Classification kInbound{Direction::Inbound, true, "TCP listen"};
const Classification kLocal{Direction::Local, false, "AF_UNIX connect"};
const Classification kSelf{Direction::Self, true, "TCP connect to the step's own listener"};

} // namespace

TEST_CASE("decide: the verdict table", "[decide]")
{
	Allowlist both = listOf("203.0.113.7", "127.0.0.1");
	Endpoint allowedDest = v4Endpoint("203.0.113.7", 443);
	Endpoint otherDest = v4Endpoint("203.0.113.8", 443);
	Endpoint loopback = v4Endpoint("127.0.0.1", 8080);
	DecisionRules audit{&both, false, true};
	DecisionRules enforce{&both, true, true};
	DecisionRules poller{&both, true, false};

	SECTION("not a violation is logged, in every mode, without looking at exceptions")
	{
		for (const DecisionRules &r : {audit, enforce, poller}) {
			Judgement j = decide(NetCall::Connect, kLocal, otherDest, r);
			CHECK(j.decision == Decision::Logged);
			CHECK(j.exception == -1);
		}
	}
	SECTION("an outbound violation an exception covers is allowed, with its index")
	{
		Judgement j = decide(NetCall::Connect, kOutbound, allowedDest, enforce);
		CHECK(j.decision == Decision::Allowed);
		CHECK(j.exception == 0);
	}
	SECTION("outbound calls are matched against the outbound list only")
	{
		CHECK(decide(NetCall::Connect, kOutbound, loopback, audit).decision == Decision::Audited);
		Judgement listen = decide(NetCall::Listen, kInbound, loopback, audit);
		CHECK(listen.decision == Decision::Allowed);
		CHECK(listen.exception == 1);
		CHECK(decide(NetCall::Listen, kInbound, allowedDest, audit).decision == Decision::Audited);
	}
	SECTION("a self connection is covered by the inbound exception of its listener")
	{
		Endpoint listener = v4Endpoint("127.0.0.1", 0);
		Endpoint ephemeral = v4Endpoint("127.0.0.1", 44699);
		Judgement j = decide(NetCall::Connect, kSelf, ephemeral, enforce, &listener);
		CHECK(j.decision == Decision::Allowed);
		CHECK(j.exception == 1);
		// A listener on every address is not covered by the loopback exception.
		Endpoint any = v4Endpoint("0.0.0.0", 0);
		CHECK(decide(NetCall::Connect, kSelf, ephemeral, enforce, &any).decision == Decision::Denied);
		CHECK(decide(NetCall::Connect, kSelf, ephemeral, audit, &any).decision == Decision::Audited);
	}
	SECTION("a self connection falls back on an outbound exception for its destination")
	{
		Allowlist outOnly = listOf("127.0.0.0/8", "[::1]");
		Endpoint any = v4Endpoint("0.0.0.0", 0);
		Judgement j = decide(NetCall::Connect, kSelf, v4Endpoint("127.0.0.1", 44699),
				     DecisionRules{&outOnly, true, true}, &any);
		CHECK(j.decision == Decision::Allowed);
		CHECK(j.exception == 0);
	}
	SECTION("an uncovered violation: audited in audit mode, denied in enforce mode")
	{
		CHECK(decide(NetCall::Connect, kOutbound, otherDest, audit).decision == Decision::Audited);
		CHECK(decide(NetCall::Connect, kOutbound, otherDest, enforce).decision == Decision::Denied);
	}
	SECTION("a call the decoder does not model matches no exception and is denied in any mode")
	{
		Judgement j = decide(NetCall::Other, kOutbound, allowedDest, audit);
		CHECK(j.decision == Decision::Denied);
		CHECK(j.exception == -1);
	}
	SECTION("a detector that cannot refuse audits what it cannot deny")
	{
		CHECK(decide(NetCall::Connect, kOutbound, otherDest, poller).decision == Decision::Audited);
		CHECK(decide(NetCall::Other, kOutbound, otherDest, poller).decision == Decision::Audited);
	}
	SECTION("no allowlists at all")
	{
		CHECK(decide(NetCall::Connect, kOutbound, allowedDest, DecisionRules{}).decision == Decision::Audited);
	}
}

TEST_CASE("decide: ranks pick the worst destination", "[decide]")
{
	CHECK(decisionRank(Decision::Logged) < decisionRank(Decision::Allowed));
	CHECK(decisionRank(Decision::Allowed) < decisionRank(Decision::Audited));
	CHECK(decisionRank(Decision::Audited) == decisionRank(Decision::Denied));
	CHECK(std::string(decisionName(Decision::Denied)) == "denied");
}

TEST_CASE("decide: DNS queries by name, and the addresses an allowed name resolved to", "[decide]")
{
	Allowlist allow;
	allow.add(*parseHostException("rotate.example.test", "test"));
	allow.add(*parseHostException("*.cdn.example.test:443", "test"));
	ResolvedNames resolved;
	DecisionRules audit{&allow, false, true, &resolved};
	DecisionRules enforce{&allow, true, true, &resolved};

	Judgement q = decideQuery("rotate.example.test", enforce);
	CHECK(q.decision == Decision::Allowed);
	CHECK(q.exception == 0);
	CHECK(decideQuery("edge.cdn.example.test", enforce).exception == 1);
	CHECK(decideQuery("other.example.test", audit).decision == Decision::Audited);
	CHECK(decideQuery("other.example.test", enforce).decision == Decision::Denied);

	// Whatever address the answers gave, a connect to it is allowed by the name's exception.
	for (const char *ip : { "203.0.113.21", "203.0.113.22" })
		resolved.add(v4Endpoint(ip, 0), "rotate.example.test", 0);
	resolved.add(v4Endpoint("203.0.113.30", 0), "edge.cdn.example.test", 1);
	resolved.add(v4Endpoint("203.0.113.40", 0), "other.example.test", -1);
	const Classification out{Direction::Outbound, true, "TCP connect"};
	Judgement c = decide(NetCall::Connect, out, v4Endpoint("203.0.113.22", 443), enforce);
	CHECK(c.decision == Decision::Allowed);
	CHECK(c.exception == 0);
	// The wildcard exception has a port: only that port.
	CHECK(decide(NetCall::Connect, out, v4Endpoint("203.0.113.30", 443), enforce).exception == 1);
	CHECK(decide(NetCall::Connect, out, v4Endpoint("203.0.113.30", 80), enforce).decision == Decision::Denied);
	// An answer for a name that is not allowed allows nothing.
	CHECK(decide(NetCall::Connect, out, v4Endpoint("203.0.113.40", 443), enforce).decision == Decision::Denied);
	CHECK(decide(NetCall::Connect, out, v4Endpoint("203.0.113.99", 443), enforce).decision == Decision::Denied);

	// An allowing answer wins over an earlier one that did not allow, never the reverse.
	resolved.add(v4Endpoint("203.0.113.40", 0), "rotate.example.test", 0);
	CHECK(resolved.find(v4Endpoint("203.0.113.40", 1))->name == "rotate.example.test");
	resolved.add(v4Endpoint("203.0.113.40", 0), "other.example.test", -1);
	CHECK(resolved.find(v4Endpoint("203.0.113.40", 1))->exception == 0);
	CHECK(resolved.find(v6Endpoint("::ffff:203.0.113.40", 1)) != nullptr); // mapped is IPv4
	CHECK(resolved.find(Endpoint{}) == nullptr);
}

TEST_CASE("decide: a delegated call needs a delegated exception for its daemon socket", "[decide]")
{
	Allowlist a = listOf("203.0.113.7", "127.0.0.1");
	auto docker = parseDelegatedException("/run/docker.sock", "test");
	REQUIRE(docker.ok());
	a.add(*docker);
	const Classification delegated{Direction::Delegated, true, "unix-stream connect to /run/docker.sock"};
	UnixTarget dockerTarget{false, "/run/docker.sock", "/var/run/docker.sock", std::nullopt};
	UnixTarget podmanTarget{false, "/run/podman/podman.sock", "/run/podman/podman.sock", std::nullopt};
	Endpoint none;
	DecisionRules audit{&a, false, true};
	DecisionRules enforce{&a, true, true};

	Judgement allowed = decide(NetCall::Connect, delegated, none, enforce, nullptr, &dockerTarget);
	CHECK(allowed.decision == Decision::Allowed);
	CHECK(allowed.exception == 2);
	CHECK(decide(NetCall::Sendto, delegated, none, audit, nullptr, &dockerTarget).decision == Decision::Allowed);
	CHECK(decide(NetCall::Connect, delegated, none, audit, nullptr, &podmanTarget).decision == Decision::Audited);
	CHECK(decide(NetCall::Connect, delegated, none, enforce, nullptr, &podmanTarget).decision == Decision::Denied);
	// No target: nothing to match, and no outbound or inbound exception covers a daemon.
	CHECK(decide(NetCall::Connect, delegated, v4Endpoint("203.0.113.7", 443), enforce).decision == Decision::Denied);
	CHECK(decide(NetCall::Connect, delegated, v4Endpoint("127.0.0.1", 80), audit,
		     nullptr, &podmanTarget).decision == Decision::Audited);
	// A delegated exception covers no inet destination.
	CHECK(decide(NetCall::Connect, kOutbound, v4Endpoint("203.0.113.9", 443), enforce, nullptr,
		     &dockerTarget).decision == Decision::Denied);
}

TEST_CASE("decide: no exception covers a raw socket", "[decide]")
{
	// Even an inbound exception for every address and an outbound one for the destination.
	Allowlist both = listOf("0.0.0.0/0", "0.0.0.0/0");
	const Classification raw{Direction::Raw, true, "AF_INET SOCK_RAW socket"};
	Endpoint none;
	none.status = AddrStatus::Absent;
	DecisionRules audit{&both, false, true};
	DecisionRules enforce{&both, true, true};
	CHECK(decide(NetCall::Socket, raw, none, audit).decision == Decision::Audited);
	CHECK(decide(NetCall::Socket, raw, none, enforce).decision == Decision::Denied);
	CHECK(decide(NetCall::Socket, raw, v4Endpoint("203.0.113.7", 0), enforce).exception == -1);
}
