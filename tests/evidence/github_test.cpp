// The GitHub Actions texts of a run (evidence/github.h): escaping, annotations, outputs and
// the summary's cuts, on the synthetic sample run.

#include <algorithm>

#include <catch2/catch.hpp>

#include "evidence/github.h"
#include "evidence_fixtures.h"

using namespace hg;
using namespace hg::test;

namespace {

size_t occurrences(const std::string &text, const std::string &what)
{
	size_t n = 0;
	for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
		n++;
	return n;
}

} // namespace

TEST_CASE("workflow command properties and messages are escaped as GitHub's toolkit does", "[evidence][github]")
{
	CHECK(githubProperty("a%b\rc\nd:e,f") == "a%25b%0Dc%0Ad%3Ae%2Cf");
	CHECK(githubData("a%b\rc\nd:e,f") == "a%25b%0Dc%0Ad:e,f");
	CHECK(githubProperty("") == "");
}

TEST_CASE("one annotation per violation group, at the step's place, warning in audit and error in enforce", "[evidence][github]")
{
	RunEvidence run = sampleRun();
	StepSpots spots{ { "fetch", { 14, 5 } } };
	std::vector<std::string> lines = githubAnnotations(run, spots);
	REQUIRE(lines.size() == 3);
	auto it = std::find_if(lines.begin(), lines.end(), [](const std::string &l) {
		return l.find("-> 203.0.113.1%3A443::") != std::string::npos;
	});
	REQUIRE(it != lines.end());
	std::string v4 = *it;
	CHECK(v4.rfind("::warning file=docs/ci/HERMETIC_CI_POLICY.yml,line=14,col=5,"
			     "title=hermetic-gate%3A step fetch -> 203.0.113.1%3A443::/usr/bin/curl: outbound connect to "
			     "203.0.113.1:443 (audited, 2 calls)%0Aprocess: ",
			     0) == 0);
	CHECK(v4.find("%0ATo allow it, add to the policy:%0A%0Aallow:%0A  outbound_hosts:%0A    - host: "
			    "\"203.0.113.1:443\"%0A") != std::string::npos);
	for (const std::string &line : lines)
		CHECK(line.find('\n') == std::string::npos);

	run.mode = "enforce";
	run.policyPath.clear();
	lines = githubAnnotations(run, {});
	REQUIRE(lines.size() == 3);
	CHECK(lines[0].rfind("::error title=hermetic-gate%3A step fetch -> ", 0) == 0);
}

TEST_CASE("step outputs are name=value lines, a multi-line value in the delimiter form", "[evidence][github]")
{
	RunEvidence run = sampleRun();
	CHECK(githubOutputs(run, "out/dir") == "result=violation\nviolations=4\nevidence_dir=out/dir\n");
	CHECK(githubOutputs(run, "a\nHERMETIC_GATE_EOF") ==
	      "result=violation\nviolations=4\nevidence_dir<<HERMETIC_GATE_EOF_\na\nHERMETIC_GATE_EOF\nHERMETIC_GATE_EOF_\n");
}

TEST_CASE("the summary shows report.md's table and sections, cut with and N more", "[evidence][github]")
{
	RunEvidence run = sampleRun();
	std::string summary = githubSummary(run, "ev");
	CHECK(summary.rfind("\n## hermetic-gate: violation\n\nMode audit, commit `", 0) == 0);
	std::string md = reportMd(run);
	CHECK(md.find(summary.substr(summary.find("| Step |"), 60)) != std::string::npos);
	CHECK(occurrences(summary, "\n### fetch: ") == 3);
	CHECK(summary.find("\nand ") == std::string::npos);

	StepEvidence fetch = run.steps[1];
	run.steps.clear();
	for (size_t i = 0; i < kSummaryMaxSteps + 2; i++) {
		run.steps.push_back(fetch);
		run.steps.back().id = "s" + std::to_string(i);
	}
	summary = githubSummary(run, "ev");
	CHECK(occurrences(summary, "\n| `s") == kSummaryMaxSteps);
	CHECK(summary.find("\nand 2 more steps: see report.md in the evidence folder `ev`\n") != std::string::npos);
	CHECK(occurrences(summary, "\n### s") == kSummaryMaxViolations);
	CHECK(summary.find("\nand " + std::to_string(3 * run.steps.size() - kSummaryMaxViolations) + " more violations") !=
	      std::string::npos);
	CHECK(summary.size() < kSummaryMaxBytes + 1024);
}
