// The policy loader: bad-policy fixtures checked for message and location, and the
// typed result of good policies.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <optional>
#include <string>

#include "base/sha256.h"
#include "policy/loader.h"

using namespace hg;

namespace {

const std::string kToday = "2026-06-01";

std::string fixture(const std::string &name)
{
	const char *root = std::getenv("HG_SOURCE_ROOT");
	REQUIRE(root != nullptr);
	return std::string(root) + "/tests/policy/fixtures/" + name + ".yml";
}

size_t lineCount(const std::string &s)
{
	return size_t(std::count(s.begin(), s.end(), '\n')) + 1;
}

struct BadCase {
	const char *file;
	int line;
	int column;
	const char *message;
};

/* One file per error; each must give exactly one line pointing at the right place. */
const BadCase kBadCases[] = {
	{ "unknown_step_key", 6, 5, "unknown key 'timout_seconds' in step 'unit' (did you mean 'timeout_seconds'?)" },
	{ "unknown_top_key", 3, 1, "unknown key 'mdoe' at the top level (allowed keys: version, mode, strict, env, delegated_sockets, allow, pass_fds, hermetic_steps)" },
	{ "unknown_exception_key", 6, 7, "unknown key 'reasn' in outbound_hosts entry #1 (did you mean 'reason'?)" },
	{ "timeout_string", 6, 22, "'timeout_seconds' in step 'unit' must be an integer, not a string" },
	{ "steps_not_list", 3, 17, "'hermetic_steps' at the top level must be a list, not a string" },
	{ "missing_version", 2, 1, "the policy is missing required key 'version' (add version: 1 at the top)" },
	{ "missing_steps", 2, 1, "the policy is missing required key 'hermetic_steps'" },
	{ "missing_run", 4, 5, "step 'unit' is missing required key 'run' (add run: COMMAND)" },
	{ "missing_id", 4, 5, "step #1 is missing required key 'id' (add id: NAME)" },
	{ "unsupported_version", 2, 10, "unsupported policy version 2 (this gate reads version: 1)" },
	{ "duplicate_step_id", 6, 9, "duplicate step id 'unit' (first defined at line 4; step ids must be unique)" },
	{ "bad_id_chars", 4, 9, "step id '../etc' has characters other than A-Z a-z 0-9 . _ - (ids become folder names)" },
	{ "bad_id_dot", 4, 9, "step id '.cache' starts with '.'" },
	{ "bad_cidr", 4, 20, "bad CIDR prefix /33 in '10.0.0.0/33'" },
	{ "bad_port", 6, 7, "port 70000 in outbound_ports entry #2 is out of range (ports are 1-65535)" },
	{ "bad_inbound_port", 6, 7, "port 70000 in inbound entry #2 is out of range (ports are 1-65535)" },
	{ "inbound_not_list", 4, 12, "'inbound' in allow must be a list, not a string" },
	{ "unknown_inbound_key", 8, 41, "unknown key 'reasn' in inbound entry #1 (did you mean 'reason'?)" },
	{ "delegated_relative", 5, 7, "delegated entry #1: 'docker.sock' is a relative path (write the absolute path, e.g. /run/docker.sock;" },
	{ "delegated_sockets_variable", 5, 5, "delegated_sockets entry #2: '$XDG_RUNTIME_DIR/buildkit/buildkitd.sock': variables such as $XDG_RUNTIME_DIR are not expanded here" },
	{ "unknown_delegated_key", 8, 57, "unknown key 'reasn' in delegated entry #1 (did you mean 'reason'?)" },
	{ "bad_date", 6, 16, "expires '2027-02-30' of exception 'registry.example.com' is not a real date (write YYYY-MM-DD" },
	{ "bad_date_format", 6, 16, "expires '30/06/2027' of exception 'registry.example.com' is not a real date" },
	{ "expired", 8, 16, "exception 'registry.example.com' expired on 2024-01-31 (today is 2026-06-01: renew it" },
	{ "zero_timeout", 6, 22, "'timeout_seconds' in step 'unit' must be positive, not 0 (omit it for no timeout)" },
	{ "empty_run", 5, 10, "'run' in step 'unit' is empty (give a command" },
	{ "empty_run_list", 5, 10, "'run' in step 'unit' is an empty list" },
	{ "yaml_syntax", 6, 1, "YAML syntax error: end of sequence flow not found" },
	{ "bad_mode", 3, 7, "mode must be 'audit' or 'enforce', not 'enforced' (did you mean 'enforce'?)" },
	{ "strict_yes", 3, 9, "'strict' at the top level must be true or false, not a string 'yes'" },
	{ "duplicate_key", 4, 1, "duplicate key 'mode' at the top level (first at line 3; keep one of them)" },
	{ "bad_env_name", 6, 5, "'MY-VAR' in env.set is not a valid variable name" },
	{ "null_env_value", 7, 7, "'DEBUG' in env of step 'unit' must be a string, number or boolean, not empty" },
	{ "empty_steps", 3, 17, "hermetic_steps is empty (add at least one step" },
	{ "step_bad_host", 7, 24, "bad IPv4 address '300.1.2.3'" },
	{ "host_is_number", 4, 20, "outbound_hosts entry #1 must be a host string or a mapping with host:, not an integer (ports go in outbound_ports)" },
	{ "two_documents", 5, 1, "the policy has more than one YAML document" },
	{ "env_remove_equals", 4, 12, "env.remove entry #1 'FOO=bar' is not a variable name or glob" },
};

/* The policy of text, as p.yml; fails the test with the errors when it does not load. */
std::optional<Policy> loadedOk(const std::string &text)
{
	Expected<Policy> p = loadPolicyFromString(text, "p.yml", kToday);
	INFO((p.ok() ? std::string() : p.error().message));
	REQUIRE(p.ok());
	return std::move(*p);
}

/* Policy text and the one error line it must give (its start). */
struct BadText {
	const char *text;
	const char *message;
};

/* The policy head, then one step: exactly one error line, starting with message. */
void checkOneError(const std::string &head, const std::string &message)
{
	std::string text = head + "hermetic_steps:\n  - {id: unit, run: make}\n";
	INFO(text);
	Expected<Policy> p = loadPolicyFromString(text, "p.yml", kToday);
	REQUIRE_FALSE(p.ok());
	INFO(p.error().message);
	CHECK(lineCount(p.error().message) == 1);
	CHECK(p.error().message.rfind(message, 0) == 0);
}

const char *kMinimal = R"(version: 1
hermetic_steps:
  - id: unit
    run: make test
)";

} // namespace

