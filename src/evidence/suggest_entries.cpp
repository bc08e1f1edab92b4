#include "evidence/suggest_entries.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>

namespace hg {

namespace {

// The entries of one scope, each with whether only DNS rows asked for it.
using ScopeEntries = std::map<AllowEntry, bool>;

void add(ScopeEntries &scope, const AllowEntry &entry, bool dns)
{
	auto [it, inserted] = scope.emplace(entry, dns);
	if (!inserted && !dns)
		it->second = false;
}

// Sorted; a name only DNS rows asked for is dropped where "NAME:PORT" allows its query too.
std::vector<AllowEntry> finish(const ScopeEntries &all)
{
	std::set<std::string> namesWithPort;
	for (const auto &[e, dnsOnly] : all) {
		auto colon = e.value.find(':');
		if (e.list == AllowList::OutboundHosts && colon != std::string::npos && e.value.rfind(':') == colon)
			namesWithPort.insert(e.value.substr(0, colon));
	}
	std::vector<AllowEntry> out;
	for (const auto &[e, dnsOnly] : all)
		if (!(dnsOnly && namesWithPort.count(e.value)))
			out.push_back(e);
	return out;
}

std::string quoted(const std::string &value)
{
	std::string out = "\"";
	return out.append(value).append("\"");
}

} // namespace

std::vector<SuggestedScope> suggestScopes(const ReportFacts &facts, bool perStep, size_t &unallowable)
{
	unallowable = 0;
	std::vector<SuggestedScope> scopes;
	ScopeEntries global;
	for (const ReportStep &step : facts.steps) {
		ScopeEntries own;
		for (const ViolationKey &k : step.violations) {
			auto entry = allowEntryFor(k);
			if (!entry) {
				unallowable++;
				continue;
			}
			add(perStep ? own : global, *entry, k.kind == Direction::Dns);
		}
		if (perStep && !own.empty())
			scopes.push_back(SuggestedScope{ step.id, finish(own) });
	}
	if (!perStep && !global.empty())
		scopes.push_back(SuggestedScope{ "", finish(global) });
	return scopes;
}

std::vector<std::string> entryLines(const AllowEntry &entry, const std::string &expires)
{
	std::string first = "- ";
	first.append(allowEntryField(entry.list)).append(": ").append(quoted(entry.value));
	std::string reason = "  reason: \"";
	reason.append(kFillIn).append(": why this step needs it\"");
	std::string owner = "  owner: \"";
	owner.append(kFillIn).append(": @team-or-person\"");
	std::string until = "  expires: ";
	until.append(expires).append(" # ").append(kFillIn).append(": last day it is valid (a placeholder)");
	return { first, reason, owner, until };
}

std::vector<ListAddition> listAdditions(const SuggestedScope &scope, const std::string &expires)
{
	std::vector<ListAddition> out;
	for (const AllowEntry &e : scope.entries) {
		if (out.empty() || out.back().listKey != allowListKey(e.list))
			out.push_back(ListAddition{ allowListKey(e.list), {} });
		out.back().items.push_back(entryLines(e, expires));
	}
	return out;
}

namespace {

void appendAllow(std::string &out, const SuggestedScope &scope, const std::string &indent, const std::string &expires)
{
	out.append(indent).append("allow:\n");
	for (const ListAddition &list : listAdditions(scope, expires)) {
		out.append(indent).append("  ").append(list.listKey).append(":\n");
		for (const auto &item : list.items)
			for (const std::string &line : item)
				out.append(indent).append("    ").append(line).append("\n");
	}
}

} // namespace

std::string renderSuggestion(const std::vector<SuggestedScope> &scopes, const std::string &reportName,
			     const std::string &expires)
{
	std::string out = "# Exceptions that allow what ";
	out.append(reportName).append(" saw. Replace every ").append(kFillIn).append(" before committing them.\n");
	if (scopes.empty())
		return out.append("# None: the run had no violation a policy exception can allow.\n");
	if (scopes.size() == 1 && scopes[0].stepId.empty()) {
		appendAllow(out, scopes[0], "", expires);
		return out;
	}
	out.append("hermetic_steps:\n");
	for (const SuggestedScope &scope : scopes) {
		out.append("  - id: ").append(scope.stepId).append("\n");
		appendAllow(out, scope, "    ", expires);
	}
	return out;
}

std::string addDays(const std::string &date, int count)
{
	using namespace std::chrono;
	int y = 0;
	unsigned m = 0, d = 0;
	std::sscanf(date.c_str(), "%d-%u-%u", &y, &m, &d);
	year_month_day ymd{ sys_days{ year_month_day{ year{ y }, month{ m }, day{ d } } } + std::chrono::days{ count } };
	char buf[16];
	std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
		      static_cast<unsigned>(ymd.day()));
	return buf;
}

} // namespace hg
