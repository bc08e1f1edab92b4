#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cerrno>

#include <catch2/catch.hpp>

#include "record/fd_pass.h"
#include "policy/allowlist.h"
#include "../net/sockaddr_bytes.h"

using namespace hg;
using namespace hg::test;

namespace {

InheritedFd tcp(int fd, const char *peer, uint16_t port)
{
	FdFacts f;
	f.fd = fd;
	f.statOk = true;
	f.mode = S_IFSOCK | 0777;
	f.link = "socket:[4242]";
	f.inode = 4242;
	f.sock = SocketInfo{true, AF_INET, SOCK_STREAM, IPPROTO_TCP};
	f.local = v4Endpoint("127.0.0.1", 40000);
	f.peer = v4Endpoint(peer, port);
	f.tcpState = 1;
	return describeFd(f);
}

InheritedFd listener(int fd, uint16_t port)
{
	InheritedFd d = tcp(fd, "0.0.0.0", 0);
	d.peer = Endpoint{};
	d.listening = true;
	d.local = v4Endpoint("127.0.0.1", port);
	return d;
}

InheritedFd anon(int fd, const char *link)
{
	FdFacts f;
	f.fd = fd;
	f.statOk = true;
	f.mode = 0600;
	f.link = link;
	return describeFd(f);
}

Allowlist allowing(const std::string &host, const std::string &listen = "")
{
	Allowlist al;
	if (!host.empty())
		al.add(*parseHostException(host, "--allow-host"));
	if (!listen.empty())
		al.add(*parseInboundException(listen, "--allow-listen"));
	return al;
}

struct Sink : RecordSink {
	std::vector<NetRecord> records;
	int violations = 0;
	void onViolation(const NetRecord &) override { violations++; }
	void onRecord(const NetRecord &r) override { records.push_back(r); }
};

} // namespace

TEST_CASE("checkPassFds accepts inherited descriptors and names the missing one", "[fd_pass]")
{
	std::vector<InheritedFd> inherited = {tcp(3, "127.0.0.1", 5000), anon(5, "anon_inode:[eventfd]")};
	CHECK(checkPassFds(inherited, {3, 5}, "--pass-fd").ok());
	CHECK(checkPassFds(inherited, {}, "--pass-fd").ok());

	auto missing = checkPassFds(inherited, {3, 7}, "--pass-fd");
	REQUIRE_FALSE(missing.ok());
	CHECK(missing.error().message == "--pass-fd: descriptor 7 is not open (the gate inherited 3, 5)");

	auto none = checkPassFds({}, {4}, "p.yml:3:11: pass_fds");
	REQUIRE_FALSE(none.ok());
	CHECK(none.error().message == "p.yml:3:11: pass_fds: descriptor 4 is not open (the gate inherited none above 2)");

	auto stdio = checkPassFds(inherited, {1}, "--pass-fd");
	REQUIRE_FALSE(stdio.ok());
	CHECK(stdio.error().message.find("standard input, output or error") != std::string::npos);
}

TEST_CASE("planPassFds closes what is not named and records named sockets", "[fd_pass]")
{
	std::vector<InheritedFd> inherited = {tcp(3, "203.0.113.1", 443), listener(4, 5000), anon(5, "anon_inode:[eventfd]")};
	Allowlist none;

	SECTION("nothing named: everything closed, nothing recorded")
	{
		PassPlan p = planPassFds(inherited, {}, DecisionRules{&none, false, true});
		CHECK(p.keep.empty());
		CHECK(p.records.empty());
		REQUIRE(p.fds.size() == 3);
		for (const FdOutcome &o : p.fds)
			CHECK(o.action == FdAction::Closed);
	}
	SECTION("audit: the sockets are passed and audited, the eventfd passed without a record")
	{
		PassPlan p = planPassFds(inherited, {5, 3, 4}, DecisionRules{&none, false, true});
		CHECK(p.keep == std::vector<int>{3, 4, 5});
		CHECK(p.keptSockets == std::vector<uint64_t>{4242, 4242});
		REQUIRE(p.records.size() == 2);
		const NetRecord &c = p.records[0];
		CHECK(c.call == NetCall::Other);
		CHECK(c.callName == "inherited");
		CHECK(c.fd == 3);
		CHECK(c.cls.direction == Direction::Outbound);
		CHECK(c.decision == Decision::Audited);
		CHECK(c.addr.address() == "203.0.113.1");
		CHECK(c.result == 0);
		const NetRecord &l = p.records[1];
		CHECK(l.fd == 4);
		CHECK(l.cls.direction == Direction::Inbound);
		CHECK(l.decision == Decision::Audited);
		CHECK(p.fds[2].action == FdAction::Passed);
	}
	SECTION("enforce: violating sockets are refused (closed), and recorded as denied")
	{
		PassPlan p = planPassFds(inherited, {3, 4, 5}, DecisionRules{&none, true, true});
		CHECK(p.keep == std::vector<int>{5});
		REQUIRE(p.records.size() == 2);
		CHECK(p.records[0].decision == Decision::Denied);
		CHECK(p.records[0].result == -EPERM);
		CHECK(p.fds[0].action == FdAction::Refused);
		CHECK(p.records[0].cls.why.find("203.0.113.1:443") != std::string::npos);
		CHECK(p.records[0].cls.why.find("denied: not passed, closed before the step started") != std::string::npos);
		CHECK(p.fds[0].why == "an outbound violation, denied: not passed, closed before the step started");
		CHECK(p.fds[1].why == "an inbound violation, denied: not passed, closed before the step started");
		CHECK(p.fds[1].action == FdAction::Refused);
	}
	SECTION("enforce with exceptions: the covered sockets are passed and allowed")
	{
		Allowlist al = allowing("203.0.113.1:443", "127.0.0.1:5000");
		PassPlan p = planPassFds(inherited, {3, 4}, DecisionRules{&al, true, true});
		CHECK(p.keep == std::vector<int>{3, 4});
		REQUIRE(p.records.size() == 2);
		CHECK(p.records[0].decision == Decision::Allowed);
		CHECK(p.records[0].exception == 0);
		CHECK(p.records[1].decision == Decision::Allowed);
		CHECK(p.records[1].exception == 1);
	}
}

TEST_CASE("planPassFds never passes an io_uring ring", "[fd_pass]")
{
	std::vector<InheritedFd> inherited = {anon(6, "anon_inode:[io_uring]")};
	Allowlist none;
	PassPlan p = planPassFds(inherited, {6}, DecisionRules{&none, false, true});
	CHECK(p.keep.empty());
	CHECK(p.records.empty());
	REQUIRE(p.fds.size() == 1);
	CHECK(p.fds[0].action == FdAction::Refused);
	CHECK(p.fds[0].why.find("io_uring") != std::string::npos);
}

TEST_CASE("emitInheritedRecords numbers the records as calls of the root", "[fd_pass]")
{
	Allowlist none;
	PassPlan p = planPassFds({tcp(3, "203.0.113.1", 443)}, {3}, DecisionRules{&none, false, true});
	Sink sink;
	uint64_t seq = 0, calls = 0;
	emitInheritedRecords(p.records, 4242, "/bin/true", seq, calls, sink);
	CHECK(seq == 1);
	CHECK(calls == 1);
	CHECK(sink.violations == 1);
	REQUIRE(sink.records.size() == 1);
	CHECK(sink.records[0].pid == 4242);
	CHECK(sink.records[0].tid == 4242);
	CHECK(sink.records[0].exe == "/bin/true");
	CHECK(sink.records[0].seq == 0);
}
