#pragma once
// `hermetic-gate suggest`, the pure part: the allow: entries that would let through exactly
// what a run saw (its violations), and their text with the governance fields to fill in.

#include <string>
#include <vector>

#include "evidence/allow_entry.h"
#include "evidence/report_reader.h"

namespace hg {

// The entries for one scope of the policy: the top level (stepId empty) or one step.
struct SuggestedScope {
	std::string stepId;
	std::vector<AllowEntry> entries; // sorted by list then value, no repeats
};

// The entries allowing every violation of the report that an entry can allow (allowEntryFor):
// one global scope (or none when nothing can be allowed), or with perStep one scope per step
// that has such violations, in report order. Addresses resolved from one name become that
// name; a bare name (from a dns row) is dropped when an entry "NAME:PORT" of the same scope
// already allows its query. Rows no entry can allow are counted in unallowable.
std::vector<SuggestedScope> suggestScopes(const ReportFacts &facts, bool perStep, size_t &unallowable);

// Marks every value a person has to replace or confirm.
inline constexpr const char *kFillIn = "FILL IN";

// One entry as block YAML lines, unindented, the first starting with "- ":
//   - host: "203.0.113.1:443"
//     reason: "FILL IN: why this step needs it"
//     owner: "FILL IN: @team-or-person"
//     expires: 2027-03-02 # FILL IN: last day it is valid (a placeholder 90 days out)
// expires must be a real date (the policy is checked), so it is a placeholder date.
std::vector<std::string> entryLines(const AllowEntry &entry, const std::string &expires);

// The list key of each scope's entries with their lines, for the policy editor: list keys in
// AllowList order.
struct ListAddition {
	std::string listKey;                        // "outbound_hosts", "inbound", "delegated"
	std::vector<std::vector<std::string>> items; // entryLines() of each entry
};
std::vector<ListAddition> listAdditions(const SuggestedScope &scope, const std::string &expires);

// What `suggest` prints: a YAML fragment, global as `allow:` and per step as
// `hermetic_steps:` items with only `id` and `allow`, preceded by a comment naming the
// report and telling what to fill in. Indent 2.
std::string renderSuggestion(const std::vector<SuggestedScope> &scopes, const std::string &reportName,
			     const std::string &expires);

// The date count days after date (both "YYYY-MM-DD"); date must be valid.
std::string addDays(const std::string &date, int count);

} // namespace hg
