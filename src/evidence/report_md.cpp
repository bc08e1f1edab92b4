#include "evidence/report_md.h"

#include <algorithm>
#include <optional>
#include <set>
#include <string_view>

#include "base/proc.h"
#include "base/shell_quote.h"
#include "evidence/allow_entry.h"
#include "evidence/mermaid.h"
#include "evidence/text.h"

namespace hg {

namespace {

// Inline code span that survives backticks in s (CommonMark: a longer fence and
// padding spaces) and newlines (shown as \n).
std::string code(const std::string &raw)
{
	std::string s;
	for (char c : validUtf8(raw)) {
		if (c == '\n')
			s += "\\n";
		else if (c == '\r')
			s += "\\r";
		else
			s += c;
	}
	size_t longest = 0, run = 0;
	for (char c : s) {
		run = c == '`' ? run + 1 : 0;
		longest = std::max(longest, run);
	}
	std::string fence(longest + 1, '`');
	bool pad = longest > 0 || s.empty() || s.front() == ' ' || s.back() == ' ';
	std::string out = fence + (pad ? " " : "") + s + (pad ? " " : "") + fence;
	return out;
}

// Inside a table cell a pipe ends the cell even within a code span (GFM), so escape it.
std::string cell(const std::string &s)
{
	std::string out;
	for (char c : s) {
		if (c == '|')
			out += "\\|";
		else
			out += c;
	}
	return out;
}

std::string exitText(const StepEvidence &s)
{
	if (!s.started)
		return "not started";
	std::string out;
	if (s.signal != 0)
		out = signalName(s.signal);
	else if (s.exitCode >= 0)
		out = std::to_string(s.exitCode);
	else
		out = "unknown";
	if (s.timedOut)
		out += " (timed out)";
	return out;
}

constexpr size_t kMaxArgvShown = 5;

// The metadata of an exception snippet, as comments to fill in and uncomment.
constexpr const char *kSnippetPlaceholders = "      # reason: \"why this step needs it\"\n"
					     "      # owner: \"@team-or-person\"\n"
					     "      # expires: YYYY-MM-DD\n";

} // namespace

std::string exceptionSnippet(const ViolationGroup &g)
{
	std::optional<AllowEntry> entry = allowEntryFor(g);
	if (!entry)
		return "";
	// Quoted: "[" would start a YAML flow sequence. The address of a delegated socket is
	// escaped as strace does (\" \\ \n ...), which a YAML double-quoted scalar reads back as
	// the same bytes. The placeholders are comments so the fragment loads as is; quoted
	// values survive uncommenting ('@' cannot start a plain YAML scalar).
	std::string out = "allow:\n  ";
	out.append(allowListKey(entry->list)).append(":\n    - ").append(allowEntryField(entry->list));
	return out.append(": \"").append(entry->value).append("\"\n").append(kSnippetPlaceholders);
}

namespace {

// Title, run facts, and the warnings that qualify the whole report.
std::string header(const RunEvidence &run)
{
	std::string md;
	md += "# hermetic-gate report: " + std::string(stepResultName(overallResult(run))) + "\n\n";
	md += "- Commit: " + code(run.sha) + "\n";
	md += "- Mode: " + run.mode + " (detector " + validUtf8(run.detector) + ", kernel " +
	      code(run.kernelRelease) + ")\n";
	if (run.policyPath.empty())
		md += "- Policy: none (command-line exceptions only)\n";
	else
		md += "- Policy: " + code(run.policyPath) + " (sha256 " + code(run.policySha256) + ")\n";
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
	std::string md = "\n## Steps\n\n";
	md += "| Step | Command | Result | Exit | Violations |\n";
	md += "| --- | --- | --- | --- | ---: |\n";
	for (const StepEvidence &s : steps) {
		uint64_t count = 0;
		for (const ViolationGroup &g : aggregateViolations(s))
			count += g.count;
		md += "| " + cell(code(s.id)) + " | " + cell(code(shellJoin(s.command))) + " | " +
		      stepResultName(stepResult(s)) + " | " + cell(exitText(s)) + " | " +
		      std::to_string(count) + " |\n";
	}
	return md;
}

bool wildcardAddress(const ViolationGroup &g)
{
	return g.address == "0.0.0.0" || g.address == "::";
}

// What to do about a violation group: the policy snippet that allows it, or why none can.
// listenerShown: a self connection whose listener has a section of its own above, with the
// snippet that allows both.
std::string remedy(const ViolationGroup &g, bool listenerShown)
{
	std::string snippet = exceptionSnippet(g);
	if (g.kind == Direction::Raw)
		return "\nNo policy exception can allow a raw or packet socket: it receives the machine's packets "
		       "with no bind() and no listen(), and sends with headers of its own, so no address or port "
		       "describes what it does. Remove it from the step; for ping, an ICMP datagram socket "
		       "(SOCK_DGRAM, IPPROTO_ICMP) is judged by its destinations.\n";
	if (snippet.empty() && g.kind == Direction::Inbound)
		return "\nNo policy exception can allow this socket (it has no IP address): make the step "
		       "stop listening or binding.\n";
	if (snippet.empty())
		return "\nNo policy exception can allow this call: remove it from the step.\n";
	if (g.kind == Direction::Delegated)
		return "\nThe step asked the daemon behind this socket to act for it; what the daemon does "
		       "next (pull an image, fetch sources, resolve a name) happens outside the traced tree and "
		       "is not recorded. Withhold the socket from the step, or to allow it add to the policy:\n\n"
		       "```yaml\n" + snippet + "```\n";
	if (g.kind == Direction::Self && listenerShown)
		return "\nThe step connected to its own listener on this address: the inbound exception "
		       "that allows the listener (above) allows these connections too.\n";
	std::string md;
	if (g.kind == Direction::Self)
		md += "\nThe step connected to its own listener on this address. The inbound exception that "
		      "allows the listener allows these connections too.\n";
	if ((g.kind == Direction::Inbound || g.kind == Direction::Self) && wildcardAddress(g))
		md += "\nThe socket listens on every address of the machine, so other hosts can reach it: "
		      "binding it to 127.0.0.1 or ::1 keeps it local.\n";
	return md + "\nTo allow it, add to the policy:\n\n```yaml\n" + snippet + "```\n";
}

// "`127.0.0.1:0` (port chosen by the kernel)" for a kernel-chosen port.
std::string endpointShown(const ViolationGroup &g)
{
	return code(rowEndpointText(g)) + (portChosenByKernel(g) ? " (port chosen by the kernel)" : "");
}

// What the row is about: "to `203.0.113.1:443`", "on `127.0.0.1:0` (...)", "for `name` via `10.0.0.2:53`".
std::string target(const ViolationGroup &g)
{
	if (g.kind == Direction::Dns)
		return " for " + code(g.name) + " via " + code(rowEndpointText(g));
	if (g.kind == Direction::Raw)
		return "";
	return (g.kind == Direction::Inbound ? " on " : " to ") + endpointShown(g);
}

// Which name the address came from, for an inet destination of the step.
std::string nameLine(const ViolationGroup &g)
{
	if (g.kind != Direction::Outbound || !g.port)
		return "";
	if (g.name.empty())
		return "- Literal address: the step never resolved it by name\n";
	return "- Name: " + code(g.name) + " (the step's DNS answer gave this address)\n";
}

std::string violationSection(const std::string &stepId, const ViolationGroup &g, bool listenerShown)
{
	std::string md = "\n### " + cell(validUtf8(stepId)) + ": " + directionName(g.kind) + " " +
			 validUtf8(g.syscall) + target(g) + "\n\n";
	md += "- " + std::string(decisionName(g.decision)) + ", " + std::to_string(g.count) +
	      (g.count == 1 ? " call" : " calls") + ", " + validUtf8(g.protocol) + " over " +
	      validUtf8(g.family) + "\n";
	md += nameLine(g);
	md += "- Executable: " + code(g.exe) + "\n";
	for (size_t i = 0; i < g.argvs.size() && i < kMaxArgvShown; i++)
		md += "- Process: " + code(shellJoin(g.argvs[i])) + "\n";
	if (g.argvs.size() > kMaxArgvShown)
		md += "- and " + std::to_string(g.argvs.size() - kMaxArgvShown) +
		      " more processes (see report.json)\n";
	return md + remedy(g, listenerShown);
}

// The step's process tree as a Mermaid flowchart, and what it leaves out; nothing when no
// process the detector recorded made a violation.
std::string processTreeSection(const StepEvidence &s)
{
	std::optional<ProcessTreeSummary> tree = processTreeOf(s);
	if (!tree || tree->nodes.empty())
		return "";
	std::string md = "\n### " + cell(validUtf8(s.id)) + ": process tree\n\n"
			 "The processes that made a violation (highlighted) and their ancestors; the other processes are "
			 "counted under their nearest drawn ancestor.";
	if (tree->pathProcesses > tree->nodes.size())
		md += " Only the first " + std::to_string(tree->nodes.size()) + " of the " +
		      std::to_string(tree->pathProcesses) +
		      " processes on a path to a violation are drawn (in the order of their executables and "
		      "arguments); the others are in the counts.";
	return md + "\n\n```mermaid\n" + processTreeMermaid(*tree) + "```\n";
}

std::string violations(const std::vector<StepEvidence> &steps)
{
	std::string md;
	for (const StepEvidence &s : steps) {
		std::vector<ViolationGroup> groups = aggregateViolations(s);
		md += processTreeSection(s);
		// Inbound rows sort before self rows (Direction order): a listener's section, with
		// its snippet, comes before the self connections that reached it.
		std::set<std::pair<std::string, std::optional<uint16_t>>> listeners;
		for (const ViolationGroup &g : groups) {
			if (g.kind == Direction::Inbound)
				listeners.insert({ g.address, g.port });
			bool listenerShown = g.kind == Direction::Self && listeners.count({ g.address, g.port });
			md += violationSection(s.id, g, listenerShown);
		}
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
			md += "| " + cell(validUtf8(s.id)) + " | " + code(key.first) + " | " +
			      (key.second.empty() ? std::string("(unreadable)") : code(key.second)) + " | " +
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
		md += "- " + code(hit.spec) + " from " + code(hit.source) + "\n";
	return md;
}

// Every descriptor above 2 the gate inherited, per step: closed before exec unless the
// policy passed it. Nothing when it inherited none.
std::string inheritedFds(const std::vector<StepEvidence> &steps)
{
	std::string rows;
	for (const StepEvidence &s : steps)
		for (const ReportedFd &o : s.inheritedFds)
			rows += "| " + cell(code(s.id)) + " | " + std::to_string(o.fd) + " | " + cell(code(o.summary)) +
				" | " + fdActionName(o.action) + (o.why.empty() ? "" : ": " + cell(validUtf8(o.why))) + " |\n";
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
