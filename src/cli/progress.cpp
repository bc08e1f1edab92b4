#include "cli/progress.h"

#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>

namespace hg {

namespace {

// How often the line is redrawn on a terminal.
constexpr std::chrono::milliseconds kRedrawPeriod{250};
// Erase the current terminal line and go back to its start.
constexpr std::string_view kEraseLine = "\r\x1b[K";

std::string counted(uint64_t n, const char *one, const char *many)
{
	return std::to_string(n) + " " + (n == 1 ? one : many);
}

void writeAll(int fd, std::string_view text)
{
	while (!text.empty()) {
		ssize_t n = ::write(fd, text.data(), text.size());
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; // a closed or full stderr: progress is not worth failing the run for
		text.remove_prefix(static_cast<size_t>(n));
	}
}

// The terminal's width, so the line never wraps (a wrapped line cannot be redrawn in place).
size_t terminalWidth(int fd)
{
	winsize ws{};
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

} // namespace

std::optional<ProgressMode> parseProgressMode(std::string_view name)
{
	if (name == "auto")
		return ProgressMode::Auto;
	if (name == "always")
		return ProgressMode::Always;
	if (name == "never")
		return ProgressMode::Never;
	return std::nullopt;
}

std::string progressText(const std::string &step, const ProgressSnapshot &s)
{
	char secs[32];
	std::snprintf(secs, sizeof(secs), "%.1f s", static_cast<double>(s.elapsed.count()) / 1000.0);
	std::string text = step + ": " + secs;
	if (s.alive >= 0)
		text += ", " + counted(static_cast<uint64_t>(s.alive), "process", "processes");
	text += ", " + counted(s.calls, "network call", "network calls");
	text += ", " + counted(s.violations, "violation", "violations");
	return text;
}

Progress::Progress(ProgressMode mode, int fd, std::chrono::milliseconds plainEvery)
	: mode_(mode), fd_(fd), inPlace_(mode == ProgressMode::Always || (mode == ProgressMode::Auto && isatty(fd))),
	  plainEvery_(plainEvery)
{
}

Progress::~Progress()
{
	end();
}

void Progress::begin(const std::string &step, const LiveCounters &counters)
{
	end();
	if (mode_ == ProgressMode::Never)
		return;
	std::lock_guard<std::mutex> lock(mutex_);
	step_ = step;
	counters_ = &counters;
	started_ = std::chrono::steady_clock::now();
	stop_ = false;
	// The thread takes no signal: SIGCHLD must stay pending for the tracer's signalfd, and
	// the timeout and stop signals must reach the main thread's handlers. A new thread starts
	// with its creator's mask, so every signal is blocked around its creation.
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	thread_ = std::thread([this] { loop(); });
	pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

void Progress::end()
{
	{
		std::lock_guard<std::mutex> lock(mutex_);
		stop_ = true;
	}
	wake_.notify_all();
	if (thread_.joinable())
		thread_.join();
	std::lock_guard<std::mutex> lock(mutex_);
	erase();
}

std::unique_lock<std::mutex> Progress::holdForOutput()
{
	std::unique_lock<std::mutex> lock(mutex_);
	erase();
	return lock;
}

void Progress::erase()
{
	if (drawn_)
		writeAll(fd_, kEraseLine);
	drawn_ = false;
}

void Progress::draw(const std::string &text)
{
	if (!inPlace_) {
		writeAll(fd_, "hermetic-gate: step " + text + " (still running)\n");
		return;
	}
	std::string line = "hermetic-gate: step " + text;
	size_t width = terminalWidth(fd_);
	if (line.size() >= width)
		line.resize(width - 1);
	writeAll(fd_, std::string(kEraseLine).append(line));
	drawn_ = true;
}

void Progress::loop()
{
	std::unique_lock<std::mutex> lock(mutex_);
	auto period = inPlace_ ? kRedrawPeriod : plainEvery_;
	auto next = started_ + period;
	while (!stop_) {
		if (wake_.wait_until(lock, next, [this] { return stop_; }))
			break;
		ProgressSnapshot s;
		s.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_);
		s.calls = counters_->calls.load(std::memory_order_relaxed);
		s.violations = counters_->violations.load(std::memory_order_relaxed);
		s.alive = counters_->alive.load(std::memory_order_relaxed);
		draw(progressText(step_, s));
		next += period;
	}
}

} // namespace hg
