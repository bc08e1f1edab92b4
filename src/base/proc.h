#pragma once
// Reading /proc: the small helpers both detectors, the probe and doctor use. None of them
// throws; an unreadable file reads as empty (the process may be gone, which callers treat
// as an ordinary outcome).

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hg {

// A whole /proc file, read until EOF (they report size 0), at most 64 MiB. Empty when
// unreadable.
std::string readProcFile(const std::string &path);

// The first line of a file, without its newline. Empty when unreadable.
std::string readFirstLine(const std::string &path);

// The target of a symbolic link (/proc/PID/exe, /proc/PID/fd/N). Empty when unreadable.
std::string readLink(const std::string &path);

// "/proc/<pid><rest>": procPath(42, "/exe") is "/proc/42/exe".
std::string procPath(pid_t pid, std::string_view rest);

// argv of a process from /proc/PID/cmdline; empty when gone or unreadable.
std::vector<std::string> readCmdline(pid_t pid);

// The value of "Key:" in a /proc file of such lines (/proc/PID/status,
// /proc/PID/fdinfo/N), blanks around it removed; empty when absent or unreadable.
std::string procFileField(const std::string &path, std::string_view key);

// A decimal integer, the whole of text but leading and trailing blanks; nullopt when
// text is not one or does not fit.
std::optional<long long> parseInteger(std::string_view text);

// "ECONNREFUSED" for ECONNREFUSED; the number when the C library has no name.
std::string errnoName(int errnum);

// "SIGKILL" for 9, "SIG64" when the C library has no name.
std::string signalName(int sig);

} // namespace hg
