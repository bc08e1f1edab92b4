// execChild closes every descriptor above 2 but SpawnSpec::keepFds, and still reports a
// failed execve on its CLOEXEC pipe. A real fork and exec of /bin/sh.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "base/unique_fd.h"
#include "launch/exec_plan.h"

using namespace hg;

namespace {

// Runs spec to completion; its stdout (spec.stdoutFd is set here) and the errno it reported.
std::string runChild(SpawnSpec spec, int &setupErr)
{
	int out[2];
	REQUIRE(pipe2(out, O_CLOEXEC) == 0);
	UniqueFd rd(out[0]), wr(out[1]);
	spec.stdoutFd = wr.get();
	auto plan = prepareExec(spec);
	REQUIRE(plan.ok());
	pid_t pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0)
		execChild(*plan, nullptr);
	plan->errWrite.reset();
	wr.reset();
	setupErr = childSetupError(*plan);
	std::string text;
	char buf[256];
	ssize_t n;
	while ((n = read(rd.get(), buf, sizeof(buf))) > 0)
		text.append(buf, static_cast<size_t>(n));
	int st;
	REQUIRE(waitpid(pid, &st, 0) == pid);
	return text;
}

// A descriptor at exactly `at`, not CLOEXEC, as one inherited from a parent.
UniqueFd inheritedAt(int at)
{
	int fd = open("/dev/null", O_RDONLY);
	REQUIRE(fd >= 0);
	REQUIRE(dup2(fd, at) == at);
	close(fd);
	return UniqueFd(at);
}

} // namespace

TEST_CASE("execChild closes every descriptor above 2 but the kept ones", "[launch]")
{
	UniqueFd a = inheritedAt(40), b = inheritedAt(41), c = inheritedAt(300);
	SpawnSpec spec;
	spec.argv = {"/bin/sh", "-c", "for n in 40 41 300; do [ -e /proc/$$/fd/$n ] && echo $n; done; exit 0"};
	int err = -1;

	SECTION("none kept")
	{
		CHECK(runChild(spec, err).empty());
		CHECK(err == 0);
	}
	SECTION("one kept in the middle")
	{
		spec.keepFds = {41};
		CHECK(runChild(spec, err) == "41\n");
		CHECK(err == 0);
	}
	SECTION("the first and the last kept")
	{
		spec.keepFds = {40, 300};
		CHECK(runChild(spec, err) == "40\n300\n");
		CHECK(err == 0);
	}
}

TEST_CASE("a failed execve is still reported after the descriptors are closed", "[launch]")
{
	char dir[] = "/tmp/hg-close-fds-XXXXXX";
	REQUIRE(mkdtemp(dir) != nullptr);
	std::string script = std::string(dir) + "/bad-interpreter";
	{
		std::ofstream f(script);
		f << "#!/nonexistent/interpreter\n";
	}
	REQUIRE(chmod(script.c_str(), 0755) == 0);
	UniqueFd a = inheritedAt(40);
	SpawnSpec spec;
	spec.argv = {script};
	spec.keepFds = {40};
	int err = 0;
	runChild(spec, err);
	CHECK(err == ENOENT);
	unlink(script.c_str());
	rmdir(dir);
}
