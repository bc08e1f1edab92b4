#pragma once
// Reading a report.json back (for `suggest` and `merge`): checked against
// evidence-schema/report.schema.json, which the binary carries, so a file from another tool
// or another schema version is refused with one line saying what and where.

#include <rapidjson/document.h>

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "evidence/run_report.h"
#include "evidence/step_aggregates.h"

namespace hg {

// Parses text as JSON and validates it against the report schema. Errors name displayName:
// "PATH: not JSON: Missing a comma ... at offset 12 (pass the report.json of a gate run)",
// "PATH: does not match the report schema: keyword 'required' at schema #/..., document #/steps/0 (...)".
Expected<void> parseReport(std::string_view text, const std::string &displayName, rapidjson::Document &doc);

// What `suggest` needs of a report: its steps and their violations.
struct ReportStep {
	std::string id;
	std::vector<ViolationKey> violations; // in report order
};

struct ReportFacts {
	std::string sha;
	std::string policyPath;   // "" when the run had no policy file
	std::string policySha256; // "" when the run had no policy file
	std::vector<ReportStep> steps;
};

// The facts of a document parseReport() accepted. A violation kind or decision the schema
// allows but this gate does not know fails with the document path.
Expected<ReportFacts> reportFacts(const rapidjson::Document &doc, const std::string &displayName);

// The run a document parseReport() accepted describes, in the form the renderers take: the
// "report" fields of RunEvidence, so that renderReportJson() and renderReportMd() of it give
// back the text the run itself rendered. Log-only fields stay empty; each violation's
// callers become ProcessRecords with made-up pids; an exception that resolved gets its
// resolved nets back, with its spec as host. Derived fields (result, stale_exceptions) are
// left to the renderers. A step with neither exit code nor signal but an error is read as
// one that could not start (report.json does not tell it from a started step whose exit the
// gate never saw, which `run` does not produce). Fails with the document path on a value
// the schema allows but this gate does not know (a violation kind, a signal name).
Expected<RunEvidence> readRunEvidence(const rapidjson::Document &doc, const std::string &displayName);

} // namespace hg
