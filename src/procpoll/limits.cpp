#include "procpoll/limits.h"

namespace hg {

std::vector<std::string> procPollLimits(int intervalMs)
{
	std::vector<std::string> out;
	const std::string interval = "(every " + std::to_string(intervalMs) + " ms)";
	for (std::string_view l : kProcPollLimits) {
		std::string line(l);
		const std::string marker = "(see the interval)";
		if (size_t at = line.find(marker); at != std::string::npos)
			line.replace(at, marker.size(), interval);
		out.push_back(std::move(line));
	}
	return out;
}

} // namespace hg
