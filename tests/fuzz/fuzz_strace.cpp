// libFuzzer target: arbitrary tracee memory and arguments through the strace printer of
// every %network syscall, in both ABIs. The printer must never crash, read outside what
// Memory returned, or print an empty line.
//
// Input layout: [syscall index][compat32][-s][ret selector] then six 8-byte arguments,
// then the bytes of tracee memory mapped at kBase.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "strace/format.h"

namespace {

constexpr uint64_t kBase = 0x10000;
constexpr size_t kHeader = 4 + 6 * 8;

class InputMemory final : public hg::strace::Memory {
public:
	InputMemory(const uint8_t *data, size_t size) : data_(data), size_(size) {}

	std::vector<uint8_t> read(uint64_t addr, size_t len) override
	{
		if (addr < kBase || addr - kBase >= size_)
			return {};
		const size_t off = static_cast<size_t>(addr - kBase);
		const size_t n = len < size_ - off ? len : size_ - off;
		return { data_ + off, data_ + off + n };
	}

private:
	const uint8_t *data_;
	size_t size_;
};

void check(bool ok)
{
	if (!ok)
		__builtin_trap();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < kHeader)
		return 0;
	const auto &names = hg::strace::networkSyscalls();
	hg::strace::Call call;
	call.name = names[data[0] % names.size()];
	call.compat32 = data[1] & 1;
	hg::strace::Options opt{ static_cast<size_t>(data[2] % 40), (data[1] & 2) != 0 };
	// Arguments point into the memory region, at an offset the input chooses.
	for (size_t i = 0; i < 6; i++) {
		uint64_t a;
		std::memcpy(&a, data + 4 + i * 8, sizeof(a));
		call.args[i] = (a & 1) ? kBase + (a >> 1) % (size - kHeader + 1) : a >> 1;
	}
	const long rets[] = { 0, 1, 7, 4096, -11, -512, -4095, -4096 };
	std::optional<long> ret;
	if (data[3] % 9 < 8)
		ret = rets[data[3] % 9];

	InputMemory mem(data + kHeader, size - kHeader);
	hg::strace::FdPath fdPath = [](int fd) { return fd == 3 ? std::string("socket:[1]") : std::string(); };
	hg::strace::Entry e = hg::strace::onEntry(call, mem, opt, fdPath);
	std::string line = hg::strace::onExit(call, e, ret, mem, opt, fdPath, 6);
	check(line.rfind(call.name + "(", 0) == 0);
	check(line.find(" = ") != std::string::npos || line.find("= ") != std::string::npos);
	return 0;
}
