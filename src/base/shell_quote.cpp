#include "base/shell_quote.h"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace hg {

std::string shellQuote(const std::string &arg)
{
	bool plain = !arg.empty() && std::all_of(arg.begin(), arg.end(), [](char c) {
		return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("@%+=:,./_-", c);
	});
	if (plain)
		return arg;
	std::string out = "'";
	for (char c : arg) {
		if (c == '\'')
			out += "'\\''";
		else
			out += c;
	}
	out += '\'';
	return out;
}

std::string shellJoin(const std::vector<std::string> &argv)
{
	std::string out;
	for (const std::string &arg : argv) {
		if (!out.empty())
			out += ' ';
		out += shellQuote(arg);
	}
	return out;
}

} // namespace hg
