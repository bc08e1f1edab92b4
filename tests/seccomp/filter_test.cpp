#include <linux/audit.h>
#include <linux/net.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sched.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>

#include "bpf_interpreter.h"
#include "seccomp/filter.h"

using namespace hg;

namespace {

constexpr uint32_t kX32 = 0x40000000;
constexpr pid_t kGate = 4242;

const BpfProgram &program()
{
	static BpfProgram prog = [] {
		auto p = buildNetworkFilter();
		REQUIRE(p.ok());
		return *p;
	}();
	return prog;
}

uint32_t run(uint32_t arch, int nr, std::initializer_list<uint64_t> args = {})
{
	seccomp_data d{};
	d.arch = arch;
	d.nr = nr;
	int i = 0;
	for (uint64_t a : args)
		d.args[i++] = a;
	return runSeccompBpf(program().insns, d);
}

uint32_t trace(TrapTag tag)
{
	return SECCOMP_RET_TRACE | tag;
}

constexpr uint32_t kAllow = SECCOMP_RET_ALLOW;

} // namespace

TEST_CASE("x86_64: network calls trap, everything else runs", "[filter]")
{
	CHECK(run(AUDIT_ARCH_X86_64, 42, {3, 0x1000, 16}) == trace(kTagConnect));
	CHECK(run(AUDIT_ARCH_X86_64, 49) == trace(kTagBind));
	CHECK(run(AUDIT_ARCH_X86_64, 50) == trace(kTagListen));
	CHECK(run(AUDIT_ARCH_X86_64, 46) == trace(kTagSendmsg));
	CHECK(run(AUDIT_ARCH_X86_64, 307) == trace(kTagSendmmsg));
	CHECK(run(AUDIT_ARCH_X86_64, 39) == kAllow);  // getpid
	CHECK(run(AUDIT_ARCH_X86_64, 0) == kAllow);   // read
	CHECK(run(AUDIT_ARCH_X86_64, 41) == kAllow);  // socket
	CHECK(run(AUDIT_ARCH_X86_64, 1) == kAllow);   // write on a connected socket is not trapped
}

TEST_CASE("sendto traps only with a destination address, except through socketcall", "[filter]")
{
	CHECK(run(AUDIT_ARCH_X86_64, 44, {3, 0x1000, 5, 0, 0, 0}) == kAllow);
	CHECK(run(AUDIT_ARCH_X86_64, 44, {3, 0x1000, 5, 0, 0x2000, 16}) == trace(kTagSendto));
	// The upper half of the pointer counts: a pointer above 4 GiB with a zero low half.
	CHECK(run(AUDIT_ARCH_X86_64, 44, {3, 0x1000, 5, 0, 0x100000000ull, 16}) == trace(kTagSendto));
	// i386 socketcall(SYS_SENDTO, args): the 5th register is not sendto's address.
	CHECK(run(AUDIT_ARCH_I386, 102, {SYS_SENDTO, 0x1000, 0, 0, 0, 0}) == trace(kTagSendto));
}

TEST_CASE("i386: direct calls and socketcall trap", "[filter]")
{
	CHECK(run(AUDIT_ARCH_I386, 362) == trace(kTagConnect));
	CHECK(run(AUDIT_ARCH_I386, 361) == trace(kTagBind));
	CHECK(run(AUDIT_ARCH_I386, 363) == trace(kTagListen));
	CHECK(run(AUDIT_ARCH_I386, 370) == trace(kTagSendmsg));
	CHECK(run(AUDIT_ARCH_I386, 345) == trace(kTagSendmmsg));
	CHECK(run(AUDIT_ARCH_I386, 102, {SYS_CONNECT, 0x1000}) == trace(kTagConnect));
	CHECK(run(AUDIT_ARCH_I386, 102, {SYS_BIND, 0x1000}) == trace(kTagBind));
	CHECK(run(AUDIT_ARCH_I386, 102, {SYS_LISTEN, 0x1000}) == trace(kTagListen));
	CHECK(run(AUDIT_ARCH_I386, 102, {SYS_SENDMSG, 0x1000}) == trace(kTagSendmsg));
	CHECK(run(AUDIT_ARCH_I386, 102, {SYS_SENDMMSG, 0x1000}) == trace(kTagSendmmsg));
	// socketcall hides socket()'s family from the filter: every i386 socket() traps.
	CHECK(run(AUDIT_ARCH_I386, 102, {SYS_SOCKET, 0x1000}) == trace(kTagInetSocket));
	CHECK(run(AUDIT_ARCH_I386, 359, {AF_UNIX, SOCK_STREAM, 0}) == trace(kTagInetSocket));
	CHECK(run(AUDIT_ARCH_I386, 102, {SYS_GETSOCKNAME, 0x1000}) == kAllow);
	CHECK(run(AUDIT_ARCH_I386, 20) == kAllow); // getpid
}

