// StepAggregates::add: what the report needs, folded in one record at a time, in memory
// that does not grow with the number of calls.

#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>

#include "evidence/step_aggregates.h"
#include "evidence_fixtures.h"

using namespace hg;
using namespace hg::test;

TEST_CASE("StepAggregates ignores logged records", "[evidence][aggregates]")
{
	StepAggregates a;
	a.add(connectRecord(0, 1, "/bin/x", inet4(127, 0, 0, 1, 53), Decision::Logged));
	NetRecord loggedListen = listenRecord(1, 1, "/bin/x", inet4(127, 0, 0, 1, 80), Decision::Logged);
	a.add(loggedListen);
	CHECK(a.violations.empty());
	CHECK(a.exceptionHits.empty());
	CHECK(a.listens.empty());
}

TEST_CASE("StepAggregates counts violations per key and keeps each caller once", "[evidence][aggregates]")
{
	StepAggregates a;
	const uint64_t calls = 100000;
	for (uint64_t i = 0; i < calls; i++)
		a.add(connectRecord(i, static_cast<pid_t>(100 + i % 3), "/usr/bin/curl", inet4(203, 0, 113, 1, 443),
				    Decision::Audited));
	a.add(connectRecord(calls, 100, "/usr/bin/curl", inet4(203, 0, 113, 1, 443), Decision::Denied));
	REQUIRE(a.violations.size() == 2);
	const auto &[key, tally] = *a.violations.begin();
	CHECK(key.kind == Direction::Outbound);
	CHECK(key.syscall == "connect");
	CHECK(key.family == "AF_INET");
	CHECK(key.protocol == "tcp");
	CHECK(key.address == "203.0.113.1");
	CHECK(key.port == std::optional<uint16_t>(443));
	CHECK(key.exe == "/usr/bin/curl");
	CHECK(key.decision == Decision::Audited); // sorts before Denied
	CHECK(tally.count == calls);
	CHECK(tally.pids == std::set<pid_t>{ 100, 101, 102 });
	CHECK(std::prev(a.violations.end())->second.count == 1);
}

TEST_CASE("StepAggregates counts hits per exception index with the earliest call", "[evidence][aggregates]")
{
	StepAggregates a;
	a.add(connectRecord(9, 1, "/bin/x", inet4(10, 0, 0, 1, 1), Decision::Allowed, 0));
	a.add(connectRecord(4, 1, "/bin/x", inet4(10, 0, 0, 1, 1), Decision::Allowed, 0));
	a.add(connectRecord(7, 1, "/bin/x", inet4(10, 0, 0, 1, 1), Decision::Allowed, 2));
	REQUIRE(a.exceptionHits.size() == 2);
	CHECK(a.exceptionHits[0].hits == 2);
	CHECK(a.exceptionHits[0].firstSeq == 4);
	CHECK(a.exceptionHits[2].hits == 1);
	CHECK(a.exceptionHits[2].firstSeq == 7);
	CHECK(a.violations.empty());
}

TEST_CASE("StepAggregates keeps one successful listen() per socket", "[evidence][aggregates]")
{
	StepAggregates a;
	NetRecord listen = listenRecord(0, 7, "/usr/bin/python3", inet4(0, 0, 0, 0, 8000), Decision::Audited);
	for (int i = 0; i < 1000; i++)
		a.add(listen); // listen() again on the same socket
	NetRecord failed = listenRecord(1, 7, "/usr/bin/python3", inet4(0, 0, 0, 0, 8001), Decision::Audited);
	failed.result = -EADDRINUSE;
	a.add(failed);
	NetRecord vanished = listenRecord(2, 7, "/usr/bin/python3", inet4(0, 0, 0, 0, 8002), Decision::Audited);
	vanished.resultKnown = false;
	a.add(vanished);
	NetRecord v6 = listenRecord(3, 7, "/usr/bin/python3", inet6(1, 8000), Decision::Denied);
	a.add(v6);
	NetRecord otherProcess = listen;
	otherProcess.pid = 8;
	a.add(otherProcess);
	NetRecord connect = connectRecord(4, 7, "/usr/bin/python3", inet4(0, 0, 0, 0, 8003), Decision::Audited);
	a.add(connect);

	REQUIRE(a.listens.size() == 3);
	CHECK(a.listens[0].boundAddr.port == 8000);
	CHECK(a.listens[0].pid == 7);
	CHECK(a.listens[1].boundAddr.family == AF_INET6);
	CHECK(a.listens[2].pid == 8);
	// Every call still counts as a violation.
	uint64_t total = 0;
	for (const auto &[key, tally] : a.violations)
		total += tally.count;
	CHECK(total == 1000 + 1 + 1 + 1 + 1 + 1);
}

