// shellJoin: one display spelling for a command, shared by the policy's step commands
// and report.md. Checked by handing the line back to /bin/sh: it must split into the
// same words, whatever the arguments hold.

#include <catch2/catch.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "base/shell_quote.h"

using namespace hg;

namespace {

// The words /bin/sh makes of `line`, read back one per NUL.
std::vector<std::string> shellSplit(const std::string &line)
{
	std::string cmd = "/bin/sh -c 'for a in \"$@\"; do printf \"%s\\0\" \"$a\"; done' sh " + line;
	FILE *p = popen(cmd.c_str(), "r");
	REQUIRE(p != nullptr);
	std::string out;
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		out.append(buf, n);
	pclose(p);
	std::vector<std::string> words;
	size_t start = 0;
	for (size_t i = 0; i < out.size(); i++) {
		if (out[i] == '\0') {
			words.push_back(out.substr(start, i - start));
			start = i + 1;
		}
	}
	return words;
}

} // namespace

TEST_CASE("plain arguments stay bare, others are single-quoted", "[shell_quote]")
{
	CHECK(shellJoin({"make", "-j2", "test"}) == "make -j2 test");
	CHECK(shellJoin({"cc", "-DX=1", "a/b.c", "user@host:1,2%+"}) == "cc -DX=1 a/b.c user@host:1,2%+");
	CHECK(shellJoin({"sh", "-c", "echo hi"}) == "sh -c 'echo hi'");
	CHECK(shellJoin({""}) == "''");
	CHECK(shellJoin({"it's"}) == "'it'\\''s'");
	CHECK(shellJoin({"*.c", "a;b", "$HOME", "`x`", "a|b", "~"}) == "'*.c' 'a;b' '$HOME' '`x`' 'a|b' '~'");
	CHECK(shellJoin({}).empty());
}

TEST_CASE("a joined command splits back into the same words", "[shell_quote]")
{
	std::vector<std::vector<std::string>> cases = {
		{"make", "test"},
		{"sh", "-c", "echo 'quoted' \"double\" $VAR && ls *"},
		{"", "two words", "tab\there", "new\nline", "back\\slash", "'", "''", "a'b'c"},
		{"#comment", "{a,b}", "[x]", "!bang", "semi;colon", "amp&", "<in", ">out", "(sub)"},
	};
	for (const auto &argv : cases) {
		INFO(shellJoin(argv));
		CHECK(shellSplit(shellJoin(argv)) == argv);
	}
}
