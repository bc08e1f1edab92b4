#include "policy/env.h"

#include <algorithm>
#include <map>
#include <set>

namespace hg {

namespace {

char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
}

bool matchesAny(const auto &patterns, std::string_view name)
{
	return std::any_of(patterns.begin(), patterns.end(),
			   [&](const auto &p) { return envGlobMatch(p, name); });
}

} // namespace

bool envGlobMatch(std::string_view pattern, std::string_view name)
{
	/*
	 * Iterative wildcard matching with one backtrack point (the last '*'): linear in
	 * practice and free of the exponential blow-up of the naive recursive version.
	 */
	size_t p = 0, n = 0;
	size_t starP = std::string_view::npos, starN = 0;
	while (n < name.size()) {
		if (p < pattern.size() && pattern[p] == '*') {
			starP = p++;
			starN = n;
		} else if (p < pattern.size() &&
			   (pattern[p] == '?' || lower(pattern[p]) == lower(name[n]))) {
			p++;
			n++;
		} else if (starP != std::string_view::npos) {
			p = starP + 1;
			n = ++starN;
		} else {
			return false;
		}
	}
	while (p < pattern.size() && pattern[p] == '*')
		p++;
	return p == pattern.size();
}

bool isRemovedEnvName(std::string_view name, const EnvRules &rules)
{
	if (matchesAny(rules.keep, name))
		return false;
	return matchesAny(kSensitiveEnvNames, name) || matchesAny(rules.remove, name);
}

SanitizedEnv sanitizeEnv(const std::vector<std::string> &gateEnv, const EnvRules &rules,
			 const EnvPairs &stepEnv)
{
	std::map<std::string, std::string> vars;
	std::set<std::string> removed;

	for (const std::string &entry : gateEnv) {
		size_t eq = entry.find('=');
		/* getenv() cannot see an entry without '=' and a step has no use for it. */
		if (eq == std::string::npos || eq == 0)
			continue;
		std::string name = entry.substr(0, eq);
		if (isRemovedEnvName(name, rules)) {
			removed.insert(name);
			continue;
		}
		/* glibc's getenv() returns the first occurrence: keep the same one. */
		vars.emplace(std::move(name), entry.substr(eq + 1));
	}

	for (const auto &[name, value] : rules.set)
		vars[name] = value;
	for (const auto &[name, value] : stepEnv)
		vars[name] = value;

	SanitizedEnv out;
	out.env.reserve(vars.size());
	for (const auto &[name, value] : vars)
		out.env.push_back(name + "=" + value);
	out.removed.assign(removed.begin(), removed.end());
	return out;
}

} // namespace hg
