#include "evidence/run_report.h"

#include "base/proc.h"

#include <string.h>

#include <algorithm>
#include <map>
#include <set>
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

namespace {

// An address of an inherited socket as reports name it, or "" when it has none.
std::string endpointOrEmpty(const Endpoint &ep)
{
	return ep.status == AddrStatus::Absent ? std::string() : endpointTarget(ep);
}

} // namespace

ReportedFd reportedFd(const FdOutcome &outcome)
{
	const InheritedFd &d = outcome.fd;
	ReportedFd r{ d.fd, fdTypeName(d.type), d.detail, std::nullopt, fdSummary(d), outcome.action, outcome.why };
	if (d.type == FdType::Socket) {
		const SocketInfo &s = d.sock;
		r.socket = ReportedSocket{ s.known ? familyName(s.domain) : "unknown",
					   s.known ? socketTypeName(s.type) : "unknown",
					   s.known ? protocolLabel(s) : "unknown",
					   d.listening,
					   d.connecting,
					   endpointOrEmpty(d.local),
					   endpointOrEmpty(d.peer) };
	}
	return r;
}

StepResult stepResult(const StepEvidence &step)
{
	if (!step.aggregates.violations.empty())
		return StepResult::Violation;
	if (!step.started || !step.error.empty())
		return StepResult::Error;
	if (step.timedOut || step.signal != 0 || step.exitCode != 0)
		return StepResult::Failed;
	return StepResult::Pass;
}

std::optional<ProcessTreeSummary> processTreeOf(const StepEvidence &step)
{
	if (stepResult(step) != StepResult::Violation)
		return std::nullopt;
	if (step.processTree)
		return step.processTree;
	return summarizeProcessTree(step.processes, step.aggregates);
}

std::string stepOutcomeText(const StepEvidence &step)
{
	if (!step.started)
		return "could not start: " + step.error;
	if (step.timedOut)
		return "timed out";
	if (step.signal)
		return "killed by " + signalName(step.signal);
	return "exited " + std::to_string(step.exitCode);
}

StepResult overallResult(const RunEvidence &run)
{
	StepResult worst = run.complete ? StepResult::Pass : StepResult::Error;
	for (const StepEvidence &step : run.steps)
		worst = std::max(worst, stepResult(step));
	return worst;
}

std::vector<ViolationGroup> aggregateViolations(const StepEvidence &step)
{
	// The latest-spawned process owns a pid if the kernel reused it within the step.
	std::unordered_map<pid_t, const ProcessRecord *> byPid;
	for (const ProcessRecord &proc : step.processes) {
		auto [it, inserted] = byPid.try_emplace(proc.pid, &proc);
		if (!inserted && it->second->spawnSeq < proc.spawnSeq)
			it->second = &proc;
	}

	std::vector<ViolationGroup> out;
	out.reserve(step.aggregates.violations.size());
	for (const auto &[key, tally] : step.aggregates.violations) {
		std::set<std::vector<std::string>> argvs;
		for (pid_t pid : tally.pids) {
			auto proc = byPid.find(pid);
			if (proc != byPid.end() && !proc->second->argv.empty())
				argvs.insert(proc->second->argv);
		}
		ViolationGroup g{key, tally.count, {argvs.begin(), argvs.end()}};
		out.push_back(std::move(g));
	}
	return out;
}

namespace {

// The exception index of the earliest Allowed call that names no exception of the step.
std::optional<std::pair<int, ExceptionTally>> unknownException(const StepEvidence &step)
{
	std::optional<std::pair<int, ExceptionTally>> first;
	for (const auto &[index, tally] : step.aggregates.exceptionHits) {
		bool known = index >= 0 && static_cast<size_t>(index) < step.exceptions.size();
		if (!known && (!first || tally.firstSeq < first->second.firstSeq))
			first = { index, tally };
	}
	return first;
}

} // namespace

Expected<ExceptionUsage> exceptionUsage(const StepEvidence &step)
{
	if (auto bad = unknownException(step))
		return Error::msg("step '" + step.id + "': record " + std::to_string(bad->second.firstSeq) +
				  " was allowed by exception #" + std::to_string(bad->first) + " but the step has " +
				  std::to_string(step.exceptions.size()) +
				  " exceptions (tracer and allowlist disagree)");
	std::vector<uint64_t> hits(step.exceptions.size(), 0);
	for (const auto &[index, tally] : step.aggregates.exceptionHits)
		hits[index] = tally.hits;

	ExceptionUsage usage;
	for (size_t i = 0; i < hits.size(); i++) {
		ExceptionHit hit{ step.exceptions[i].spec, step.exceptions[i].source, hits[i], std::nullopt,
				  step.exceptions[i].scope };
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
	std::map<std::pair<std::string, std::string>, ExceptionScope> scopes;
	for (const StepEvidence &step : run.steps) {
		auto usage = exceptionUsage(step);
		if (!usage)
			return usage.error();
		for (const auto *list : { &usage->used, &usage->unused }) {
			for (const ExceptionHit &hit : *list) {
				auto key = std::make_pair(hit.spec, hit.source);
				auto [it, inserted] = hits.try_emplace(key, 0);
				if (inserted) {
					order.push_back(key);
					scopes[key] = hit.scope;
				}
				it->second += hit.hits;
			}
		}
	}

	std::vector<ExceptionHit> stale;
	for (const auto &key : order)
		if (hits[key] == 0)
			stale.push_back(ExceptionHit{ key.first, key.second, 0, std::nullopt, scopes[key] });
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