TEST_CASE("every bad-policy fixture gives one error at the right line and column", "[loader]")
{
	for (const BadCase &c : kBadCases) {
		std::string path = fixture(c.file);
		INFO("fixture " << c.file);
		Expected<Policy> p = loadPolicy(path, kToday);
		REQUIRE_FALSE(p.ok());
		const std::string &msg = p.error().message;
		INFO("message: " << msg);
		CHECK(lineCount(msg) == 1);
		std::string prefix = path + ":" + std::to_string(c.line) + ":" + std::to_string(c.column) + ": ";
		CHECK(msg.rfind(prefix, 0) == 0);
		CHECK(msg.find(c.message) == prefix.size());
	}
}

TEST_CASE("the loader reports every error, in file order", "[loader]")
{
	std::string path = fixture("multiple_errors");
	Expected<Policy> p = loadPolicy(path, kToday);
	REQUIRE_FALSE(p.ok());
	CHECK(p.error().message ==
	      path + ":3:7: mode must be 'audit' or 'enforce', not 'loud' (audit records, enforce denies)\n" +
		      path + ":7:22: 'timeout_seconds' in step 'unit' must be positive, not -5 (omit it for no timeout)\n" +
		      path + ":8:9: duplicate step id 'unit' (first defined at line 5; step ids must be unique)");
}

