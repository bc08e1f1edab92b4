#include "net/inherited_fd.h"

#include <sys/socket.h>
#include <sys/stat.h>

namespace hg {

namespace {

bool startsWith(const std::string &s, const char *prefix)
{
	return s.rfind(prefix, 0) == 0;
}

// "anon_inode:[io_uring]" -> "io_uring"; "anon_inode:inotify" -> "inotify".
std::string anonKind(const std::string &link)
{
	std::string kind = link.substr(link.find(':') + 1);
	if (kind.size() >= 2 && kind.front() == '[' && kind.back() == ']')
		kind = kind.substr(1, kind.size() - 2);
	return kind;
}

bool isInet(int family)
{
	return family == AF_INET || family == AF_INET6;
}

std::string socketSummary(const InheritedFd &d)
{
	if (!d.sock.known)
		return "socket (could not be inspected)";
	// Appended piece by piece: g++ 12 -O3 reports a false -Wrestrict on "literal" + string.
	std::string s = "socket ";
	s.append(familyName(d.sock.domain)).append(" ").append(protocolLabel(d.sock));
	if (d.listening)
		return s.append(" listening on ").append(endpointTarget(d.local));
	if (d.local.status != AddrStatus::Absent)
		s.append(" ").append(endpointTarget(d.local));
	if (d.peer.status != AddrStatus::Absent)
		s.append(d.connecting ? " connecting to " : " -> ").append(endpointTarget(d.peer));
	else if (d.connecting)
		s += " connecting to an address the gate could not read";
	return s;
}

PassedSocketUse use(NetCall like, Endpoint matched, Classification cls)
{
	return PassedSocketUse{like, std::move(matched), std::move(cls)};
}

} // namespace

const char *fdTypeName(FdType t)
{
	switch (t) {
	case FdType::Socket:
		return "socket";
	case FdType::Pipe:
		return "pipe";
	case FdType::Fifo:
		return "fifo";
	case FdType::File:
		return "file";
	case FdType::Directory:
		return "directory";
	case FdType::CharDevice:
		return "char_device";
	case FdType::BlockDevice:
		return "block_device";
	case FdType::AnonInode:
		return "anon_inode";
	case FdType::Other:
		return "other";
	}
	return "other";
}

InheritedFd describeFd(const FdFacts &f)
{
	InheritedFd d;
	d.fd = f.fd;
	const bool anon = startsWith(f.link, "anon_inode:");
	const unsigned m = f.statOk ? f.mode : 0;
	if (f.statOk && S_ISSOCK(m)) {
		d.type = FdType::Socket;
		d.sock = f.sock;
		d.listening = f.listening;
		d.tcpState = f.tcpState;
		d.inode = f.inode;
		d.connecting = f.tcpState == kTcpStateSynSent;
		d.local = f.local;
		d.peer = f.peer;
	} else if (anon) {
		// Anonymous inodes carry no file type (or, on some kernels, S_IFREG): the link names them.
		d.type = FdType::AnonInode;
		d.detail = anonKind(f.link);
	} else if (f.statOk && S_ISFIFO(m)) {
		d.type = startsWith(f.link, "pipe:") ? FdType::Pipe : FdType::Fifo;
		if (d.type == FdType::Fifo)
			d.detail = f.link;
	} else if (f.statOk && S_ISREG(m)) {
		d.type = FdType::File;
		d.detail = f.link;
	} else if (f.statOk && S_ISDIR(m)) {
		d.type = FdType::Directory;
		d.detail = f.link;
	} else if (f.statOk && S_ISCHR(m)) {
		d.type = FdType::CharDevice;
		d.detail = f.link;
	} else if (f.statOk && S_ISBLK(m)) {
		d.type = FdType::BlockDevice;
		d.detail = f.link;
	} else {
		d.type = FdType::Other;
		d.detail = f.link;
	}
	return d;
}

std::string fdSummary(const InheritedFd &d)
{
	switch (d.type) {
	case FdType::Socket:
		return socketSummary(d);
	case FdType::Pipe:
		return "pipe";
	case FdType::AnonInode:
		return std::string("anon_inode [").append(d.detail).append("]");
	default:
		return d.detail.empty() ? std::string(fdTypeName(d.type))
					: std::string(fdTypeName(d.type)).append(" ").append(d.detail);
	}
}

std::string socketTypeName(int type)
{
	const char *name = knownSocketTypeName(type);
	return name ? std::string(name) : std::string("SOCK_").append(std::to_string(type));
}

bool isIoUring(const InheritedFd &d)
{
	return d.type == FdType::AnonInode && d.detail == "io_uring";
}

PassedSocketUse classifyPassedSocket(const InheritedFd &d)
{
	const std::string prefix = std::string("inherited fd ").append(std::to_string(d.fd)).append(": ");
	const SocketInfo &s = d.sock;
	if (!s.known)
		return use(NetCall::Connect, d.peer,
			   {Direction::Outbound, true, prefix + "a socket that could not be inspected, passed on"});
	const std::string what = prefix + fdSummary(d);
	Classification c;
	NetCall like = NetCall::Connect;
	Endpoint matched;
	if (d.listening) {
		like = NetCall::Listen;
		matched = d.local;
		c = classify(NetCall::Listen, s, Endpoint{});
	} else if (d.peer.status != AddrStatus::Absent) {
		matched = d.peer;
		c = classify(NetCall::Connect, s, d.peer);
	} else if (d.connecting) {
		// A connect in progress to an address the gate could not read: it may complete
		// towards anything, and the step could then write to it untraced.
		c = {Direction::Outbound, true, ""};
	} else if (isInet(s.domain) && s.type == SOCK_DGRAM && d.local.status == AddrStatus::Decoded &&
		   d.local.port != 0) {
		like = NetCall::Bind;
		matched = d.local;
		c = classify(NetCall::Bind, s, d.local);
	} else {
		// Raw and packet sockets are outbound whatever their address (classify's rule for a
		// send); others with no peer: their connect, listen or addressed send would be trapped.
		c = classify(NetCall::Sendto, s, Endpoint{});
	}
	c.why = what + (c.violation ? ": the step could use it without a call the gate traps"
				    : " (nothing leaves or enters through it without a call the gate traps)");
	if (c.direction == Direction::Local)
		c.why = what + " (local IPC)";
	return use(like, std::move(matched), std::move(c));
}

} // namespace hg
