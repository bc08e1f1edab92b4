// The CI report renderers (JUnit XML, SARIF 2.1.0, GitLab Code Quality): schema-valid,
// deterministic, and saying which process made which call to where, with its fix.

#include <catch2/catch.hpp>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <set>

#include <rapidjson/document.h>

#include "evidence/ci_findings.h"
#include "evidence/codequality.h"
#include "evidence/junit_xml.h"
#include "evidence/report_json.h"
#include "evidence/report_md.h"
#include "evidence/sarif.h"
#include "evidence_fixtures.h"
#include "schema_check.h"

using namespace hg;
using namespace hg::test;

namespace {

const StepSpots kSpots = { { "build", { 4, 5 } }, { "fetch", { 9, 5 } }, { "deploy", { 14, 5 } } };

const StderrTails kTails = { { "fetch", "curl: (7) Failed to connect\n<tar> & \"done\"\x01\n" } };

template<typename T>
T ok(Expected<T> e)
{
	INFO((e ? std::string() : e.error().message));
	REQUIRE(e.ok());
	return std::move(*e);
}

std::string testSchema(const std::string &name)
{
	const char *dir = getenv("HG_TEST_SCHEMA_DIR");
	REQUIRE(dir);
	return std::string(dir) + "/" + name;
}

// xmllint --schema's verdict on xml: "" when valid, else its output. Empty also when
// xmllint is not installed (a warning says so; .ci/install-deps installs it).
std::string xmllintErrors(const std::string &xml)
{
	if (system("command -v xmllint >/dev/null 2>&1") != 0) {
		WARN("xmllint not installed (libxml2-utils): JUnit XML not checked against its schema");
		return "";
	}
	char path[] = "/tmp/hg-junit-XXXXXX";
	int fd = mkstemp(path);
	REQUIRE(fd >= 0);
	close(fd);
	std::ofstream(path) << xml;
	std::string cmd = "xmllint --noout --schema '" + testSchema("junit-10.xsd") + "' " + path + " 2>&1";
	std::string out;
	FILE *p = popen(cmd.c_str(), "r");
	REQUIRE(p);
	char buf[512];
	while (fgets(buf, sizeof(buf), p))
		out += buf;
	int status = pclose(p);
	unlink(path);
	return status == 0 ? "" : out;
}

// sampleRun() in enforce mode: every violation denied.
RunEvidence enforcedRun()
{
	SampleRecords records = sampleRecords();
	for (auto &step : records)
		for (NetRecord &r : step)
			if (r.decision == Decision::Audited)
				r.decision = Decision::Denied;
	RunEvidence run = sampleRun(records);
	run.mode = "enforce";
	return run;
}

} // namespace

TEST_CASE("findings: one per violation row, naming executable, call and destination", "[evidence][ci]")
{
	std::vector<CiFinding> findings = ok(ciFindings(sampleRun()));
	REQUIRE(findings.size() == 3);
	CHECK(findings[0].stepId == "fetch");
	CHECK(findings[0].summary == "/usr/bin/curl: outbound connect to 203.0.113.1:443 (audited, 2 calls)");
	CHECK(findings[1].summary == "/usr/bin/curl: outbound connect to [2001:db8::1]:443 (audited, 1 call)");
	CHECK(findings[2].summary == "/usr/bin/python3: inbound listen on 0.0.0.0:8000 (audited, 1 call)");
	// The fix is report.md's snippet.
	CHECK(findings[0].fixMarkdown == "To allow it, add to the policy:\n\n```yaml\n" + exceptionSnippet(findings[0].group) + "```\n");
	CHECK(findings[0].fixText.find("- host: \"203.0.113.1:443\"") != std::string::npos);
}

TEST_CASE("findings: fingerprints are stable, unique, and ignore pids, order and decision", "[evidence][ci]")
{
	std::vector<CiFinding> a = ok(ciFindings(sampleRun()));
	std::vector<CiFinding> b = ok(ciFindings(reshuffled()));
	std::vector<CiFinding> c = ok(ciFindings(enforcedRun()));
	REQUIRE(a.size() == b.size());
	REQUIRE(a.size() == c.size());
	std::set<std::string> unique;
	for (size_t i = 0; i < a.size(); i++) {
		CHECK(a[i].fingerprint.size() == 64);
		CHECK(a[i].fingerprint == b[i].fingerprint);
		CHECK(a[i].fingerprint == c[i].fingerprint);
		unique.insert(a[i].fingerprint);
	}
	CHECK(unique.size() == a.size());

	// The same row in another step is another finding.
	RunEvidence renamed = sampleRun();
	renamed.steps[1].id = "fetch2";
	CHECK(ok(ciFindings(renamed))[0].fingerprint != a[0].fingerprint);
}