TEST_CASE("a missing policy file says how to provide one", "[loader]")
{
	Expected<Policy> p = loadPolicy("/nonexistent/policy.yml", kToday);
	REQUIRE_FALSE(p.ok());
	CHECK(p.error().errnum == ENOENT);
	CHECK(p.error().message ==
	      "/nonexistent/policy.yml: cannot read policy: No such file or directory "
	      "(pass --policy PATH or create docs/ci/HERMETIC_CI_POLICY.yml)");

	const char *root = std::getenv("HG_SOURCE_ROOT");
	REQUIRE(root != nullptr);
	Expected<Policy> dir = loadPolicy(root, kToday);
	REQUIRE_FALSE(dir.ok());
	CHECK(dir.error().errnum == EISDIR);
	CHECK(dir.error().message.find(": cannot read policy: Is a directory (") != std::string::npos);
}

TEST_CASE("an empty or non-mapping policy is refused with a hint", "[loader]")
{
	Expected<Policy> empty = loadPolicyFromString("# nothing here\n", "p.yml", kToday);
	REQUIRE_FALSE(empty.ok());
	CHECK(empty.error().message == "p.yml: the policy is empty (start with version: 1 and hermetic_steps:)");

	Expected<Policy> list = loadPolicyFromString("- version: 1\n", "p.yml", kToday);
	REQUIRE_FALSE(list.ok());
	CHECK(list.error().message.rfind("p.yml:1:1: the policy must be a mapping of keys, not a list", 0) == 0);
}

TEST_CASE("a minimal policy gets the documented defaults", "[loader]")
{
	Expected<Policy> p = loadPolicyFromString(kMinimal, "min.yml", kToday);
	REQUIRE(p.ok());
	CHECK(p->path == "min.yml");
	CHECK(p->sha256 == sha256Hex(kMinimal));
	CHECK(p->version == 1);
	CHECK(p->mode == Mode::Audit);
	CHECK_FALSE(p->strict);
	CHECK(p->env.remove.empty());
	CHECK(p->env.keep.empty());
	CHECK(p->env.set.empty());
	CHECK(p->allow.empty());
	CHECK(p->stepsLocation == "min.yml:2:1");
	REQUIRE(p->steps.size() == 1);
	const Step &s = p->steps[0];
	CHECK(s.id == "unit");
	CHECK(s.shell);
	CHECK(s.runText == "make test");
	CHECK(s.argv == std::vector<std::string>{ "/bin/sh", "-c", "make test" });
	CHECK(s.cwd == ".");
	CHECK(s.env.empty());
	CHECK(s.timeoutSeconds == 0);
	CHECK(s.allow.empty());
	CHECK(s.location == "min.yml:3:5");
	// The SARIF report points at the step's `- id:` entry with these (1-based).
	CHECK(s.line == 3);
	CHECK(s.column == 5);
}

