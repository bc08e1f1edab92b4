#include "evidence/report_md_parts.h"

#include <algorithm>
#include <optional>
#include <set>

#include "base/proc.h"
#include "base/shell_quote.h"
#include "evidence/allow_entry.h"
#include "evidence/text.h"

namespace hg {

// Inline code span that survives backticks in s (CommonMark: a longer fence and
// padding spaces) and newlines (shown as \n).
std::string mdCode(const std::string &raw)
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
std::string mdCell(const std::string &s)
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

std::string plainText(const std::string &s)
{
	return validUtf8(s);
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

namespace {

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

std::string stepsTableHead()
{
	return "| Step | Command | Result | Exit | Violations |\n| --- | --- | --- | --- | ---: |\n";
}

uint64_t violationCount(const StepEvidence &s)
{
	uint64_t count = 0;
	for (const ViolationGroup &g : aggregateViolations(s))
		count += g.count;
	return count;
}

std::string stepsTableRow(const StepEvidence &s)
{
	return "| " + mdCell(mdCode(s.id)) + " | " + mdCell(mdCode(shellJoin(s.command))) + " | " +
	       stepResultName(stepResult(s)) + " | " + mdCell(exitText(s)) + " | " +
	       std::to_string(violationCount(s)) + " |\n";
}

namespace {

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

} // namespace

std::string violationWhat(const ViolationKey &k, QuoteFn quote)
{
	std::string what = std::string(directionName(k.kind)) + " " + validUtf8(k.syscall);
	if (k.kind == Direction::Dns)
		return what + " for " + quote(k.name) + " via " + quote(rowEndpointText(k));
	if (k.kind == Direction::Raw)
		return what;
	return what + (k.kind == Direction::Inbound ? " on " : " to ") + quote(rowEndpointText(k)) +
	       (portChosenByKernel(k) ? " (port chosen by the kernel)" : "");
}

namespace {

// Which name the address came from, for an inet destination of the step.
std::string nameLine(const ViolationGroup &g)
{
	if (g.kind != Direction::Outbound || !g.port)
		return "";
	if (g.name.empty())
		return "- Literal address: the step never resolved it by name\n";
	return "- Name: " + mdCode(g.name) + " (the step's DNS answer gave this address)\n";
}

std::string violationSection(const std::string &stepId, const ViolationGroup &g, bool listenerShown)
{
	std::string md = "\n### " + mdCell(validUtf8(stepId)) + ": " + violationWhat(g, mdCode) + "\n\n";
	md += "- " + std::string(decisionName(g.decision)) + ", " + std::to_string(g.count) +
	      (g.count == 1 ? " call" : " calls") + ", " + validUtf8(g.protocol) + " over " +
	      validUtf8(g.family) + "\n";
	md += nameLine(g);
	md += "- Executable: " + mdCode(g.exe) + "\n";
	for (size_t i = 0; i < g.argvs.size() && i < kMaxArgvShown; i++)
		md += "- Process: " + mdCode(shellJoin(g.argvs[i])) + "\n";
	if (g.argvs.size() > kMaxArgvShown)
		md += "- and " + std::to_string(g.argvs.size() - kMaxArgvShown) +
		      " more processes (see report.json)\n";
	return md + remedy(g, listenerShown);
}

} // namespace

std::vector<std::string> stepViolationSections(const StepEvidence &s)
{
	std::vector<std::string> sections;
	std::vector<ViolationGroup> groups = aggregateViolations(s);
	// Inbound rows sort before self rows (Direction order): a listener's section, with
	// its snippet, comes before the self connections that reached it.
	std::set<std::pair<std::string, std::optional<uint16_t>>> listeners;
	for (const ViolationGroup &g : groups) {
		if (g.kind == Direction::Inbound)
			listeners.insert({ g.address, g.port });
		bool listenerShown = g.kind == Direction::Self && listeners.count({ g.address, g.port });
		sections.push_back(violationSection(s.id, g, listenerShown));
	}
	return sections;
}

std::vector<std::string> violationSections(const std::vector<StepEvidence> &steps)
{
	std::vector<std::string> sections;
	for (const StepEvidence &s : steps)
		for (std::string &section : stepViolationSections(s))
			sections.push_back(std::move(section));
	return sections;
}

} // namespace hg
