#include "evidence/junit_xml.h"

#include <cstdio>
#include <vector>

#include "evidence/ci_findings.h"
#include "evidence/text.h"

namespace hg {

namespace {

std::string attr(const char *name, const std::string &value)
{
	return std::string(" ") + name + "=\"" + xmlEscape(value, true) + "\"";
}

// The body of a violation's <failure>: the row's facts, its callers and the fix.
std::string failureBody(const CiFinding &f)
{
	const ViolationGroup &g = f.group;
	std::string body = "step " + f.stepId + ": " + f.summary + "\n" + "protocol " + g.protocol + " over " +
			   g.family + "\n";
	if (!g.name.empty())
		body += "name " + g.name + "\n";
	for (const std::vector<std::string> &argv : g.argvs) {
		std::string line = "process:";
		for (const std::string &arg : argv)
			line += " " + arg;
		body += line + "\n";
	}
	return body + "\n" + f.fixText;
}

std::string property(const char *name, const std::string &value)
{
	return std::string("      <property") + attr("name", name) + attr("value", value) + "/>\n";
}

std::string properties(const RunEvidence &run)
{
	std::string xml = "    <properties>\n";
	xml += property("sha", run.sha);
	xml += property("mode", run.mode);
	xml += property("policy", run.policyPath);
	xml += property("result", stepResultName(overallResult(run)));
	xml += property("complete", run.complete ? "true" : "false");
	if (!run.complete)
		xml += property("incomplete_reason", run.incompleteReason);
	return xml + "    </properties>\n";
}

// The <failure>/<error> of a step's outcome, or "" when its command succeeded.
std::string outcomeElement(const StepEvidence &step)
{
	if (!step.started || !step.error.empty()) {
		std::string message = step.started ? step.error + " (" + stepOutcomeText(step) + ")" : stepOutcomeText(step);
		return "      <error" + attr("type", "error") + attr("message", message) + "/>\n";
	}
	if (step.timedOut || step.signal != 0 || step.exitCode != 0)
		return "      <failure" + attr("type", "failed") + attr("message", stepOutcomeText(step)) + "/>\n";
	return "";
}

std::string testcase(const RunEvidence &run, const StepEvidence &step, const std::vector<CiFinding> &findings,
		     const StderrTails &tails)
{
	std::string xml = "    <testcase" + attr("classname", std::string(kToolName) + "." + run.sha) + attr("name", step.id);
	std::string inner;
	for (const CiFinding &f : findings)
		if (f.stepId == step.id)
			inner += "      <failure" + attr("type", "violation") + attr("message", f.summary) + ">" +
				 xmlEscape(failureBody(f)) + "</failure>\n";
	inner += outcomeElement(step);
	if (auto it = tails.find(step.id); it != tails.end() && !it->second.empty())
		inner += "      <system-err>" + xmlEscape(it->second) + "</system-err>\n";
	if (inner.empty())
		return xml + "/>\n";
	return xml + ">\n" + inner + "    </testcase>\n";
}

} // namespace

std::string xmlEscape(const std::string &raw, bool attribute)
{
	std::string out;
	for (char c : validUtf8(raw)) {
		auto u = static_cast<unsigned char>(c);
		switch (c) {
		case '&': out += "&amp;"; break;
		case '<': out += "&lt;"; break;
		case '>': out += "&gt;"; break;
		case '"': out += attribute ? "&quot;" : "\""; break;
		case '\'': out += attribute ? "&apos;" : "'"; break;
		case '\t': out += attribute ? "&#9;" : "\t"; break;
		case '\n': out += attribute ? "&#10;" : "\n"; break;
		case '\r': out += "&#13;"; break;
		default:
			if (u < 0x20 || u == 0x7f) {
				char hex[8];
				snprintf(hex, sizeof(hex), "\\x%02x", u);
				out += hex;
			} else {
				out += c;
			}
		}
	}
	return out;
}

Expected<std::string> renderJunitXml(const RunEvidence &run, const StderrTails &stderrTails)
{
	auto findings = ciFindings(run);
	if (!findings)
		return findings.error();
	size_t failures = 0, errors = 0;
	for (const StepEvidence &step : run.steps) {
		StepResult r = stepResult(step);
		failures += r == StepResult::Violation || r == StepResult::Failed;
		errors += r == StepResult::Error;
	}
	std::string counts = attr("tests", std::to_string(run.steps.size())) + attr("failures", std::to_string(failures)) +
			     attr("errors", std::to_string(errors));
	std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
	xml += "<testsuites" + attr("name", kToolName) + counts + ">\n";
	xml += "  <testsuite" + attr("name", kToolName) + counts + attr("skipped", "0") + ">\n";
	xml += properties(run);
	for (const StepEvidence &step : run.steps)
		xml += testcase(run, step, *findings, stderrTails);
	return xml + "  </testsuite>\n</testsuites>\n";
}

} // namespace hg
