// insertAllowEntries: exceptions added to a policy's text keep its comments and layout, land
// under the right allow:, and the result still loads.

#include <catch2/catch.hpp>

#include "policy/allow_insert.h"
#include "policy/loader.h"

using namespace hg;

namespace {

const std::vector<std::string> kItem = { "- host: \"203.0.113.7:443\"", "  reason: \"FILL IN: why\"",
					 "  owner: \"FILL IN: @team\"", "  expires: 2099-01-31 # FILL IN" };

std::vector<AllowInsertion> outbound() { return { AllowInsertion{ "outbound_hosts", { kItem } } }; }

std::string edit(const std::string &text, const std::string &step, const std::vector<AllowInsertion> &lists)
{
	auto out = insertAllowEntries(text, "p.yml", step, lists);
	INFO((out ? std::string() : out.error().message));
	REQUIRE(out.ok());
	auto loaded = loadPolicyFromString(*out, "p.yml", "2026-06-01");
	INFO(*out);
	INFO((loaded ? std::string() : loaded.error().message));
	REQUIRE(loaded.ok());
	return *out;
}

} // namespace

TEST_CASE("a top-level allow: is created before hermetic_steps and its comments")
{
	std::string text = "# the policy\nversion: 1 # one\n\n# the steps\nhermetic_steps:\n  - id: unit\n    run: make\n";
	std::string out = edit(text, "", outbound());
	CHECK(out == "# the policy\nversion: 1 # one\n\nallow:\n  outbound_hosts:\n    - host: \"203.0.113.7:443\"\n"
		     "      reason: \"FILL IN: why\"\n      owner: \"FILL IN: @team\"\n      expires: 2099-01-31 # FILL IN\n"
		     "# the steps\nhermetic_steps:\n  - id: unit\n    run: make\n");
}

TEST_CASE("items go at the end of an existing block list, at its dash column, comments kept")
{
	std::string text = "version: 1\nallow:\n    outbound_hosts:\n    - 10.0.0.0/8   # corp\n    # trailing note\n"
			   "    outbound_ports: [443]\nhermetic_steps:\n- id: unit\n  run: make\n";
	std::string out = edit(text, "", outbound());
	CHECK(out == "version: 1\nallow:\n    outbound_hosts:\n    - 10.0.0.0/8   # corp\n"
		     "    - host: \"203.0.113.7:443\"\n      reason: \"FILL IN: why\"\n      owner: \"FILL IN: @team\"\n"
		     "      expires: 2099-01-31 # FILL IN\n    # trailing note\n    outbound_ports: [443]\n"
		     "hermetic_steps:\n- id: unit\n  run: make\n");
}

TEST_CASE("a missing list is added to an existing allow: at its key column")
{
	std::string text = "version: 1\nallow:\n  outbound_ports: [443]\nhermetic_steps:\n  - id: unit\n    run: make\n";
	std::string out = edit(text, "", { AllowInsertion{ "inbound", { { "- host: \"127.0.0.1\"" } } } });
	CHECK(out == "version: 1\nallow:\n  outbound_ports: [443]\n  inbound:\n    - host: \"127.0.0.1\"\n"
		     "hermetic_steps:\n  - id: unit\n    run: make\n");
}

TEST_CASE("a step's allow: is created inside that step only, with the file's indentation")
{
	std::string text = "version: 1\nhermetic_steps:\n   - id: lint\n     run: |\n       make lint\n\n       echo\n"
			   "   # next\n   - id: unit\n     run: make   # the tests\n";
	std::string out = edit(text, "lint", { AllowInsertion{ "inbound", { { "- host: \"127.0.0.1\"" } } } });
	CHECK(out == "version: 1\nhermetic_steps:\n   - id: lint\n     run: |\n       make lint\n\n       echo\n"
		     "     allow:\n        inbound:\n           - host: \"127.0.0.1\"\n"
		     "   # next\n   - id: unit\n     run: make   # the tests\n");
	auto loaded = loadPolicyFromString(out, "p.yml", "2026-06-01");
	REQUIRE(loaded.ok());
	CHECK(loaded->steps[0].allow.size() == 1);
	CHECK(loaded->steps[1].allow.empty());
	CHECK(loaded->steps[0].runText == "make lint\n\necho\n");
}

TEST_CASE("the last step gets its allow: at the end of the file, even without a final newline")
{
	std::string out = edit("version: 1\nhermetic_steps:\n  - id: unit\n    run: make", "unit", outbound());
	CHECK(out == "version: 1\nhermetic_steps:\n  - id: unit\n    run: make\n    allow:\n      outbound_hosts:\n"
		     "        - host: \"203.0.113.7:443\"\n          reason: \"FILL IN: why\"\n"
		     "          owner: \"FILL IN: @team\"\n          expires: 2099-01-31 # FILL IN\n");
}

TEST_CASE("several lists at once, into a step's existing allow:")
{
	std::string text = "version: 1\nhermetic_steps:\n  - id: unit\n    allow:\n      inbound:\n        - 127.0.0.1\n"
			   "    run: make\n";
	std::string out = edit(text, "unit",
			       { AllowInsertion{ "outbound_hosts", { { "- host: \"a.example.com\"" } } },
				 AllowInsertion{ "inbound", { { "- host: \"::1\"" } } } });
	CHECK(out == "version: 1\nhermetic_steps:\n  - id: unit\n    allow:\n      inbound:\n        - 127.0.0.1\n"
		     "        - host: \"::1\"\n      outbound_hosts:\n        - host: \"a.example.com\"\n    run: make\n");
}

TEST_CASE("errors name the file, the place and the fix")
{
	auto flow = insertAllowEntries("version: 1\nallow: {outbound_ports: [443]}\nhermetic_steps:\n  - id: u\n    run: x\n",
				       "p.yml", "", outbound());
	REQUIRE_FALSE(flow.ok());
	CHECK(flow.error().message.rfind("p.yml:2:8: allow is written in flow style", 0) == 0);
	auto flowList = insertAllowEntries("version: 1\nallow:\n  outbound_hosts: [10.0.0.1]\nhermetic_steps:\n  - id: u\n    run: x\n",
					   "p.yml", "", outbound());
	REQUIRE_FALSE(flowList.ok());
	CHECK(flowList.error().message.rfind("p.yml:3:19: allow.outbound_hosts is written in flow style", 0) == 0);
	auto noStep = insertAllowEntries("version: 1\nhermetic_steps:\n  - id: u\n    run: x\n", "p.yml", "e2e", outbound());
	REQUIRE_FALSE(noStep.ok());
	CHECK(noStep.error().message == "p.yml: no step 'e2e' in hermetic_steps (add the step, or suggest without --per-step)");
	auto bad = insertAllowEntries("version: 1\nhermetic_steps: [\n", "p.yml", "", outbound());
	REQUIRE_FALSE(bad.ok());
	CHECK(bad.error().message.rfind("p.yml:", 0) == 0);
}
