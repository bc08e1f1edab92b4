#include <linux/audit.h>
#include <linux/net.h>
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
