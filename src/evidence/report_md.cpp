#include "evidence/report_md.h"

#include <optional>

#include "evidence/mermaid.h"
#include "evidence/report_md_parts.h"
#include "evidence/text.h"

namespace hg {

namespace {

// Title, run facts, and the warnings that qualify the whole report.
std::string header(const RunEvidence &run)
{
	std::string md;
	md += "# hermetic-gate report: " + std::string(stepResultName(overallResult(run))) + "\n\n";
	md += "- Commit: " + mdCode(run.sha) + "\n";
	md += "- Mode: " + run.mode + " (detector " + validUtf8(run.detector) + ", kernel " +
	      mdCode(run.kernelRelease) + ")\n";
	if (run.policyPath.empty())
		md += "- Policy: none (command-line exceptions only)\n";
	else
		md += "- Policy: " + mdCode(run.policyPath) + " (sha256 " + mdCode(run.policySha256) + ")\n";
	md += "- Tool: " + std::string(kToolName) + " " + validUtf8(run.toolVersion) + "\n";
	if (!run.detectorNote.empty())
		md += "\n> **Weaker detector:** " + validUtf8(run.detectorNote) + "\n";
	if (!run.detectorLimits.empty()) {
		md += "\nWhat the " + validUtf8(run.detector) + " detector cannot see:\n\n";
		for (const std::string &limit : run.detectorLimits)
			md += "- " + validUtf8(limit) + "\n";
	}
	if (!run.complete)
		md += "\n> **Incomplete run:** " +
		      validUtf8(run.incompleteReason.empty() ? "unknown" : run.incompleteReason) +
		      ". Steps that did not run are missing from this report.\n";
	return md;
}

// The enforcement_health checks that are not ok; nothing when all are.
std::string healthWarnings(const std::vector<HealthCheck> &health)
{
	std::vector<std::string> unhealthy;
	for (const HealthCheck &h : health)
		if (h.status != HealthStatus::Ok)
			unhealthy.push_back(validUtf8(h.check) + " " + healthStatusName(h.status) +
					    (h.detail.empty() ? "" : " (" + validUtf8(h.detail) + ")"));
	if (unhealthy.empty())
		return "";
	std::string md = "\nEnforcement health warnings:\n\n";
	for (const std::string &u : unhealthy)
		md += "- " + u + "\n";
	return md;
}

std::string stepsTable(const std::vector<StepEvidence> &steps)
{
	std::string md = "\n## Steps\n\n" + stepsTableHead();
	for (const StepEvidence &s : steps)
		md += stepsTableRow(s);
	return md;
}

// The step's process tree as a Mermaid flowchart, and what it leaves out; nothing when no
// process the detector recorded made a violation.
std::string processTreeSection(const StepEvidence &s)
{
	std::optional<ProcessTreeSummary> tree = processTreeOf(s);
	if (!tree || tree->nodes.empty())
		return "";
	std::string md = "\n### " + mdCell(validUtf8(s.id)) + ": process tree\n\n"
			 "The processes that made a violation (highlighted) and their ancestors; the other processes are "
			 "counted under their nearest drawn ancestor.";
	if (tree->pathProcesses > tree->nodes.size())
		md += " Only the first " + std::to_string(tree->nodes.size()) + " of the " +
		      std::to_string(tree->pathProcesses) +
		      " processes on a path to a violation are drawn (in the order of their executables and "
		      "arguments); the others are in the counts.";
	return md + "\n\n```mermaid\n" + processTreeMermaid(*tree) + "```\n";
}

// Each step's process tree, then its violation sections.
std::string violations(const std::vector<StepEvidence> &steps)
{
	std::string md;
	for (const StepEvidence &s : steps) {
		md += processTreeSection(s);
		for (const std::string &section : stepViolationSections(s))
			md += section;
	}
	if (md.empty())
		return "\nNo violations.\n";
	return "\n## Violations\n" + md;
}

std::string outsideChannels(const std::vector<StepEvidence> &steps)
{
	std::string md;
	for (const StepEvidence &s : steps) {
		for (const auto &[key, connects] : s.aggregates.outsideChannels)
			md += "| " + mdCell(validUtf8(s.id)) + " | " + mdCode(key.first) + " | " +
			      (key.second.empty() ? std::string("(unreadable)") : mdCode(key.second)) + " | " +
			      std::to_string(connects) + " |\n";
	}
	if (md.empty())
		return "";
	return "\n## Unix sockets to processes outside the tree\n\n"
	       "What such a process does for the step is not traced; the daemons known to make network calls for "
	       "their clients are violations of kind delegated above.\n\n"
	       "| step | socket | process at the other end | connects |\n|---|---|---|---|\n" +
	       md;
}

std::string unusedExceptions(const std::vector<ExceptionHit> &stale)
{
	if (stale.empty())
		return "";
	std::string md = "\n## Unused exceptions\n\nNever matched in this run; consider removing them:\n\n";
	for (const ExceptionHit &hit : stale)
		md += "- " + mdCode(hit.spec) + " from " + mdCode(hit.source) + "\n";
	return md;
}

// Every descriptor above 2 the gate inherited, per step: closed before exec unless the
// policy passed it. Nothing when it inherited none.
std::string inheritedFds(const std::vector<StepEvidence> &steps)
{
	std::string rows;
	for (const StepEvidence &s : steps)
		for (const ReportedFd &o : s.inheritedFds)
			rows += "| " + mdCell(mdCode(s.id)) + " | " + std::to_string(o.fd) + " | " + mdCell(mdCode(o.summary)) +
				" | " + fdActionName(o.action) + (o.why.empty() ? "" : ": " + mdCell(validUtf8(o.why))) + " |\n";
	if (rows.empty())
		return "";
	return "\n## Inherited descriptors\n\nDescriptors the gate inherited; the step gets only those passed "
	       "(pass_fds).\n\n| Step | fd | What | Action |\n|---|---|---|---|\n" +
	       rows;
}

} // namespace

Expected<std::string> renderReportMd(const RunEvidence &run)
{
	auto stale = staleExceptions(run); // validates the run first
	if (!stale)
		return stale.error();
	return header(run) + healthWarnings(run.health) + stepsTable(run.steps) + violations(run.steps) +
	       outsideChannels(run.steps) + inheritedFds(run.steps) + unusedExceptions(*stale);
}

} // namespace hg