TEST_CASE("StepAggregates does not depend on record order", "[evidence][aggregates]")
{
	std::vector<NetRecord> records = sampleRecords()[1];
	StepAggregates forward = aggregate(records);
	std::reverse(records.begin(), records.end());
	StepAggregates backward = aggregate(records);
	REQUIRE(forward.violations.size() == backward.violations.size());
	for (auto f = forward.violations.begin(), b = backward.violations.begin(); f != forward.violations.end(); ++f, ++b) {
		CHECK(f->first == b->first);
		CHECK(f->second.count == b->second.count);
		CHECK(f->second.pids == b->second.pids);
	}
	REQUIRE(forward.exceptionHits.size() == backward.exceptionHits.size());
	CHECK(forward.exceptionHits.at(0).hits == backward.exceptionHits.at(0).hits);
	CHECK(forward.exceptionHits.at(0).firstSeq == backward.exceptionHits.at(0).firstSeq);
}

TEST_CASE("Self connections are grouped under their listener, never the ephemeral port", "[evidence][aggregates]")
{
	StepAggregates a;
	Endpoint listenerShown = inet4(127, 0, 0, 1, 0); // the kernel chose the port
	for (uint16_t port : { 41000, 41001, 52000 }) {
		NetRecord r = connectRecord(port, 7, "/usr/bin/node", inet4(127, 0, 0, 1, port), Decision::Audited);
		r.cls.direction = Direction::Self;
		r.listener = listenerShown;
		a.add(r);
	}
	REQUIRE(a.violations.size() == 1);
	const auto &[key, tally] = *a.violations.begin();
	CHECK(key.kind == Direction::Self);
	CHECK(key.address == "127.0.0.1");
	CHECK(key.port == std::optional<uint16_t>(0));
	CHECK(portChosenByKernel(key));
	CHECK(tally.count == 3);

	// An outbound connect to loopback keeps its real port, and port 0 there is not the kernel's.
	NetRecord out = connectRecord(9, 7, "/usr/bin/node", inet4(127, 0, 0, 1, 0), Decision::Audited);
	CHECK_FALSE(portChosenByKernel(violationKey(out)));
}

TEST_CASE("StepAggregates counts unix channels to processes outside the tree, logged or not", "[evidence][aggregates]")
{
	StepAggregates a;
	NetRecord r = connectRecord(0, 1, "/bin/x", Endpoint{}, Decision::Logged);
	r.sock = SocketInfo{ true, AF_UNIX, SOCK_STREAM, 0 };
	r.addr.status = AddrStatus::Decoded;
	r.addr.family = AF_UNIX;
	r.addr.unixKind = UnixKind::Path;
	r.addr.unixPath = "/run/example.sock";
	a.add(r); // the other end in the tree (or unknown): not a channel out
	CHECK(a.outsideChannels.empty());
	r.peerPid = 7;
	r.peerExe = "/usr/sbin/example";
	for (int i = 0; i < 1000; i++)
		a.add(r);
	REQUIRE(a.outsideChannels.size() == 1);
	CHECK(a.outsideChannels.begin()->first == std::make_pair(std::string("/run/example.sock"), std::string("/usr/sbin/example")));
	CHECK(a.outsideChannels.begin()->second == 1000);
	CHECK(a.violations.empty());
}
