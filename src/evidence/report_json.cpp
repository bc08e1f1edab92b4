#include "evidence/report_json.h"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <algorithm>

#include "base/proc.h"
#include "evidence/json_text.h"

namespace hg {

namespace {

void strOrNull(JsonWriter &w, const std::string &s)
{
	if (s.empty())
		w.Null();
	else
		jsonString(w, s);
}

void strings(JsonWriter &w, const std::vector<std::string> &list)
{
	w.StartArray();
	for (const std::string &s : list)
		jsonString(w, s);
	w.EndArray();
}

void health(JsonWriter &w, const std::vector<HealthCheck> &checks)
{
	w.StartArray();
	for (const HealthCheck &c : checks) {
		w.StartObject();
		w.Key("check");
		jsonString(w, c.check);
		w.Key("status");
		w.String(healthStatusName(c.status));
		w.Key("detail");
		jsonString(w, c.detail);
		w.EndObject();
	}
	w.EndArray();
}

void violations(JsonWriter &w, const std::vector<ViolationGroup> &groups)
{
	w.StartArray();
	for (const ViolationGroup &g : groups) {
		w.StartObject();
		w.Key("kind");
		w.String(directionName(g.kind));
		w.Key("syscall");
		jsonString(w, g.syscall);
		w.Key("family");
		jsonString(w, g.family);
		w.Key("protocol");
		jsonString(w, g.protocol);
		w.Key("address");
		strOrNull(w, g.address);
		w.Key("port");
		if (g.port)
			w.Uint(*g.port);
		else
			w.Null();
		w.Key("port_chosen_by_kernel");
		w.Bool(portChosenByKernel(g));
		w.Key("name");
		strOrNull(w, g.name);
		w.Key("executable");
		jsonString(w, g.exe);
		w.Key("decision");
		w.String(decisionName(g.decision));
		w.Key("count");
		w.Uint64(g.count);
		w.Key("processes");
		w.StartArray();
		for (const auto &argv : g.argvs)
			strings(w, argv);
		w.EndArray();
		w.EndObject();
	}
	w.EndArray();
}

void exceptionList(JsonWriter &w, const std::vector<ExceptionHit> &list, bool withHits)
{
	w.StartArray();
	for (const ExceptionHit &hit : list) {
		w.StartObject();
		w.Key("spec");
		jsonString(w, hit.spec);
		w.Key("source");
		jsonString(w, hit.source);
		w.Key("direction");
		w.String(scopeName(hit.scope));
		if (hit.resolved) {
			w.Key("resolved");
			strings(w, *hit.resolved);
		}
		if (withHits) {
			w.Key("hits");
			w.Uint64(hit.hits);
		}
		w.EndObject();
	}
	w.EndArray();
}

void inheritedFds(JsonWriter &w, const std::vector<ReportedFd> &fds)
{
	w.StartArray();
	for (const ReportedFd &d : fds) {
		w.StartObject();
		w.Key("fd");
		w.Int(d.fd);
		w.Key("type");
		jsonString(w, d.type);
		w.Key("detail");
		strOrNull(w, d.detail);
		w.Key("socket");
		if (!d.socket) {
			w.Null();
		} else {
			w.StartObject();
			w.Key("family");
			jsonString(w, d.socket->family);
			w.Key("type");
			jsonString(w, d.socket->type);
			w.Key("protocol");
			jsonString(w, d.socket->protocol);
			w.Key("listening");
			w.Bool(d.socket->listening);
			w.Key("connecting");
			w.Bool(d.socket->connecting);
			w.Key("local");
			strOrNull(w, d.socket->local);
			w.Key("peer");
			strOrNull(w, d.socket->peer);
			w.EndObject();
		}
		w.Key("summary");
		jsonString(w, d.summary);
		w.Key("action");
		w.String(fdActionName(d.action));
		w.Key("reason");
		strOrNull(w, d.why);
		w.EndObject();
	}
	w.EndArray();
}

// The keys of a node's destinations, with their values: the order they are sorted in.
void treeDestinations(JsonWriter &w, const std::vector<TreeDestination> &list)
{
	w.StartArray();
	for (const TreeDestination &d : list) {
		w.StartObject();
		w.Key("kind");
		w.String(directionName(d.kind));
		for (auto [key, value] : { std::pair{ "endpoint", &d.endpoint }, std::pair{ "name", &d.name } }) {
			w.Key(key);
			strOrNull(w, *value);
		}
		w.EndObject();
	}
	w.EndArray();
}

void treeNode(JsonWriter &w, const TreeNode &n)
{
	w.StartObject();
	w.Key("parent");
	if (n.parent >= 0)
		w.Int(n.parent);
	else
		w.Null();
	for (auto [key, value] : { std::pair{ "executable", &n.exe }, std::pair{ "command", &n.command } }) {
		w.Key(key);
		jsonString(w, *value);
	}
	w.Key("violating");
	w.Bool(n.violating);
	w.Key("destinations");
	treeDestinations(w, n.destinations);
	for (auto [key, count] : { std::pair{ "more_destinations", n.moreDestinations },
				   std::pair{ "other_processes", n.others },
				   std::pair{ "other_violating", n.othersViolating } }) {
		w.Key(key);
		w.Uint64(count);
	}
	w.EndObject();
}

void processTree(JsonWriter &w, const std::optional<ProcessTreeSummary> &tree)
{
	if (!tree) {
		w.Null();
		return;
	}
	w.StartObject();
	w.Key("path_processes");
	w.Uint64(tree->pathProcesses);
	w.Key("nodes");
	w.StartArray();
	for (const TreeNode &n : tree->nodes)
		treeNode(w, n);
	w.EndArray();
	w.EndObject();
}

void step(JsonWriter &w, const StepEvidence &s, const ExceptionUsage &usage)
{
	w.StartObject();
	w.Key("id");
	jsonString(w, s.id);
	w.Key("command");
	strings(w, s.command);
	w.Key("result");
	w.String(stepResultName(stepResult(s)));
	w.Key("exit_code");
	if (s.started && s.signal == 0 && s.exitCode >= 0)
		w.Int(s.exitCode);
	else
		w.Null();
	w.Key("signal");
	if (s.signal != 0)
		jsonString(w, signalName(s.signal));
	else
		w.Null();
	w.Key("timed_out");
	w.Bool(s.timedOut);
	w.Key("error");
	strOrNull(w, s.error);
	w.Key("env_removed");
	std::vector<std::string> env = s.envRemoved;
	std::sort(env.begin(), env.end());
	env.erase(std::unique(env.begin(), env.end()), env.end());
	strings(w, env);
	w.Key("violations");
	violations(w, aggregateViolations(s));
	w.Key("exceptions_used");
	exceptionList(w, usage.used, true);
	w.Key("exceptions_unused");
	exceptionList(w, usage.unused, false);
	w.Key("outside_channels");
	w.StartArray();
	for (const auto &[key, connects] : s.aggregates.outsideChannels) {
		w.StartObject();
		w.Key("socket");
		jsonString(w, key.first);
		w.Key("peer_exe");
		strOrNull(w, key.second);
		w.Key("connects");
		w.Uint64(connects);
		w.EndObject();
	}
	w.EndArray();
	w.Key("inherited_fds");
	inheritedFds(w, s.inheritedFds);
	w.Key("process_tree");
	processTree(w, processTreeOf(s));
	w.EndObject();
}

} // namespace

Expected<std::string> renderReportJson(const RunEvidence &run)
{
	auto stale = staleExceptions(run); // validates the run first
	if (!stale)
		return stale.error();

	JsonDocument doc;
	JsonWriter &w = doc.writer();

	w.StartObject();
	w.Key("schema_version");
	w.Int(kEvidenceSchemaVersion);
	w.Key("tool");
	w.StartObject();
	w.Key("name");
	w.String(kToolName);
	w.Key("version");
	jsonString(w, run.toolVersion);
	w.EndObject();
	w.Key("sha");
	jsonString(w, run.sha);
	w.Key("policy");
	w.StartObject();
	w.Key("path");
	strOrNull(w, run.policyPath);
	w.Key("sha256");
	strOrNull(w, run.policySha256);
	w.EndObject();
	w.Key("detector");
	jsonString(w, run.detector);
	w.Key("detector_note");
	strOrNull(w, run.detectorNote);
	w.Key("detector_limits");
	w.StartArray();
	for (const std::string &limit : run.detectorLimits)
		jsonString(w, limit);
	w.EndArray();
	w.Key("kernel_release");
	jsonString(w, run.kernelRelease);
	w.Key("mode");
	jsonString(w, run.mode);
	w.Key("result");
	w.String(stepResultName(overallResult(run)));
	w.Key("complete");
	w.Bool(run.complete);
	w.Key("incomplete_reason");
	if (run.complete)
		w.Null();
	else
		jsonString(w, run.incompleteReason.empty() ? "unknown" : run.incompleteReason);
	w.Key("enforcement_health");
	health(w, run.health);
	w.Key("steps");
	w.StartArray();
	for (const StepEvidence &s : run.steps) {
		// validateRun() already proved every step's usage computes.
		auto usage = exceptionUsage(s);
		step(w, s, *usage);
	}
	w.EndArray();
	w.Key("stale_exceptions");
	exceptionList(w, *stale, false);
	w.EndObject();

	return doc.text();
}

std::string renderProcessTreeJson(const StepEvidence &s)
{
	std::vector<const ProcessRecord *> procs;
	for (const ProcessRecord &p : s.processes)
		procs.push_back(&p);
	std::stable_sort(procs.begin(), procs.end(), [](const auto *a, const auto *b) {
		return a->spawnSeq < b->spawnSeq;
	});

	JsonDocument doc;
	JsonWriter &w = doc.writer();

	w.StartObject();
	w.Key("schema_version");
	w.Int(kEvidenceSchemaVersion);
	w.Key("step");
	jsonString(w, s.id);
	w.Key("root_pid");
	w.Int(s.rootPid);
	w.Key("duration_ms");
	w.Uint64(s.durationMs);
	w.Key("processes");
	w.StartArray();
	for (const ProcessRecord *p : procs) {
		w.StartObject();
		w.Key("pid");
		w.Int(p->pid);
		w.Key("ppid");
		w.Int(p->ppid);
		w.Key("spawn_seq");
		w.Uint64(p->spawnSeq);
		w.Key("argv");
		strings(w, p->argv);
		w.Key("executable");
		jsonString(w, p->exe);
		w.Key("exited");
		w.Bool(p->exited);
		w.Key("exit_code");
		if (p->exited && p->termSignal == 0)
			w.Int(p->exitCode);
		else
			w.Null();
		w.Key("signal");
		if (p->termSignal != 0)
			jsonString(w, signalName(p->termSignal));
		else
			w.Null();
		w.Key("killed_by_gate");
		w.Bool(p->killedByGate);
		w.EndObject();
	}
	w.EndArray();
	w.EndObject();

	return doc.text();
}

} // namespace hg
