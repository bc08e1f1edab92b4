#pragma once
// The policy file (docs/ci/HERMETIC_CI_POLICY.yml), version 1, as typed values.
// loader.h turns YAML into a Policy; everything here is plain data and pure functions.

#include <string>
#include <vector>

#include "base/error.h"
#include "net/daemon_sockets.h"
#include "policy/allowlist.h"
#include "policy/env.h"

namespace hg {

inline constexpr const char *kDefaultPolicyPath = "docs/ci/HERMETIC_CI_POLICY.yml";
inline constexpr int kPolicyVersion = 1;
// Upper bound of timeout_seconds (7 days): keeps seconds * 1000 well inside 64-bit
// milliseconds and catches typos like an extra zero run wild.
inline constexpr int kMaxTimeoutSeconds = 7 * 24 * 3600;
// Upper bound of a pass_fds entry: the kernel's largest fs.nr_open.
inline constexpr int kMaxPassFd = 1 << 30;

enum class Mode {
	Audit,   // record network calls outside the allowlist, let them proceed
	Enforce, // deny them and fail the step
};

// "audit" / "enforce".
const char *modeName(Mode mode);

struct Step {
	std::string id;                // [A-Za-z0-9._-]+, not starting with '.': used as a folder name
	std::vector<std::string> argv; // what to execve: {"/bin/sh", "-c", run} for a string run
	std::string runText;           // run as written (a list run joined with spaces, quoted where needed)
	bool shell = false;            // run was a string (runs under /bin/sh -c)
	std::string cwd = ".";         // working directory, relative to where the gate runs
	EnvPairs env;                  // step-level env, in file order (applied after EnvRules::set)
	int timeoutSeconds = 0;        // 0 = no timeout from the gate (the CI job's own limit applies)
	std::vector<Exception> allow;  // step-level exceptions, added to Policy::allow for this step;
				       // source is "FILE:LINE:COL (step ID)"
	std::string location;          // "FILE:LINE:COL" of the step in the policy file
	int line = 0;                  // 1-based line and column of the step's mapping (its first
	int column = 0;                // key, `id:` in `- id: NAME`); 0 when unknown
	// pass_fds: inherited descriptors (above 2) the step keeps, in addition to the policy's;
	// every other inherited one is closed before exec (record/fd_pass.h).
	std::vector<int> passFds;
	std::string passFdsLocation;   // "FILE:LINE:COL" of the step's pass_fds
};

struct Policy {
	std::string path;              // as given to the loader (used as the display name)
	std::string sha256;            // lower-case hex SHA-256 of the file's bytes
	int version = kPolicyVersion;
	Mode mode = Mode::Audit;
	bool strict = false;           // true: refuse to run without the native tracer
	EnvRules env;
	std::vector<Exception> allow;  // global exceptions; source is "FILE:LINE:COL"
	// delegated_sockets: daemon sockets added to the built-in list (DaemonSockets::builtIn);
	// source is "FILE:LINE:COL". Not yet snapshot.
	std::vector<DaemonSocket> delegatedSockets;
	std::vector<int> passFds;      // pass_fds: inherited descriptors every step keeps
	std::string passFdsLocation;   // "FILE:LINE:COL" of the top-level pass_fds
	std::vector<Step> steps;       // in file order, ids unique
	std::string stepsLocation;     // "FILE:LINE:COL" of hermetic_steps (for selectSteps errors)
};

// The steps named by ids, in the order asked (repeats ignored); all steps in file order when
// ids is empty. Error (one line per id the file lacks): "FILE:LINE:COL: no step 'x' in
// hermetic_steps (steps: a, b; did you mean 'y'?)".
Expected<std::vector<Step>> selectSteps(const Policy &policy, const std::vector<std::string> &ids);

// The all-exceptions list for one step: the policy's global ones, then the step's own.
std::vector<Exception> stepExceptions(const Policy &policy, const Step &step);

// The inherited descriptors one step keeps: the policy's pass_fds, then the step's own
// (each once).
std::vector<int> stepPassFds(const Policy &policy, const Step &step);

} // namespace hg
