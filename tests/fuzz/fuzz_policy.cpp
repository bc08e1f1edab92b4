// libFuzzer target: arbitrary bytes as a policy file through the loader, checking that
// every outcome is a value (no exception escapes, no crash) and that the invariants the
// CLI and the report rely on hold.

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "policy/env.h"
#include "policy/loader.h"

namespace {

void check(bool ok)
{
	if (!ok)
		__builtin_trap();
}

bool validStepId(const std::string &id)
{
	if (id.empty() || id[0] == '.')
		return false;
	for (char c : id)
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	std::string_view text(reinterpret_cast<const char *>(data), size);
	hg::Expected<hg::Policy> p = hg::loadPolicyFromString(text, "fuzz.yml", "2026-06-01");

	if (!p) {
		/* Every line is located in the file: "fuzz.yml:L:C: ..." or "fuzz.yml: ...". */
		const std::string &msg = p.error().message;
		check(!msg.empty());
		size_t start = 0;
		while (start <= msg.size()) {
			size_t end = msg.find('\n', start);
			std::string_view line = std::string_view(msg).substr(start, end == std::string::npos ? std::string::npos : end - start);
			check(line.starts_with("fuzz.yml:"));
			if (end == std::string::npos)
				break;
			start = end + 1;
		}
		return 0;
	}

	check(p->version == 1);
	check(p->sha256.size() == 64);
	check(!p->steps.empty());
	std::set<std::string> ids;
	for (const hg::Step &s : p->steps) {
		check(validStepId(s.id));
		check(ids.insert(s.id).second);
		check(!s.argv.empty() && !s.argv[0].empty());
		check(s.timeoutSeconds >= 0 && s.timeoutSeconds <= hg::kMaxTimeoutSeconds);
		check(!s.cwd.empty());
		for (const hg::Exception &e : s.allow)
			check(!e.source.empty());

		/* The removed list carries names only, never "NAME=value". */
		hg::SanitizedEnv env = hg::sanitizeEnv({ "GITHUB_TOKEN=x", "PATH=/bin" }, p->env, s.env);
		for (const std::string &name : env.removed)
			check(name.find('=') == std::string::npos);
	}

	hg::Expected<std::vector<hg::Step>> all = hg::selectSteps(*p, {});
	check(all.ok() && all->size() == p->steps.size());
	return 0;
}
