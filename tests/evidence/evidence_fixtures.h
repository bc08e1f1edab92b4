#pragma once
// Synthetic tracer output for the evidence tests: no ptrace, no network.

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "evidence/report_json.h"
#include "evidence/report_md.h"
#include "evidence/run_report.h"
#include "policy/allowlist.h"
#include "record/record.h"

namespace hg::test {

// report.json / report.md of run, which must render.
inline std::string reportJson(const RunEvidence &run)
{
	auto json = renderReportJson(run);
	REQUIRE(json.ok());
	return *json;
}

inline std::string reportMd(const RunEvidence &run)
{
	auto md = renderReportMd(run);
	REQUIRE(md.ok());
	return *md;
}

inline Endpoint inet4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
	Endpoint ep;
	ep.status = AddrStatus::Decoded;
	ep.family = AF_INET;
	ep.addrlen = sizeof(sockaddr_in);
	ep.isIp = true;
	ep.isV4 = true;
	ep.ip = { a, b, c, d };
	ep.port = port;
	return ep;
}

// 2001:db8::<last>
inline Endpoint inet6(uint8_t last, uint16_t port)
{
	Endpoint ep;
	ep.status = AddrStatus::Decoded;
	ep.family = AF_INET6;
	ep.addrlen = sizeof(sockaddr_in6);
	ep.isIp = true;
	ep.ip = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, last };
	ep.port = port;
	return ep;
}

inline SocketInfo tcpSocket(int domain = AF_INET)
{
	return SocketInfo{ true, domain, SOCK_STREAM, IPPROTO_TCP };
}

inline NetRecord connectRecord(uint64_t seq, pid_t pid, const std::string &exe, const Endpoint &to,
			       Decision decision, int exception = -1)
{
	NetRecord rec;
	rec.seq = seq;
	rec.pid = pid;
	rec.tid = pid;
	rec.exe = exe;
	rec.arch = "x86_64";
	rec.nr = 42;
	rec.call = NetCall::Connect;
	rec.callName = "connect";
	rec.fd = 3;
	rec.sock = tcpSocket(to.family);
	rec.addr = to;
	rec.addrPtr = 0x7ffc0000;
	rec.len = to.addrlen;
	rec.cls.direction = Direction::Outbound;
	rec.cls.violation = true;
	rec.cls.why = "TCP connect";
	rec.exception = exception;
	rec.decision = decision;
	rec.resultKnown = true;
	rec.result = decision == Decision::Denied ? -1 : 0;
	return rec;
}

inline NetRecord listenRecord(uint64_t seq, pid_t pid, const std::string &exe, const Endpoint &local,
			      Decision decision)
{
	NetRecord rec;
	rec.seq = seq;
	rec.pid = pid;
	rec.tid = pid;
	rec.exe = exe;
	rec.arch = "x86_64";
	rec.nr = 50;
	rec.call = NetCall::Listen;
	rec.callName = "listen";
	rec.fd = 4;
	rec.sock = tcpSocket(local.family);
	rec.flags = 128;
	rec.boundAddr = local;
	rec.cls.direction = Direction::Inbound;
	rec.cls.violation = true;
	rec.decision = decision;
	rec.resultKnown = true;
	return rec;
}

inline ProcessRecord process(pid_t pid, pid_t ppid, uint64_t spawnSeq, std::vector<std::string> argv)
{
	ProcessRecord p;
	p.pid = pid;
	p.ppid = ppid;
	p.spawnSeq = spawnSeq;
	p.exe = argv.empty() ? "" : "/usr/bin/" + argv[0];
	p.argv = std::move(argv);
	p.exited = true;
	p.exitCode = 0;
	return p;
}

// The aggregates of records, folded in in the given order (as StepSink does).
inline StepAggregates aggregate(const std::vector<NetRecord> &records)
{
	StepAggregates a;
	for (const NetRecord &r : records)
		a.add(r);
	return a;
}

inline Exception cidrException(const std::string &spec, const std::string &source)
{
	auto e = parseHostException(spec, source);
	REQUIRE(e.ok());
	return *e;
}

