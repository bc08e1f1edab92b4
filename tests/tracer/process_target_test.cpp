#include <sys/ptrace.h>

#include <catch2/catch.hpp>

#include "tracer/process_target.h"

using namespace hg;
using Kind = ProcessTarget::Kind;

namespace {

ProcessTarget of(const char *name, std::initializer_list<uint64_t> list)
{
	uint64_t args[6] = {};
	int i = 0;
	for (uint64_t a : list)
		args[i++] = a;
	return processTargetOf(name, args);
}

} // namespace

TEST_CASE("kill() names a process, a group, the caller's group or every process", "[process_target]")
{
	CHECK(of("kill", {1234, 15}).kind == Kind::Pid);
	CHECK(of("kill", {1234, 15}).id == 1234);
	CHECK(of("kill", {1234, 15}).what == "signal SIGTERM");
	CHECK(of("kill", {0, 15}).kind == Kind::None);
	CHECK(of("kill", {static_cast<uint32_t>(-1), 9}).kind == Kind::AllProcesses);
	auto group = of("kill", {static_cast<uint32_t>(-77), 9});
	CHECK(group.kind == Kind::Group);
	CHECK(group.id == 77);
	// An int argument is read from its low 32 bits: junk in the upper half changes nothing.
	CHECK(of("kill", {0xdead00000000ull | 1234, 0}).id == 1234);
	CHECK(of("kill", {1234, 0}).what == "signal 0 (existence check)");
}

TEST_CASE("the thread and queue signals name their target thread", "[process_target]")
{
	CHECK(of("tkill", {55, 10}).id == 55);
	auto tg = of("tgkill", {50, 55, 10});
	CHECK(tg.kind == Kind::Pid);
	CHECK(tg.id == 55);
	CHECK(of("rt_sigqueueinfo", {50, 10, 0}).id == 50);
	CHECK(of("rt_tgsigqueueinfo", {50, 56, 10, 0}).id == 56);
}

TEST_CASE("ptrace, pidfd and process_vm calls", "[process_target]")
{
	CHECK(of("ptrace", {PTRACE_TRACEME, 0}).kind == Kind::None);
	auto seize = of("ptrace", {PTRACE_SEIZE, 99});
	CHECK(seize.kind == Kind::Pid);
	CHECK(seize.id == 99);
	CHECK(seize.what == "PTRACE_SEIZE");
	CHECK(of("ptrace", {PTRACE_POKEDATA, 99}).what == "PTRACE_POKEDATA");
	CHECK(of("pidfd_open", {99, 0}).id == 99);
	CHECK(of("process_vm_writev", {99}).what == "memory write");
	CHECK(of("process_vm_readv", {99}).what == "memory read");
	auto getfd = of("pidfd_getfd", {7, 3, 0});
	CHECK(getfd.kind == Kind::Pidfd);
	CHECK(getfd.id == 7);
	CHECK(of("pidfd_send_signal", {7, 9}).kind == Kind::Pidfd);
}

TEST_CASE("a call the table does not model is unknown, so judged as aimed outside", "[process_target]")
{
	CHECK(of("kcmp", {1, 2}).kind == Kind::Unknown);
	CHECK(describeTarget(of("kcmp", {1, 2})) == "an unknown target");
	CHECK(describeTarget(of("kill", {static_cast<uint32_t>(-77), 9})) == "process group 77");
}
