#include "policy/policy.h"

#include <algorithm>

namespace hg {

const char *modeName(Mode mode)
{
	switch (mode) {
	case Mode::Audit:
		return "audit";
	case Mode::Enforce:
		return "enforce";
	}
	return "unknown";
}

namespace {

/* Smallest edit distance, for "did you mean" on step ids. */
size_t distance(const std::string &a, const std::string &b)
{
	std::vector<size_t> row(b.size() + 1);
	for (size_t j = 0; j <= b.size(); j++)
		row[j] = j;
	for (size_t i = 1; i <= a.size(); i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= b.size(); j++) {
			size_t up = row[j];
			row[j] = std::min({ row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1) });
			diag = up;
		}
	}
	return row[b.size()];
}

} // namespace

Expected<std::vector<Step>> selectSteps(const Policy &policy, const std::vector<std::string> &ids)
{
	if (ids.empty())
		return policy.steps;

	std::string known;
	for (const Step &s : policy.steps)
		known += (known.empty() ? "" : ", ") + s.id;

	std::vector<Step> selected;
	std::string errors;
	for (const std::string &id : ids) {
		if (std::any_of(selected.begin(), selected.end(), [&](const Step &s) { return s.id == id; }))
			continue;
		auto it = std::find_if(policy.steps.begin(), policy.steps.end(),
				       [&](const Step &s) { return s.id == id; });
		if (it != policy.steps.end()) {
			selected.push_back(*it);
			continue;
		}

		std::string guess;
		size_t best = std::max<size_t>(2, id.size() / 3) + 1;
		for (const Step &s : policy.steps) {
			size_t d = distance(id, s.id);
			if (d < best) {
				best = d;
				guess = s.id;
			}
		}
		std::string where = policy.stepsLocation.empty() ? policy.path : policy.stepsLocation;
		if (!errors.empty())
			errors += '\n';
		errors += where + ": no step '" + id + "' in hermetic_steps (steps: " + known +
			  (guess.empty() ? "" : "; did you mean '" + guess + "'?") + ")";
	}
	if (!errors.empty())
		return Error::msg(errors);
	return selected;
}

std::vector<Exception> stepExceptions(const Policy &policy, const Step &step)
{
	std::vector<Exception> all = policy.allow;
	all.insert(all.end(), step.allow.begin(), step.allow.end());
	return all;
}

std::vector<int> stepPassFds(const Policy &policy, const Step &step)
{
	std::vector<int> fds = policy.passFds;
	for (int fd : step.passFds)
		if (std::find(fds.begin(), fds.end(), fd) == fds.end())
			fds.push_back(fd);
	return fds;
}

} // namespace hg
