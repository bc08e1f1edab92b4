// setsockopt/getsockopt lines against strace 6.1's output.

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>

#include "fake_memory.h"
#include "strace/format.h"

namespace {

constexpr uint64_t kVal = 0x7ffdd8581d68;
constexpr uint64_t kLen = 0x7ffdd8581d90;

struct Sockopt : hg::test::Tracee {
	std::string set(int fd, int level, int name, uint64_t val, uint32_t len, long ret)
	{
		return line(hg::test::call("setsockopt", { static_cast<uint64_t>(fd), static_cast<uint64_t>(level),
							   static_cast<uint64_t>(name), val, len }), ret);
	}

	// getsockopt whose *optlen is lenIn before the call and lenOut after it.
	std::string get(int fd, int level, int name, uint64_t val, uint64_t lenPtr, uint32_t lenIn, uint32_t lenOut, long ret)
	{
		mem.putValue(kLen, lenIn);
		return line(hg::test::call("getsockopt", { static_cast<uint64_t>(fd), static_cast<uint64_t>(level),
							   static_cast<uint64_t>(name), val, lenPtr }),
			    ret, [&] { mem.putValue(kLen, lenOut); });
	}
};

} // namespace

TEST_CASE("setsockopt: int options, structs, strings, unknown names", "[strace]")
{
	Sockopt s;
	s.mem.putValue(kVal, 1);
	CHECK(s.set(3, SOL_SOCKET, SO_REUSEADDR, kVal, 4, 0) == "setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0");
	CHECK(s.set(4, IPPROTO_TCP, TCP_NODELAY, kVal, 4, 0) == "setsockopt(4, SOL_TCP, TCP_NODELAY, [1], 4) = 0");
	CHECK(s.set(4, SOL_SOCKET, SO_KEEPALIVE, kVal, 4, 0) == "setsockopt(4, SOL_SOCKET, SO_KEEPALIVE, [1], 4) = 0");
	CHECK(s.set(6, SOL_IPV6, IPV6_V6ONLY, kVal, 4, 0) == "setsockopt(6, SOL_IPV6, IPV6_V6ONLY, [1], 4) = 0");
	CHECK(s.set(4, SOL_TCP, TCP_KEEPIDLE, kVal, 4, 0) == "setsockopt(4, SOL_TCP, TCP_KEEPIDLE, [1], 4) = 0");
	CHECK(s.set(7, SOL_IP, IP_TTL, kVal, 4, 0) == "setsockopt(7, SOL_IP, IP_TTL, [1], 4) = 0");
	CHECK(s.set(7, SOL_SOCKET, SO_REUSEPORT, kVal, 4, 0) == "setsockopt(7, SOL_SOCKET, SO_REUSEPORT, [1], 4) = 0");
	CHECK(s.set(7, SOL_TCP, TCP_FASTOPEN_CONNECT, kVal, 4, 0) == "setsockopt(7, SOL_TCP, TCP_FASTOPEN_CONNECT, [1], 4) = 0");
	CHECK(s.set(7, SOL_IPV6, IPV6_TCLASS, kVal, 4, -ENOPROTOOPT) ==
	      "setsockopt(7, SOL_IPV6, IPV6_TCLASS, [1], 4) = -1 ENOPROTOOPT (Protocol not available)");
	CHECK(s.set(4, SOL_TCP, 999, kVal, 4, -ENOPROTOOPT) ==
	      "setsockopt(4, SOL_TCP, 0x3e7 /* TCP_??? */, [1], 4) = -1 ENOPROTOOPT (Protocol not available)");
	s.mem.putValue(kVal, 65536);
	CHECK(s.set(4, SOL_SOCKET, SO_SNDBUF, kVal, 4, 0) == "setsockopt(4, SOL_SOCKET, SO_SNDBUF, [65536], 4) = 0");
	s.mem.putValue(kVal, 16);
	CHECK(s.set(4, SOL_IP, IP_TOS, kVal, 4, 0) == "setsockopt(4, SOL_IP, IP_TOS, [16], 4) = 0");
	CHECK(s.set(4, SOL_SOCKET, 999, kVal, 4, -ENOPROTOOPT) ==
	      "setsockopt(4, SOL_SOCKET, 0x3e7 /* SO_??? */, [16], 4) = -1 ENOPROTOOPT (Protocol not available)");
	CHECK(s.set(4, 999, 5, kVal, 4, -ENOPROTOOPT) ==
	      "setsockopt(4, 0x3e7 /* SOL_?? */, 5, [16], 4) = -1 ENOPROTOOPT (Protocol not available)");

	s.mem.putValue(kVal, uint64_t{ 1 });
	CHECK(s.set(4, SOL_SOCKET, SO_REUSEADDR, kVal, 8, 0) == "setsockopt(4, SOL_SOCKET, SO_REUSEADDR, [1], 8) = 0");
	CHECK(s.set(4, SOL_SOCKET, SO_REUSEADDR, 1, 4, -EFAULT) == "setsockopt(4, SOL_SOCKET, SO_REUSEADDR, 0x1, 4) = -1 EFAULT (Bad address)");
	CHECK(s.set(4, SOL_SOCKET, SO_REUSEADDR, kVal, 2, -EINVAL) ==
	      "setsockopt(4, SOL_SOCKET, SO_REUSEADDR, 0x7ffdd8581d68, 2) = -1 EINVAL (Invalid argument)");

	s.mem.put(kVal, { 'l', 'o', 0 });
	CHECK(s.set(4, SOL_SOCKET, SO_BINDTODEVICE, kVal, 3, 0) == "setsockopt(4, SOL_SOCKET, SO_BINDTODEVICE, \"lo\\0\", 3) = 0");
	s.mem.putText(kVal, "cubic");
	CHECK(s.set(7, SOL_TCP, TCP_CONGESTION, kVal, 5, 0) == "setsockopt(7, SOL_TCP, TCP_CONGESTION, \"cubic\", 5) = 0");

	const int linger[2] = { 1, 5 };
	s.mem.putValue(kVal, linger);
	CHECK(s.set(4, SOL_SOCKET, SO_LINGER, kVal, 8, 0) == "setsockopt(4, SOL_SOCKET, SO_LINGER, {l_onoff=1, l_linger=5}, 8) = 0");

	const long tv[2] = { 2, 500 };
	s.mem.putValue(kVal, tv);
	CHECK(s.set(4, SOL_SOCKET, SO_RCVTIMEO, kVal, 16, 0) ==
	      "setsockopt(4, SOL_SOCKET, SO_RCVTIMEO_OLD, \"\\2\\0\\0\\0\\0\\0\\0\\0\\364\\1\\0\\0\\0\\0\\0\\0\", 16) = 0");
	s.opt.strsize = 0;
	CHECK(s.set(4, SOL_SOCKET, SO_RCVTIMEO, kVal, 16, 0) == "setsockopt(4, SOL_SOCKET, SO_RCVTIMEO_OLD, \"\"..., 16) = 0");
}

