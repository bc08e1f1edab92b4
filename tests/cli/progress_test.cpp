#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "cli/progress.h"

using namespace std::chrono_literals;

namespace {

// Reads what is in the pipe now.
std::string drain(int fd)
{
	std::string out;
	char buf[4096];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		out.append(buf, static_cast<size_t>(n));
	return out;
}

struct Pipe {
	int fds[2] = {-1, -1};
	Pipe() { REQUIRE(pipe2(fds, O_NONBLOCK | O_CLOEXEC) == 0); }
	~Pipe()
	{
		close(fds[0]);
		close(fds[1]);
	}
};

size_t count(const std::string &s, const std::string &what)
{
	size_t n = 0;
	for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1))
		n++;
	return n;
}

} // namespace

TEST_CASE("progress text: step, time, processes, calls, violations", "[progress]")
{
	hg::ProgressSnapshot s;
	s.elapsed = 12345ms;
	s.alive = 5;
	s.calls = 42;
	s.violations = 2;
	CHECK(hg::progressText("unit", s) == "unit: 12.3 s, 5 processes, 42 network calls, 2 violations");
	s.alive = 1;
	s.calls = 1;
	s.violations = 1;
	s.elapsed = 50ms;
	CHECK(hg::progressText("e2e", s) == "e2e: 0.1 s, 1 process, 1 network call, 1 violation");
	s.alive = -1; // not known (yet)
	s.calls = 0;
	s.violations = 0;
	CHECK(hg::progressText("x", s) == "x: 0.1 s, 0 network calls, 0 violations");
}

TEST_CASE("progress modes parse", "[progress]")
{
	CHECK(hg::parseProgressMode("auto") == hg::ProgressMode::Auto);
	CHECK(hg::parseProgressMode("always") == hg::ProgressMode::Always);
	CHECK(hg::parseProgressMode("never") == hg::ProgressMode::Never);
	CHECK_FALSE(hg::parseProgressMode("yes").has_value());
}

TEST_CASE("progress in a log: a plain line every period, nothing in place", "[progress]")
{
	Pipe p;
	hg::LiveCounters counters;
	counters.alive = 3;
	counters.calls = 7;
	hg::Progress progress(hg::ProgressMode::Auto, p.fds[1], 100ms);
	CHECK_FALSE(progress.inPlace()); // a pipe is no terminal
	progress.begin("build", counters);
	std::this_thread::sleep_for(350ms);
	progress.end();
	std::string out = drain(p.fds[0]);
	INFO(out);
	CHECK(count(out, "\n") >= 2);
	CHECK(count(out, "\n") <= 4);
	CHECK(out.rfind("hermetic-gate: step build: 0.1 s, 3 processes, 7 network calls, 0 violations (still running)\n", 0) == 0);
	CHECK(out.find('\r') == std::string::npos);
}

TEST_CASE("progress in place: redrawn, erased for other output and at the end", "[progress]")
{
	Pipe p;
	hg::LiveCounters counters;
	hg::Progress progress(hg::ProgressMode::Always, p.fds[1], 30s);
	REQUIRE(progress.inPlace());
	progress.begin("unit", counters);
	std::this_thread::sleep_for(600ms); // two redraws, 250 ms apart
	{
		auto hold = progress.holdForOutput();
		REQUIRE(write(p.fds[1], "VIOLATION\n", 10) == 10);
	}
	counters.violations = 1;
	std::this_thread::sleep_for(300ms);
	progress.end();
	std::string out = drain(p.fds[0]);
	INFO(out);
	CHECK(count(out, "\r\x1b[Khermetic-gate: step unit: ") >= 3);
	// The other line starts on an erased line, and the line drawn after it counts the violation.
	CHECK(out.find("\r\x1b[KVIOLATION\n") != std::string::npos);
	CHECK(out.find("1 violation", out.find("VIOLATION")) != std::string::npos);
	// The status line is gone at the end.
	CHECK(out.size() >= 4);
	CHECK(out.substr(out.size() - 4) == "\r\x1b[K");
}

TEST_CASE("progress never: nothing", "[progress]")
{
	Pipe p;
	hg::LiveCounters counters;
	hg::Progress progress(hg::ProgressMode::Never, p.fds[1], 10ms);
	progress.begin("x", counters);
	std::this_thread::sleep_for(100ms);
	progress.end();
	CHECK(drain(p.fds[0]).empty());
}