// The records of sampleRun()'s steps "build", "fetch" and "deploy", in completion order.
using SampleRecords = std::array<std::vector<NetRecord>, 3>;

inline SampleRecords sampleRecords()
{
	return { std::vector<NetRecord>{
			 connectRecord(0, 101, "/usr/bin/cc", inet4(10, 1, 2, 3, 3128), Decision::Allowed, 0),
			 connectRecord(1, 101, "/usr/bin/cc", inet4(10, 1, 2, 3, 3128), Decision::Allowed, 0) },
		 std::vector<NetRecord>{
			 connectRecord(0, 201, "/usr/bin/curl", inet4(203, 0, 113, 1, 443), Decision::Audited),
			 connectRecord(1, 202, "/usr/bin/curl", inet4(203, 0, 113, 1, 443), Decision::Audited),
			 connectRecord(2, 202, "/usr/bin/curl", inet6(1, 443), Decision::Audited),
			 listenRecord(3, 203, "/usr/bin/python3", inet4(0, 0, 0, 0, 8000), Decision::Audited),
			 connectRecord(4, 201, "/usr/bin/curl", inet4(10, 9, 9, 9, 80), Decision::Allowed, 0) },
		 std::vector<NetRecord>{} };
}

// Three steps: "build" passes using one exception, "fetch" makes violations (two curl
// processes to the same endpoint, one denied connect, one listen), "deploy" cannot start.
// Each step's aggregates are made from `records` (sampleRecords() by default).
inline RunEvidence sampleRun(const SampleRecords &records = sampleRecords())
{
	RunEvidence run;
	run.sha = "0123456789abcdef0123456789abcdef01234567";
	run.policyPath = "docs/ci/HERMETIC_CI_POLICY.yml";
	run.policySha256 = std::string(64, 'a');
	run.kernelRelease = "6.1.0-18-amd64";
	run.mode = "audit";
	run.toolVersion = "0.1.0";
	run.health = { { "ptrace", HealthStatus::Ok, "kernel.yama.ptrace_scope=1" },
		       { "io_uring", HealthStatus::Missing, "io_uring_disabled=2" },
		       { "x32", HealthStatus::Unknown, "" } };

	std::vector<Exception> allow = { cidrException("10.0.0.0/8", "policy.yml:7:9"),
					 cidrException("198.51.100.7", "policy.yml:11:9") };

	StepEvidence build;
	build.id = "build";
	build.command = { "make", "-j4" };
	build.exitCode = 0;
	build.exceptions = allow;
	build.envRemoved = { "https_proxy", "HTTP_PROXY" };
	build.processes = { process(100, 0, 0, { "make", "-j4" }), process(101, 100, 1, { "cc", "-c", "a.c" }) };
	build.aggregates = aggregate(records[0]);
	build.rootPid = 100;
	build.durationMs = 424242;

	StepEvidence fetch;
	fetch.id = "fetch";
	fetch.command = { "/bin/sh", "-c", "curl -s https://example.test | tar x" };
	fetch.exitCode = 0;
	fetch.exceptions = allow;
	fetch.processes = { process(200, 0, 0, { "sh", "-c", "curl -s https://example.test | tar x" }),
			    process(201, 200, 1, { "curl", "-s", "https://example.test" }),
			    process(202, 200, 2, { "curl", "-s", "https://mirror.test" }),
			    process(203, 200, 3, { "python3", "-m", "http.server" }) };
	fetch.aggregates = aggregate(records[1]);
	fetch.listeners = { { 203, "/usr/bin/python3", "tcp", "0.0.0.0:8000", "LISTEN" } };
	fetch.rootPid = 200;
	fetch.durationMs = 99;

	StepEvidence deploy;
	deploy.id = "deploy";
	deploy.command = { "./deploy.sh" };
	deploy.started = false;
	deploy.error = "execve(./deploy.sh): No such file or directory";
	deploy.exceptions = allow;
	deploy.aggregates = aggregate(records[2]);

	run.steps = { build, fetch, deploy };
	return run;
}

