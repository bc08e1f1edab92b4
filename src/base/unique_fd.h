#pragma once
// UniqueFd: sole owner of a file descriptor, closed on destruction (libcamera's model).

#include <unistd.h>

#include <utility>

namespace hg {

class UniqueFd final {
public:
	UniqueFd() = default;
	explicit UniqueFd(int fd) : fd_(fd) {}
	UniqueFd(UniqueFd &&other) noexcept : fd_(other.release()) {}
	UniqueFd &operator=(UniqueFd &&other) noexcept
	{
		reset(other.release());
		return *this;
	}
	UniqueFd(const UniqueFd &) = delete;
	UniqueFd &operator=(const UniqueFd &) = delete;
	~UniqueFd() { reset(); }

	int get() const { return fd_; }
	bool isValid() const { return fd_ >= 0; }
	explicit operator bool() const { return isValid(); }

	// Gives up ownership; the caller closes the returned fd.
	[[nodiscard]] int release() { return std::exchange(fd_, -1); }

	// Closes the current fd (if any) and takes ownership of fd.
	void reset(int fd = -1)
	{
		int old = std::exchange(fd_, fd);
		if (old >= 0)
			::close(old);
	}

private:
	int fd_ = -1;
};

} // namespace hg
