#include "base/strace_quote.h"

#include <cstdio>

namespace hg::strace {

namespace {

const char *simpleEscape(unsigned char c)
{
	switch (c) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\f':
		return "\\f";
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	case '\v':
		return "\\v";
	default:
		return nullptr;
	}
}

} // namespace

std::string escape(std::string_view bytes, bool forceHex)
{
	std::string out;
	out.reserve(bytes.size());
	for (size_t i = 0; i < bytes.size(); i++) {
		unsigned char c = static_cast<unsigned char>(bytes[i]);
		char esc[8];
		if (forceHex) {
			std::snprintf(esc, sizeof(esc), "\\x%02x", c);
			out += esc;
			continue;
		}
		if (const char *simple = simpleEscape(c)) {
			out += simple;
			continue;
		}
		if (c >= ' ' && c <= '~') {
			out += static_cast<char>(c);
			continue;
		}
		// The shortest octal form, unless the next character is itself an octal digit
		// and would be read as part of it (observed: "\0\1\18" and "\0001").
		bool nextIsDigit = i + 1 < bytes.size() && bytes[i + 1] >= '0' && bytes[i + 1] <= '7';
		std::snprintf(esc, sizeof(esc), nextIsDigit ? "\\%03o" : "\\%o", c);
		out += esc;
	}
	return out;
}

std::string quoted(std::string_view shown, size_t len, bool forceHex)
{
	// Appended, not "\"" + ...: GCC 12 at -O3 warns (-Wrestrict) on that operator+.
	std::string out = "\"";
	out.append(escape(shown, forceHex)).append("\"");
	if (len > shown.size())
		out += "...";
	return out;
}

} // namespace hg::strace
