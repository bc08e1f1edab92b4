#pragma once
// Loads of integers from byte buffers copied out of a tracee, which need not be aligned.

#include <cstdint>
#include <cstring>

namespace hg {

template<typename T>
T loadUnaligned(const uint8_t *p)
{
	T v;
	std::memcpy(&v, p, sizeof(v));
	return v;
}

inline uint16_t load16(const uint8_t *p)
{
	return loadUnaligned<uint16_t>(p);
}

inline uint32_t load32(const uint8_t *p)
{
	return loadUnaligned<uint32_t>(p);
}

inline uint64_t load64(const uint8_t *p)
{
	return loadUnaligned<uint64_t>(p);
}

} // namespace hg
