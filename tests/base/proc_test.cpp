#include <signal.h>

#include <cerrno>

#include <catch2/catch.hpp>

#include "base/proc.h"

using namespace hg;

TEST_CASE("names errno values", "[base][proc]")
{
	CHECK(errnoName(EPERM) == "EPERM");
	CHECK(errnoName(ENOSYS) == "ENOSYS");
	CHECK(errnoName(123456) == "123456");
}