TEST_CASE("every key of a full policy lands in the typed result", "[loader]")
{
	const char *text = R"(version: 1
mode: enforce
strict: true
env:
  remove: ["MY_CORP_*"]
  keep: [NPM_CONFIG_REGISTRY]
  set: {LANG: C.UTF-8, RETRIES: 3, VERBOSE: true}
allow:
  outbound_hosts:
    - host: registry.example.com
      reason: "package mirror"
      owner: "@build-team"
      expires: 2026-06-01
    - 10.0.0.0/8
  outbound_ports:
    - 443
    - {port: 8443, reason: "internal TLS", owner: "@infra"}
hermetic_steps:
  - id: unit
    run: pnpm test
    cwd: packages/app
    env: {NO_NETWORK_LISTEN: "1", ZED: z}
    timeout_seconds: 900
    allow: {outbound_hosts: [127.0.0.1]}
  - id: e2e_2.x-final
    run: [node, "it's here.js", --flag=1, 42]
)";
	Expected<Policy> p = loadPolicyFromString(text, "full.yml", kToday);
	INFO((p.ok() ? std::string() : p.error().message));
	REQUIRE(p.ok());
	CHECK(p->mode == Mode::Enforce);
	CHECK(p->strict);
	CHECK(p->env.remove == std::vector<std::string>{ "MY_CORP_*" });
	CHECK(p->env.keep == std::vector<std::string>{ "NPM_CONFIG_REGISTRY" });
	CHECK(p->env.set == EnvPairs{ { "LANG", "C.UTF-8" }, { "RETRIES", "3" }, { "VERBOSE", "true" } });

	REQUIRE(p->allow.size() == 4);
	const Exception &npm = p->allow[0];
	CHECK(npm.kind == Exception::Kind::Hostname);
	CHECK(npm.spec == "registry.example.com");
	CHECK(npm.source == "full.yml:10:7");
	CHECK(npm.reason == "package mirror");
	CHECK(npm.owner == "@build-team");
	CHECK(npm.expires == "2026-06-01"); /* expiring today is still valid */
	CHECK(p->allow[1].kind == Exception::Kind::Cidr);
	CHECK(p->allow[1].source == "full.yml:14:7");
	CHECK(p->allow[2].kind == Exception::Kind::Port);
	CHECK(p->allow[2].port == 443);
	CHECK(p->allow[3].port == 8443);
	CHECK(p->allow[3].reason == "internal TLS");
	CHECK(p->allow[3].source == "full.yml:17:7");

	REQUIRE(p->steps.size() == 2);
	const Step &unit = p->steps[0];
	CHECK(unit.cwd == "packages/app");
	CHECK(unit.env == EnvPairs{ { "NO_NETWORK_LISTEN", "1" }, { "ZED", "z" } });
	CHECK(unit.timeoutSeconds == 900);
	REQUIRE(unit.allow.size() == 1);
	CHECK(unit.allow[0].kind == Exception::Kind::Address);
	CHECK(unit.allow[0].source == "full.yml:24:30 (step unit)");

	const Step &e2e = p->steps[1];
	CHECK(e2e.id == "e2e_2.x-final");
	CHECK_FALSE(e2e.shell);
	CHECK(e2e.argv == std::vector<std::string>{ "node", "it's here.js", "--flag=1", "42" });
	CHECK(e2e.runText == "node 'it'\\''s here.js' --flag=1 42");

	std::vector<Exception> all = stepExceptions(*p, unit);
	REQUIRE(all.size() == 5);
	CHECK(all[4].spec == "127.0.0.1");
}

TEST_CASE("expiry is checked against the given today, and skipped when today is empty", "[loader]")
{
	std::string text = std::string(kMinimal) +
			   "allow:\n  outbound_ports:\n    - {port: 443, expires: 2026-05-31}\n";
	CHECK_FALSE(loadPolicyFromString(text, "p.yml", "2026-06-01").ok());
	CHECK(loadPolicyFromString(text, "p.yml", "2026-05-31").ok());
	CHECK(loadPolicyFromString(text, "p.yml", "").ok());
}

TEST_CASE("string fields refuse other scalar types with a quoting hint", "[loader]")
{
	std::string text = "version: 1\nhermetic_steps:\n  - id: 2024\n    run: make\n";
	Expected<Policy> p = loadPolicyFromString(text, "p.yml", kToday);
	REQUIRE_FALSE(p.ok());
	CHECK(p.error().message == "p.yml:3:9: 'id' in step '2024' must be a string, not an integer (quote it: \"2024\")");

	text = "version: 1\nhermetic_steps:\n  - id: \"2024\"\n    run: make\n";
	CHECK(loadPolicyFromString(text, "p.yml", kToday).ok());
}

TEST_CASE("explicit YAML tags are refused", "[loader]")
{
	std::string text = "version: !!str 1\nhermetic_steps:\n  - {id: a, run: make}\n";
	Expected<Policy> p = loadPolicyFromString(text, "p.yml", kToday);
	REQUIRE_FALSE(p.ok());
	CHECK(p.error().message.rfind("p.yml:1:10: YAML tag 'tag:yaml.org,2002:str' on 'version' at the top level is not supported", 0) == 0);
}

