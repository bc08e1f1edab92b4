#pragma once
// Argument printers shared by the syscall decoders: tracee reads and the spellings strace
// uses for descriptors, buffers, lengths and arrays.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "strace/format.h"

namespace hg::strace {

// What the decoders of one call need.
struct Ctx {
	Memory &mem;
	const Options &opt;
	const FdPath &fdPath;
	bool compat32;
};

// All `len` bytes at addr, or nullopt when any of them is unreadable.
std::optional<std::vector<uint8_t>> readExact(Memory &mem, uint64_t addr, size_t len);
std::optional<uint32_t> readU32(Memory &mem, uint64_t addr);
std::optional<uint64_t> readU64(Memory &mem, uint64_t addr);

// A pointer-sized word of the tracee's ABI (4 bytes for compat32).
std::optional<uint64_t> readWord(const Ctx &c, uint64_t addr);

// "3", or "3<socket:[123]>" with -y.
std::string fd(const Ctx &c, int fd);

// NULL or 0x7ffd1234.
std::string pointer(uint64_t addr);

// A data buffer of len bytes as strace prints it under -s: "abc", "ab"..., "" (len 0), NULL,
// or the pointer when unreadable.
std::string buffer(const Ctx &c, uint64_t addr, uint64_t len, bool forceHex = false);

// "[16]" or "[128 => 16]": an in/out length as strace prints it.
std::string inOutLen(std::optional<uint32_t> in, uint32_t out);

// Elements of an array printed under -s N: at most N, then "...".
// element(i) prints element i; the list is "[...]" with -s 0.
std::string array(const Ctx &c, size_t count, const std::function<std::string(size_t)> &element);

} // namespace hg::strace

namespace hg::strace {

// The sockaddr at addr of which len bytes are to be shown; NULL, or the pointer when
// unreadable or shorter than sa_family.
std::string sockaddrAt(const Ctx &c, uint64_t addr, uint32_t len);

} // namespace hg::strace
