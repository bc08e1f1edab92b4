#include "net/fd_snapshot.h"

#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "base/proc.h"
#include "net/proc_sockets.h"
#include "net/sockaddr.h"

namespace hg {

namespace {

int intOption(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);
	return getsockopt(fd, level, name, &v, &len) == 0 ? v : -1;
}

// getsockname or getpeername of one of the gate's sockets, decoded; Absent when it has none.
Endpoint nameOf(int fd, int (*fn)(int, sockaddr *, socklen_t *))
{
	sockaddr_storage ss{};
	socklen_t len = sizeof(ss);
	if (fn(fd, reinterpret_cast<sockaddr *>(&ss), &len) != 0)
		return Endpoint{};
	size_t have = std::min<size_t>(len, sizeof(ss));
	return decodeSockaddr({reinterpret_cast<const uint8_t *>(&ss), have}, len);
}

std::vector<int> listFds()
{
	std::vector<int> fds;
	DIR *dir = opendir("/proc/self/fd");
	if (!dir)
		return fds;
	const int own = dirfd(dir);
	while (const dirent *e = readdir(dir)) {
		char *end = nullptr;
		long fd = std::strtol(e->d_name, &end, 10);
		if (end == e->d_name || *end != '\0' || fd <= 2 || fd == own)
			continue;
		fds.push_back(static_cast<int>(fd));
	}
	closedir(dir);
	std::sort(fds.begin(), fds.end());
	return fds;
}

// A connect in progress: getpeername() says ENOTCONN, /proc/net still shows where it goes.
Endpoint connectingPeer(uint64_t inode)
{
	for (const ProcSocket &s : readProcNet(getpid()))
		if (s.inode == inode)
			return s.remote;
	return Endpoint{};
}

FdFacts readFacts(int fd)
{
	FdFacts f;
	f.fd = fd;
	struct stat st;
	f.statOk = fstat(fd, &st) == 0;
	f.mode = f.statOk ? st.st_mode : 0;
	f.inode = f.statOk ? st.st_ino : 0;
	f.link = readLink("/proc/self/fd/" + std::to_string(fd));
	if (!f.statOk || !S_ISSOCK(st.st_mode))
		return f;
	f.sock.domain = intOption(fd, SOL_SOCKET, SO_DOMAIN);
	f.sock.type = intOption(fd, SOL_SOCKET, SO_TYPE);
	f.sock.protocol = intOption(fd, SOL_SOCKET, SO_PROTOCOL);
	f.sock.known = f.sock.domain >= 0 && f.sock.type >= 0;
	f.listening = intOption(fd, SOL_SOCKET, SO_ACCEPTCONN) == 1;
	f.local = nameOf(fd, ::getsockname);
	f.peer = nameOf(fd, ::getpeername);
	bool tcp = (f.sock.domain == AF_INET || f.sock.domain == AF_INET6) && f.sock.type == SOCK_STREAM &&
		   (f.sock.protocol == IPPROTO_TCP || f.sock.protocol == IPPROTO_MPTCP);
	if (tcp) {
		struct tcp_info ti;
		socklen_t len = sizeof(ti);
		if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0)
			f.tcpState = ti.tcpi_state;
		if (f.tcpState == kTcpStateSynSent && f.peer.status != AddrStatus::Decoded)
			f.peer = connectingPeer(st.st_ino);
	}
	return f;
}

} // namespace

std::vector<InheritedFd> snapshotInheritedFds()
{
	std::vector<InheritedFd> out;
	for (int fd : listFds())
		out.push_back(describeFd(readFacts(fd)));
	return out;
}

} // namespace hg
