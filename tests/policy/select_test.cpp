// selectSteps: which steps --step picks, and the error for ids the file lacks.

#include <catch2/catch.hpp>

#include "policy/loader.h"

using namespace hg;

namespace {

Policy threeSteps()
{
	const char *text = R"(version: 1
hermetic_steps:
  - {id: lint, run: make lint}
  - {id: unit, run: make test}
  - {id: e2e, run: make e2e}
)";
	Expected<Policy> p = loadPolicyFromString(text, "p.yml", "2026-06-01");
	REQUIRE(p.ok());
	return *p;
}

std::vector<std::string> ids(const std::vector<Step> &steps)
{
	std::vector<std::string> out;
	for (const Step &s : steps)
		out.push_back(s.id);
	return out;
}

} // namespace

TEST_CASE("no ids selects every step in file order", "[select]")
{
	Expected<std::vector<Step>> s = selectSteps(threeSteps(), {});
	REQUIRE(s.ok());
	CHECK(ids(*s) == std::vector<std::string>{ "lint", "unit", "e2e" });
}

TEST_CASE("ids select in the order asked, repeats ignored", "[select]")
{
	Expected<std::vector<Step>> s = selectSteps(threeSteps(), { "e2e", "lint", "e2e" });
	REQUIRE(s.ok());
	CHECK(ids(*s) == std::vector<std::string>{ "e2e", "lint" });
}

TEST_CASE("an id the file lacks is an error naming the steps and a close match", "[select]")
{
	Expected<std::vector<Step>> s = selectSteps(threeSteps(), { "unti", "unit", "deploy" });
	REQUIRE_FALSE(s.ok());
	CHECK(s.error().message ==
	      "p.yml:2:1: no step 'unti' in hermetic_steps (steps: lint, unit, e2e; did you mean 'unit'?)\n"
	      "p.yml:2:1: no step 'deploy' in hermetic_steps (steps: lint, unit, e2e)");
}