TEST_CASE("socket() traps for the inet families only", "[filter]")
{
	CHECK(run(AUDIT_ARCH_X86_64, 41, {AF_INET, SOCK_STREAM, 0}) == trace(kTagInetSocket));
	CHECK(run(AUDIT_ARCH_X86_64, 41, {AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0}) == trace(kTagInetSocket));
	CHECK(run(AUDIT_ARCH_X86_64, 41, {0xffffffff00000000ull | AF_INET, SOCK_STREAM, 0}) == trace(kTagInetSocket));
	CHECK(run(AUDIT_ARCH_X86_64, 41, {AF_UNIX, SOCK_STREAM, 0}) == kAllow);
	CHECK(run(AUDIT_ARCH_X86_64, 41, {AF_NETLINK, SOCK_RAW, 0}) == kAllow);
	CHECK(run(AUDIT_ARCH_X86_64, kX32 | 41, {AF_INET, SOCK_STREAM, 0}) == trace(kTagInetSocket));
}

TEST_CASE("x32: the 0x40000000 numbers trap", "[filter]")
{
	CHECK(run(AUDIT_ARCH_X86_64, kX32 | 42) == trace(kTagConnect));
	CHECK(run(AUDIT_ARCH_X86_64, kX32 | 49) == trace(kTagBind));
	CHECK(run(AUDIT_ARCH_X86_64, kX32 | 518) == trace(kTagSendmsg)); // x32's own sendmsg
	CHECK(run(AUDIT_ARCH_X86_64, kX32 | 39) == kAllow);
}

TEST_CASE("an ABI the filter does not list traps as a bad arch", "[filter]")
{
	CHECK(run(AUDIT_ARCH_AARCH64, 203) == trace(kTagBadArch));
	CHECK(run(AUDIT_ARCH_ARM, 283) == trace(kTagBadArch));
	CHECK(run(0x12345678, 0) == trace(kTagBadArch));
}

TEST_CASE("clone(CLONE_UNTRACED) traps, clone3 is refused, io_uring and listeners trap", "[filter]")
{
	CHECK(run(AUDIT_ARCH_X86_64, 56, {CLONE_UNTRACED | 17}) == trace(kTagUntracedClone));
	CHECK(run(AUDIT_ARCH_X86_64, 56, {17}) == kAllow); // fork() through clone
	CHECK(run(AUDIT_ARCH_I386, 120, {CLONE_UNTRACED | 17}) == trace(kTagUntracedClone));
	CHECK(run(AUDIT_ARCH_X86_64, 435) == (SECCOMP_RET_ERRNO | ENOSYS));
	CHECK(run(AUDIT_ARCH_X86_64, 425) == trace(kTagIoUring));
	CHECK(run(AUDIT_ARCH_X86_64, 317, {SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER}) ==
	      trace(kTagSeccompListener));
	CHECK(run(AUDIT_ARCH_X86_64, 317, {SECCOMP_SET_MODE_FILTER, 0}) == kAllow);
}