TEST_CASE("findings: rows that differ only in their decision keep distinct fingerprints", "[evidence][ci]")
{
	RunEvidence run = sampleRun();
	run.steps[1].aggregates = aggregate({ connectRecord(0, 201, "/usr/bin/curl", inet4(203, 0, 113, 1, 443), Decision::Audited),
					      connectRecord(1, 201, "/usr/bin/curl", inet4(203, 0, 113, 1, 443), Decision::Denied) });
	std::vector<CiFinding> findings = ok(ciFindings(run));
	REQUIRE(findings.size() == 2);
	CHECK(findings[0].fingerprint != findings[1].fingerprint);
	CHECK(ok(ciFindings(run))[1].fingerprint == findings[1].fingerprint);
}

TEST_CASE("findings are errors when the run enforces or fails", "[evidence][ci]")
{
	CHECK(findingsAreErrors(sampleRun()));
	RunEvidence clean;
	clean.sha = "abc";
	CHECK_FALSE(findingsAreErrors(clean));
	clean.mode = "enforce";
	CHECK(findingsAreErrors(clean));
	CHECK(stepSpot(kSpots, "fetch").line == 9);
	CHECK(stepSpot(kSpots, "missing").line == 1);
	CHECK(stepSpot(kSpots, "missing").column == 1);
}

TEST_CASE("JUnit XML: one testcase per step, a failure per violation, valid against junit-10.xsd", "[evidence][ci]")
{
	std::string xml = ok(renderJunitXml(sampleRun(), kTails));
	CHECK(xmllintErrors(xml) == "");
	CHECK(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"hermetic-gate\" tests=\"3\" failures=\"1\" errors=\"1\">\n", 0) == 0);
	CHECK(xml.find("<testcase classname=\"hermetic-gate.0123456789abcdef0123456789abcdef01234567\" name=\"build\"/>") != std::string::npos);
	CHECK(xml.find("<failure type=\"violation\" message=\"/usr/bin/curl: outbound connect to 203.0.113.1:443 (audited, 2 calls)\">") != std::string::npos);
	CHECK(xml.find("process: curl -s https://mirror.test") != std::string::npos);
	CHECK(xml.find("<error type=\"error\" message=\"could not start: execve(./deploy.sh): No such file or directory\"/>") != std::string::npos);
	CHECK(xml.find("<system-err>curl: (7) Failed to connect\n&lt;tar&gt; &amp; \"done\"\\x01\n</system-err>") != std::string::npos);
	CHECK(xml.find("time=") == std::string::npos);
	CHECK(xml == ok(renderJunitXml(reshuffled(), kTails)));
}

TEST_CASE("JUnit XML: a failed command is a failure, an interrupted run says so", "[evidence][ci]")
{
	RunEvidence run = sampleRun();
	run.steps[0].exitCode = 2;
	run.complete = false;
	run.incompleteReason = "interrupted by SIGTERM";
	std::string xml = ok(renderJunitXml(run, {}));
	CHECK(xmllintErrors(xml) == "");
	CHECK(xml.find("tests=\"3\" failures=\"2\" errors=\"1\"") != std::string::npos);
	CHECK(xml.find("<failure type=\"failed\" message=\"exited 2\"/>") != std::string::npos);
	CHECK(xml.find("<property name=\"incomplete_reason\" value=\"interrupted by SIGTERM\"/>") != std::string::npos);
	CHECK(xml.find("system-err") == std::string::npos);
}

TEST_CASE("xmlEscape keeps any bytes well-formed XML", "[evidence][ci]")
{
	CHECK(xmlEscape("a<b>&\"'") == "a&lt;b&gt;&amp;\"'");
	CHECK(xmlEscape("a<b>&\"'", true) == "a&lt;b&gt;&amp;&quot;&apos;");
	CHECK(xmlEscape("l1\nl2\tx\r") == "l1\nl2\tx&#13;");
	CHECK(xmlEscape("l1\nl2\t", true) == "l1&#10;l2&#9;");
	CHECK(xmlEscape(std::string("\x1b[0m\x7f", 5)) == "\\x1b[0m\\x7f");
	CHECK(xmlEscape("caf\xc3\xa9 \xff") == "caf\xc3\xa9 \\xff");
}

