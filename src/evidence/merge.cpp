#include "evidence/merge.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <utility>

namespace hg {

namespace {

// A field every shard must have alike, as one run would.
struct AgreedField {
	const char *what; // "commits", "policies"
	std::function<std::string(const RunEvidence &)> value;
	const char *fix;
};

std::string policyText(const RunEvidence &run)
{
	if (run.policyPath.empty())
		return "no policy file";
	return "policy " + run.policyPath + " sha256 " + run.policySha256;
}

const AgreedField kAgreedFields[] = {
	{ "commits", [](const RunEvidence &r) { return "sha " + r.sha; },
	  "merge only the evidence folders of one commit" },
	{ "policies", policyText, "run every shard with the same policy file" },
	{ "modes", [](const RunEvidence &r) { return r.mode; }, "run every shard in the same mode (--audit or --enforce)" },
	{ "gate versions", [](const RunEvidence &r) { return "hermetic-gate " + r.toolVersion; },
	  "use the same hermetic-gate in every shard" },
};

Error apart(const Shard &a, const Shard &b, const std::string &why, const char *fix)
{
	return Error::msg("shards " + a.name + " and " + b.name + " " + why + ": " + fix);
}

Expected<void> checkBelongTogether(const std::vector<Shard> &shards)
{
	for (const AgreedField &field : kAgreedFields)
		for (const Shard &s : shards)
			if (field.value(s.run) != field.value(shards[0].run))
				return apart(shards[0], s,
					     std::string("are of different ") + field.what + " (" + field.value(shards[0].run) +
						     "; " + field.value(s.run) + ")",
					     field.fix);
	std::map<std::string, const Shard *> owner;
	for (const Shard &s : shards)
		for (const StepEvidence &step : s.run.steps) {
			auto [it, added] = owner.try_emplace(step.id, &s);
			if (!added)
				return apart(*it->second, s, "both have step '" + step.id + "'",
					     "run each step in one shard only (hermetic-gate run --step ID)");
		}
	return {};
}

// "step a", "steps a, b", "no step".
std::string stepsText(const RunEvidence &run)
{
	if (run.steps.empty())
		return "no step";
	std::string out = run.steps.size() == 1 ? "step " : "steps ";
	for (size_t i = 0; i < run.steps.size(); i++)
		out += (i ? ", " : "") + run.steps[i].id;
	return out;
}

// values joined with sep, each once, in order of first appearance; empty values skipped.
std::string joinDistinct(const std::vector<std::string> &values, const char *sep)
{
	std::vector<std::string> seen;
	for (const std::string &v : values)
		if (!v.empty() && std::find(seen.begin(), seen.end(), v) == seen.end())
			seen.push_back(v);
	std::string out;
	for (const std::string &v : seen)
		out += (out.empty() ? "" : sep) + v;
	return out;
}

void mergeDetector(const std::vector<Shard> &shards, RunEvidence &merged)
{
	std::vector<std::string> notes, ptraceSteps;
	bool anyPoll = false, anyPtrace = false;
	for (const Shard &s : shards) {
		bool poll = s.run.detector != "ptrace";
		anyPoll = anyPoll || poll;
		anyPtrace = anyPtrace || !poll;
		if (!poll)
			ptraceSteps.push_back(stepsText(s.run));
		notes.push_back(s.run.detectorNote);
		for (const std::string &limit : s.run.detectorLimits)
			if (std::find(merged.detectorLimits.begin(), merged.detectorLimits.end(), limit) ==
			    merged.detectorLimits.end())
				merged.detectorLimits.push_back(limit);
	}
	merged.detector = anyPoll ? "proc-poll" : "ptrace";
	merged.detectorNote = joinDistinct(notes, "; ");
	if (anyPoll && anyPtrace)
		merged.detectorNote = "only the shards of " + joinDistinct(ptraceSteps, "; ") +
				      " ran under the native tracer" + (merged.detectorNote.empty() ? "" : "; ") +
				      merged.detectorNote;
}

int severity(HealthStatus s)
{
	return s == HealthStatus::Missing ? 2 : s == HealthStatus::Unknown ? 1 : 0;
}

// One check as the shards reported it: alike, or its worst status and who saw what.
HealthCheck mergeCheck(const std::string &name, const std::vector<Shard> &shards)
{
	std::vector<std::pair<HealthCheck, std::string>> seen; // (check as a shard had it, its steps)
	for (const Shard &s : shards) {
		HealthCheck c{ name, HealthStatus::Unknown, "not probed" };
		for (const HealthCheck &h : s.run.health)
			if (h.check == name)
				c = h;
		seen.emplace_back(c, stepsText(s.run));
	}
	HealthCheck out = seen[0].first;
	bool alike = true;
	for (const auto &[c, steps] : seen) {
		alike = alike && c.status == out.status && c.detail == out.detail;
		if (severity(c.status) > severity(out.status))
			out.status = c.status;
	}
	if (alike)
		return out;
	std::vector<std::string> parts;
	for (const auto &[c, steps] : seen)
		parts.push_back(std::string(healthStatusName(c.status)) + (c.detail.empty() ? "" : " (" + c.detail + ")") +
				" for " + steps);
	out.detail = "differs between shards: " + joinDistinct(parts, "; ");
	return out;
}

void mergeHealth(const std::vector<Shard> &shards, RunEvidence &merged)
{
	std::vector<std::string> names;
	for (const Shard &s : shards)
		for (const HealthCheck &h : s.run.health)
			if (std::find(names.begin(), names.end(), h.check) == names.end())
				names.push_back(h.check);
	for (const std::string &name : names)
		merged.health.push_back(mergeCheck(name, shards));
}

} // namespace

Expected<RunEvidence> mergeRuns(std::vector<Shard> shards)
{
	if (shards.empty())
		return Error::msg("no evidence folder to merge: name at least one");
	std::sort(shards.begin(), shards.end(), [](const Shard &a, const Shard &b) { return a.text < b.text; });
	if (auto together = checkBelongTogether(shards); !together)
		return together.error();

	const RunEvidence &first = shards[0].run;
	RunEvidence merged;
	merged.sha = first.sha;
	merged.policyPath = first.policyPath;
	merged.policySha256 = first.policySha256;
	merged.mode = first.mode;
	merged.toolVersion = first.toolVersion;
	std::vector<std::string> kernels, reasons;
	for (Shard &s : shards) {
		kernels.push_back(s.run.kernelRelease);
		merged.complete = merged.complete && s.run.complete;
		if (!s.run.complete)
			reasons.push_back(s.run.incompleteReason.empty() ? "unknown" : s.run.incompleteReason);
	}
	merged.kernelRelease = joinDistinct(kernels, ", ");
	merged.incompleteReason = joinDistinct(reasons, "; ");
	mergeDetector(shards, merged);
	mergeHealth(shards, merged);
	for (Shard &s : shards)
		for (StepEvidence &step : s.run.steps)
			merged.steps.push_back(std::move(step));
	std::sort(merged.steps.begin(), merged.steps.end(),
		  [](const StepEvidence &a, const StepEvidence &b) { return a.id < b.id; });
	return merged;
}

} // namespace hg