TEST_CASE("input that makes yaml-cpp 0.7's LoadAll loop forever is a prompt syntax error", "[loader]")
{
	Expected<Policy> p = loadPolicyFromString("\n,\n", "p.yml", kToday);
	REQUIRE_FALSE(p.ok());
	CHECK(p.error().message == "p.yml:2:1: YAML syntax error: unexpected ',' (check indentation, quoting and brackets)");
}

TEST_CASE("text quoted from the file cannot split an error over two lines", "[loader]")
{
	std::string text = "version: 1\n\"bad\\nkey\\t\\x01\": 1\nhermetic_steps:\n  - {id: a, run: make}\n";
	Expected<Policy> p = loadPolicyFromString(text, "p.yml", kToday);
	REQUIRE_FALSE(p.ok());
	CHECK(p.error().message == "p.yml:2:1: unknown key 'bad\\nkey\\t\\x01' at the top level "
				   "(allowed keys: version, mode, strict, env, delegated_sockets, allow, pass_fds, hermetic_steps)");
}

TEST_CASE("pass_fds: top-level and per-step descriptor lists", "[loader]")
{
	std::string text = "version: 1\npass_fds: [3]\nhermetic_steps:\n  - id: a\n    run: make\n    pass_fds:\n      - 5\n      - 3\n"
			   "  - {id: b, run: make}\n";
	Expected<Policy> p = loadPolicyFromString(text, "p.yml", kToday);
	REQUIRE(p.ok());
	CHECK(p->passFds == std::vector<int>{3});
	CHECK(p->passFdsLocation == "p.yml:2:1");
	REQUIRE(p->steps.size() == 2);
	CHECK(p->steps[0].passFds == std::vector<int>{5, 3});
	CHECK(p->steps[0].passFdsLocation == "p.yml:6:5");
	CHECK(stepPassFds(*p, p->steps[0]) == std::vector<int>{3, 5});
	CHECK(stepPassFds(*p, p->steps[1]) == std::vector<int>{3});
}

TEST_CASE("pass_fds: bad values point at the entry", "[loader]")
{
	struct Case {
		const char *value;
		const char *message;
	};
	const Case cases[] = {
		{"[3, 1]", "p.yml:2:15: descriptor 1 in 'pass_fds' is the step's standard input, output or error, which it always gets (list descriptors from 3 up)"},
		{"[-4]", "p.yml:2:12: descriptor -4 in 'pass_fds' is out of range (3 to 1073741824)"},
		{"[3, 4, 3]", "p.yml:2:18: descriptor 3 is listed twice in 'pass_fds' (first at line 2; keep one)"},
		{"[three]", "p.yml:2:12: descriptor in 'pass_fds' #1 must be an integer, not a string (e.g. pass_fds: [3, 5])"},
		{"3", "p.yml:2:11: 'pass_fds' at the top level must be a list, not an integer (write one item per line starting with '- ', or [a, b])"},
		{"[99999999999]", "p.yml:2:12: descriptor 99999999999 in 'pass_fds' is out of range (3 to 1073741824)"},
	};
	for (const Case &c : cases) {
		std::string text = std::string("version: 1\npass_fds: ") + c.value + "\nhermetic_steps:\n  - {id: a, run: make}\n";
		Expected<Policy> p = loadPolicyFromString(text, "p.yml", kToday);
		INFO(c.value);
		REQUIRE_FALSE(p.ok());
		CHECK(p.error().message == c.message);
	}

	std::string step = "version: 1\nhermetic_steps:\n  - {id: a, run: make, pass_fds: [0]}\n";
	Expected<Policy> s = loadPolicyFromString(step, "p.yml", kToday);
	REQUIRE_FALSE(s.ok());
	CHECK(s.error().message == "p.yml:3:35: descriptor 0 in 'pass_fds' in step 'a' is the step's standard input, output or error, which it always gets (list descriptors from 3 up)");
}

