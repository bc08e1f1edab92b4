#pragma once
// YAML -> Policy with strict validation. yaml-cpp exceptions stop here: every problem comes
// back as one line "FILE:LINE:COL: what is wrong (how to fix it)" (1-based line and column),
// all problems found joined with '\n' in Error::message.
//
// Scalars are typed as in the YAML 1.2 core schema, the same way editors using the JSON Schema
// in policy/hermetic-ci-policy.schema.json see them: plain 900 is an integer, plain
// true/false a boolean, plain ~/null/empty a null, anything quoted a string.

#include <string>
#include <string_view>

#include "base/error.h"
#include "policy/policy.h"

namespace hg {

// Reads and validates the policy at path. today is "YYYY-MM-DD": exceptions whose expires date
// is before it are errors. A missing or unreadable file gives
// "PATH: cannot read policy: No such file or directory (pass --policy PATH or create ...)".
Expected<Policy> loadPolicy(const std::string &path, const std::string &today);

// Same, from text already in memory; displayName prefixes messages and becomes Policy::path.
Expected<Policy> loadPolicyFromString(std::string_view text, const std::string &displayName,
				      const std::string &today);

// Today's date in UTC as "YYYY-MM-DD" (the one impure helper, for the CLI).
std::string currentDateUtc();

// True for a real calendar date written exactly as YYYY-MM-DD.
bool isValidDate(std::string_view date);

enum class ScalarType { Null, Bool, Int, Float, String };

// Core-schema type of a scalar: quoted scalars are always strings. Shared with the tests that
// convert YAML to JSON for the schema check.
ScalarType scalarType(std::string_view text, bool quoted);

} // namespace hg
