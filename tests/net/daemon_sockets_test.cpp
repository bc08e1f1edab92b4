// Daemon sockets (delegated egress): path normalization, the policy's path forms, the
// built-in list, and matching by inode and by resolved path on real sockets in a temp dir
// (a symlinked directory, a relative path, `//` and `..`, a socket made after the snapshot).

#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#include "base/unique_fd.h"
#include "net/daemon_sockets.h"

using namespace hg;

namespace {

// A temp dir with real/ and link -> real, removed at the end.
struct TempTree {
	std::string dir;
	TempTree()
	{
		char tmpl[] = "/tmp/hg-daemon-XXXXXX";
		REQUIRE(mkdtemp(tmpl) != nullptr);
		// realpath: /tmp itself may be a symlink on some machines.
		char *real = realpath(tmpl, nullptr);
		dir = real;
		free(real);
		REQUIRE(mkdir((dir + "/real").c_str(), 0700) == 0);
		REQUIRE(symlink("real", (dir + "/link").c_str()) == 0);
	}
	~TempTree()
	{
		std::string cmd = "rm -rf '" + dir + "'";
		(void)!std::system(cmd.c_str());
	}
};

// A listening AF_UNIX socket bound at path (a stand-in for a daemon).
UniqueFd listenAt(const std::string &path)
{
	UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
	REQUIRE(fd);
	sockaddr_un sun{};
	sun.sun_family = AF_UNIX;
	REQUIRE(path.size() < sizeof(sun.sun_path));
	std::memcpy(sun.sun_path, path.data(), path.size());
	REQUIRE(bind(fd.get(), reinterpret_cast<sockaddr *>(&sun), sizeof(sun)) == 0);
	REQUIRE(listen(fd.get(), 1) == 0);
	return fd;
}

Endpoint unixPath(const std::string &path)
{
	Endpoint ep;
	ep.status = AddrStatus::Decoded;
	ep.family = AF_UNIX;
	ep.unixKind = UnixKind::Path;
	ep.unixPath = path;
	return ep;
}

SocketRef refAt(const std::string &path)
{
	SocketRef r;
	r.path = path;
	r.snapshot();
	return r;
}

// Restores the working directory at scope end.
struct InDir {
	std::string old;
	explicit InDir(const std::string &dir)
	{
		char *cwd = getcwd(nullptr, 0);
		old = cwd;
		free(cwd);
		REQUIRE(chdir(dir.c_str()) == 0);
	}
	~InDir() { (void)!chdir(old.c_str()); }
};

} // namespace

TEST_CASE("normalizePath collapses //, . and .. without looking at the file system", "[daemon]")
{
	CHECK(normalizePath("/var/run//docker.sock") == "/var/run/docker.sock");
	CHECK(normalizePath("/run/./x/../docker.sock") == "/run/docker.sock");
	CHECK(normalizePath("/../../run/docker.sock") == "/run/docker.sock");
	CHECK(normalizePath("docker.sock", "/var/run") == "/var/run/docker.sock");
	CHECK(normalizePath("../run/docker.sock", "/var/lib") == "/var/run/docker.sock");
	CHECK(normalizePath("/run/docker.sock/") == "/run/docker.sock");
	CHECK(normalizePath("/") == "/");
	CHECK(normalizePath("", "/tmp") == "/tmp");
}

TEST_CASE("socket paths in a policy: absolute or @name, with a fix for each mistake", "[daemon]")
{
	CHECK(*parseSocketPath("/var/run//docker.sock") == "/var/run/docker.sock");
	CHECK(*parseSocketPath("@/org/example/daemon") == "@/org/example/daemon");
	CHECK(*parseSocketPath("/run/a$-1.sock") == "/run/a$-1.sock"); // not a variable

	const std::map<std::string, std::string> bad = {
		{ "", "empty socket path (write an absolute path such as /run/docker.sock, or @name for an abstract socket)" },
		{ "docker.sock", "'docker.sock' is a relative path (write the absolute path, e.g. /run/docker.sock;" },
		{ "./run/x.sock", "'./run/x.sock' is a relative path" },
		{ "$XDG_RUNTIME_DIR/docker.sock", "variables such as $XDG_RUNTIME_DIR are not expanded here (write the path itself" },
		{ "/run/user/${UID}/docker.sock", "are not expanded here" },
		{ "~/.docker/run/docker.sock", "'~' is not expanded here (write the absolute path" },
		{ "unix:///var/run/docker.sock", "is a URL, not a socket path (write the path alone: /var/run/docker.sock)" },
		{ "@", "empty abstract socket name '@' (write @name" },
		{ std::string("/run/a\0b", 8), "contains a NUL character" },
	};
	for (const auto &[spec, message] : bad) {
		INFO(spec);
		auto parsed = parseSocketPath(spec);
		REQUIRE_FALSE(parsed.ok());
		CHECK_THAT(parsed.error().message, Catch::Contains(message));
	}
}

