#include <cerrno>

#include <catch2/catch.hpp>

#include "cli/detector_choice.h"

using namespace hg;

TEST_CASE("detector decision table", "[cli][detector]")
{
	PtraceAvailability ok;
	ok.ok = true;
	PtraceAvailability bad;
	bad.errnum = EPERM;
	bad.call = "ptrace(PTRACE_SEIZE)";
	bad.reason = "ptrace(PTRACE_SEIZE) failed with EPERM: kernel.yama.ptrace_scope=3 forbids ptrace";
	using A = DetectorDecision::Action;

	CHECK(decideDetector(DetectorChoice::Auto, false, ok).action == A::UsePtrace);
	CHECK(decideDetector(DetectorChoice::Auto, true, ok).action == A::UsePtrace);
	CHECK(decideDetector(DetectorChoice::Auto, false, ok).detector == "ptrace");

	auto fallback = decideDetector(DetectorChoice::Auto, false, bad);
	CHECK(fallback.action == A::UseProc);
	CHECK(fallback.detector == "proc-poll");
	CHECK(fallback.message.find(bad.reason) != std::string::npos);
	CHECK(fallback.message.find("weaker") != std::string::npos);

	auto strict = decideDetector(DetectorChoice::Auto, true, bad);
	CHECK(strict.action == A::Refuse);
	CHECK(strict.detector.empty());
	CHECK(strict.message == "strict mode: the ptrace detector cannot run: " + bad.reason + "; nothing ran");
	CHECK(strict.message.find('\n') == std::string::npos);

	CHECK(decideDetector(DetectorChoice::Ptrace, false, bad).action == A::Refuse);
	CHECK(decideDetector(DetectorChoice::Ptrace, false, ok).action == A::UsePtrace);
	CHECK(decideDetector(DetectorChoice::Proc, false, ok).action == A::UseProc);
	CHECK(decideDetector(DetectorChoice::Proc, true, ok).action == A::Conflict);

	CHECK(*parseDetectorChoice("auto") == DetectorChoice::Auto);
	CHECK(*parseDetectorChoice("ptrace") == DetectorChoice::Ptrace);
	CHECK(*parseDetectorChoice("proc") == DetectorChoice::Proc);
	auto badChoice = parseDetectorChoice("strace");
	REQUIRE_FALSE(badChoice);
	CHECK(badChoice.error().message == "unknown detector 'strace' (use auto, ptrace or proc)");
	CHECK(std::string(detectorChoiceName(DetectorChoice::Proc)) == "proc");
}
