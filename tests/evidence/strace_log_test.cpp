#include <errno.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>

#include "evidence/strace_log.h"
#include "strace/names.h"
#include "net/sockaddr.h"
#include "../net/sockaddr_bytes.h"

using namespace hg;
using namespace hg::test;

namespace {

NetRecord record(NetCall call, int fd, Endpoint addr, uint64_t len)
{
	NetRecord r;
	r.pid = 4242;
	r.tid = 4242;
	r.call = call;
	r.callName = netCallName(call);
	r.fd = fd;
	r.addr = std::move(addr);
	r.addrPtr = r.addr.status == AddrStatus::Absent ? 0 : 0x7ffc1000;
	r.len = len;
	r.resultKnown = true;
	return r;
}

constexpr const char *kV4 = "{sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr(\"203.0.113.1\")}";

} // namespace

TEST_CASE("connect and bind lines", "[strace_log]")
{
	NetRecord c = record(NetCall::Connect, 3, v4Endpoint("203.0.113.1", 443), 16);
	c.result = -EPERM;
	CHECK(straceLine(c) == std::string("4242 connect(3, ") + kV4 +
				       ", 16) = -1 EPERM (Operation not permitted)");

	c.result = -ECONNREFUSED;
	CHECK(straceLine(c) == std::string("4242 connect(3, ") + kV4 +
				       ", 16) = -1 ECONNREFUSED (Connection refused)");

	c.result = -EINPROGRESS;
	CHECK(straceLine(c) == std::string("4242 connect(3, ") + kV4 +
				       ", 16) = -1 EINPROGRESS (Operation now in progress)");

	NetRecord b = record(NetCall::Bind, 3, v6Endpoint("::", 8080), 28);
	CHECK(straceLine(b) ==
	      "4242 bind(3, {sa_family=AF_INET6, sin6_port=htons(8080), sin6_flowinfo=htonl(0), "
	      "inet_pton(AF_INET6, \"::\", &sin6_addr), sin6_scope_id=0}, 28) = 0");

	NetRecord u = record(NetCall::Connect, 7, decode(unixBytes(std::string("\0hg", 3))), 5);
	CHECK(straceLine(u) == "4242 connect(7, {sa_family=AF_UNIX, sun_path=@\"hg\"}, 5) = 0");
}

TEST_CASE("the line starts with the calling thread", "[strace_log]")
{
	NetRecord r = record(NetCall::Listen, 3, Endpoint{}, 0);
	r.pid = 100;
	r.tid = 101;
	r.flags = 128;
	CHECK(straceLine(r) == "101 listen(3, 128) = 0");
	r.tid = 0;
	CHECK(straceLine(r) == "100 listen(3, 128) = 0");
	r.flags = static_cast<uint32_t>(-1);
	CHECK(straceLine(r) == "100 listen(3, -1) = 0");
}

TEST_CASE("send lines", "[strace_log]")
{
	NetRecord s = record(NetCall::Sendto, 5, v4Endpoint("203.0.113.1", 443), 12);
	s.flags = MSG_NOSIGNAL;
	s.result = 12;
	CHECK(straceLine(s) == std::string("4242 sendto(5, \"\"..., 12, MSG_NOSIGNAL, ") + kV4 +
				       ", 16) = 12");

	NetRecord connected = record(NetCall::Sendto, 5, Endpoint{}, 0);
	CHECK(straceLine(connected) == "4242 sendto(5, \"\", 0, 0, NULL, 0) = 0");

	NetRecord m = record(NetCall::Sendmsg, 5, v4Endpoint("203.0.113.1", 443), 0);
	m.result = 12;
	CHECK(straceLine(m) == std::string("4242 sendmsg(5, {msg_name=") + kV4 +
				       ", msg_namelen=16, ...}, 0) = 12");

	NetRecord noName = record(NetCall::Sendmsg, 5, Endpoint{}, 0);
	noName.flags = MSG_DONTWAIT | MSG_NOSIGNAL;
	CHECK(straceLine(noName) ==
	      "4242 sendmsg(5, {msg_name=NULL, msg_namelen=0, ...}, MSG_DONTWAIT|MSG_NOSIGNAL) = 0");

	NetRecord mm = record(NetCall::Sendmmsg, 5, v4Endpoint("203.0.113.1", 443), 2);
	mm.result = 2;
	CHECK(straceLine(mm) == std::string("4242 sendmmsg(5, [{msg_hdr={msg_name=") + kV4 +
					", msg_namelen=16, ...}, ...}, ...], 2, 0) = 2");
	mm.len = 1;
	mm.result = 1;
	CHECK(straceLine(mm) == std::string("4242 sendmmsg(5, [{msg_hdr={msg_name=") + kV4 +
					", msg_namelen=16, ...}, ...}], 1, 0) = 1");
}

TEST_CASE("undecodable addresses print as the tracee pointer", "[strace_log]")
{
	NetRecord r = record(NetCall::Connect, 3, undecodableEndpoint(16, "EFAULT reading 0xdead"), 16);
	r.addrPtr = 0xdead;
	r.result = -EFAULT;
	CHECK(straceLine(r) == "4242 connect(3, 0xdead, 16) = -1 EFAULT (Bad address)");
}

TEST_CASE("results", "[strace_log]")
{
	NetRecord r = record(NetCall::Listen, 3, Endpoint{}, 0);
	r.flags = 16;
	r.resultKnown = false;
	CHECK(straceLine(r) == "4242 listen(3, 16) = ?");

	r.resultKnown = true;
	r.result = -512;
	CHECK(straceLine(r) == "4242 listen(3, 16) = ? ERESTARTSYS (To be restarted if SA_RESTART is set)");

	// Beyond -4095 a negative value is data, not an errno.
	r.result = -5000;
	CHECK(straceLine(r) == "4242 listen(3, 16) = -5000");
}

TEST_CASE("unmodelled calls use the recorded name", "[strace_log]")
{
	NetRecord r = record(NetCall::Other, 9, Endpoint{}, 0);
	r.callName = "syscall_999";
	r.result = -ENOSYS;
	CHECK(straceLine(r) == "4242 syscall_999(9, ...) = -1 ENOSYS (Function not implemented)");
	r.fd = -1;
	CHECK(straceLine(r) == "4242 syscall_999(...) = -1 ENOSYS (Function not implemented)");
}

TEST_CASE("errno names and MSG_ flags", "[strace_log]")
{
	CHECK(strace::errnoName(EPERM) == "EPERM");
	CHECK(strace::errnoName(ECONNREFUSED) == "ECONNREFUSED");
	CHECK(strace::errnoName(ENETUNREACH) == "ENETUNREACH");
	CHECK(strace::errnoName(EAFNOSUPPORT) == "EAFNOSUPPORT");
	CHECK(strace::errnoName(512) == "ERESTARTSYS");
	CHECK(strace::errnoName(4000) == "4000");

	CHECK(strace::msgFlags(0) == "0");
	CHECK(strace::msgFlags(MSG_NOSIGNAL) == "MSG_NOSIGNAL");
	CHECK(strace::msgFlags(MSG_DONTWAIT | MSG_MORE) == "MSG_DONTWAIT|MSG_MORE");
	CHECK(strace::msgFlags(MSG_FASTOPEN | MSG_NOSIGNAL) == "MSG_NOSIGNAL|MSG_FASTOPEN");
	CHECK(strace::msgFlags(MSG_MORE | 0x80000000u) == "MSG_MORE|0x80000000");
	CHECK(strace::msgFlags(0x100000000ull) == "0x100000000");
}
