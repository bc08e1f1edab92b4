#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "net/inherited_fd.h"
#include "net/sockaddr.h"
#include "sockaddr_bytes.h"

using namespace hg;
using namespace hg::test;

namespace {

FdFacts facts(int fd, unsigned mode, std::string link)
{
	FdFacts f;
	f.fd = fd;
	f.statOk = true;
	f.mode = mode;
	f.link = std::move(link);
	return f;
}

FdFacts socketFacts(int fd, int domain, int type, int protocol)
{
	FdFacts f = facts(fd, S_IFSOCK | 0777, "socket:[4242]");
	f.sock = SocketInfo{true, domain, type, protocol};
	return f;
}

} // namespace

TEST_CASE("describeFd names the file type from st_mode and the /proc link", "[inherited_fd]")
{
	InheritedFd pipe = describeFd(facts(3, S_IFIFO | 0600, "pipe:[123]"));
	CHECK(pipe.type == FdType::Pipe);
	CHECK(pipe.detail.empty());
	CHECK(fdSummary(pipe) == "pipe");

	InheritedFd fifo = describeFd(facts(4, S_IFIFO | 0600, "/tmp/ci.fifo"));
	CHECK(fifo.type == FdType::Fifo);
	CHECK(fdSummary(fifo) == "fifo /tmp/ci.fifo");

	InheritedFd file = describeFd(facts(5, S_IFREG | 0644, "/var/log/runner.log"));
	CHECK(file.type == FdType::File);
	CHECK(file.detail == "/var/log/runner.log");
	CHECK(fdSummary(file) == "file /var/log/runner.log");

	CHECK(describeFd(facts(6, S_IFDIR | 0755, "/work")).type == FdType::Directory);
	CHECK(describeFd(facts(7, S_IFCHR | 0620, "/dev/pts/0")).type == FdType::CharDevice);
	CHECK(describeFd(facts(8, S_IFBLK | 0660, "/dev/sda")).type == FdType::BlockDevice);
	CHECK(fdTypeName(FdType::CharDevice) == std::string("char_device"));
}

TEST_CASE("describeFd names anonymous inodes by their kind, whatever their mode", "[inherited_fd]")
{
	// anon_inode inodes have no file type bits; some kernels give them S_IFREG.
	InheritedFd ring = describeFd(facts(3, 0600, "anon_inode:[io_uring]"));
	CHECK(ring.type == FdType::AnonInode);
	CHECK(ring.detail == "io_uring");
	CHECK(isIoUring(ring));
	CHECK(fdSummary(ring) == "anon_inode [io_uring]");

	InheritedFd event = describeFd(facts(4, S_IFREG | 0600, "anon_inode:[eventfd]"));
	CHECK(event.type == FdType::AnonInode);
	CHECK(event.detail == "eventfd");
	CHECK_FALSE(isIoUring(event));

	CHECK(describeFd(facts(5, 0600, "anon_inode:inotify")).detail == "inotify");
	CHECK(describeFd(facts(6, 0600, "anon_inode:[pidfd]")).detail == "pidfd");
}

TEST_CASE("describeFd of an fd that could not be stat()ed is other", "[inherited_fd]")
{
	FdFacts f;
	f.fd = 9;
	InheritedFd d = describeFd(f);
	CHECK(d.type == FdType::Other);
	CHECK(fdSummary(d) == "other");
}

TEST_CASE("describeFd keeps a socket's kind and endpoints", "[inherited_fd]")
{
	FdFacts f = socketFacts(3, AF_INET, SOCK_STREAM, IPPROTO_TCP);
	f.local = v4Endpoint("127.0.0.1", 40000);
	f.peer = v4Endpoint("127.0.0.1", 5000);
	f.tcpState = 1;
	InheritedFd d = describeFd(f);
	CHECK(d.type == FdType::Socket);
	CHECK(d.sock.domain == AF_INET);
	CHECK_FALSE(d.connecting);
	CHECK(fdSummary(d) == "socket AF_INET tcp 127.0.0.1:40000 -> 127.0.0.1:5000");

	FdFacts l = socketFacts(4, AF_INET6, SOCK_STREAM, IPPROTO_TCP);
	l.listening = true;
	l.local = v6Endpoint("::", 8080);
	CHECK(fdSummary(describeFd(l)) == "socket AF_INET6 tcp listening on [::]:8080");

	FdFacts c = socketFacts(5, AF_INET, SOCK_STREAM, IPPROTO_TCP);
	c.tcpState = kTcpStateSynSent;
	c.local = v4Endpoint("203.0.113.2", 41000);
	c.peer = v4Endpoint("203.0.113.1", 443);
	InheritedFd cd = describeFd(c);
	CHECK(cd.connecting);
	CHECK(fdSummary(cd) == "socket AF_INET tcp 203.0.113.2:41000 connecting to 203.0.113.1:443");

	CHECK(socketTypeName(SOCK_DGRAM) == "SOCK_DGRAM");
	CHECK(socketTypeName(77) == "SOCK_77");
}

