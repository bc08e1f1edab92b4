#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>

#include "cli/live_printer.h"
#include "net/sockaddr.h"

using namespace hg;

namespace {

Endpoint decode(const void *sa, size_t len)
{
	return decodeSockaddr({static_cast<const uint8_t *>(sa), len}, static_cast<uint32_t>(len));
}

NetRecord connectRecord()
{
	NetRecord r;
	r.pid = 4242;
	r.tid = 4242;
	r.exe = "/usr/bin/curl";
	r.arch = "x86_64";
	r.call = NetCall::Connect;
	r.callName = "connect";
	r.sock = SocketInfo{true, AF_INET, SOCK_STREAM, IPPROTO_TCP};
	sockaddr_in sa{};
	sa.sin_family = AF_INET;
	sa.sin_port = htons(443);
	inet_pton(AF_INET, "203.0.113.1", &sa.sin_addr);
	r.addr = decode(&sa, sizeof(sa));
	r.decision = Decision::Audited;
	return r;
}

} // namespace

TEST_CASE("the live violation line is greppable key=value", "[live]")
{
	CHECK(violationLine(connectRecord(), "unit", false) ==
	      "hermetic-gate: violation step=unit pid=4242 exe=/usr/bin/curl syscall=connect family=AF_INET proto=tcp addr=203.0.113.1:443 decision=audited");
}

TEST_CASE("IPv6 addresses are bracketed, paths with spaces quoted, other ABIs named", "[live]")
{
	NetRecord r = connectRecord();
	sockaddr_in6 sa{};
	sa.sin6_family = AF_INET6;
	sa.sin6_port = htons(8443);
	inet_pton(AF_INET6, "2001:db8::1", &sa.sin6_addr);
	r.addr = decode(&sa, sizeof(sa));
	r.sock.domain = AF_INET6;
	r.exe = "/opt/my tool/bin";
	r.arch = "i386";
	r.decision = Decision::Denied;
	std::string line = violationLine(r, "e2e", false);
	CHECK(line.find("addr=[2001:db8::1]:8443") != std::string::npos);
	CHECK(line.find("exe=\"/opt/my tool/bin\"") != std::string::npos);
	CHECK(line.find("decision=denied") != std::string::npos);
	CHECK(line.find("abi=i386") != std::string::npos);
}

TEST_CASE("colour wraps only the verdict word", "[live]")
{
	std::string line = violationLine(connectRecord(), "unit", true);
	CHECK(line.find("\033[1;31mviolation\033[0m") != std::string::npos);
}

TEST_CASE("absent and undecodable addresses are spelled out", "[live]")
{
	Endpoint absent;
	CHECK(endpointText(absent) == "-");
	Endpoint bad;
	bad.status = AddrStatus::Undecodable;
	CHECK(endpointText(bad) == "undecodable");
}

TEST_CASE("a self connection names the listener it reached", "[live]")
{
	NetRecord r = connectRecord();
	sockaddr_in sa{};
	sa.sin_family = AF_INET;
	sa.sin_port = htons(44699);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	r.addr = decode(&sa, sizeof(sa));
	sa.sin_port = 0;
	r.listener = decode(&sa, sizeof(sa));
	r.cls.direction = Direction::Self;
	std::string line = violationLine(r, "unit", false);
	// The real port on the live line (it is what the process did); the listener as reports show it.
	CHECK(line.find(" addr=127.0.0.1:44699 ") != std::string::npos);
	CHECK(line.substr(line.size() - 31) == " kind=self listener=127.0.0.1:0");
}

TEST_CASE("a DNS query names the name and the resolver; a connect the name it came from", "[live]")
{
	NetRecord r = connectRecord();
	r.cls.direction = Direction::Dns;
	r.name = "other.example.test";
	sockaddr_in sa{};
	sa.sin_family = AF_INET;
	sa.sin_port = htons(53);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	r.listener = decode(&sa, sizeof(sa));
	std::string line = violationLine(r, "unit", false);
	CHECK(line.find(" kind=dns name=other.example.test resolver=127.0.0.1:53") != std::string::npos);

	NetRecord c = connectRecord();
	c.name = "cdn.example.test";
	CHECK(violationLine(c, "unit", false).find(" name=cdn.example.test") != std::string::npos);
}

TEST_CASE("a raw socket says kind raw and why, with no address", "[live]")
{
	NetRecord r = connectRecord();
	r.call = NetCall::Socket;
	r.callName = "socket";
	r.sock = SocketInfo{true, AF_INET, SOCK_RAW, IPPROTO_ICMP};
	r.addr = Endpoint{};
	r.addr.status = AddrStatus::Absent;
	r.cls = Classification{Direction::Raw, true, "AF_INET SOCK_RAW socket for IP protocol 1: it receives"};
	CHECK(violationLine(r, "unit", false) ==
	      "hermetic-gate: violation step=unit pid=4242 exe=/usr/bin/curl syscall=socket family=AF_INET proto=icmp "
	      "addr=- decision=audited kind=raw reason=\"AF_INET SOCK_RAW socket for IP protocol 1: it receives\"");
}