TEST_CASE("timeouts above seven days are refused", "[loader]")
{
	std::string text = "version: 1\nhermetic_steps:\n  - {id: a, run: make, timeout_seconds: 604801}\n";
	Expected<Policy> p = loadPolicyFromString(text, "p.yml", kToday);
	REQUIRE_FALSE(p.ok());
	CHECK(p.error().message.find("more than 7 days (at most 604800)") != std::string::npos);

	text = "version: 1\nhermetic_steps:\n  - {id: a, run: make, timeout_seconds: 99999999999999999999999}\n";
	p = loadPolicyFromString(text, "p.yml", kToday);
	REQUIRE_FALSE(p.ok());
	CHECK(p.error().message.find("is out of range") != std::string::npos);
}

TEST_CASE("scalarType follows the YAML 1.2 core schema", "[loader]")
{
	CHECK(scalarType("", false) == ScalarType::Null);
	CHECK(scalarType("~", false) == ScalarType::Null);
	CHECK(scalarType("null", false) == ScalarType::Null);
	CHECK(scalarType("true", false) == ScalarType::Bool);
	CHECK(scalarType("FALSE", false) == ScalarType::Bool);
	CHECK(scalarType("yes", false) == ScalarType::String);
	CHECK(scalarType("900", false) == ScalarType::Int);
	CHECK(scalarType("-5", false) == ScalarType::Int);
	CHECK(scalarType("+7", false) == ScalarType::Int);
	CHECK(scalarType("900", true) == ScalarType::String);
	CHECK(scalarType("1.5", false) == ScalarType::Float);
	CHECK(scalarType("1e3", false) == ScalarType::Float);
	CHECK(scalarType(".5", false) == ScalarType::Float);
	CHECK(scalarType("0x1F", false) == ScalarType::Float);
	CHECK(scalarType(".inf", false) == ScalarType::Float);
	CHECK(scalarType("1e", false) == ScalarType::String);
	CHECK(scalarType("10.0.0.1", false) == ScalarType::String);
	CHECK(scalarType("2027-06-30", false) == ScalarType::String);
	CHECK(scalarType("-", false) == ScalarType::String);
	CHECK(scalarType(".", false) == ScalarType::String);
}

TEST_CASE("isValidDate accepts real calendar dates only", "[loader]")
{
	CHECK(isValidDate("2027-06-30"));
	CHECK(isValidDate("2024-02-29"));
	CHECK(isValidDate("2000-02-29"));
	CHECK_FALSE(isValidDate("1900-02-29"));
	CHECK_FALSE(isValidDate("2023-02-29"));
	CHECK_FALSE(isValidDate("2026-04-31"));
	CHECK_FALSE(isValidDate("2026-13-01"));
	CHECK_FALSE(isValidDate("2026-00-10"));
	CHECK_FALSE(isValidDate("2026-01-00"));
	CHECK_FALSE(isValidDate("2026-01-32"));
	CHECK_FALSE(isValidDate("0000-01-01")); // year 0 is a valid std::chrono::year, not a policy date
	CHECK(isValidDate("0001-01-01"));
	CHECK(isValidDate("9999-12-31"));
	CHECK_FALSE(isValidDate("2026-1-10"));
	CHECK_FALSE(isValidDate("2026-01-10x"));
	CHECK_FALSE(isValidDate("2026/01/10"));
}

TEST_CASE("currentDateUtc is a valid date", "[loader]")
{
	CHECK(isValidDate(currentDateUtc()));
}

