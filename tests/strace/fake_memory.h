#pragma once
// Tracee memory and calls for the printer's tests: bytes placed at chosen addresses (the
// addresses strace printed, so expected lines are copied verbatim); everything else unreadable.

#include <cstdint>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "strace/format.h"

namespace hg::test {

class FakeMemory final : public strace::Memory {
public:
	std::vector<uint8_t> read(uint64_t addr, size_t len) override
	{
		std::vector<uint8_t> out;
		for (auto it = bytes_.find(addr); it != bytes_.end() && out.size() < len && it->first == addr + out.size(); ++it)
			out.push_back(it->second);
		return out;
	}

	void put(uint64_t addr, const std::vector<uint8_t> &bytes)
	{
		for (size_t i = 0; i < bytes.size(); i++)
			bytes_[addr + i] = bytes[i];
	}

	template<typename T>
	void putValue(uint64_t addr, const T &value)
	{
		std::vector<uint8_t> v(sizeof(T));
		std::memcpy(v.data(), &value, sizeof(T));
		put(addr, std::move(v));
	}

	void putText(uint64_t addr, std::string_view text) { put(addr, { text.begin(), text.end() }); }

private:
	std::map<uint64_t, uint8_t> bytes_; // sparse: overlapping writes behave as in a real address space
};

// A tracee for one test: its memory, the printer's options, and the -y names.
struct Tracee {
	FakeMemory mem;
	strace::Options opt{ 32, false }; // strace's own default -s 32 unless a test says otherwise
	strace::FdPath fdPath;

	// The line after strace's "622   " pid prefix; `during` changes memory as the call would.
	std::string line(const strace::Call &c, std::optional<long> ret, const std::function<void()> &during = {})
	{
		strace::Entry e = strace::onEntry(c, mem, opt, fdPath);
		if (during)
			during();
		return strace::onExit(c, e, ret, mem, opt, fdPath, 6);
	}
};

inline strace::Call call(const char *name, std::initializer_list<uint64_t> args, bool compat32 = false)
{
	strace::Call c;
	c.name = name;
	c.compat32 = compat32;
	size_t i = 0;
	for (uint64_t a : args)
		c.args[i++] = a;
	return c;
}

} // namespace hg::test