TEST_CASE("the built-in list takes the rootless sockets from the gate's environment", "[daemon]")
{
	std::map<std::string, std::string> env = { { "XDG_RUNTIME_DIR", "/run/user/1000" },
						   { "SSH_AUTH_SOCK", "/tmp/ssh-abc/agent.42" } };
	auto getenv = [&](const char *name) -> const char * {
		auto it = env.find(name);
		return it == env.end() ? nullptr : it->second.c_str();
	};
	auto paths = [](const DaemonSockets &list) {
		std::map<std::string, std::string> out;
		for (const DaemonSocket &s : list.entries())
			out[s.ref.path] = s.daemon;
		return out;
	};
	auto all = paths(DaemonSockets::builtIn(getenv));
	for (const char *p : { "/var/run/docker.sock", "/run/docker.sock", "/run/user/1000/docker.sock",
			       "/run/containerd/containerd.sock", "/run/buildkit/buildkitd.sock",
			       "/run/user/1000/buildkit/buildkitd.sock", "/run/podman/podman.sock",
			       "/run/user/1000/podman/podman.sock", "/run/dbus/system_bus_socket",
			       "/var/run/dbus/system_bus_socket", "/run/systemd/resolve/io.systemd.Resolve",
			       "/tmp/ssh-abc/agent.42", "/tmp/ssh-*/agent.*" })
		CHECK(all.count(p) == 1);
	CHECK(all["/run/user/1000/docker.sock"] == "Docker (rootless)");

	// Unset or relative: left out (a relative one would depend on where the gate runs).
	env = { { "XDG_RUNTIME_DIR", "run/user/1000" } };
	auto none = paths(DaemonSockets::builtIn(getenv));
	CHECK(none.size() == 9);
	for (const auto &[path, daemon] : none)
		CHECK(path.find("user") == std::string::npos);
}

TEST_CASE("a daemon socket is matched by inode and resolved path, however the step spells it", "[daemon]")
{
	TempTree t;
	const std::string real = t.dir + "/real/d.sock";
	UniqueFd daemon = listenAt(real);
	DaemonSockets list;
	list.add(DaemonSocket{ refAt(real), "Test daemon", "test" });
	// Listed through the symlinked directory, as /var/run/docker.sock is on most machines.
	list.add(DaemonSocket{ refAt(t.dir + "/link/other.sock"), "Other daemon", "test" });

	pid_t self = getpid();
	SECTION("the path as listed, with // and ..")
	{
		CHECK(list.match(resolveUnixTarget(self, unixPath(real))) == &list.entries()[0]);
		UnixTarget odd = resolveUnixTarget(self, unixPath(t.dir + "/real//x/../d.sock"));
		CHECK(odd.lexical == real);
		CHECK(list.match(odd) == &list.entries()[0]);
	}
	SECTION("through a symlinked directory: same inode, same resolved path")
	{
		UnixTarget via = resolveUnixTarget(self, unixPath(t.dir + "/link/d.sock"));
		CHECK(via.path == real);
		CHECK(via.lexical == t.dir + "/link/d.sock");
		REQUIRE(via.id);
		CHECK(via.id == list.entries()[0].ref.id);
		CHECK(list.match(via) == &list.entries()[0]);
	}
	SECTION("a relative path, against the caller's working directory")
	{
		InDir in(t.dir + "/link");
		UnixTarget rel = resolveUnixTarget(self, unixPath("d.sock"));
		CHECK(rel.path == real);
		CHECK(list.match(rel) == &list.entries()[0]);
		UnixTarget up = resolveUnixTarget(self, unixPath("../real/d.sock"));
		CHECK(list.match(up) == &list.entries()[0]);
	}
	SECTION("a socket made after the snapshot matches by its resolved path")
	{
		CHECK_FALSE(list.entries()[1].ref.id);
		CHECK(list.entries()[1].ref.resolved == t.dir + "/real/other.sock");
		UniqueFd late = listenAt(t.dir + "/real/other.sock");
		CHECK(list.match(resolveUnixTarget(self, unixPath(t.dir + "/real/other.sock"))) == &list.entries()[1]);
	}
	SECTION("another socket in the same directory does not match")
	{
		UniqueFd plain = listenAt(t.dir + "/real/plain.sock");
		CHECK(list.match(resolveUnixTarget(self, unixPath(t.dir + "/real/plain.sock"))) == nullptr);
		CHECK(list.match(resolveUnixTarget(self, unixPath(t.dir + "/link/plain.sock"))) == nullptr);
	}
	SECTION("a symlink to the socket itself is the same file")
	{
		REQUIRE(symlink(real.c_str(), (t.dir + "/alias.sock").c_str()) == 0);
		CHECK(list.match(resolveUnixTarget(self, unixPath(t.dir + "/alias.sock"))) == &list.entries()[0]);
	}
}