TEST_CASE("allow.inbound takes the host forms and ports, globally and per step", "[loader]")
{
	std::string text = "version: 1\n"
			   "allow:\n"
			   "  inbound:\n"
			   "    - 127.0.0.1\n"
			   "    - \"[::1]:8080\"\n"
			   "    - 9000\n"
			   "    - \"9001\"\n"
			   "    - {host: 10.0.0.0/8, reason: \"test cluster\", owner: \"@qa\", expires: 2030-01-31}\n"
			   "    - {port: 5432, reason: \"postgres for the tests\"}\n"
			   "  outbound_hosts: [203.0.113.7]\n"
			   "hermetic_steps:\n"
			   "  - id: unit\n"
			   "    run: make test\n"
			   "    allow:\n"
			   "      inbound: [\"localhost\"]\n";
	std::optional<Policy> p = loadedOk(text);
	REQUIRE(p->allow.size() == 7);
	// Outbound entries first (the keys are read in a fixed order), then inbound in file order.
	CHECK(p->allow[0].spec == "203.0.113.7");
	CHECK(p->allow[0].scope == ExceptionScope::Outbound);
	for (size_t i = 1; i < 7; i++)
		CHECK(p->allow[i].scope == ExceptionScope::Inbound);
	CHECK(p->allow[1].spec == "127.0.0.1");
	CHECK(p->allow[1].source == "p.yml:4:7");
	CHECK(p->allow[2].kind == Exception::Kind::HostPort);
	CHECK(p->allow[3].kind == Exception::Kind::Port);
	CHECK(p->allow[3].port == uint16_t{ 9000 });
	CHECK(p->allow[4].kind == Exception::Kind::Port);
	CHECK(p->allow[5].kind == Exception::Kind::Cidr);
	CHECK(p->allow[5].reason == "test cluster");
	CHECK(p->allow[5].owner == "@qa");
	CHECK(p->allow[5].expires == "2030-01-31");
	CHECK(p->allow[6].port == uint16_t{ 5432 });
	CHECK(p->allow[6].reason == "postgres for the tests");
	REQUIRE(p->steps[0].allow.size() == 1);
	CHECK(p->steps[0].allow[0].scope == ExceptionScope::Inbound);
	CHECK(p->steps[0].allow[0].kind == Exception::Kind::Hostname);
	CHECK(p->steps[0].allow[0].source == "p.yml:15:17 (step unit)");
}

TEST_CASE("bad allow.inbound entries are located errors", "[loader]")
{
	const BadText cases[] = {
		{ "  inbound: \"127.0.0.1\"\n", "p.yml:3:12: 'inbound' in allow must be a list, not a string" },
		{ "  inbound: [127.0.0.1/33]\n", "p.yml:3:13: bad CIDR prefix /33 in '127.0.0.1/33' (IPv4 prefixes are 0-32)" },
		{ "  inbound: [70000]\n", "p.yml:3:13: port 70000 in inbound entry #1 is out of range (ports are 1-65535)" },
		{ "  inbound: [\"70000\"]\n", "p.yml:3:13: bad port '70000' in '70000' (ports are 1-65535)" },
		{ "  inbound: [{host: 127.0.0.1, reasn: x}]\n", "p.yml:3:31: unknown key 'reasn' in inbound entry #1 (did you mean 'reason'?)" },
		{ "  inbound: [{port: 8080, expires: 2020-01-01}]\n", "p.yml:3:35: exception for port 8080 expired on 2020-01-01" },
		{ "  inbound: [true]\n", "p.yml:3:13: inbound entry #1 must be a local address, a port or a mapping with host: or port:, not a boolean" },
		{ "  inbund: [127.0.0.1]\n", "p.yml:3:3: unknown key 'inbund' in allow (did you mean 'inbound'?)" },
	};
	for (const BadText &c : cases)
		checkOneError(std::string("version: 1\nallow:\n") + c.text, c.message);
}