TEST_CASE("every call that acts on another process traps, whatever its target", "[filter]")
{
	// The supervisor knows the traced tree and the gate; the filter only routes the calls to it.
	const uint32_t access = trace(kTagProcessAccess);
	CHECK(run(AUDIT_ARCH_X86_64, 62, {kGate, 15}) == access);                      // kill(gate)
	CHECK(run(AUDIT_ARCH_X86_64, 62, {1234, 15}) == access);                       // kill(any pid)
	CHECK(run(AUDIT_ARCH_X86_64, 62, {static_cast<uint32_t>(-1), 15}) == access); // kill(-1)
	CHECK(run(AUDIT_ARCH_X86_64, 200, {1234, 15}) == access);                      // tkill
	CHECK(run(AUDIT_ARCH_X86_64, 234, {kGate, kGate, 15}) == access);              // tgkill
	CHECK(run(AUDIT_ARCH_X86_64, 129, {1234, 15, 0}) == access);                   // rt_sigqueueinfo
	CHECK(run(AUDIT_ARCH_X86_64, 297, {1234, 1234, 15, 0}) == access);             // rt_tgsigqueueinfo
	CHECK(run(AUDIT_ARCH_X86_64, 101, {0x4206, 1234}) == access);                  // ptrace(PTRACE_SEIZE)
	CHECK(run(AUDIT_ARCH_X86_64, 310, {1234}) == access);                          // process_vm_readv
	CHECK(run(AUDIT_ARCH_X86_64, 311, {1234}) == access);                          // process_vm_writev
	CHECK(run(AUDIT_ARCH_X86_64, 434, {1234, 0}) == access);                       // pidfd_open
	CHECK(run(AUDIT_ARCH_X86_64, 438, {3, 4, 0}) == access);                       // pidfd_getfd
	CHECK(run(AUDIT_ARCH_X86_64, 424, {3, 15}) == access);                         // pidfd_send_signal
	CHECK(run(AUDIT_ARCH_I386, 37, {1234, 15}) == access);                         // i386 kill
	CHECK(run(AUDIT_ARCH_I386, 26, {16, 1234}) == access);                         // i386 ptrace
	CHECK(run(AUDIT_ARCH_X86_64, 39) == kAllow);                                   // getpid stays untouched
}

TEST_CASE("socket(): packet sockets with a protocol and filtering netlink trap; inet ones as inet", "[filter]")
{
	constexpr int kSocket = 41;
	// Every inet socket traps (kTagInetSocket); the supervisor judges the raw ones.
	CHECK(run(AUDIT_ARCH_X86_64, kSocket, {AF_INET, SOCK_RAW, IPPROTO_ICMP}) == trace(kTagInetSocket));
	CHECK(run(AUDIT_ARCH_X86_64, kSocket, {AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 58}) == trace(kTagInetSocket));
	CHECK(run(AUDIT_ARCH_X86_64, kSocket, {AF_INET, SOCK_PACKET, 0x0300}) == trace(kTagInetSocket));
	CHECK(run(AUDIT_ARCH_X86_64, kSocket, {AF_PACKET, SOCK_RAW, 0x0300}) == trace(kTagSocket));
	CHECK(run(AUDIT_ARCH_X86_64, kSocket, {AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0x0008}) == trace(kTagSocket));
	CHECK(run(AUDIT_ARCH_X86_64, kSocket, {AF_NETLINK, SOCK_RAW, 12}) == trace(kTagSocket)); // NETLINK_NETFILTER
	CHECK(run(AUDIT_ARCH_X86_64, kSocket, {AF_NETLINK, SOCK_RAW, 6}) == trace(kTagSocket));  // NETLINK_XFRM
	CHECK(run(AUDIT_ARCH_X86_64, kSocket | kX32, {AF_PACKET, SOCK_RAW, 0x0300}) == trace(kTagSocket));
	// What ordinary programs make outside the inet families runs untrapped.
	CHECK(run(AUDIT_ARCH_X86_64, kSocket, {AF_UNIX, SOCK_STREAM, 0}) == kAllow);
	CHECK(run(AUDIT_ARCH_X86_64, kSocket, {AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0}) == kAllow); // NETLINK_ROUTE
	CHECK(run(AUDIT_ARCH_X86_64, kSocket, {AF_NETLINK, SOCK_DGRAM, 16}) == kAllow);            // NETLINK_GENERIC
	CHECK(run(AUDIT_ARCH_X86_64, kSocket, {AF_PACKET, SOCK_RAW, 0}) == kAllow);
	// A protocol with its low half 0 and junk above traps, and is judged clean.
	CHECK(run(AUDIT_ARCH_X86_64, kSocket, {AF_PACKET, SOCK_RAW, 0x100000000ull}) == trace(kTagSocket));
}