TEST_CASE("getsockopt: values at exit, [in => out] lengths, SO_ERROR names", "[strace]")
{
	Sockopt s;
	s.mem.putValue(kVal, 0);
	CHECK(s.get(4, SOL_SOCKET, SO_ERROR, kVal, kLen, 4, 4, 0) == "getsockopt(4, SOL_SOCKET, SO_ERROR, [0], [4]) = 0");
	CHECK(s.get(4, SOL_SOCKET, SO_ERROR, kVal, kLen, 8, 4, 0) == "getsockopt(4, SOL_SOCKET, SO_ERROR, [0], [8 => 4]) = 0");
	CHECK(s.get(4, SOL_SOCKET, SO_ERROR, kVal, kLen, 2, 2, 0) == "getsockopt(4, SOL_SOCKET, SO_ERROR, \"\\x00\\x00\", [2]) = 0");
	s.mem.putValue(kVal, ECONNREFUSED);
	CHECK(s.get(7, SOL_SOCKET, SO_ERROR, kVal, kLen, 4, 4, 0) == "getsockopt(7, SOL_SOCKET, SO_ERROR, [ECONNREFUSED], [4]) = 0");
	CHECK(s.get(7, SOL_SOCKET, SO_ERROR, 0x7ffcb3163e74, 1, 4, 4, -EFAULT) ==
	      "getsockopt(7, SOL_SOCKET, SO_ERROR, 0x7ffcb3163e74, 0x1) = -1 EFAULT (Bad address)");
	CHECK(s.get(7, SOL_SOCKET, SO_ERROR, 1, kLen, 4, 4, -EFAULT) == "getsockopt(7, SOL_SOCKET, SO_ERROR, 0x1, [4]) = -1 EFAULT (Bad address)");
	CHECK(s.get(7, SOL_IPV6, IPV6_V6ONLY, 0x7ffcb3163e74, kLen, 4, 4, -EOPNOTSUPP) ==
	      "getsockopt(7, SOL_IPV6, IPV6_V6ONLY, 0x7ffcb3163e74, [4]) = -1 EOPNOTSUPP (Operation not supported)");
	s.mem.putValue(kVal, 64);
	CHECK(s.get(7, SOL_IP, IP_TTL, kVal, kLen, 4, 4, 0) == "getsockopt(7, SOL_IP, IP_TTL, [64], [4]) = 0");
	s.mem.putValue(kVal, 131072);
	CHECK(s.get(4, SOL_SOCKET, SO_SNDBUF, kVal, kLen, 4, 4, 0) == "getsockopt(4, SOL_SOCKET, SO_SNDBUF, [131072], [4]) = 0");
	s.mem.putValue(kVal, 1);
	CHECK(s.get(4, SOL_SOCKET, SO_TYPE, kVal, kLen, 4, 4, 0) == "getsockopt(4, SOL_SOCKET, SO_TYPE, [1], [4]) = 0");
	CHECK(s.get(4, SOL_TCP, TCP_NODELAY, kVal, kLen, 4, 4, 0) == "getsockopt(4, SOL_TCP, TCP_NODELAY, [1], [4]) = 0");

	const int linger[2] = { 1, 5 };
	s.mem.putValue(kVal, linger);
	CHECK(s.get(4, SOL_SOCKET, SO_LINGER, kVal, kLen, 8, 8, 0) == "getsockopt(4, SOL_SOCKET, SO_LINGER, {l_onoff=1, l_linger=5}, [8]) = 0");
	const int cred[3] = { 902, 0, 0 };
	s.mem.putValue(kVal, cred);
	CHECK(s.get(5, SOL_SOCKET, SO_PEERCRED, kVal, kLen, 12, 12, 0) == "getsockopt(5, SOL_SOCKET, SO_PEERCRED, {pid=902, uid=0, gid=0}, [12]) = 0");
	const long tv[2] = { 2, 4000 };
	s.mem.putValue(kVal, tv);
	CHECK(s.get(4, SOL_SOCKET, SO_RCVTIMEO, kVal, kLen, 16, 16, 0) ==
	      "getsockopt(4, SOL_SOCKET, SO_RCVTIMEO_OLD, \"\\2\\0\\0\\0\\0\\0\\0\\0\\240\\17\\0\\0\\0\\0\\0\\0\", [16]) = 0");
	s.opt.strsize = 0;
	s.mem.putValue(kVal, 0);
	CHECK(s.get(4, SOL_SOCKET, SO_ERROR, kVal, kLen, 2, 2, 0) == "getsockopt(4, SOL_SOCKET, SO_ERROR, \"\"..., [2]) = 0");
}
