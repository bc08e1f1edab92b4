#include <cerrno>

#include <catch2/catch.hpp>

#include "cli/detector_choice.h"
#include "cli/doctor.h"

using namespace hg;

namespace {

const HealthCheck *find(const std::vector<HealthCheck> &checks, const std::string &name)
{
	for (const HealthCheck &c : checks)
		if (c.check == name)
			return &c;
	return nullptr;
}

} // namespace

TEST_CASE("without PTRACE_GET_SYSCALL_INFO the native tracer is unavailable", "[cli][doctor]")
{
	PtraceAvailability probe;
	probe.ok = false;
	probe.errnum = EIO;
	probe.call = "ptrace(PTRACE_GET_SYSCALL_INFO)";
	probe.reason = "ptrace(PTRACE_GET_SYSCALL_INFO) failed with EIO at a seccomp stop: the gate reads every trapped "
		       "call with PTRACE_GET_SYSCALL_INFO, which needs Linux >= 5.3 (this kernel: 5.2.21)";

	auto checks = probeHealth(probe);
	const HealthCheck *info = find(checks, "syscall_info");
	REQUIRE(info != nullptr);
	CHECK(info->status == HealthStatus::Missing);
	CHECK(info->detail == probe.reason);
	// Seizing and trapping worked: only the request is missing, and doctor says which.
	REQUIRE(find(checks, "ptrace") != nullptr);
	CHECK(find(checks, "ptrace")->status == HealthStatus::Ok);
	CHECK(find(checks, "seccomp_trace")->status == HealthStatus::Ok);
	CHECK_FALSE(tracerUsable(checks));

	// What run and exec then do: fall back, or refuse (exit 4) when strict or asked for ptrace.
	auto fallback = decideDetector(DetectorChoice::Auto, false, probe);
	CHECK(fallback.action == DetectorDecision::Action::UseProc);
	CHECK(fallback.message.find("PTRACE_GET_SYSCALL_INFO") != std::string::npos);
	CHECK(fallback.message.find("Linux >= 5.3") != std::string::npos);
	CHECK(decideDetector(DetectorChoice::Auto, true, probe).action == DetectorDecision::Action::Refuse);
	CHECK(decideDetector(DetectorChoice::Ptrace, false, probe).action == DetectorDecision::Action::Refuse);
}

TEST_CASE("the tracer is usable only when all three of its checks are ok", "[cli][doctor]")
{
	auto row = [](const char *name, HealthStatus st) { return HealthCheck{name, st, ""}; };
	std::vector<HealthCheck> all = {row("ptrace", HealthStatus::Ok), row("seccomp_trace", HealthStatus::Ok),
					row("syscall_info", HealthStatus::Ok), row("x32", HealthStatus::Missing)};
	CHECK(tracerUsable(all));
	all[2].status = HealthStatus::Unknown;
	CHECK_FALSE(tracerUsable(all));
	all.erase(all.begin() + 2); // a list without the check does not pass for one with it
	CHECK_FALSE(tracerUsable(all));

	PtraceAvailability seize;
	seize.call = "ptrace(PTRACE_SEIZE)";
	seize.reason = "ptrace(PTRACE_SEIZE) failed with EPERM: kernel.yama.ptrace_scope=3 forbids ptrace";
	auto checks = probeHealth(seize);
	CHECK(find(checks, "ptrace")->status == HealthStatus::Missing);
	CHECK(find(checks, "syscall_info")->status == HealthStatus::Unknown);
}
