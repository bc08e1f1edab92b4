#include "evidence/sarif.h"

#include <cstdio>
#include <iterator>

#include "evidence/json_text.h"

namespace hg {

namespace {

struct Rule {
	Direction kind;
	const char *name;
	const char *description;
};

// One rule per kind a violation can have, in the order of Direction.
constexpr Rule kRules[] = {
	{ Direction::Outbound, "OutboundNetworkCall",
	  "A process of the step connected or sent to a network address that no allow: entry covers." },
	{ Direction::Inbound, "InboundSocket",
	  "A process of the step listened, or bound a datagram socket, on an address that no allow.inbound entry covers." },
	{ Direction::Evasion, "GateEvasion",
	  "A process of the step tried to blind or get around the gate (an untraced clone, a signal to the gate, ...)." },
	{ Direction::Self, "SelfConnection",
	  "A process of the step connected to a listener of the same step that no allow.inbound entry covers." },
	{ Direction::Dns, "DnsQuery", "The step asked its resolver for a name that no allow: entry covers." },
	{ Direction::Delegated, "DelegatedEgress",
	  "The step asked a daemon (Docker, ...) through its socket to act for it; what the daemon does is not traced." },
	{ Direction::Raw, "RawSocket",
	  "A process of the step opened a raw or packet socket, which receives the machine's packets and sends with "
	  "headers of its own." },
};

void rules(JsonWriter &w, const char *level)
{
	w.StartArray();
	for (const Rule &r : kRules) {
		w.StartObject();
		w.Key("id");
		w.String(directionName(r.kind));
		w.Key("name");
		w.String(r.name);
		w.Key("shortDescription");
		w.StartObject();
		w.Key("text");
		w.String(r.description);
		w.EndObject();
		w.Key("defaultConfiguration");
		w.StartObject();
		w.Key("level");
		w.String(level);
		w.EndObject();
		w.EndObject();
	}
	w.EndArray();
}

void location(JsonWriter &w, const std::string &policyPath, PolicySpot spot)
{
	w.StartArray();
	w.StartObject();
	w.Key("physicalLocation");
	w.StartObject();
	w.Key("artifactLocation");
	w.StartObject();
	w.Key("uri");
	jsonString(w, uriFromPath(policyPath));
	w.EndObject();
	w.Key("region");
	w.StartObject();
	w.Key("startLine");
	w.Int(spot.line);
	w.Key("startColumn");
	w.Int(spot.column);
	w.EndObject();
	w.EndObject();
	w.EndObject();
	w.EndArray();
}

void result(JsonWriter &w, const RunEvidence &run, const CiFinding &f, const StepSpots &spots, const char *level)
{
	w.StartObject();
	w.Key("ruleId");
	w.String(directionName(f.group.kind));
	for (size_t i = 0; i < std::size(kRules); i++) {
		if (kRules[i].kind == f.group.kind) {
			w.Key("ruleIndex");
			w.Uint64(i);
		}
	}
	w.Key("level");
	w.String(level);
	w.Key("message");
	w.StartObject();
	w.Key("text");
	jsonString(w, "Step " + f.stepId + ": " + f.summary + ".\n\n" + f.fixText);
	w.Key("markdown");
	jsonString(w, "Step " + f.stepId + ": " + f.summary + ".\n\n" + f.fixMarkdown);
	w.EndObject();
	w.Key("locations");
	location(w, run.policyPath, stepSpot(spots, f.stepId));
	w.Key("partialFingerprints");
	w.StartObject();
	w.Key("hermeticGateViolation/v1");
	jsonString(w, f.fingerprint);
	w.EndObject();
	w.EndObject();
}

} // namespace

std::string uriFromPath(const std::string &path)
{
	std::string out;
	for (char c : path) {
		auto u = static_cast<unsigned char>(c);
		if (isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
			out += c;
		} else {
			char hex[4];
			snprintf(hex, sizeof(hex), "%%%02X", u);
			out += hex;
		}
	}
	return out;
}

Expected<std::string> renderSarif(const RunEvidence &run, const StepSpots &spots)
{
	auto findings = ciFindings(run);
	if (!findings)
		return findings.error();
	const char *level = findingsAreErrors(run) ? "error" : "warning";
	JsonDocument doc;
	JsonWriter &w = doc.writer();
	w.StartObject();
	w.Key("$schema");
	w.String("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json");
	w.Key("version");
	w.String("2.1.0");
	w.Key("runs");
	w.StartArray();
	w.StartObject();
	w.Key("tool");
	w.StartObject();
	w.Key("driver");
	w.StartObject();
	w.Key("name");
	w.String(kToolName);
	w.Key("version");
	jsonString(w, run.toolVersion);
	w.Key("rules");
	rules(w, level);
	w.EndObject();
	w.EndObject();
	w.Key("invocations");
	w.StartArray();
	w.StartObject();
	w.Key("executionSuccessful");
	w.Bool(run.complete);
	w.EndObject();
	w.EndArray();
	w.Key("results");
	w.StartArray();
	for (const CiFinding &f : *findings)
		result(w, run, f, spots, level);
	w.EndArray();
	w.EndObject();
	w.EndArray();
	w.EndObject();
	return doc.text();
}

} // namespace hg
