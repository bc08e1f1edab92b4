#pragma once
// Environment sanitizing for hermetic steps. Pure functions over "NAME=value" strings:
// nothing here reads or changes the gate's own environment.
//
// A step's environment is built in this order:
//   1. the gate's environment (first occurrence of a name wins, entries without '=' dropped)
//   2. minus every name matching kSensitiveEnvNames or EnvRules::remove,
//      except names matching EnvRules::keep
//   3. then EnvRules::set (policy-wide), then the step's own env (both override)
// Glob patterns use '*' (any run of characters) and '?' (one character) and match the whole
// name, ignoring ASCII case (npm reads npm_config_* and NPM_CONFIG_* alike).

#include <array>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hg {

using EnvPairs = std::vector<std::pair<std::string, std::string>>;

// Names the gate never passes to a step unless the policy keeps them: credentials, tokens,
// private keys, cloud and CI secrets, and sockets or files that grant access to them.
// Known harmless casualties of the broad globs (TOKENIZERS_PARALLELISM for *TOKEN*) can be
// brought back with env.keep.
inline constexpr auto kSensitiveEnvNames = std::to_array<std::string_view>({
	// Generic secret-bearing words
	"*TOKEN*",
	"*SECRET*",
	"*PASSWORD*",
	"*PASSWD*",
	"*PASSPHRASE*",
	"*_PASS",
	"*_PWD",
	"*CREDENTIAL*",
	"*PRIVATE_KEY*",
	"*PRIVATEKEY*",
	"*API_KEY*",
	"*APIKEY*",
	"*ACCESS_KEY*",
	"*SIGNING_KEY*",
	"*_KEY",
	"*_PAT",
	"*_JWT*",
	"*_AUTH",
	"*_AUTH_*",
	"*ASKPASS*",
	"*WEBHOOK*",
	"*COOKIE*",
	"*CONNECTION_STRING*",
	"*_DSN",
	"DATABASE_URL",
	// AWS
	"AWS_ACCESS_KEY_ID",
	"AWS_SECRET_ACCESS_KEY",
	"AWS_SESSION_TOKEN",
	"AWS_SECURITY_TOKEN",
	"AWS_WEB_IDENTITY_TOKEN_FILE",
	"AWS_CONTAINER_CREDENTIALS_*",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN*",
	"AWS_SHARED_CREDENTIALS_FILE",
	// Azure
	"AZURE_CLIENT_SECRET",
	"AZURE_CLIENT_CERTIFICATE_*",
	"AZURE_FEDERATED_TOKEN_FILE",
	"AZURE_STORAGE_KEY",
	"ARM_CLIENT_SECRET",
	"ARM_ACCESS_KEY",
	// Google Cloud
	"GOOGLE_APPLICATION_CREDENTIALS",
	"GOOGLE_CREDENTIALS",
	"GOOGLE_CLOUD_KEYFILE_JSON",
	"CLOUDSDK_AUTH_*",
	"GCP_SA_KEY",
	// GitHub Actions: the job token, the cache/artifact service and OIDC token requests
	"GITHUB_TOKEN",
	"GH_TOKEN",
	"GH_ENTERPRISE_TOKEN",
	"ACTIONS_RUNTIME_TOKEN",
	"ACTIONS_RUNTIME_URL",
	"ACTIONS_ID_TOKEN_REQUEST_*",
	"ACTIONS_CACHE_URL",
	"ACTIONS_RESULTS_URL",
	// GitLab CI
	"CI_JOB_TOKEN",
	"CI_JOB_JWT*",
	"CI_BUILD_TOKEN",
	"CI_REGISTRY_PASSWORD",
	"CI_DEPLOY_PASSWORD",
	// Package registries
	"NPM_TOKEN",
	"NODE_AUTH_TOKEN",
	"NPM_CONFIG__AUTH*",
	"YARN_NPM_AUTH_TOKEN",
	"TWINE_PASSWORD",
	"PYPI_TOKEN",
	"CARGO_REGISTRY_TOKEN",
	"GEM_HOST_API_KEY",
	"NUGET_API_KEY",
	// Containers, SSH, secret stores, clusters
	"DOCKER_AUTH_CONFIG",
	"DOCKER_PASSWORD",
	"DOCKER_CONFIG",
	"REGISTRY_AUTH_FILE",
	"SSH_AUTH_SOCK",
	"VAULT_TOKEN",
	"VAULT_SECRET_ID",
	"KUBECONFIG",
});

// What the policy adds to the built-in rules (env: in the policy file).
struct EnvRules {
	std::vector<std::string> remove; // globs, removed on top of kSensitiveEnvNames
	std::vector<std::string> keep;   // globs, never removed (wins over remove and the built-ins)
	EnvPairs set;                    // set for every step, in file order
};

struct SanitizedEnv {
	std::vector<std::string> env;     // "NAME=value", sorted by name, names unique
	std::vector<std::string> removed; // sorted, unique NAMES taken from the gate's environment (never values)
};

// True if name matches pattern ('*', '?', whole name, ASCII case-insensitive).
bool envGlobMatch(std::string_view pattern, std::string_view name);

// True if the gate would drop name under rules (built-ins or rules.remove, and not rules.keep).
bool isRemovedEnvName(std::string_view name, const EnvRules &rules);

// Builds a step's environment from the gate's (see the order at the top of this file).
// A name removed from the gate's environment stays listed in removed even if set or
// stepEnv gives it a new value: the inherited value was still withheld.
SanitizedEnv sanitizeEnv(const std::vector<std::string> &gateEnv, const EnvRules &rules,
			 const EnvPairs &stepEnv);

} // namespace hg
