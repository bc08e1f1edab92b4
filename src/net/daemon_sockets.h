#pragma once
// Daemon sockets: unix sockets of daemons that make network calls for their clients
// (Docker pulls an image, BuildKit fetches sources, systemd-resolved resolves a name). A
// connect or an addressed send of the step to one of them is delegated egress
// (Direction::Delegated): the step reaches the network without an inet syscall of its own.
//
// A socket is identified by its file's (st_dev, st_ino) where the gate could stat it, and
// also by its absolute path, normalized, with its directory's symlinks resolved, so that
// "docker.sock" from /var/run, "/var/run//docker.sock" and "/run/x/../docker.sock" all name
// /run/docker.sock, even for a socket that did not exist when the gate started. An abstract
// socket ("@name") is matched by its name.
//
// Matching is pure; snapshot() and resolveUnixTarget() are the impure helpers that stat
// files and read /proc.

#include <sys/types.h>

#include <compare>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "net/endpoint.h"

namespace hg {

// A file as the kernel identifies it.
struct FileId {
	dev_t dev = 0;
	ino_t ino = 0;
	auto operator<=>(const FileId &) const = default;
};

// Where a process's AF_UNIX destination leads, as the gate could resolve it.
struct UnixTarget {
	bool abstract = false;
	// "@name" for an abstract socket; else the absolute path with its directory's symlinks
	// resolved ("/run/docker.sock"), or lexical when the directory could not be resolved.
	std::string path;
	// The path as written, made absolute against the caller's working directory and
	// normalized without looking at the file system ("/var/run/docker.sock").
	std::string lexical;
	std::optional<FileId> id; // the socket file, when it could be stat()ed
};

// "/a//b/./c/../d" -> "/a/b/d". A relative path is joined to cwd first (cwd absolute).
// ".." above "/" stays at "/". Pure: symlinks are not looked at.
std::string normalizePath(std::string_view path, std::string_view cwd = "/");

// A socket path as a policy or a flag names one: an absolute path (normalized) or "@name".
// Errors say how to fix it: a relative path, "~", a $VARIABLE (not expanded), a unix://
// URL, an empty abstract name, a NUL character.
Expected<std::string> parseSocketPath(const std::string &spec);

// One socket to match calls against: a daemon's socket, or a delegated exception.
struct SocketRef {
	std::string path;     // "@name", or a normalized absolute path
	bool pattern = false; // path is a glob: '*' matches within one path component
	// Filled by snapshot(): the path with its directory's symlinks resolved ("" when the
	// directory does not exist), and the socket file's id when it exists and is a socket.
	std::string resolved;
	std::optional<FileId> id;

	// stat()s the path (following symlinks, as connect() does) and resolves its directory.
	// Impure; a no-op for patterns and abstract names.
	void snapshot();
	// Same file (dev, inode), or the same path as the target's resolved or lexical one
	// (either side's), or the same abstract name, or the pattern matches one of them.
	bool matches(const UnixTarget &t) const;
};

struct DaemonSocket {
	SocketRef ref;
	std::string daemon; // "Docker", "containerd", ...; for delegated_sockets entries "listed in the policy"
	std::string source; // "built-in", "$XDG_RUNTIME_DIR", "policy.yml:3:5"
};

class DaemonSockets {
public:
	using GetEnv = std::function<const char *(const char *)>;

	// The built-in list (README "Delegated egress"): Docker, containerd, BuildKit, Podman,
	// the D-Bus system bus, systemd-resolved's varlink, ssh-agent. Entries under
	// $XDG_RUNTIME_DIR and $SSH_AUTH_SOCK are taken from getenv and left out when the
	// variable is unset or not an absolute path. Not yet snapshot.
	static DaemonSockets builtIn(const GetEnv &getenv);

	void add(DaemonSocket s) { entries_.push_back(std::move(s)); }
	const std::vector<DaemonSocket> &entries() const { return entries_; }

	// SocketRef::snapshot() of every entry (at the gate's start).
	void snapshot();

	// The first entry the target matches, or nullptr.
	const DaemonSocket *match(const UnixTarget &t) const;

private:
	std::vector<DaemonSocket> entries_;
};

// The daemon socket a delegated call asked, as reports show it (NetRecord::daemonSocket):
// AF_UNIX, the resolved path or the abstract name.
Endpoint daemonEndpoint(const UnixTarget &t);

// The daemon of the built-in list whose executable this is ("Docker" for .../dockerd), by
// the file name alone, or nullptr: a unix socket whose other end is such a process outside
// the tree is delegated egress wherever the socket lives (a bind-mounted or renamed socket
// the path list cannot know).
const char *networkDaemonOfExe(std::string_view exe);

// The AF_UNIX destination ep (Decoded, a path or an abstract name) of a call made by task
// tid, resolved as the kernel would: a relative path against /proc/TID/cwd, an absolute
// one under /proc/TID/root. Impure: reads /proc, stat()s and realpath()s.
UnixTarget resolveUnixTarget(pid_t tid, const Endpoint &ep);

} // namespace hg
