#include "cli/suggest_command.h"

#include <fmt/core.h>

#include "base/read_file.h"
#include "cli/verdict.h"
#include "evidence/atomic_file.h"
#include "evidence/report_reader.h"
#include "evidence/suggest_entries.h"
#include "policy/allow_insert.h"
#include "policy/loader.h"

namespace hg {

namespace {

// Days from today until the placeholder expiry date: a quarter, so a forgotten one fails
// the policy soon rather than never.
constexpr int kPlaceholderDays = 90;

int fail(const Error &e, int code)
{
	fmt::print(stderr, "hermetic-gate: error: {}\n", e.message);
	return code;
}

// Adds the scopes' entries to the policy text; one scope at a time, each on the text the
// previous one left.
Expected<std::string> addToPolicy(std::string text, const std::string &path, const std::vector<SuggestedScope> &scopes,
				  const std::string &expires)
{
	for (const SuggestedScope &scope : scopes) {
		std::vector<AllowInsertion> lists;
		for (ListAddition &add : listAdditions(scope, expires))
			lists.push_back(AllowInsertion{ add.listKey, add.items });
		auto edited = insertAllowEntries(text, path, scope.stepId, lists);
		if (!edited)
			return edited.error();
		text = std::move(*edited);
	}
	return text;
}

int writeSuggestions(const SuggestOptions &opts, const ReportFacts &facts, const std::vector<SuggestedScope> &scopes,
		     const std::string &today, const std::string &expires)
{
	auto text = readWholeFile(opts.write, "policy", " (pass the policy file to --write)");
	if (!text)
		return fail(text.error(), kExitUsage);
	auto before = loadPolicyFromString(*text, opts.write, today);
	if (!before)
		return fail(before.error(), kExitUsage);
	// Every step of the report must be one of the policy: else the report is of another policy.
	for (const ReportStep &step : facts.steps) {
		bool known = false;
		for (const Step &s : before->steps)
			known = known || s.id == step.id;
		if (!known) {
			std::string msg = opts.write;
			msg.append(": no step '").append(step.id).append("' in hermetic_steps, but ").append(opts.report);
			msg.append(" has one (pass the policy the report was made with)");
			return fail(Error::msg(msg), kExitEvidence);
		}
	}
	auto edited = addToPolicy(*text, opts.write, scopes, expires);
	if (!edited)
		return fail(edited.error(), kExitUsage);
	// The edit must leave a valid policy; a failure here is a bug of the editor.
	auto after = loadPolicyFromString(*edited, opts.write, today);
	if (!after) {
		std::string msg = "the edited policy would not validate, so ";
		msg.append(opts.write).append(" is left as it was: ").append(after.error().message);
		return fail(Error::msg(msg), kExitInternal);
	}
	if (auto written = writeFileAtomic(opts.write, *edited); !written)
		return fail(written.error(), kExitUsage);
	size_t count = 0;
	for (const SuggestedScope &scope : scopes)
		count += scope.entries.size();
	if (!opts.quiet)
		fmt::print("{}: added {} exception(s); replace every {} before committing it\n", opts.write, count, kFillIn);
	return kExitClean;
}

} // namespace

int runSuggest(const SuggestOptions &opts)
{
	auto text = readWholeFile(opts.report, "report", " (pass the report.json of an evidence folder)");
	if (!text)
		return fail(text.error(), kExitEvidence);
	rapidjson::Document doc;
	if (auto parsed = parseReport(*text, opts.report, doc); !parsed)
		return fail(parsed.error(), kExitEvidence);
	auto facts = reportFacts(doc, opts.report);
	if (!facts)
		return fail(facts.error(), kExitEvidence);

	size_t unallowable = 0;
	std::vector<SuggestedScope> scopes = suggestScopes(*facts, opts.perStep, unallowable);
	std::string today = currentDateUtc();
	std::string expires = addDays(today, kPlaceholderDays);
	if (unallowable > 0)
		fmt::print(stderr,
			   "hermetic-gate: {} violation row(s) of {} cannot be allowed by an exception (evasions, calls "
			   "without an IP address): report.md says what to change in the step\n",
			   unallowable, opts.report);
	if (opts.write.empty()) {
		fmt::print("{}", renderSuggestion(scopes, opts.report, expires));
		return kExitClean;
	}
	if (scopes.empty()) {
		if (!opts.quiet)
			fmt::print("{}: nothing to add: {} has no violation an exception can allow\n", opts.write, opts.report);
		return kExitClean;
	}
	return writeSuggestions(opts, *facts, scopes, today, expires);
}

} // namespace hg
