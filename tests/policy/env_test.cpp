// Environment sanitizing: what a hermetic step inherits from the gate.

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "policy/env.h"

using namespace hg;

namespace {

bool hasEntry(const SanitizedEnv &e, const std::string &entry)
{
	return std::find(e.env.begin(), e.env.end(), entry) != e.env.end();
}

bool hasName(const SanitizedEnv &e, const std::string &name)
{
	return std::any_of(e.env.begin(), e.env.end(),
			   [&](const std::string &kv) { return kv.compare(0, name.size() + 1, name + "=") == 0; });
}

bool wasRemoved(const SanitizedEnv &e, const std::string &name)
{
	return std::find(e.removed.begin(), e.removed.end(), name) != e.removed.end();
}

} // namespace

TEST_CASE("envGlobMatch matches whole names with * and ?, ignoring case", "[env]")
{
	CHECK(envGlobMatch("*TOKEN*", "GITHUB_TOKEN"));
	CHECK(envGlobMatch("*TOKEN*", "npm_config__authToken"));
	CHECK(envGlobMatch("*_KEY", "OPENAI_API_KEY"));
	CHECK_FALSE(envGlobMatch("*_KEY", "MONKEY"));
	CHECK_FALSE(envGlobMatch("*_KEY", "SSH_KEY_PATH"));
	CHECK(envGlobMatch("MY_?", "MY_A"));
	CHECK_FALSE(envGlobMatch("MY_?", "MY_AB"));
	CHECK(envGlobMatch("A*B*C", "AxxBxxC"));
	CHECK_FALSE(envGlobMatch("A*B*C", "AxxBxxD"));
	CHECK(envGlobMatch("*", ""));
	CHECK_FALSE(envGlobMatch("", "A"));
	CHECK(envGlobMatch("PATH", "path"));

	/* Many stars on a long non-matching name must not take exponential time. */
	std::string name(5000, 'A');
	CHECK_FALSE(envGlobMatch("*A*A*A*A*A*A*A*A*A*A*B", name));
}

TEST_CASE("the built-in list removes CI, cloud and registry credentials", "[env]")
{
	const char *sensitive[] = {
		"GITHUB_TOKEN", "GH_TOKEN", "ACTIONS_RUNTIME_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_URL",
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ACTIONS_CACHE_URL", "ACTIONS_RESULTS_URL",
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AZURE_CLIENT_SECRET", "ARM_ACCESS_KEY",
		"GOOGLE_APPLICATION_CREDENTIALS", "CLOUDSDK_AUTH_ACCESS_TOKEN_FILE", "NPM_TOKEN",
		"NODE_AUTH_TOKEN", "npm_config__auth", "npm_config__authToken", "CI_JOB_TOKEN",
		"CI_JOB_JWT_V2", "CI_REGISTRY_PASSWORD", "SSH_AUTH_SOCK", "DOCKER_AUTH_CONFIG",
		"DOCKER_CONFIG", "VAULT_TOKEN", "KUBECONFIG", "DATABASE_URL", "SENTRY_DSN",
		"OPENAI_API_KEY", "STRIPE_APIKEY", "DB_PASSWORD", "MYSQL_PWD", "SMTP_PASS",
		"GPG_PRIVATE_KEY", "GPG_PASSPHRASE", "SLACK_WEBHOOK_URL", "GIT_ASKPASS", "GH_PAT",
		"TWINE_PASSWORD", "CARGO_REGISTRY_TOKEN", "SONAR_TOKEN", "AZURE_STORAGE_CONNECTION_STRING",
	};
	EnvRules rules;
	for (const char *name : sensitive) {
		INFO(name);
		CHECK(isRemovedEnvName(name, rules));
	}
}

TEST_CASE("the built-in list leaves ordinary CI variables alone", "[env]")
{
	const char *harmless[] = {
		"PATH", "HOME", "LANG", "LC_ALL", "TERM", "CI", "USER", "SHELL", "PWD", "OLDPWD",
		"TMPDIR", "HOSTNAME", "GITHUB_SHA", "GITHUB_ACTIONS", "GITHUB_REF", "GITHUB_WORKSPACE",
		"GITHUB_REPOSITORY", "GITHUB_RUN_ID", "GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_SERVER_URL",
		"RUNNER_OS", "RUNNER_TEMP", "CI_COMMIT_SHA", "CI_PIPELINE_ID", "GIT_AUTHOR_NAME",
		"GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "NODE_ENV", "JAVA_HOME", "LD_LIBRARY_PATH",
		"PKG_CONFIG_PATH", "XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS", "MAKEFLAGS",
		"DEBIAN_FRONTEND", "MONKEY", "KEYBOARD_LAYOUT", "SSH_CONNECTION", "AUTHOR",
		"NPM_CONFIG_REGISTRY", "PYTHONPATH", "GOPATH", "CARGO_HOME", "RUSTUP_HOME",
	};
	EnvRules rules;
	for (const char *name : harmless) {
		INFO(name);
		CHECK_FALSE(isRemovedEnvName(name, rules));
	}
}

