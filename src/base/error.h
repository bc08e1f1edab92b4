#pragma once
// Error values that say what failed and where, and Expected<T> to carry them
// (std::expected is C++23; this is the small subset the project needs).

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <variant>

namespace hg {

struct Error {
	int errnum = 0;      // errno captured where the call failed, 0 if not a system error
	std::string message; // "ptrace(PTRACE_GETREGS, pid=42): No such process"

	// Builds an Error from the current errno: what = the call and its arguments.
	static Error fromErrno(const std::string &what)
	{
		int e = errno;
		return Error{e, what + ": " + std::strerror(e)};
	}
	static Error msg(std::string message) { return Error{0, std::move(message)}; }
};

template<typename T>
class [[nodiscard]] Expected {
public:
	Expected(T value) : v_(std::move(value)) {}
	Expected(Error error) : v_(std::move(error)) {}

	bool ok() const { return v_.index() == 0; }
	explicit operator bool() const { return ok(); }
	T &value() { return std::get<0>(v_); }
	const T &value() const { return std::get<0>(v_); }
	T &operator*() { return value(); }
	const T &operator*() const { return value(); }
	T *operator->() { return &value(); }
	const T *operator->() const { return &value(); }
	const Error &error() const { return std::get<1>(v_); }

private:
	std::variant<T, Error> v_;
};

template<>
class [[nodiscard]] Expected<void> {
public:
	Expected() = default;
	Expected(Error error) : err_(std::move(error)), ok_(false) {}
	bool ok() const { return ok_; }
	explicit operator bool() const { return ok_; }
	const Error &error() const { return err_; }

private:
	Error err_;
	bool ok_ = true;
};

} // namespace hg