TEST_CASE("abstract names match by name, patterns within one path component", "[daemon]")
{
	Endpoint abstract;
	abstract.status = AddrStatus::Decoded;
	abstract.family = AF_UNIX;
	abstract.unixKind = UnixKind::Abstract;
	abstract.unixPath = "/org/example/daemon";
	UnixTarget t = resolveUnixTarget(getpid(), abstract);
	CHECK(t.abstract);
	CHECK(t.path == "@/org/example/daemon");

	SocketRef byName;
	byName.path = "@/org/example/daemon";
	CHECK(byName.matches(t));
	SocketRef samePathText;
	samePathText.path = "/org/example/daemon";
	CHECK_FALSE(samePathText.matches(t));
	UnixTarget asPath{ false, "/org/example/daemon", "/org/example/daemon", std::nullopt };
	CHECK_FALSE(byName.matches(asPath));

	SocketRef agent;
	agent.path = "/tmp/ssh-*/agent.*";
	agent.pattern = true;
	CHECK(agent.matches(UnixTarget{ false, "/tmp/ssh-XXXXab12/agent.4242", "/tmp/ssh-XXXXab12/agent.4242", {} }));
	CHECK(agent.matches(UnixTarget{ false, "/private/tmp/x", "/tmp/ssh-a/agent.1", {} }));
	CHECK_FALSE(agent.matches(UnixTarget{ false, "/tmp/ssh-a/b/agent.1", "/tmp/ssh-a/b/agent.1", {} }));
	CHECK_FALSE(agent.matches(UnixTarget{ false, "/tmp/ssh-a/agent", "/tmp/ssh-a/agent", {} }));
}

TEST_CASE("a daemon is known by its executable's file name", "[daemon_sockets]")
{
	CHECK(std::string(networkDaemonOfExe("/usr/bin/dockerd")) == "Docker");
	CHECK(std::string(networkDaemonOfExe("/usr/bin/dockerd (deleted)")) == "Docker");
	CHECK(std::string(networkDaemonOfExe("/opt/bin/buildkitd")) == "BuildKit");
	CHECK(std::string(networkDaemonOfExe("containerd")) == "containerd");
	CHECK(std::string(networkDaemonOfExe("/usr/bin/dbus-broker")) == "the D-Bus system bus");
	CHECK(networkDaemonOfExe("/usr/bin/dockerd-rootless.sh") == nullptr);
	CHECK(networkDaemonOfExe("/usr/bin/docker") == nullptr); // the client, not the daemon
	CHECK(networkDaemonOfExe("/usr/sbin/nscd") == nullptr);
	CHECK(networkDaemonOfExe("") == nullptr);
}

TEST_CASE("a daemon socket is reported by its resolved path or abstract name", "[daemon_sockets]")
{
	UnixTarget path{false, "/run/docker.sock", "/var/run/docker.sock", std::nullopt};
	CHECK(daemonEndpoint(path).address() == "/run/docker.sock");
	UnixTarget abstract{true, "@buildkit", "@buildkit", std::nullopt};
	CHECK(daemonEndpoint(abstract).address() == "@buildkit");
}
