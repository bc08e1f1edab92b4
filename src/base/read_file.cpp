#include "base/read_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace hg {

Expected<std::string> readWholeFile(const std::string &path, const char *what, const char *fix)
{
	std::ifstream in(path, std::ios::binary);
	if (!in) {
		std::string msg = path;
		return Error::msg(msg.append(": cannot read ").append(what).append(": ").append(std::strerror(errno)).append(fix));
	}
	std::ostringstream ss;
	ss << in.rdbuf();
	if (in.bad()) {
		std::string msg = path;
		return Error::msg(msg.append(": cannot read ").append(what).append(fix));
	}
	return ss.str();
}

} // namespace hg
