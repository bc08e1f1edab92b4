#include "evidence/text.h"

#include <cstdint>
#include <cstdio>

namespace hg {

namespace {

// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF), or 0 if there is none.
size_t sequenceLength(std::string_view s, size_t i)
{
	auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
	auto cont = [&](size_t k) { return k < s.size() && (byte(k) & 0xc0) == 0x80; };
	uint8_t b = byte(i);
	if (b < 0x80)
		return 1;
	if (b >= 0xc2 && b <= 0xdf)
		return cont(i + 1) ? 2 : 0;
	if (b >= 0xe0 && b <= 0xef) {
		if (!cont(i + 1) || !cont(i + 2))
			return 0;
		uint8_t b1 = byte(i + 1);
		if ((b == 0xe0 && b1 < 0xa0) || (b == 0xed && b1 >= 0xa0))
			return 0;
		return 3;
	}
	if (b >= 0xf0 && b <= 0xf4) {
		if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3))
			return 0;
		uint8_t b1 = byte(i + 1);
		if ((b == 0xf0 && b1 < 0x90) || (b == 0xf4 && b1 >= 0x90))
			return 0;
		return 4;
	}
	return 0;
}

} // namespace

std::string validUtf8(std::string_view s)
{
	std::string out;
	out.reserve(s.size());
	for (size_t i = 0; i < s.size();) {
		size_t len = sequenceLength(s, i);
		if (len) {
			out.append(s.substr(i, len));
			i += len;
			continue;
		}
		char hex[5];
		std::snprintf(hex, sizeof(hex), "\\x%02x", static_cast<uint8_t>(s[i]));
		out += hex;
		i++;
	}
	return out;
}

} // namespace hg
