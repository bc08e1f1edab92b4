#include "evidence/run_report.h"

#include "base/proc.h"

#include <string.h>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>
#include <utility>

namespace hg {

const char *healthStatusName(HealthStatus s)
{
	switch (s) {
	case HealthStatus::Ok:
		return "ok";
	case HealthStatus::Missing:
		return "missing";
	case HealthStatus::Unknown:
		return "unknown";
	}
	return "unknown";
}

const char *stepResultName(StepResult r)
{
	switch (r) {
	case StepResult::Pass:
		return "pass";
	case StepResult::Failed:
		return "failed";
	case StepResult::Error:
		return "error";
	case StepResult::Violation:
		return "violation";
	}
	return "error";
}

StepResult stepResult(const StepEvidence &step)
{
	for (const NetRecord &rec : step.records)
		if (rec.decision == Decision::Audited || rec.decision == Decision::Denied)
			return StepResult::Violation;
	if (!step.started || !step.error.empty())
		return StepResult::Error;
	if (step.timedOut || step.signal != 0 || step.exitCode != 0)
		return StepResult::Failed;
	return StepResult::Pass;
}

StepResult overallResult(const RunEvidence &run)
{
	StepResult worst = run.complete ? StepResult::Pass : StepResult::Error;
	for (const StepEvidence &step : run.steps)
		worst = std::max(worst, stepResult(step));
	return worst;
}

const Endpoint &recordEndpoint(const NetRecord &rec)
{
	if (rec.addr.status == AddrStatus::Absent && rec.boundAddr.status != AddrStatus::Absent)
		return rec.boundAddr;
	return rec.addr;
}

namespace {

std::string groupFamily(const NetRecord &rec, const Endpoint &ep)
{
	if (ep.status != AddrStatus::Absent && ep.family >= 0)
		return familyName(ep.family);
	if (rec.sock.known && rec.sock.domain >= 0)
		return familyName(rec.sock.domain);
	return "unknown";
}

using GroupKey = std::tuple<Direction, std::string, std::string, std::string, std::string,
			    std::optional<uint16_t>, std::string, Decision>;

} // namespace

std::vector<ViolationGroup> aggregateViolations(const StepEvidence &step)
{
	// The latest-spawned process owns a pid if the kernel reused it within the step.
	std::unordered_map<pid_t, const ProcessRecord *> byPid;
	for (const ProcessRecord &proc : step.processes) {
		auto [it, inserted] = byPid.try_emplace(proc.pid, &proc);
		if (!inserted && it->second->spawnSeq < proc.spawnSeq)
			it->second = &proc;
	}

	std::map<GroupKey, std::pair<uint64_t, std::set<std::vector<std::string>>>> groups;
	for (const NetRecord &rec : step.records) {
		if (rec.decision != Decision::Audited && rec.decision != Decision::Denied)
			continue;
		const Endpoint &ep = recordEndpoint(rec);
		std::optional<uint16_t> port;
		if (ep.status == AddrStatus::Decoded && ep.isIp)
			port = ep.port;
		GroupKey key{ rec.cls.direction, rec.callName, groupFamily(rec, ep),
			      protocolLabel(rec.sock), ep.address(), port, rec.exe, rec.decision };
		auto &group = groups[key];
		group.first++;
		auto proc = byPid.find(rec.pid);
		if (proc != byPid.end() && !proc->second->argv.empty())
			group.second.insert(proc->second->argv);
	}

	std::vector<ViolationGroup> out;
	out.reserve(groups.size());
	for (auto &[key, value] : groups) {
		ViolationGroup g;
		std::tie(g.kind, g.syscall, g.family, g.protocol, g.address, g.port, g.exe,
			 g.decision) = key;
		g.count = value.first;
		g.argvs.assign(value.second.begin(), value.second.end());
		out.push_back(std::move(g));
	}
	return out;
}

Expected<ExceptionUsage> exceptionUsage(const StepEvidence &step)
{
	std::vector<uint64_t> hits(step.exceptions.size(), 0);
	for (const NetRecord &rec : step.records) {
		if (rec.decision != Decision::Allowed)
			continue;
		if (rec.exception < 0 || static_cast<size_t>(rec.exception) >= hits.size())
			return Error::msg("step '" + step.id + "': record " + std::to_string(rec.seq) +
					  " was allowed by exception #" + std::to_string(rec.exception) +
					  " but the step has " + std::to_string(hits.size()) +
					  " exceptions (tracer and allowlist disagree)");
		hits[rec.exception]++;
	}

	ExceptionUsage usage;
	for (size_t i = 0; i < hits.size(); i++) {
		ExceptionHit hit{ step.exceptions[i].spec, step.exceptions[i].source, hits[i], std::nullopt };
		if (!step.exceptions[i].host.empty()) {
			std::vector<std::string> nets;
			for (const IpNet &n : step.exceptions[i].nets)
				nets.push_back(n.str());
			std::sort(nets.begin(), nets.end());
			hit.resolved = std::move(nets);
		}
		(hits[i] ? usage.used : usage.unused).push_back(std::move(hit));
	}
	return usage;
}

Expected<std::vector<ExceptionHit>> staleExceptions(const RunEvidence &run)
{
	auto valid = validateRun(run);
	if (!valid)
		return valid.error();
	std::vector<std::pair<std::string, std::string>> order;
	std::map<std::pair<std::string, std::string>, uint64_t> hits;
	for (const StepEvidence &step : run.steps) {
		auto usage = exceptionUsage(step);
		if (!usage)
			return usage.error();
		for (const auto *list : { &usage->used, &usage->unused }) {
			for (const ExceptionHit &hit : *list) {
				auto key = std::make_pair(hit.spec, hit.source);
				auto [it, inserted] = hits.try_emplace(key, 0);
				if (inserted)
					order.push_back(key);
				it->second += hit.hits;
			}
		}
	}

	std::vector<ExceptionHit> stale;
	for (const auto &key : order)
		if (hits[key] == 0)
			stale.push_back(ExceptionHit{ key.first, key.second, 0 });
	return stale;
}

Expected<void> validateStepId(const std::string &id)
{
	auto bad = [&](const std::string &why) {
		return Error::msg("step id '" + id + "' cannot name a log directory: " + why +
				  " (use 1-128 letters, digits, '.', '_' or '-')");
	};
	if (id.empty())
		return bad("it is empty");
	if (id == "." || id == "..")
		return bad("it is a relative directory name");
	if (id.size() > 128)
		return bad("it is longer than 128 characters");
	for (char c : id) {
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
		if (!ok)
			return bad("it contains a character other than letters, digits, '.', '_', '-'");
	}
	return {};
}

Expected<void> validateRun(const RunEvidence &run)
{
	if (run.mode != "audit" && run.mode != "enforce")
		return Error::msg("evidence mode '" + run.mode + "' is neither 'audit' nor 'enforce'");
	std::set<std::string> ids;
	for (const StepEvidence &step : run.steps) {
		auto idOk = validateStepId(step.id);
		if (!idOk)
			return idOk.error();
		if (!ids.insert(step.id).second)
			return Error::msg("step id '" + step.id +
					  "' is used twice: each step needs its own logs/<id>/ directory");
		auto usage = exceptionUsage(step);
		if (!usage)
			return usage.error();
	}
	return {};
}

} // namespace hg