TEST_CASE("SARIF: valid 2.1.0, one result per row, located at the step in the policy", "[evidence][ci]")
{
	std::string sarif = ok(renderSarif(sampleRun(), kSpots));
	CHECK(schemaErrorsAt(testSchema("sarif-schema-2.1.0.json"), sarif) == "");
	rapidjson::Document doc;
	REQUIRE_FALSE(doc.Parse(sarif.c_str()).HasParseError());
	const auto &run = doc["runs"][0];
	CHECK(std::string(run["tool"]["driver"]["name"].GetString()) == "hermetic-gate");
	CHECK(std::string(run["tool"]["driver"]["version"].GetString()) == "0.1.0");
	std::set<std::string> rules;
	for (const auto &r : run["tool"]["driver"]["rules"].GetArray())
		rules.insert(r["id"].GetString());
	CHECK(rules == std::set<std::string>{ "outbound", "inbound", "self", "dns", "delegated", "evasion", "raw" });
	const auto &results = run["results"];
	REQUIRE(results.Size() == 3);
	const auto &first = results[0];
	CHECK(std::string(first["ruleId"].GetString()) == "outbound");
	CHECK(std::string(run["tool"]["driver"]["rules"][first["ruleIndex"].GetUint()]["id"].GetString()) == "outbound");
	CHECK(std::string(first["level"].GetString()) == "error");
	const auto &loc = first["locations"][0]["physicalLocation"];
	CHECK(std::string(loc["artifactLocation"]["uri"].GetString()) == "docs/ci/HERMETIC_CI_POLICY.yml");
	CHECK(loc["region"]["startLine"].GetInt() == 9);
	CHECK(loc["region"]["startColumn"].GetInt() == 5);
	std::string markdown = first["message"]["markdown"].GetString();
	CHECK(markdown.find("```yaml\nallow:\n  outbound_hosts:\n    - host: \"203.0.113.1:443\"") != std::string::npos);
	std::string text = first["message"]["text"].GetString();
	CHECK(text.rfind("Step fetch: /usr/bin/curl: outbound connect to 203.0.113.1:443", 0) == 0);
	CHECK(text.find("```") == std::string::npos);
	CHECK(std::string(first["partialFingerprints"]["hermeticGateViolation/v1"].GetString()) ==
	      ok(ciFindings(sampleRun()))[0].fingerprint);
	CHECK(sarif == ok(renderSarif(reshuffled(), kSpots)));
}

TEST_CASE("SARIF: the schema check can fail", "[evidence][ci][schema]")
{
	// RapidJSON reads the draft-04 SARIF schema: its #/definitions references are followed.
	std::string sarif = ok(renderSarif(sampleRun(), kSpots));
	std::string badLevel = sarif;
	badLevel.replace(badLevel.find("\"level\": \"error\"", badLevel.find("\"results\"")), 16, "\"level\": \"fatal\"");
	CHECK(schemaErrorsAt(testSchema("sarif-schema-2.1.0.json"), badLevel) != "");
	std::string badLine = sarif;
	badLine.replace(badLine.find("\"startLine\": 9"), 14, "\"startLine\": 0");
	CHECK(schemaErrorsAt(testSchema("sarif-schema-2.1.0.json"), badLine) != "");
}

TEST_CASE("SARIF: warnings for a passing audit run, percent-encoded policy paths", "[evidence][ci]")
{
	RunEvidence clean;
	clean.sha = "abc";
	clean.policyPath = "ci dir/policy #1.yml";
	std::string sarif = ok(renderSarif(clean, {}));
	CHECK(schemaErrorsAt(testSchema("sarif-schema-2.1.0.json"), sarif) == "");
	CHECK(sarif.find("\"results\": []") != std::string::npos);
	CHECK(sarif.find("\"level\": \"warning\"") != std::string::npos);
	CHECK(uriFromPath("ci dir/policy #1.yml") == "ci%20dir/policy%20%231.yml");
}

TEST_CASE("Code Quality: one issue per row, valid against codequality.schema.json", "[evidence][ci][schema]")
{
	std::string json = ok(renderCodeQuality(sampleRun(), kSpots));
	CHECK(schemaErrors("codequality.schema.json", json) == "");
	rapidjson::Document doc;
	REQUIRE_FALSE(doc.Parse(json.c_str()).HasParseError());
	REQUIRE(doc.Size() == 3);
	CHECK(std::string(doc[0]["description"].GetString()) ==
	      "Step fetch: /usr/bin/curl: outbound connect to 203.0.113.1:443 (audited, 2 calls)");
	CHECK(std::string(doc[0]["check_name"].GetString()) == "hermetic-gate/outbound");
	CHECK(std::string(doc[2]["check_name"].GetString()) == "hermetic-gate/inbound");
	CHECK(std::string(doc[0]["severity"].GetString()) == "critical");
	CHECK(std::string(doc[0]["location"]["path"].GetString()) == "docs/ci/HERMETIC_CI_POLICY.yml");
	CHECK(doc[0]["location"]["lines"]["begin"].GetInt() == 9);
	CHECK(json == ok(renderCodeQuality(reshuffled(), kSpots)));

	RunEvidence clean;
	clean.sha = "abc";
	CHECK(ok(renderCodeQuality(clean, {})) == "[]\n");
	// The schema check can fail.
	std::string bad = json;
	bad.replace(bad.find("\"critical\""), 10, "\"urgent\"");
	CHECK(schemaErrors("codequality.schema.json", bad) != "");
}

TEST_CASE("the CI renderers refuse a run validateRun() refuses, and leave the reports alone", "[evidence][ci]")
{
	RunEvidence bad = sampleRun();
	bad.mode = "sometimes";
	CHECK_FALSE(renderJunitXml(bad, {}).ok());
	CHECK_FALSE(renderSarif(bad, {}).ok());
	CHECK_FALSE(renderCodeQuality(bad, {}).ok());
	CHECK_FALSE(ciFindings(bad).ok());
}