TEST_CASE("a passed connected inet socket is judged as a connect to its peer", "[inherited_fd]")
{
	FdFacts f = socketFacts(3, AF_INET, SOCK_STREAM, IPPROTO_TCP);
	f.local = v4Endpoint("203.0.113.2", 41000);
	f.peer = v4Endpoint("203.0.113.1", 443);
	f.tcpState = kTcpStateSynSent; // in progress counts as much as established
	PassedSocketUse u = classifyPassedSocket(describeFd(f));
	CHECK(u.like == NetCall::Connect);
	CHECK(u.matched.address() == "203.0.113.1");
	CHECK(u.matched.port == 443);
	CHECK(u.cls.direction == Direction::Outbound);
	CHECK(u.cls.violation);
	CHECK(u.cls.why.rfind("inherited fd 3: socket AF_INET tcp", 0) == 0);

	// Loopback is no exception for a stream socket (the allowlist can allow it).
	f.peer = v4Endpoint("127.0.0.1", 5000);
	f.tcpState = 1;
	CHECK(classifyPassedSocket(describeFd(f)).cls.violation);
}

TEST_CASE("a passed socket connecting to an address the gate could not read is a violation", "[inherited_fd]")
{
	FdFacts f = socketFacts(3, AF_INET, SOCK_STREAM, IPPROTO_TCP);
	f.tcpState = kTcpStateSynSent;
	PassedSocketUse u = classifyPassedSocket(describeFd(f));
	CHECK(u.cls.direction == Direction::Outbound);
	CHECK(u.cls.violation);
	CHECK(u.cls.why.find("could not read") != std::string::npos);
}

TEST_CASE("a passed listening inet socket is judged as a listen on its address", "[inherited_fd]")
{
	FdFacts f = socketFacts(4, AF_INET, SOCK_STREAM, IPPROTO_TCP);
	f.listening = true;
	f.local = v4Endpoint("0.0.0.0", 8080);
	PassedSocketUse u = classifyPassedSocket(describeFd(f));
	CHECK(u.like == NetCall::Listen);
	CHECK(u.matched.port == 8080);
	CHECK(u.cls.direction == Direction::Inbound);
	CHECK(u.cls.violation);
}

TEST_CASE("a passed bound datagram socket is judged as a bind, an unbound one is nothing", "[inherited_fd]")
{
	FdFacts f = socketFacts(5, AF_INET, SOCK_DGRAM, IPPROTO_UDP);
	f.local = v4Endpoint("0.0.0.0", 5353);
	PassedSocketUse u = classifyPassedSocket(describeFd(f));
	CHECK(u.like == NetCall::Bind);
	CHECK(u.cls.direction == Direction::Inbound);
	CHECK(u.cls.violation);

	f.local = v4Endpoint("0.0.0.0", 0);
	PassedSocketUse none = classifyPassedSocket(describeFd(f));
	CHECK_FALSE(none.cls.violation);
	CHECK(none.cls.direction == Direction::None);

	// Connected to loopback: as a datagram connect to loopback, nothing leaves the machine.
	f.peer = v4Endpoint("127.0.0.1", 53);
	CHECK_FALSE(classifyPassedSocket(describeFd(f)).cls.violation);
	f.peer = v4Endpoint("198.51.100.7", 53);
	CHECK(classifyPassedSocket(describeFd(f)).cls.violation);
}

TEST_CASE("a passed unconnected stream socket is nothing yet: its calls are trapped", "[inherited_fd]")
{
	FdFacts f = socketFacts(6, AF_INET6, SOCK_STREAM, IPPROTO_TCP);
	f.local = v6Endpoint("::", 0);
	f.tcpState = 7; // TCP_CLOSE
	PassedSocketUse u = classifyPassedSocket(describeFd(f));
	CHECK_FALSE(u.cls.violation);
	CHECK(u.cls.direction == Direction::None);
}

TEST_CASE("passed raw, unix and uninspectable sockets", "[inherited_fd]")
{
	PassedSocketUse raw = classifyPassedSocket(describeFd(socketFacts(3, AF_INET, SOCK_RAW, IPPROTO_ICMP)));
	CHECK(raw.cls.direction == Direction::Outbound);
	CHECK(raw.cls.violation);

	FdFacts u = socketFacts(4, AF_UNIX, SOCK_STREAM, 0);
	u.peer = decode(unixBytes("/run/x.sock"));
	PassedSocketUse ipc = classifyPassedSocket(describeFd(u));
	CHECK(ipc.cls.direction == Direction::Local);
	CHECK_FALSE(ipc.cls.violation);

	FdFacts unknown = facts(5, S_IFSOCK | 0777, "socket:[1]");
	PassedSocketUse blind = classifyPassedSocket(describeFd(unknown));
	CHECK(blind.cls.violation);
	CHECK(blind.cls.direction == Direction::Outbound);
}
