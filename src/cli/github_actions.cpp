#include "cli/github_actions.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <fmt/core.h>

#include "base/unique_fd.h"

namespace hg {

namespace {

// Appends text to the file at path, creating it when missing; "" or why it failed.
std::string appendToFile(const std::string &path, const std::string &text)
{
	UniqueFd fd(open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
	if (!fd)
		return std::string("open: ") + std::strerror(errno);
	size_t done = 0;
	while (done < text.size()) {
		ssize_t n = write(fd.get(), text.data() + done, text.size() - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return std::string("write: ") + std::strerror(n < 0 ? errno : ENOSPC);
		done += static_cast<size_t>(n);
	}
	return "";
}

// Appends text to the file $variable names; one warning line when it is unset or fails.
void appendToEnvFile(const char *variable, const char *what, const std::string &text)
{
	const char *path = getenv(variable);
	if (!path || !*path) {
		fmt::print(stderr, "hermetic-gate: warning: {} is not set: no {} written\n", variable, what);
		return;
	}
	std::string failed = appendToFile(path, text);
	if (!failed.empty())
		fmt::print(stderr, "hermetic-gate: warning: cannot append the {} to {} ({}): {}\n", what, path, variable,
			   failed);
}

} // namespace

bool inGithubActions()
{
	const char *value = getenv("GITHUB_ACTIONS");
	return value && std::strcmp(value, "true") == 0;
}

void reportToGithub(const RunEvidence &run, const StepSpots &spots, const std::string &evidenceDir)
{
	appendToEnvFile("GITHUB_STEP_SUMMARY", "step summary", githubSummary(run, evidenceDir));
	// The runner reads workflow commands from stdout line by line, after the gate's own
	// stderr lines: flush so they are not held back in the buffer.
	for (const std::string &line : githubAnnotations(run, spots))
		fmt::print(stdout, "{}\n", line);
	std::fflush(stdout);
	appendToEnvFile("GITHUB_OUTPUT", "step outputs", githubOutputs(run, evidenceDir));
}

} // namespace hg
