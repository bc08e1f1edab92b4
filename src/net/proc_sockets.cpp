#include "net/proc_sockets.h"

#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "base/unique_fd.h"

namespace hg {

namespace {

int hexDigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool parseHex(const std::string &s, uint64_t &out)
{
	if (s.empty() || s.size() > 16)
		return false;
	out = 0;
	for (char c : s) {
		int d = hexDigit(c);
		if (d < 0)
			return false;
		out = out << 4 | static_cast<uint64_t>(d);
	}
	return true;
}

// "0100007F:1F90" (v4) or 32 hex digits + ":PORT" (v6). The kernel prints each 32-bit
// word of the address in host byte order (%08X of a __be32 read as u32).
bool parseAddr(const std::string &s, bool v6, Endpoint &ep)
{
	size_t colon = s.find(':');
	if (colon == std::string::npos)
		return false;
	std::string ip = s.substr(0, colon);
	uint64_t port;
	if (!parseHex(s.substr(colon + 1), port) || port > 65535)
		return false;
	size_t words = v6 ? 4 : 1;
	if (ip.size() != words * 8)
		return false;
	for (size_t w = 0; w < words; w++) {
		uint64_t v;
		if (!parseHex(ip.substr(w * 8, 8), v))
			return false;
		uint32_t word = static_cast<uint32_t>(v);
		std::memcpy(ep.ip.data() + w * 4, &word, 4); // host order back to the bytes in memory
	}
	ep.status = AddrStatus::Decoded;
	ep.family = v6 ? AF_INET6 : AF_INET;
	ep.isIp = true;
	ep.isV4 = !v6;
	ep.port = static_cast<uint16_t>(port);
	if (v6) {
		static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		if (std::memcmp(ep.ip.data(), mapped, 12) == 0) {
			ep.isV4 = true;
			ep.v4Mapped = true;
			std::memmove(ep.ip.data(), ep.ip.data() + 12, 4);
			std::memset(ep.ip.data() + 4, 0, 12);
		}
	}
	return true;
}

} // namespace

std::vector<ProcSocket> parseProcNetTable(const std::string &text, const std::string &proto)
{
	std::vector<ProcSocket> out;
	bool v6 = !proto.empty() && proto.back() == '6';
	std::istringstream in(text);
	std::string line;
	std::getline(in, line); // header
	while (std::getline(in, line)) {
		std::istringstream f(line);
		std::string sl, local, remote, st, txrx, trtm, retr, uid, timeout, inode;
		if (!(f >> sl >> local >> remote >> st >> txrx >> trtm >> retr >> uid >> timeout >> inode))
			continue;
		ProcSocket s;
		s.proto = proto;
		uint64_t state, ino;
		if (!parseAddr(local, v6, s.local) || !parseAddr(remote, v6, s.remote) || !parseHex(st, state))
			continue;
		char *end = nullptr;
		ino = std::strtoull(inode.c_str(), &end, 10);
		if (!end || *end != '\0')
			continue;
		s.state = static_cast<int>(state);
		s.inode = ino;
		out.push_back(std::move(s));
	}
	return out;
}

std::string ssStateName(const std::string &proto, int state)
{
	bool tcp = proto.rfind("tcp", 0) == 0;
	if (!tcp)
		return state == kSocketClose ? "UNCONN" : state == kTcpEstablished ? "ESTAB" : "UNKNOWN";
	static const char *const names[] = {"UNKNOWN", "ESTAB", "SYN-SENT", "SYN-RECV", "FIN-WAIT-1", "FIN-WAIT-2",
					    "TIME-WAIT", "UNCONN", "CLOSE-WAIT", "LAST-ACK", "LISTEN", "CLOSING"};
	if (state >= 0 && state < static_cast<int>(sizeof(names) / sizeof(names[0])))
		return names[state];
	return "UNKNOWN";
}

std::vector<uint64_t> socketInodes(pid_t pid)
{
	std::vector<uint64_t> inodes;
	std::string dir = "/proc/" + std::to_string(pid) + "/fd";
	DIR *d = opendir(dir.c_str());
	if (!d)
		return inodes;
	char target[64];
	while (dirent *e = readdir(d)) {
		if (e->d_name[0] == '.')
			continue;
		ssize_t n = readlinkat(dirfd(d), e->d_name, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		unsigned long long ino;
		if (std::sscanf(target, "socket:[%llu]", &ino) == 1)
			inodes.push_back(ino);
	}
	closedir(d);
	return inodes;
}

std::vector<ProcSocket> readProcNet(pid_t pid)
{
	std::vector<ProcSocket> all;
	for (const char *proto : {"tcp", "tcp6", "udp", "udp6", "raw", "raw6"}) {
		std::ifstream in("/proc/" + std::to_string(pid) + "/net/" + proto);
		if (!in)
			continue;
		std::stringstream ss;
		ss << in.rdbuf();
		auto part = parseProcNetTable(ss.str(), proto);
		all.insert(all.end(), part.begin(), part.end());
	}
	return all;
}

std::string ssEndpoint(const Endpoint &ep)
{
	if (ep.status == AddrStatus::Decoded && ep.isIp) {
		// Named strings, not "[" + temporary: GCC 12 -O3 -Wrestrict (PR105329).
		const std::string addr = ep.address(), port = std::to_string(ep.port);
		return ep.isV4 ? addr + ":" + port : "[" + addr + "]:" + port;
	}
	return ep.address();
}

} // namespace hg
