#include "base/proc.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include <signal.h>

#include "base/unique_fd.h"

namespace hg {

namespace {

constexpr size_t kMaxProcFile = 64 << 20; // a /proc/net table of a very busy namespace

std::string_view trimBlanks(std::string_view s)
{
	while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
		s.remove_prefix(1);
	while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n'))
		s.remove_suffix(1);
	return s;
}

} // namespace

std::string readProcFile(const std::string &path)
{
	std::string out;
	UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
	if (!fd)
		return out;
	char buf[16384];
	for (;;) {
		ssize_t n = read(fd.get(), buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || out.size() > kMaxProcFile)
			break;
		out.append(buf, static_cast<size_t>(n));
	}
	return out;
}

std::string readFirstLine(const std::string &path)
{
	std::string text = readProcFile(path);
	size_t nl = text.find('\n');
	if (nl != std::string::npos)
		text.resize(nl);
	return text;
}

std::string readLink(const std::string &path)
{
	char buf[4096];
	ssize_t n = readlink(path.c_str(), buf, sizeof(buf) - 1);
	return n < 0 ? std::string() : std::string(buf, static_cast<size_t>(n));
}

std::string procPath(pid_t pid, std::string_view rest)
{
	std::string out = "/proc/" + std::to_string(pid);
	out += rest;
	return out;
}

std::vector<std::string> readCmdline(pid_t pid)
{
	std::vector<std::string> argv;
	std::string text = readProcFile(procPath(pid, "/cmdline"));
	size_t start = 0;
	for (size_t i = 0; i < text.size(); i++) {
		if (text[i] == '\0') {
			argv.push_back(text.substr(start, i - start));
			start = i + 1;
		}
	}
	if (start < text.size())
		argv.push_back(text.substr(start));
	return argv;
}

std::string procFileField(const std::string &path, std::string_view key)
{
	std::string text = readProcFile(path);
	std::string_view rest = text;
	while (!rest.empty()) {
		size_t nl = rest.find('\n');
		std::string_view line = rest.substr(0, nl);
		rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
		if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ':')
			return std::string(trimBlanks(line.substr(key.size() + 1)));
	}
	return {};
}

std::optional<long long> parseInteger(std::string_view text)
{
	text = trimBlanks(text);
	long long value = 0;
	auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
	if (ec != std::errc() || end != text.data() + text.size() || text.empty())
		return std::nullopt;
	return value;
}

std::string errnoName(int errnum)
{
	const char *name = strerrorname_np(errnum);
	return name ? name : std::to_string(errnum);
}

std::string signalName(int sig)
{
	const char *abbrev = sigabbrev_np(sig);
	if (abbrev)
		return std::string("SIG") + abbrev;
	return "SIG" + std::to_string(sig);
}

} // namespace hg
