#include <algorithm>

#include <catch2/catch.hpp>

#include "cli/strace_command.h"

using hg::parseStraceArgs;

namespace {

std::vector<std::string> sortedNetwork()
{
	std::vector<std::string> all = hg::strace::networkSyscalls();
	std::sort(all.begin(), all.end());
	return all;
}

std::string errorOf(const std::vector<std::string> &args)
{
	auto a = parseStraceArgs(args);
	return a ? std::string("parsed") : a.error().message;
}

} // namespace

TEST_CASE("strace options: the old gate's command line", "[strace]")
{
	auto a = parseStraceArgs({"-f", "-e", "trace=network", "-o", "net.log", "make", "test", "-j4"});
	REQUIRE(a);
	CHECK(a->tap.follow);
	CHECK_FALSE(a->tap.perTask);
	CHECK(a->tap.output == "net.log");
	CHECK(a->tap.print.strsize == 0);
	CHECK(a->tap.syscalls == sortedNetwork());
	CHECK(a->command == std::vector<std::string>{"make", "test", "-j4"});
}

TEST_CASE("strace options: grouped, attached and separate values", "[strace]")
{
	auto a = parseStraceArgs({"-ffqq", "-s32", "-oout", "-ytt", "-e", "connect,sendto", "--seccomp-bpf", "cmd"});
	REQUIRE(a);
	CHECK(a->tap.follow);
	CHECK(a->tap.perTask);
	CHECK(a->tap.quiet == 2);
	CHECK(a->tap.print.strsize == 32);
	CHECK(a->tap.print.decodeFds);
	CHECK(a->tap.timestamps == 2);
	CHECK(a->tap.output == "out");
	CHECK(a->tap.syscalls == std::vector<std::string>{"connect", "sendto"});
	CHECK_FALSE(a->live);

	auto b = parseStraceArgs({"-e", "t=%net,?nosuchcall", "--hermetic-live", "--", "-cmd"});
	REQUIRE(b);
	CHECK(b->tap.syscalls == sortedNetwork());
	CHECK(b->live);
	CHECK(b->command == std::vector<std::string>{"-cmd"});
}

TEST_CASE("strace options: -ff without -o is -f; options end at the command", "[strace]")
{
	auto a = parseStraceArgs({"-ff", "cmd", "-o", "x"});
	REQUIRE(a);
	CHECK(a->tap.follow);
	CHECK_FALSE(a->tap.perTask);
	CHECK(a->tap.output.empty());
	CHECK(a->command == std::vector<std::string>{"cmd", "-o", "x"});
}

TEST_CASE("strace options: what the drop-in refuses names the option", "[strace]")
{
	CHECK(errorOf({"-p", "1"}) == "option -p is not supported by the strace drop-in (see hermetic-gate strace --help)");
	CHECK(errorOf({"-c", "true"}).rfind("option -c is not supported", 0) == 0);
	CHECK(errorOf({"-e", "trace=openat", "true"}) ==
	      "option -e trace=openat: 'openat' is not a network syscall; the drop-in traces %network syscalls only "
	      "(see hermetic-gate strace --help)");
	CHECK(errorOf({"-e", "signal=none", "true"}).rfind("option -e signal=none: only -e trace=", 0) == 0);
	CHECK(errorOf({"-o"}).rfind("option -o needs a value", 0) == 0);
	CHECK(errorOf({"-s", "-1", "true"}).rfind("option -s -1: expected a number", 0) == 0);
	CHECK(errorOf({"-s", "12x", "true"}).rfind("option -s 12x", 0) == 0);
	CHECK(errorOf({"-yy", "true"}).rfind("option -yy", 0) == 0);
	CHECK(errorOf({"-fff", "true"}).rfind("option -fff", 0) == 0);
	CHECK(errorOf({"--summary", "true"}).rfind("option --summary is not supported", 0) == 0);
	CHECK(errorOf({"-f"}).rfind("must have CMD", 0) == 0);
	CHECK(errorOf({}).rfind("must have CMD", 0) == 0);
	CHECK(errorOf({"--help"}) == "parsed");
}
