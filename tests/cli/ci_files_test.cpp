// fileTail: the lines of a step's stderr.txt the JUnit report shows.

#include <catch2/catch.hpp>

#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "cli/ci_files.h"

using hg::fileTail;

namespace {

std::string tempFileWith(const std::string &text)
{
	char path[] = "/tmp/hg-tail-XXXXXX";
	int fd = mkstemp(path);
	REQUIRE(fd >= 0);
	close(fd);
	std::ofstream(path, std::ios::binary) << text;
	return path;
}

} // namespace

TEST_CASE("fileTail keeps the last lines, the last bytes at most", "[cli][ci]")
{
	std::string text;
	for (int i = 1; i <= 60; i++)
		text += "line " + std::to_string(i) + "\n";
	std::string path = tempFileWith(text);
	std::string tail = fileTail(path, 50, 1 << 20);
	CHECK(tail.rfind("line 11\n", 0) == 0);
	CHECK(tail.size() == text.size() - text.find("line 11\n"));
	CHECK(fileTail(path, 100, 1 << 20) == text);
	CHECK(fileTail(path, 50, 8) == "line 60\n"); // only the last 8 bytes read
	unlink(path.c_str());

	std::string unterminated = tempFileWith("a\nb\nc");
	CHECK(fileTail(unterminated, 2, 1024) == "b\nc");
	unlink(unterminated.c_str());

	CHECK(fileTail("/nonexistent/stderr.txt", 50, 1024) == "");
	std::string empty = tempFileWith("");
	CHECK(fileTail(empty, 50, 1024) == "");
	unlink(empty.c_str());
}
