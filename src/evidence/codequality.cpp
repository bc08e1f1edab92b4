#include "evidence/codequality.h"

#include "evidence/json_text.h"

namespace hg {

Expected<std::string> renderCodeQuality(const RunEvidence &run, const StepSpots &spots)
{
	auto findings = ciFindings(run);
	if (!findings)
		return findings.error();
	const char *severity = findingsAreErrors(run) ? "critical" : "major";
	JsonDocument doc;
	JsonWriter &w = doc.writer();
	w.StartArray();
	for (const CiFinding &f : *findings) {
		w.StartObject();
		w.Key("description");
		jsonString(w, "Step " + f.stepId + ": " + f.summary);
		w.Key("check_name");
		jsonString(w, std::string(kToolName) + "/" + directionName(f.group.kind));
		w.Key("fingerprint");
		jsonString(w, f.fingerprint);
		w.Key("severity");
		w.String(severity);
		w.Key("location");
		w.StartObject();
		w.Key("path");
		jsonString(w, run.policyPath);
		w.Key("lines");
		w.StartObject();
		w.Key("begin");
		w.Int(stepSpot(spots, f.stepId).line);
		w.EndObject();
		w.EndObject();
		w.EndObject();
	}
	w.EndArray();
	return doc.text();
}

} // namespace hg