TEST_CASE("delegated_sockets and allow.delegated: socket paths, globally and per step", "[loader]")
{
	std::string text = "version: 1\n"
			   "delegated_sockets:\n"
			   "  - /run/artifact-cache//cache.sock\n"
			   "  - \"@/com/example/fetcher\"\n"
			   "allow:\n"
			   "  delegated:\n"
			   "    - /var/run/docker.sock\n"
			   "    - {socket: \"@/com/example/fetcher\", reason: \"fetches test data\", owner: \"@qa\", expires: 2030-01-31}\n"
			   "hermetic_steps:\n"
			   "  - id: image\n"
			   "    run: docker build .\n"
			   "    allow:\n"
			   "      delegated: [/run/containerd/containerd.sock]\n";
	std::optional<Policy> p = loadedOk(text);
	REQUIRE(p->delegatedSockets.size() == 2);
	CHECK(p->delegatedSockets[0].ref.path == "/run/artifact-cache/cache.sock");
	CHECK(p->delegatedSockets[0].source == "p.yml:3:5");
	CHECK(p->delegatedSockets[1].ref.path == "@/com/example/fetcher");

	REQUIRE(p->allow.size() == 2);
	for (const Exception &e : p->allow) {
		CHECK(e.scope == ExceptionScope::Delegated);
		CHECK(e.kind == Exception::Kind::Socket);
	}
	CHECK(p->allow[0].spec == "/var/run/docker.sock");
	CHECK(p->allow[0].socket.path == "/var/run/docker.sock");
	CHECK(p->allow[0].source == "p.yml:7:7");
	CHECK(p->allow[1].socket.path == "@/com/example/fetcher");
	CHECK(p->allow[1].reason == "fetches test data");
	CHECK(p->allow[1].owner == "@qa");
	CHECK(p->allow[1].expires == "2030-01-31");
	REQUIRE(p->steps[0].allow.size() == 1);
	CHECK(p->steps[0].allow[0].socket.path == "/run/containerd/containerd.sock");
	CHECK(p->steps[0].allow[0].source == "p.yml:13:19 (step image)");
}

TEST_CASE("bad delegated entries are located errors with a fix", "[loader]")
{
	const BadText cases[] = {
		{ "allow:\n  delegated: /run/docker.sock\n", "p.yml:3:14: 'delegated' in allow must be a list, not a string" },
		{ "allow:\n  delegated: [run/docker.sock]\n",
		  "p.yml:3:15: delegated entry #1: 'run/docker.sock' is a relative path (write the absolute path, e.g. /run/run/docker.sock;" },
		{ "allow:\n  delegated: [\"~/.docker/run/docker.sock\"]\n", "p.yml:3:15: delegated entry #1: '~/.docker/run/docker.sock': '~' is not expanded here" },
		{ "allow:\n  delegated: [\"unix:///run/docker.sock\"]\n",
		  "p.yml:3:15: delegated entry #1: 'unix:///run/docker.sock' is a URL, not a socket path (write the path alone: /run/docker.sock)" },
		{ "allow:\n  delegated: [{reason: x}]\n", "p.yml:3:15: delegated entry #1 is missing required key 'socket' (add socket: /run/docker.sock)" },
		{ "allow:\n  delegated: [{socket: /run/docker.sock, expires: 2020-01-01}]\n",
		  "p.yml:3:51: exception for socket '/run/docker.sock' expired on 2020-01-01" },
		{ "allow:\n  delegated: [42]\n", "p.yml:3:15: delegated entry #1 must be a string, not an integer" },
		{ "allow:\n  delegate: [/run/docker.sock]\n", "p.yml:3:3: unknown key 'delegate' in allow (did you mean 'delegated'?)" },
		{ "delegated_sockets: /run/x.sock\n", "p.yml:2:20: 'delegated_sockets' at the top level must be a list, not a string" },
		{ "delegated_sockets: [\"@\"]\n", "p.yml:2:21: delegated_sockets entry #1: empty abstract socket name '@'" },
		{ "delegated_sockets: [\"${XDG_RUNTIME_DIR}/docker.sock\"]\n",
		  "p.yml:2:21: delegated_sockets entry #1: '${XDG_RUNTIME_DIR}/docker.sock': variables such as $XDG_RUNTIME_DIR are not expanded here" },
	};
	for (const BadText &c : cases)
		checkOneError(std::string("version: 1\n") + c.text, c.message);
}
