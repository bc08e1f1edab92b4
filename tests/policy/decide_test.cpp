// decide(): the one verdict both detectors use, as a table over violation, exceptions,
// mode and whether the detector can refuse.

#include <catch2/catch.hpp>

#include "policy/decide.h"
#include "../net/sockaddr_bytes.h"

using namespace hg;
using namespace hg::test;

namespace {

Allowlist listOf(const std::string &spec)
{
	Allowlist a;
	auto e = parseHostException(spec, "test");
	REQUIRE(e.ok());
	a.add(*e);
	return a;
}

const Classification kOutbound{Direction::Outbound, true, "TCP connect"};
const Classification kInbound{Direction::Inbound, true, "TCP listen"};
const Classification kLocal{Direction::Local, false, "AF_UNIX connect"};

} // namespace

TEST_CASE("decide: the verdict table", "[decide]")
{
	Allowlist out = listOf("203.0.113.7");
	Allowlist in = listOf("127.0.0.1");
	Endpoint allowedDest = v4Endpoint("203.0.113.7", 443);
	Endpoint otherDest = v4Endpoint("203.0.113.8", 443);
	Endpoint loopback = v4Endpoint("127.0.0.1", 8080);
	DecisionRules audit{&out, &in, false, true};
	DecisionRules enforce{&out, &in, true, true};
	DecisionRules poller{&out, &in, true, false};

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
		CHECK(decide(NetCall::Listen, kInbound, loopback, audit).decision == Decision::Allowed);
		CHECK(decide(NetCall::Listen, kInbound, allowedDest, audit).decision == Decision::Audited);
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
