#pragma once
// A scripted tracee address space for decoder tests: byte ranges at chosen addresses,
// EFAULT everywhere else, short reads at the end of a range (like the end of a mapping).

#include <cerrno>
#include <cstring>
#include <map>
#include <vector>

#include "tracer/syscall_decoder.h"

class FakeMemory final : public hg::MemoryReader {
public:
	void put(uint64_t addr, const void *data, size_t len)
	{
		auto *b = static_cast<const uint8_t *>(data);
		regions_[addr] = std::vector<uint8_t>(b, b + len);
	}
	ssize_t read(uint64_t addr, void *buf, size_t len) override
	{
		for (auto &[base, bytes] : regions_) {
			if (addr >= base && addr < base + bytes.size()) {
				size_t n = std::min<size_t>(len, base + bytes.size() - addr);
				std::memcpy(buf, bytes.data() + (addr - base), n);
				return static_cast<ssize_t>(n);
			}
		}
		return -EFAULT;
	}

private:
	std::map<uint64_t, std::vector<uint8_t>> regions_;
};
