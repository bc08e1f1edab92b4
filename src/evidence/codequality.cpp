#include "evidence/codequality.h"

#include "evidence/json_text.h"

namespace hg {

Expected<std::string> renderCodeQuality(const RunEvidence &run, const StepSpots &spots)
{
	if (auto valid = validateRun(run); !valid)
		return valid.error();
	const char *severity = findingsAreErrors(run) ? "critical" : "major";
	rapidjson::StringBuffer buf;
	JsonWriter w(buf);
	w.SetIndent(' ', 2);
	w.StartArray();
	for (const CiFinding &f : ciFindings(run)) {
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
	return jsonText(buf);
}

} // namespace hg
