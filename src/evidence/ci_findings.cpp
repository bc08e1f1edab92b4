#include "evidence/ci_findings.h"

#include <set>

#include "base/sha256.h"
#include "evidence/report_md.h"
#include "evidence/step_aggregates.h"
#include "policy/decide.h"

namespace hg {

namespace {

std::string summaryText(const ViolationGroup &g)
{
	return (g.exe.empty() ? std::string("unknown executable") : g.exe) + ": " + violationWhat(g, plainText) +
	       " (" + decisionName(g.decision) + ", " + std::to_string(g.count) + (g.count == 1 ? " call)" : " calls)");
}

std::string noFixText(const ViolationKey &k)
{
	if (k.kind == Direction::Raw)
		return "No policy exception can allow a raw or packet socket: remove it from the step.";
	if (k.kind == Direction::Inbound)
		return "No policy exception can allow this socket (it has no IP address): make the step stop listening or binding.";
	return "No policy exception can allow this call: remove it from the step.";
}

// The identifying fields, each ended by a NUL so that no two field lists join to one text.
std::string identity(const std::string &stepId, const ViolationKey &k)
{
	std::string out;
	for (const std::string &field : { stepId, std::string(directionName(k.kind)), k.syscall, k.family, k.protocol,
					   k.address, k.port ? std::to_string(*k.port) : std::string("-"), k.name, k.exe })
		out.append(field).push_back('\0');
	return out;
}

} // namespace

Expected<std::vector<CiFinding>> ciFindings(const RunEvidence &run)
{
	if (auto valid = validateRun(run); !valid)
		return valid.error();
	std::vector<CiFinding> out;
	std::set<std::string> seen;
	for (const StepEvidence &step : run.steps) {
		for (ViolationGroup &g : aggregateViolations(step)) {
			CiFinding f;
			f.stepId = step.id;
			f.summary = summaryText(g);
			std::string snippet = exceptionSnippet(g);
			f.fixText = snippet.empty() ? noFixText(g) : "To allow it, add to the policy:\n\n" + snippet;
			f.fixMarkdown = snippet.empty() ? f.fixText : "To allow it, add to the policy:\n\n```yaml\n" + snippet + "```\n";
			// Rows that differ only in their decision share an identity: number the repeats.
			std::string id = identity(step.id, g);
			std::string unique = id;
			for (int n = 2; !seen.insert(unique).second; n++)
				unique = id + "#" + std::to_string(n);
			f.fingerprint = sha256Hex(unique);
			f.group = std::move(g);
			out.push_back(std::move(f));
		}
	}
	return out;
}

bool findingsAreErrors(const RunEvidence &run)
{
	return run.mode == "enforce" || overallResult(run) != StepResult::Pass;
}

PolicySpot stepSpot(const StepSpots &spots, const std::string &stepId)
{
	auto it = spots.find(stepId);
	if (it == spots.end() || it->second.line < 1)
		return { 1, 1 };
	return { it->second.line, it->second.column < 1 ? 1 : it->second.column };
}

} // namespace hg
