#include <catch2/catch.hpp>

#include "procpoll/limits.h"

using namespace hg;

TEST_CASE("limits name the interval", "[procpoll][limits]")
{
	auto limits = procPollLimits(20);
	REQUIRE(limits.size() == std::size(kProcPollLimits));
	CHECK(limits[1] == "a connection opened and closed between two polls (every 20 ms) is missed; so is a process that lives shorter than one interval");
	CHECK(procPollLimits(5)[1].find("(every 5 ms)") != std::string::npos);
	for (const std::string &l : limits) {
		CHECK_FALSE(l.empty());
		CHECK(l.find('\n') == std::string::npos);
	}
}
