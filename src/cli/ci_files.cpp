#include "cli/ci_files.h"

#include <fstream>

#include <fmt/core.h>

#include "evidence/atomic_file.h"
#include "evidence/codequality.h"
#include "evidence/junit_xml.h"
#include "evidence/sarif.h"

namespace hg {

namespace {

constexpr size_t kStderrTailBytes = 64 * 1024;

StderrTails stderrTails(const RunEvidence &run, const EvidenceWriter &writer)
{
	StderrTails tails;
	for (const StepEvidence &step : run.steps)
		tails[step.id] = fileTail(writer.stepLogPaths(step.id).stderrPath, kStderrTailLines, kStderrTailBytes);
	return tails;
}

bool writeOne(const char *option, const std::string &path, const Expected<std::string> &text)
{
	Expected<void> written = text ? writeFileAtomic(path, *text) : Expected<void>(text.error());
	if (written)
		return true;
	fmt::print(stderr, "hermetic-gate: error: {} {}: not written: {}\n", option, path, written.error().message);
	return false;
}

} // namespace

StepSpots policySpots(const Policy &policy)
{
	StepSpots spots;
	for (const Step &step : policy.steps)
		spots[step.id] = { step.line, step.column };
	return spots;
}

std::string fileTail(const std::string &path, size_t maxLines, size_t maxBytes)
{
	std::ifstream in(path, std::ios::binary | std::ios::ate);
	if (!in)
		return "";
	std::streamoff size = in.tellg();
	std::streamoff start = size > static_cast<std::streamoff>(maxBytes) ? size - static_cast<std::streamoff>(maxBytes) : 0;
	in.seekg(start);
	std::string text(static_cast<size_t>(size - start), '\0');
	if (!in.read(text.data(), static_cast<std::streamsize>(text.size())))
		return "";
	// Count back maxLines line ends, not counting the one that ends the file.
	size_t pos = text.size();
	if (pos > 0 && text[pos - 1] == '\n')
		pos--;
	for (size_t lines = 0; pos > 0; pos--) {
		if (text[pos - 1] == '\n' && ++lines == maxLines)
			break;
	}
	return text.substr(pos);
}

bool writeCiReports(const CiReportPaths &paths, const RunEvidence &run, const Policy &policy,
		    const EvidenceWriter &writer)
{
	bool ok = true;
	StepSpots spots = policySpots(policy);
	if (!paths.junit.empty())
		ok = writeOne("--junit", paths.junit, renderJunitXml(run, stderrTails(run, writer))) && ok;
	if (!paths.sarif.empty())
		ok = writeOne("--sarif", paths.sarif, renderSarif(run, spots)) && ok;
	if (!paths.codequality.empty())
		ok = writeOne("--codequality", paths.codequality, renderCodeQuality(run, spots)) && ok;
	return ok;
}

} // namespace hg