TEST_CASE("sanitizeEnv removes GITHUB_TOKEN and names it, never its value", "[env]")
{
	std::vector<std::string> gate = {
		"PATH=/usr/bin:/bin", "GITHUB_TOKEN=ghs_supersecret", "HOME=/home/runner",
		"AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI", "GITHUB_SHA=abc123",
	};
	SanitizedEnv out = sanitizeEnv(gate, EnvRules{}, {});

	CHECK(out.env == std::vector<std::string>{ "GITHUB_SHA=abc123", "HOME=/home/runner", "PATH=/usr/bin:/bin" });
	CHECK(wasRemoved(out, "GITHUB_TOKEN"));
	CHECK(out.removed == std::vector<std::string>{ "AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN" });
	for (const std::string &name : out.removed) {
		CHECK(name.find('=') == std::string::npos);
		CHECK(name.find("supersecret") == std::string::npos);
		CHECK(name.find("wJalr") == std::string::npos);
	}
}

TEST_CASE("env.remove adds globs and env.keep wins over both lists", "[env]")
{
	std::vector<std::string> gate = {
		"MY_CORP_URL=https://corp", "MY_CORP_ID=7", "NPM_CONFIG_REGISTRY=https://mirror",
		"NPM_TOKEN=npm_x", "GITHUB_TOKEN=ghs_x", "OTHER=1",
	};
	EnvRules rules;
	rules.remove = { "MY_CORP_*", "NPM_CONFIG_*" };
	rules.keep = { "NPM_CONFIG_REGISTRY", "GITHUB_TOKEN" };
	SanitizedEnv out = sanitizeEnv(gate, rules, {});

	CHECK(hasEntry(out, "NPM_CONFIG_REGISTRY=https://mirror"));
	CHECK(hasEntry(out, "GITHUB_TOKEN=ghs_x"));
	CHECK_FALSE(wasRemoved(out, "GITHUB_TOKEN"));
	CHECK_FALSE(wasRemoved(out, "NPM_CONFIG_REGISTRY"));
	CHECK(hasEntry(out, "OTHER=1"));
	CHECK_FALSE(hasName(out, "MY_CORP_URL"));
	CHECK_FALSE(hasName(out, "NPM_TOKEN"));
	CHECK(out.removed == std::vector<std::string>{ "MY_CORP_ID", "MY_CORP_URL", "NPM_TOKEN" });
}

TEST_CASE("env.set overrides the gate and the step's env overrides env.set", "[env]")
{
	std::vector<std::string> gate = { "LANG=en_US.UTF-8", "TZ=Europe/Paris", "MODE=gate" };
	EnvRules rules;
	rules.set = { { "LANG", "C.UTF-8" }, { "MODE", "policy" } };
	EnvPairs stepEnv = { { "MODE", "step" }, { "NO_NETWORK_LISTEN", "1" } };
	SanitizedEnv out = sanitizeEnv(gate, rules, stepEnv);

	CHECK(out.env == std::vector<std::string>{ "LANG=C.UTF-8", "MODE=step", "NO_NETWORK_LISTEN=1", "TZ=Europe/Paris" });
	CHECK(out.removed.empty());
}

TEST_CASE("a removed name set again by the policy gets the policy's value and stays listed", "[env]")
{
	std::vector<std::string> gate = { "GITHUB_TOKEN=ghs_real" };
	EnvRules rules;
	rules.set = { { "GITHUB_TOKEN", "dummy" } };
	SanitizedEnv out = sanitizeEnv(gate, rules, {});

	CHECK(out.env == std::vector<std::string>{ "GITHUB_TOKEN=dummy" });
	CHECK(out.removed == std::vector<std::string>{ "GITHUB_TOKEN" });
}

TEST_CASE("sanitizeEnv keeps the first of duplicate names and drops entries without '='", "[env]")
{
	std::vector<std::string> gate = { "A=first", "JUNK", "=novalue", "A=second", "B=x=y", "EMPTY=" };
	SanitizedEnv out = sanitizeEnv(gate, EnvRules{}, {});

	CHECK(out.env == std::vector<std::string>{ "A=first", "B=x=y", "EMPTY=" });
	CHECK(out.removed.empty());
}

TEST_CASE("the built-in list holds only well-formed globs", "[env]")
{
	for (std::string_view glob : kSensitiveEnvNames) {
		INFO(glob);
		CHECK_FALSE(glob.empty());
		CHECK(glob.find('=') == std::string_view::npos);
		CHECK(std::all_of(glob.begin(), glob.end(), [](char c) {
			return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '*' || c == '?';
		}));
	}
}
