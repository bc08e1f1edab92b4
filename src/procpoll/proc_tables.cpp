#include "procpoll/proc_tables.h"

#include <sys/socket.h>

#include <charconv>
#include <cstdlib>

namespace hg {

namespace {

// Splits a line on spaces and tabs.
std::vector<std::string_view> fields(std::string_view line)
{
	std::vector<std::string_view> out;
	size_t i = 0;
	while (i < line.size()) {
		while (i < line.size() && (line[i] == ' ' || line[i] == '\t'))
			i++;
		size_t start = i;
		while (i < line.size() && line[i] != ' ' && line[i] != '\t')
			i++;
		if (i > start)
			out.push_back(line.substr(start, i - start));
	}
	return out;
}

// Calls fn(line) for each line after the first (the header).
template<typename Fn>
void forEachDataLine(std::string_view text, Fn fn)
{
	size_t pos = text.find('\n');
	while (pos != std::string_view::npos && pos + 1 < text.size()) {
		size_t next = text.find('\n', pos + 1);
		size_t end = next == std::string_view::npos ? text.size() : next;
		fn(text.substr(pos + 1, end - pos - 1));
		pos = next;
	}
}

template<typename T>
bool number(std::string_view s, T &out, int base = 10)
{
	if (s.empty())
		return false;
	auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
	return ec == std::errc() && p == s.data() + s.size();
}

} // namespace

std::vector<ProcSocket> parsePacketTable(std::string_view text, std::vector<int> *types)
{
	// sk RefCnt Type Proto Iface R Rmem User Inode
	std::vector<ProcSocket> out;
	forEachDataLine(text, [&](std::string_view line) {
		auto f = fields(line);
		if (f.size() < 9)
			return;
		int type = 0, ifindex = 0;
		unsigned proto = 0;
		uint64_t inode = 0;
		if (!number(f[2], type) || !number(f[3], proto, 16) || proto > 0xffff || !number(f[4], ifindex) ||
		    !number(f[8], inode))
			return;
		ProcSocket s;
		s.proto = "packet";
		s.local.status = AddrStatus::Decoded;
		s.local.family = AF_PACKET;
		s.local.pktProtocol = static_cast<uint16_t>(proto);
		s.local.pktIfindex = ifindex;
		s.state = kSocketClose;
		s.inode = inode;
		out.push_back(std::move(s));
		if (types)
			types->push_back(type);
	});
	return out;
}

std::vector<uint64_t> parseInodeColumn(std::string_view text, size_t column)
{
	std::vector<uint64_t> out;
	forEachDataLine(text, [&](std::string_view line) {
		auto f = fields(line);
		uint64_t inode = 0;
		if (f.size() > column && number(f[column], inode))
			out.push_back(inode);
	});
	return out;
}

std::vector<pid_t> parsePidList(std::string_view text)
{
	std::vector<pid_t> out;
	for (std::string_view f : fields(text)) {
		if (!f.empty() && f.back() == '\n')
			f.remove_suffix(1);
		pid_t pid = 0;
		if (!number(f, pid) || pid <= 0)
			break;
		out.push_back(pid);
	}
	return out;
}

std::optional<ProcStat> parseProcStat(std::string_view text)
{
	// "pid (comm) state ppid ..." where comm may hold anything: it ends at the last ')'.
	size_t open = text.find(" (");
	size_t close = text.rfind(')');
	if (open == std::string_view::npos || close == std::string_view::npos || close < open)
		return std::nullopt;
	ProcStat st;
	if (!number(text.substr(0, open), st.pid))
		return std::nullopt;
	st.comm = std::string(text.substr(open + 2, close - open - 2));
	auto f = fields(text.substr(close + 1));
	// f[0] is field 3 (state): field N of proc(5) is f[N - 3].
	if (f.size() < 20 || f[0].size() != 1)
		return std::nullopt;
	st.state = f[0][0];
	if (!number(f[1], st.ppid) || !number(f[11], st.utimeTicks) || !number(f[12], st.stimeTicks) ||
	    !number(f[17], st.numThreads) || !number(f[19], st.startTime))
		return std::nullopt;
	if (f.size() > 49) {
		std::string_view last = f[49];
		if (!last.empty() && last.back() == '\n')
			last.remove_suffix(1);
		int code = 0;
		if (number(last, code))
			st.exitCode = code;
	}
	return st;
}

std::optional<PortRange> parsePortRange(std::string_view text)
{
	auto f = fields(text.substr(0, text.find('\n')));
	unsigned low = 0, high = 0;
	if (f.size() != 2 || !number(f[0], low) || !number(f[1], high) || low == 0 || high > 65535 || low > high)
		return std::nullopt;
	return PortRange{static_cast<uint16_t>(low), static_cast<uint16_t>(high)};
}

} // namespace hg
