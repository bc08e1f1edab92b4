#include "net/daemon_sockets.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <cctype>
#include <climits>
#include <cstdlib>
#include <memory>

#include "base/proc.h"

namespace hg {

namespace {

// '*' matches any run of characters within one path component.
bool globMatch(std::string_view pattern, std::string_view text)
{
	if (pattern.empty())
		return text.empty();
	if (pattern[0] == '*') {
		for (size_t i = 0;; i++) {
			if (globMatch(pattern.substr(1), text.substr(i)))
				return true;
			if (i == text.size() || text[i] == '/')
				return false;
		}
	}
	return !text.empty() && pattern[0] == text[0] && globMatch(pattern.substr(1), text.substr(1));
}

std::optional<FileId> socketFileId(const std::string &fsPath)
{
	struct stat st{};
	if (stat(fsPath.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode))
		return std::nullopt;
	return FileId{ st.st_dev, st.st_ino };
}

// fsPath is where the gate reaches the file (possibly through /proc/TID/root or cwd);
// written is the same path as the caller wrote it. The directory part of fsPath with its
// symlinks resolved, joined to the last component of written; "" when the directory
// cannot be resolved or the last component is not a name.
std::string resolvedPath(const std::string &fsPath, const std::string &written)
{
	size_t slash = written.rfind('/');
	std::string base = slash == std::string::npos ? written : written.substr(slash + 1);
	if (base.empty() || base == "." || base == "..")
		return "";
	std::string dir = fsPath.substr(0, fsPath.size() - base.size());
	std::unique_ptr<char, decltype(&free)> real(realpath(dir.empty() ? "." : dir.c_str(), nullptr), &free);
	if (!real)
		return "";
	return normalizePath(std::string(real.get()) + "/" + base);
}

SocketRef ref(std::string path, bool pattern = false)
{
	SocketRef r;
	r.path = std::move(path);
	r.pattern = pattern;
	return r;
}

} // namespace

std::string normalizePath(std::string_view path, std::string_view cwd)
{
	std::string joined = !path.empty() && path[0] == '/' ? std::string(path)
							     : std::string(cwd) + "/" + std::string(path);
	std::vector<std::string_view> parts;
	std::string_view rest = joined;
	while (!rest.empty()) {
		size_t slash = rest.find('/');
		std::string_view part = rest.substr(0, slash);
		rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
		if (part.empty() || part == ".")
			continue;
		if (part == "..") {
			if (!parts.empty())
				parts.pop_back();
			continue;
		}
		parts.push_back(part);
	}
	std::string out;
	for (std::string_view part : parts) {
		out += '/';
		out += part;
	}
	return out.empty() ? "/" : out;
}

Expected<std::string> parseSocketPath(const std::string &spec)
{
	if (spec.empty())
		return Error::msg("empty socket path (write an absolute path such as /run/docker.sock, "
				  "or @name for an abstract socket)");
	if (spec.find('\0') != std::string::npos)
		return Error::msg("socket path contains a NUL character (write @name for an abstract socket)");
	if (spec.starts_with("unix://"))
		return Error::msg("'" + spec + "' is a URL, not a socket path (write the path alone: " +
				  spec.substr(7) + ")");
	if (spec[0] == '@') {
		if (spec.size() == 1)
			return Error::msg("empty abstract socket name '@' (write @name, e.g. @/org/example/daemon)");
		return spec;
	}
	size_t dollar = spec.find('$');
	if (dollar != std::string::npos && dollar + 1 < spec.size() &&
	    (std::isalpha(static_cast<unsigned char>(spec[dollar + 1])) || spec[dollar + 1] == '_' ||
	     spec[dollar + 1] == '{'))
		return Error::msg("'" + spec + "': variables such as $XDG_RUNTIME_DIR are not expanded here "
				  "(write the path itself, e.g. /run/user/1000/docker.sock; the built-in list already "
				  "has the rootless sockets under the gate's $XDG_RUNTIME_DIR)");
	if (spec[0] == '~')
		return Error::msg("'" + spec + "': '~' is not expanded here (write the absolute path, "
				  "e.g. /home/ci/.docker/run/docker.sock)");
	if (spec[0] != '/')
		return Error::msg("'" + spec + "' is a relative path (write the absolute path, e.g. /run/" + spec +
				  "; a step that connects with a relative path is still matched, against its own "
				  "working directory)");
	return normalizePath(spec);
}

void SocketRef::snapshot()
{
	if (pattern || path.empty() || path[0] != '/')
		return;
	id = socketFileId(path);
	resolved = resolvedPath(path, path);
}

bool SocketRef::matches(const UnixTarget &t) const
{
	if (path.empty())
		return false;
	if (t.abstract || path[0] == '@')
		return t.abstract && path == t.path;
	if (pattern)
		return globMatch(path, t.lexical) || globMatch(path, t.path);
	if (id && t.id && *id == *t.id)
		return true;
	for (const std::string *mine : { &path, &resolved })
		if (!mine->empty() && (*mine == t.path || *mine == t.lexical))
			return true;
	return false;
}

Endpoint daemonEndpoint(const UnixTarget &t)
{
	Endpoint ep;
	ep.status = AddrStatus::Decoded;
	ep.family = AF_UNIX;
	ep.unixKind = t.abstract ? UnixKind::Abstract : UnixKind::Path;
	ep.unixPath = t.abstract ? t.path.substr(1) : t.path;
	return ep;
}

const char *networkDaemonOfExe(std::string_view exe)
{
	static constexpr std::pair<std::string_view, const char *> kExes[] = {
		{"dockerd", "Docker"},
		{"containerd", "containerd"},
		{"buildkitd", "BuildKit"},
		{"podman", "Podman"},
		{"dbus-daemon", "the D-Bus system bus"},
		{"dbus-broker", "the D-Bus system bus"},
		{"systemd-resolved", "systemd-resolved"},
		{"ssh-agent", "ssh-agent"},
	};
	size_t slash = exe.rfind('/');
	std::string_view name = slash == std::string_view::npos ? exe : exe.substr(slash + 1);
	// A replaced binary shows as "/usr/bin/dockerd (deleted)" in /proc/PID/exe.
	if (size_t space = name.find(' '); space != std::string_view::npos)
		name = name.substr(0, space);
	for (const auto &[file, daemon] : kExes) {
		if (name == file)
			return daemon;
	}
	return nullptr;
}

DaemonSockets DaemonSockets::builtIn(const GetEnv &getenv)
{
	DaemonSockets list;
	auto add = [&](const char *daemon, std::string path, const char *source = "built-in", bool pattern = false) {
		list.add(DaemonSocket{ ref(normalizePath(path), pattern), daemon, source });
	};
	// A variable counts only when it holds an absolute path: a relative one would name a
	// socket relative to wherever the gate happens to run.
	auto fromEnv = [&](const char *name) -> std::optional<std::string> {
		const char *v = getenv(name);
		if (!v || v[0] != '/')
			return std::nullopt;
		return std::string(v);
	};
	std::optional<std::string> xdg = fromEnv("XDG_RUNTIME_DIR");

	add("Docker", "/var/run/docker.sock");
	add("Docker", "/run/docker.sock");
	if (xdg)
		add("Docker (rootless)", *xdg + "/docker.sock", "$XDG_RUNTIME_DIR");
	add("containerd", "/run/containerd/containerd.sock");
	add("BuildKit", "/run/buildkit/buildkitd.sock");
	if (xdg)
		add("BuildKit (rootless)", *xdg + "/buildkit/buildkitd.sock", "$XDG_RUNTIME_DIR");
	add("Podman", "/run/podman/podman.sock");
	if (xdg)
		add("Podman (rootless)", *xdg + "/podman/podman.sock", "$XDG_RUNTIME_DIR");
	add("the D-Bus system bus", "/run/dbus/system_bus_socket");
	add("the D-Bus system bus", "/var/run/dbus/system_bus_socket");
	add("systemd-resolved", "/run/systemd/resolve/io.systemd.Resolve");
	if (std::optional<std::string> agent = fromEnv("SSH_AUTH_SOCK"))
		add("ssh-agent", *agent, "$SSH_AUTH_SOCK");
	add("ssh-agent", "/tmp/ssh-*/agent.*", "built-in", true);
	return list;
}

void DaemonSockets::snapshot()
{
	for (DaemonSocket &s : entries_)
		s.ref.snapshot();
}

const DaemonSocket *DaemonSockets::match(const UnixTarget &t) const
{
	for (const DaemonSocket &s : entries_)
		if (s.ref.matches(t))
			return &s;
	return nullptr;
}

UnixTarget resolveUnixTarget(pid_t tid, const Endpoint &ep)
{
	UnixTarget t;
	if (ep.unixKind == UnixKind::Abstract) {
		t.abstract = true;
		t.path = t.lexical = "@" + ep.unixPath;
		return t;
	}
	const std::string &written = ep.unixPath;
	const bool relative = written.empty() || written[0] != '/';
	std::string cwd = relative ? readLink(procPath(tid, "/cwd")) : std::string("/");
	t.lexical = normalizePath(written, cwd.empty() || cwd[0] != '/' ? "/" : cwd);
	// Through the caller's own cwd and root links: the kernel resolves the path from there
	// (a chrooted step, a cwd whose path has changed since).
	std::string fsPath = relative ? procPath(tid, "/cwd/") + written : procPath(tid, "/root") + written;
	t.id = socketFileId(fsPath);
	t.path = resolvedPath(fsPath, written);
	if (t.path.empty())
		t.path = t.lexical;
	return t;
}

} // namespace hg
