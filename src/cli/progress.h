#pragma once
// Live progress of `run` (issue 14): while a step runs, one status line with its elapsed time,
// the processes of its tree alive, the network calls trapped and the violations so far.
// On a terminal the line is redrawn in place a few times a second and erased when the step
// ends; in a CI log (no terminal) a plain line is printed every --progress-every seconds
// (30 by default) for a step that runs longer than that. Only standard error is written:
// the evidence files never see any of it.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace hg {

enum class ProgressMode { Auto, Always, Never };

// "auto", "always", "never"; nullopt for anything else.
std::optional<ProgressMode> parseProgressMode(std::string_view name);

// What the tracer's thread counts and the progress thread reads.
struct LiveCounters {
	std::atomic<uint64_t> calls{0};
	std::atomic<uint64_t> violations{0};
	std::atomic<int64_t> alive{-1}; // processes of the tree alive; -1 until the detector says
};

struct ProgressSnapshot {
	std::chrono::milliseconds elapsed{0};
	uint64_t calls = 0;
	uint64_t violations = 0;
	int64_t alive = -1;
};

// "unit: 12.3 s, 5 processes, 42 network calls, 1 violation" (counts in the singular where
// they are 1; the processes left out while unknown).
std::string progressText(const std::string &step, const ProgressSnapshot &s);

class Progress {
public:
	// fd: where to draw (standard error). inPlace: redraw one line (a terminal, or
	// --progress always); else a plain line every plainEvery. Never: nothing at all.
	Progress(ProgressMode mode, int fd, std::chrono::milliseconds plainEvery);
	~Progress();
	Progress(const Progress &) = delete;
	Progress &operator=(const Progress &) = delete;

	// A step starts: the progress thread watches counters until end().
	void begin(const std::string &step, const LiveCounters &counters);
	// The step is over: the thread stops and the status line is erased.
	void end();
	// Held while another line is written to fd: the status line is erased first and drawn
	// again at the next tick.
	std::unique_lock<std::mutex> holdForOutput();

	bool inPlace() const { return inPlace_; }
	bool active() const { return mode_ != ProgressMode::Never; }

private:
	void loop();
	void draw(const std::string &text); // with mutex_ held
	void erase();                       // with mutex_ held

	ProgressMode mode_;
	int fd_;
	bool inPlace_;
	std::chrono::milliseconds plainEvery_;
	std::mutex mutex_;
	std::condition_variable wake_;
	bool stop_ = false;
	bool drawn_ = false;
	std::string step_;
	const LiveCounters *counters_ = nullptr;
	std::chrono::steady_clock::time_point started_;
	std::thread thread_;
};

} // namespace hg
