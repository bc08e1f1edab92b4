#include "evidence/report_reader.h"

#include <rapidjson/error/en.h>
#include <rapidjson/schema.h>
#include <rapidjson/stringbuffer.h>

#include <initializer_list>
#include <map>

#include "base/proc.h"
#include "evidence/report_schema.h" // kReportSchemaJson, generated from evidence-schema/
#include "policy/allowlist.h"

namespace hg {

namespace {

constexpr const char *kFix = " (pass the report.json of a hermetic-gate run of this version)";

std::string pointerText(const rapidjson::Pointer &p)
{
	rapidjson::StringBuffer buf;
	p.StringifyUriFragment(buf);
	return std::string(buf.GetString(), buf.GetSize());
}

const rapidjson::SchemaDocument &reportSchema()
{
	// The schema document refers into its source document: both live as long as the program.
	static const rapidjson::Document source = [] {
		rapidjson::Document d;
		d.Parse(kReportSchemaJson);
		return d;
	}();
	static const rapidjson::SchemaDocument schema(source);
	return schema;
}

std::string strOrEmpty(const rapidjson::Value &v)
{
	return v.IsString() ? std::string(v.GetString(), v.GetStringLength()) : std::string();
}

std::optional<Direction> directionFromName(const std::string &name)
{
	for (Direction d : { Direction::None, Direction::Local, Direction::Outbound, Direction::Inbound, Direction::Evasion,
			     Direction::Self, Direction::Dns, Direction::Delegated, Direction::Raw })
		if (name == directionName(d))
			return d;
	return std::nullopt;
}

// "PATH: unknown WHAT at #/steps/2/violations/0 (fix)".
Error unknownAt(const std::string &displayName, const char *what, const std::string &where)
{
	std::string msg = displayName;
	return Error::msg(msg.append(": unknown ").append(what).append(" at #").append(where).append(kFix));
}

// The key of one violations[] entry, or nullopt for a kind this gate does not know.
std::optional<ViolationKey> violationKeyOf(const rapidjson::Value &v)
{
	auto kind = directionFromName(strOrEmpty(v["kind"]));
	if (!kind)
		return std::nullopt;
	ViolationKey k;
	k.kind = *kind;
	k.syscall = strOrEmpty(v["syscall"]);
	k.family = strOrEmpty(v["family"]);
	k.protocol = strOrEmpty(v["protocol"]);
	k.address = strOrEmpty(v["address"]);
	if (v["port"].IsUint())
		k.port = static_cast<uint16_t>(v["port"].GetUint());
	k.name = strOrEmpty(v["name"]);
	k.exe = strOrEmpty(v["executable"]);
	k.decision = strOrEmpty(v["decision"]) == "denied" ? Decision::Denied : Decision::Audited;
	return k;
}

std::vector<std::string> stringsOf(const rapidjson::Value &array)
{
	std::vector<std::string> out;
	for (const rapidjson::Value &v : array.GetArray())
		out.push_back(strOrEmpty(v));
	return out;
}

} // namespace

Expected<void> parseReport(std::string_view text, const std::string &displayName, rapidjson::Document &doc)
{
	std::string owned(text); // RapidJSON parses NUL-terminated text
	doc.Parse(owned.c_str());
	if (doc.HasParseError()) {
		std::string msg = displayName;
		msg.append(": not JSON: ").append(rapidjson::GetParseError_En(doc.GetParseError()));
		msg.append(" at offset ").append(std::to_string(doc.GetErrorOffset())).append(kFix);
		return Error::msg(msg);
	}
	rapidjson::SchemaValidator validator(reportSchema());
	if (!doc.Accept(validator)) {
		std::string msg = displayName;
		msg.append(": does not match the report schema: keyword '").append(validator.GetInvalidSchemaKeyword());
		msg.append("' at schema ").append(pointerText(validator.GetInvalidSchemaPointer()));
		msg.append(", document ").append(pointerText(validator.GetInvalidDocumentPointer())).append(kFix);
		return Error::msg(msg);
	}
	return {};
}

Expected<ReportFacts> reportFacts(const rapidjson::Document &doc, const std::string &displayName)
{
	ReportFacts facts;
	facts.sha = strOrEmpty(doc["sha"]);
	facts.policyPath = strOrEmpty(doc["policy"]["path"]);
	facts.policySha256 = strOrEmpty(doc["policy"]["sha256"]);
	const auto &steps = doc["steps"].GetArray();
	for (rapidjson::SizeType i = 0; i < steps.Size(); i++) {
		ReportStep step;
		step.id = strOrEmpty(steps[i]["id"]);
		const auto &violations = steps[i]["violations"].GetArray();
		for (rapidjson::SizeType j = 0; j < violations.Size(); j++) {
			auto key = violationKeyOf(violations[j]);
			if (!key)
				return unknownAt(displayName, "violation kind",
						 "/steps/" + std::to_string(i) + "/violations/" + std::to_string(j));
			step.violations.push_back(std::move(*key));
		}
		facts.steps.push_back(std::move(step));
	}
	return facts;
}

namespace {

// The enumerator whose name (as names() gives it) is name, among values.
template<typename T, typename NameOf>
std::optional<T> byName(const std::string &name, std::initializer_list<T> values, NameOf names)
{
	for (T value : values)
		if (name == names(value))
			return value;
	return std::nullopt;
}

// The signal signalName() calls name ("SIGKILL", "SIG77").
std::optional<int> signalNumber(const std::string &name)
{
	for (int sig = 1; sig < 128; sig++)
		if (signalName(sig) == name)
			return sig;
	return std::nullopt;
}

// The violations of a step, with one made-up process per distinct argv of their callers.
Expected<void> readViolations(const rapidjson::Value &list, const std::string &where, const std::string &displayName,
			      StepEvidence &step)
{
	std::map<std::vector<std::string>, pid_t> pids;
	for (rapidjson::SizeType j = 0; j < list.Size(); j++) {
		auto key = violationKeyOf(list[j]);
		if (!key)
			return unknownAt(displayName, "violation kind", where + "/violations/" + std::to_string(j));
		ViolationTally &tally = step.aggregates.violations[*key];
		tally.count += list[j]["count"].GetUint64();
		for (const rapidjson::Value &argv : list[j]["processes"].GetArray()) {
			auto [it, added] = pids.try_emplace(stringsOf(argv), static_cast<pid_t>(pids.size() + 1));
			if (added) {
				ProcessRecord proc;
				proc.pid = it->second;
				proc.spawnSeq = static_cast<uint64_t>(it->second);
				proc.argv = it->first;
				step.processes.push_back(std::move(proc));
			}
			tally.pids.insert(it->second);
		}
	}
	return {};
}

// One exceptions_used or exceptions_unused entry, appended to the step's allowlist.
Expected<void> readException(const rapidjson::Value &v, const std::string &where, const std::string &displayName,
			     StepEvidence &step)
{
	auto scope = byName(strOrEmpty(v["direction"]),
			    { ExceptionScope::Outbound, ExceptionScope::Inbound, ExceptionScope::Delegated }, scopeName);
	if (!scope)
		return unknownAt(displayName, "exception direction", where);
	Exception e;
	e.scope = *scope;
	e.spec = strOrEmpty(v["spec"]);
	e.source = strOrEmpty(v["source"]);
	if (v.HasMember("resolved")) {
		e.host = e.spec; // a name: exceptionUsage() lists what it resolved to
		for (const std::string &text : stringsOf(v["resolved"])) {
			auto net = parseHostException(text, e.source);
			if (!net || net->nets.size() != 1 || net->nets[0].str() != text)
				return unknownAt(displayName, "resolved address", where + "/resolved");
			e.nets.push_back(net->nets[0]);
		}
	}
	if (v.HasMember("hits")) {
		int index = static_cast<int>(step.exceptions.size());
		step.aggregates.exceptionHits[index] = ExceptionTally{ v["hits"].GetUint64(), static_cast<uint64_t>(index) };
	}
	step.exceptions.push_back(std::move(e));
	return {};
}

Expected<ReportedFd> readInheritedFd(const rapidjson::Value &v, const std::string &where, const std::string &displayName)
{
	auto action = byName(strOrEmpty(v["action"]), { FdAction::Closed, FdAction::Passed, FdAction::Refused },
			     fdActionName);
	if (!action)
		return unknownAt(displayName, "descriptor action", where);
	ReportedFd fd{ v["fd"].GetInt(), strOrEmpty(v["type"]), strOrEmpty(v["detail"]), std::nullopt,
		       strOrEmpty(v["summary"]), *action, strOrEmpty(v["reason"]) };
	const rapidjson::Value &sock = v["socket"];
	if (sock.IsObject())
		fd.socket = ReportedSocket{ strOrEmpty(sock["family"]), strOrEmpty(sock["type"]),
					    strOrEmpty(sock["protocol"]), sock["listening"].GetBool(),
					    sock["connecting"].GetBool(), strOrEmpty(sock["local"]),
					    strOrEmpty(sock["peer"]) };
	return fd;
}

// How the step ended: exit code, signal, timeout, error, and whether it started at all.
Expected<void> readOutcome(const rapidjson::Value &v, const std::string &where, const std::string &displayName,
			   StepEvidence &step)
{
	if (v["exit_code"].IsInt())
		step.exitCode = v["exit_code"].GetInt();
	if (v["signal"].IsString()) {
		auto sig = signalNumber(strOrEmpty(v["signal"]));
		if (!sig)
			return unknownAt(displayName, "signal", where + "/signal");
		step.signal = *sig;
	}
	step.timedOut = v["timed_out"].GetBool();
	step.error = strOrEmpty(v["error"]);
	step.started = !(v["exit_code"].IsNull() && v["signal"].IsNull() && v["error"].IsString());
	return {};
}

Expected<TreeNode> readTreeNode(const rapidjson::Value &v, const std::string &where, const std::string &displayName)
{
	TreeNode n;
	n.parent = v["parent"].IsInt() ? v["parent"].GetInt() : -1;
	n.exe = strOrEmpty(v["executable"]);
	n.command = strOrEmpty(v["command"]);
	n.violating = v["violating"].GetBool();
	const auto &destinations = v["destinations"].GetArray();
	for (rapidjson::SizeType i = 0; i < destinations.Size(); i++) {
		auto kind = directionFromName(strOrEmpty(destinations[i]["kind"]));
		if (!kind)
			return unknownAt(displayName, "violation kind", where + "/destinations/" + std::to_string(i));
		n.destinations.push_back(TreeDestination{ *kind, strOrEmpty(destinations[i]["endpoint"]),
							  strOrEmpty(destinations[i]["name"]) });
	}
	n.moreDestinations = v["more_destinations"].GetUint64();
	n.others = v["other_processes"].GetUint64();
	n.othersViolating = v["other_violating"].GetUint64();
	return n;
}

// A process_tree object; a parent must come before its child, as the renderer writes them.
Expected<void> readProcessTree(const rapidjson::Value &v, const std::string &where, const std::string &displayName,
			       StepEvidence &step)
{
	ProcessTreeSummary tree;
	tree.pathProcesses = v["path_processes"].GetUint64();
	const auto &nodes = v["nodes"].GetArray();
	for (rapidjson::SizeType i = 0; i < nodes.Size(); i++) {
		std::string at = where + "/nodes/" + std::to_string(i);
		auto node = readTreeNode(nodes[i], at, displayName);
		if (!node)
			return node.error();
		if (node->parent >= static_cast<int>(i))
			return unknownAt(displayName, "parent (not an earlier node)", at + "/parent");
		tree.nodes.push_back(std::move(*node));
	}
	step.processTree = std::move(tree);
	return {};
}

Expected<StepEvidence> readStep(const rapidjson::Value &v, const std::string &where, const std::string &displayName)
{
	StepEvidence step;
	step.id = strOrEmpty(v["id"]);
	step.command = stringsOf(v["command"]);
	step.envRemoved = stringsOf(v["env_removed"]);
	Expected<void> ok = readOutcome(v, where, displayName, step);
	if (ok)
		ok = readViolations(v["violations"], where, displayName, step);
	for (const char *list : { "exceptions_used", "exceptions_unused" }) {
		const auto &entries = v[list].GetArray();
		for (rapidjson::SizeType i = 0; ok && i < entries.Size(); i++)
			ok = readException(entries[i], where + "/" + list + "/" + std::to_string(i), displayName, step);
	}
	if (ok && v.HasMember("process_tree") && v["process_tree"].IsObject())
		ok = readProcessTree(v["process_tree"], where + "/process_tree", displayName, step);
	if (!ok)
		return ok.error();
	for (const rapidjson::Value &c : v["outside_channels"].GetArray())
		step.aggregates.outsideChannels[{ strOrEmpty(c["socket"]), strOrEmpty(c["peer_exe"]) }] +=
			c["connects"].GetUint64();
	const auto &fds = v["inherited_fds"].GetArray();
	for (rapidjson::SizeType i = 0; i < fds.Size(); i++) {
		auto fd = readInheritedFd(fds[i], where + "/inherited_fds/" + std::to_string(i), displayName);
		if (!fd)
			return fd.error();
		step.inheritedFds.push_back(std::move(*fd));
	}
	return step;
}

Expected<std::vector<HealthCheck>> readHealth(const rapidjson::Value &list, const std::string &displayName)
{
	std::vector<HealthCheck> checks;
	for (rapidjson::SizeType i = 0; i < list.Size(); i++) {
		auto status = byName(strOrEmpty(list[i]["status"]),
				     { HealthStatus::Ok, HealthStatus::Missing, HealthStatus::Unknown }, healthStatusName);
		if (!status)
			return unknownAt(displayName, "health status", "/enforcement_health/" + std::to_string(i));
		checks.push_back(HealthCheck{ strOrEmpty(list[i]["check"]), *status, strOrEmpty(list[i]["detail"]) });
	}
	return checks;
}

} // namespace

Expected<RunEvidence> readRunEvidence(const rapidjson::Document &doc, const std::string &displayName)
{
	RunEvidence run;
	run.sha = strOrEmpty(doc["sha"]);
	run.policyPath = strOrEmpty(doc["policy"]["path"]);
	run.policySha256 = strOrEmpty(doc["policy"]["sha256"]);
	run.detector = strOrEmpty(doc["detector"]);
	run.detectorNote = strOrEmpty(doc["detector_note"]);
	run.detectorLimits = stringsOf(doc["detector_limits"]);
	run.kernelRelease = strOrEmpty(doc["kernel_release"]);
	run.mode = strOrEmpty(doc["mode"]);
	run.toolVersion = strOrEmpty(doc["tool"]["version"]);
	run.complete = doc["complete"].GetBool();
	run.incompleteReason = strOrEmpty(doc["incomplete_reason"]);
	auto health = readHealth(doc["enforcement_health"], displayName);
	if (!health)
		return health.error();
	run.health = std::move(*health);
	const auto &steps = doc["steps"].GetArray();
	for (rapidjson::SizeType i = 0; i < steps.Size(); i++) {
		auto step = readStep(steps[i], "/steps/" + std::to_string(i), displayName);
		if (!step)
			return step.error();
		run.steps.push_back(std::move(*step));
	}
	return run;
}

} // namespace hg