TEST_CASE("calls that change the packet path trap on their arguments only", "[filter]")
{
	constexpr int kSetsockopt = 54, kIoctl = 16, kBpf = 321, kSetns = 308;
	CHECK(run(AUDIT_ARCH_X86_64, kSetsockopt, {3, IPPROTO_IP, IP_OPTIONS, 0x1000, 12}) == trace(kTagPathSockopt));
	CHECK(run(AUDIT_ARCH_X86_64, kSetsockopt, {3, IPPROTO_IPV6, IPV6_RTHDR, 0x1000, 24}) == trace(kTagPathSockopt));
	CHECK(run(AUDIT_ARCH_X86_64, kSetsockopt, {3, IPPROTO_IPV6, 64, 0x1000, 24}) == trace(kTagPathSockopt));
	CHECK(run(AUDIT_ARCH_X86_64, kSetsockopt, {3, IPPROTO_IP, 1155, 0x1000, 24}) == trace(kTagPathSockopt));
	CHECK(run(AUDIT_ARCH_X86_64, kSetsockopt, {3, SOL_SOCKET, SO_REUSEADDR, 0x1000, 4}) == kAllow);
	CHECK(run(AUDIT_ARCH_X86_64, kSetsockopt, {3, IPPROTO_TCP, 1, 0x1000, 4}) == kAllow); // TCP_NODELAY
	CHECK(run(AUDIT_ARCH_X86_64, kSetsockopt, {3, IPPROTO_IP, IP_TOS, 0x1000, 4}) == kAllow);
	CHECK(run(AUDIT_ARCH_I386, 102, {SYS_SETSOCKOPT, 0x1000}) == trace(kTagPathSockopt));
	CHECK(run(AUDIT_ARCH_X86_64, kIoctl, {3, SIOCADDRT, 0x1000}) == trace(kTagPathIoctl));
	CHECK(run(AUDIT_ARCH_X86_64, kIoctl, {3, 0x400454ca, 0x1000}) == trace(kTagPathIoctl)); // TUNSETIFF
	CHECK(run(AUDIT_ARCH_I386, 54, {3, SIOCSIFFLAGS, 0x1000}) == trace(kTagPathIoctl));
	CHECK(run(AUDIT_ARCH_X86_64, kIoctl, {3, SIOCGIFINDEX, 0x1000}) == kAllow);
	CHECK(run(AUDIT_ARCH_X86_64, kIoctl, {1, 0x5401, 0x1000}) == kAllow); // TCGETS
	CHECK(run(AUDIT_ARCH_X86_64, kBpf, {8}) == trace(kTagPathBpf));  // BPF_PROG_ATTACH
	CHECK(run(AUDIT_ARCH_X86_64, kBpf, {28}) == trace(kTagPathBpf)); // BPF_LINK_CREATE
	CHECK(run(AUDIT_ARCH_X86_64, kBpf, {5}) == kAllow);             // BPF_PROG_LOAD
	CHECK(run(AUDIT_ARCH_X86_64, 175) == trace(kTagPathModule));     // init_module
	CHECK(run(AUDIT_ARCH_X86_64, 313) == trace(kTagPathModule));     // finit_module
	CHECK(run(AUDIT_ARCH_X86_64, kSetns, {3, 0}) == trace(kTagPathSetns));
	CHECK(run(AUDIT_ARCH_X86_64, kSetns, {3, CLONE_NEWNET}) == trace(kTagPathSetns));
	CHECK(run(AUDIT_ARCH_X86_64, kSetns, {3, CLONE_NEWNS}) == kAllow);
	CHECK(run(AUDIT_ARCH_X86_64, 272, {CLONE_NEWNET}) == kAllow); // unshare: a new namespace has no way out
}
