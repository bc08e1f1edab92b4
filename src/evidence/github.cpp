#include "evidence/github.h"

#include "base/shell_quote.h"
#include "evidence/report_md_parts.h"
#include "evidence/text.h"

namespace hg {

namespace {

std::string percentEscape(std::string_view s, std::string_view special)
{
	static constexpr char kHex[] = "0123456789ABCDEF";
	std::string out;
	for (char c : s) {
		if (special.find(c) == std::string_view::npos) {
			out += c;
			continue;
		}
		auto byte = static_cast<unsigned char>(c);
		out += '%';
		out += kHex[byte >> 4];
		out += kHex[byte & 0xf];
	}
	return out;
}

// Appends items to out while fewer than maxItems are appended and out stays within
// maxBytes; returns how many it appended.
size_t appendCapped(std::string &out, const std::vector<std::string> &items, size_t maxItems, size_t maxBytes)
{
	size_t shown = 0;
	for (const std::string &item : items) {
		if (shown == maxItems || out.size() + item.size() > maxBytes)
			break;
		out += item;
		shown++;
	}
	return shown;
}

std::string more(size_t left, const char *what, const std::string &evidenceDir)
{
	return "\nand " + std::to_string(left) + " more " + what + ": see report.md in the evidence folder " +
	       mdCode(evidenceDir) + "\n";
}

// The verdict and the facts that qualify it.
std::string summaryHeader(const RunEvidence &run, const std::string &evidenceDir)
{
	std::string md = "\n## hermetic-gate: " + std::string(stepResultName(overallResult(run))) + "\n\n";
	md += "Mode " + run.mode + ", commit " + mdCode(run.sha);
	if (!run.policyPath.empty())
		md += ", policy " + mdCode(run.policyPath);
	md += "; evidence in " + mdCode(evidenceDir) + ".\n";
	if (!run.detectorNote.empty())
		md += "\n> **Weaker detector:** " + validUtf8(run.detectorNote) + "\n";
	if (!run.complete)
		md += "\n> **Incomplete run:** " +
		      validUtf8(run.incompleteReason.empty() ? "unknown" : run.incompleteReason) + "\n";
	return md;
}

// What the annotation's title names: the name asked for a DNS query, else the destination.
std::string destination(const ViolationGroup &g)
{
	return validUtf8(g.kind == Direction::Dns ? g.name : rowEndpointText(g));
}

std::string annotationMessage(const CiFinding &f)
{
	const ViolationGroup &g = f.group;
	std::string text = validUtf8(f.summary);
	if (!g.argvs.empty())
		text += "\nprocess: " + validUtf8(shellJoin(g.argvs.front()));
	if (g.argvs.size() > 1)
		text += " (and " + std::to_string(g.argvs.size() - 1) + " more)";
	return text + "\n" + f.fixText;
}

std::string annotation(const RunEvidence &run, const CiFinding &f, const StepSpots &spots)
{
	std::string props;
	if (!run.policyPath.empty()) {
		PolicySpot spot = stepSpot(spots, f.stepId);
		props = "file=" + githubProperty(validUtf8(run.policyPath)) + ",line=" + std::to_string(spot.line) +
			",col=" + std::to_string(spot.column) + ",";
	}
	props += "title=" + githubProperty("hermetic-gate: step " + validUtf8(f.stepId) + " -> " + destination(f.group));
	return (run.mode == "enforce" ? "::error " : "::warning ") + props + "::" + githubData(annotationMessage(f));
}

std::string outputLine(const std::string &name, const std::string &value)
{
	if (value.find_first_of("\r\n") == std::string::npos)
		return name + "=" + value + "\n";
	std::string delimiter = "HERMETIC_GATE_EOF";
	while (value.find(delimiter) != std::string::npos)
		delimiter += "_";
	return name + "<<" + delimiter + "\n" + value + "\n" + delimiter + "\n";
}

} // namespace

std::string githubProperty(std::string_view s)
{
	return percentEscape(s, "%\r\n:,");
}

std::string githubData(std::string_view s)
{
	return percentEscape(s, "%\r\n");
}

std::string githubSummary(const RunEvidence &run, const std::string &evidenceDir)
{
	std::string md = summaryHeader(run, evidenceDir) + "\n" + stepsTableHead();
	std::vector<std::string> rows;
	for (const StepEvidence &s : run.steps)
		rows.push_back(stepsTableRow(s));
	// A quarter of the budget for the table, so the violations always have room.
	size_t shownRows = appendCapped(md, rows, kSummaryMaxSteps, kSummaryMaxBytes / 4);
	if (shownRows < rows.size())
		md += more(rows.size() - shownRows, "steps", evidenceDir);
	std::vector<std::string> sections = violationSections(run.steps);
	if (sections.empty())
		return md + "\nNo violations.\n";
	size_t shown = appendCapped(md, sections, kSummaryMaxViolations, kSummaryMaxBytes);
	if (shown < sections.size())
		md += more(sections.size() - shown, "violations", evidenceDir);
	return md;
}

std::vector<std::string> githubAnnotations(const RunEvidence &run, const StepSpots &spots)
{
	std::vector<std::string> lines;
	for (const CiFinding &f : ciFindings(run))
		lines.push_back(annotation(run, f, spots));
	return lines;
}

std::string githubOutputs(const RunEvidence &run, const std::string &evidenceDir)
{
	uint64_t violations = 0;
	for (const StepEvidence &s : run.steps)
		violations += violationCount(s);
	return outputLine("result", stepResultName(overallResult(run))) +
	       outputLine("violations", std::to_string(violations)) + outputLine("evidence_dir", evidenceDir);
}

} // namespace hg
