#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "policy/env.h"

// The README documents the built-in sensitive environment names; it must list every
// one of them, so the documentation cannot fall behind the code.
TEST_CASE("README lists every built-in sensitive environment name", "[docs]")
{
	const char *path = std::getenv("HG_README");
	REQUIRE(path != nullptr);
	std::ifstream in(path);
	REQUIRE(in.good());
	std::stringstream ss;
	ss << in.rdbuf();
	const std::string readme = ss.str();
	for (std::string_view name : hg::kSensitiveEnvNames) {
		INFO("missing from README: " << name);
		const std::string quoted = std::string("`").append(name).append("`"); // GCC 12 PR105329
		CHECK(readme.find(quoted) != std::string::npos);
	}
}