// A step "tree" whose violations come from deep in its process tree: make -j2 runs 40
// compilers that make no network call and sh -c 'sh -c "..."', whose netprobe connects to
// 203.0.113.1:443 (a name resolved to it) and 203.0.113.7:80; a helper with a hostile argv
// (quotes, brackets, a Mermaid directive, a code fence, non-ASCII) connects to
// [2001:db8::1]:443 and forks a child that does the same. Pids from pidBase.
inline StepEvidence treeStep(pid_t pidBase = 400)
{
	StepEvidence step;
	step.id = "tree";
	step.command = { "make", "-j2" };
	step.exitCode = 0;
	const std::string hostile = "x\"]; click n0 \"javascript:alert(1)\"\n```\n<b>#quot;</b> caf\xc3\xa9 \xf0\x9f\x98\x80 `%%";
	step.processes = { process(pidBase, 0, 0, { "make", "-j2" }),
			   process(pidBase + 1, pidBase, 1, { "sh", "-c", "sh -c \"netprobe tcp4 203.0.113.1 443\"" }),
			   process(pidBase + 2, pidBase + 1, 2, { "sh", "-c", "netprobe tcp4 203.0.113.1 443" }),
			   process(pidBase + 3, pidBase + 2, 3, { "netprobe", "tcp4", "203.0.113.1", "443" }),
			   process(pidBase + 4, pidBase, 4, { "helper", hostile }),
			   process(pidBase + 5, pidBase + 4, 5, { "helper", hostile }) };
	for (pid_t i = 0; i < 40; i++)
		step.processes.push_back(process(pidBase + 10 + i, pidBase, 10 + i, { "cc", "-c", std::to_string(i) + ".c" }));
	NetRecord named = connectRecord(0, pidBase + 3, "/usr/bin/netprobe", inet4(203, 0, 113, 1, 443), Decision::Audited);
	named.name = "example.test";
	step.aggregates = aggregate({ named,
				      connectRecord(1, pidBase + 3, "/usr/bin/netprobe", inet4(203, 0, 113, 7, 80), Decision::Audited),
				      connectRecord(2, pidBase + 4, "/usr/bin/helper", inet6(1, 443), Decision::Denied),
				      connectRecord(3, pidBase + 5, "/usr/bin/helper", inet6(1, 443), Decision::Denied) });
	step.rootPid = pidBase;
	return step;
}

// What the gate inherited in the sample's first step: a connected socket passed on, an
// eventfd closed, an io_uring ring named and refused.
inline std::vector<ReportedFd> sampleInheritedFds()
{
	InheritedFd sock;
	sock.fd = 3;
	sock.type = FdType::Socket;
	sock.sock = tcpSocket();
	sock.local = inet4(127, 0, 0, 1, 40000);
	sock.peer = inet4(203, 0, 113, 1, 443);
	InheritedFd event;
	event.fd = 4;
	event.type = FdType::AnonInode;
	event.detail = "eventfd";
	InheritedFd ring = event;
	ring.fd = 7;
	ring.detail = "io_uring";
	return { reportedFd({ sock, FdAction::Passed, "" }), reportedFd({ event, FdAction::Closed, "" }),
		 reportedFd({ ring, FdAction::Refused, "an io_uring ring is never passed" }) };
}

// The same behaviour observed in another run: records and processes in a different
// order, every pid shifted, other durations and log-only data.
inline RunEvidence reshuffled(SampleRecords records = sampleRecords())
{
	for (std::vector<NetRecord> &step : records) {
		std::reverse(step.begin(), step.end());
		for (NetRecord &rec : step) {
			rec.pid += 5000;
			rec.tid += 5000;
			rec.addrPtr += 0x1000;
		}
	}
	RunEvidence run = sampleRun(records);
	for (StepEvidence &step : run.steps) {
		std::reverse(step.processes.begin(), step.processes.end());
		for (ProcessRecord &p : step.processes) {
			p.pid += 5000;
			if (p.ppid)
				p.ppid += 5000;
		}
		for (Listener &l : step.listeners)
			l.pid += 5000;
		step.rootPid += 5000;
		step.durationMs += 777;
	}
	return run;
}

} // namespace hg::test
