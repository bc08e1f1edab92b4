#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include <catch2/catch.hpp>

#include "net/proc_sockets.h"

using namespace hg;

TEST_CASE("parses /proc/net/tcp lines, IPv4 words in host order", "[proc_sockets]")
{
	const char *text =
		"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
		"   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 1 0000000000000000 100 0 0 10 0\n"
		"   1: 027100CB:01BB 017100CB:C350 01 00000000:00000000 00:00000000 00000000     0        0 777 1 0000000000000000 100 0 0 10 0\n"
		"garbage line\n";
	auto socks = parseProcNetTable(text, "tcp");
	REQUIRE(socks.size() == 2);
	CHECK(socks[0].local.address() == "127.0.0.1");
	CHECK(socks[0].local.port == 8080);
	CHECK(socks[0].state == kTcpListen);
	CHECK(socks[0].inode == 12345);
	CHECK(ssStateName("tcp", socks[0].state) == "LISTEN");
	CHECK(socks[1].local.address() == "203.0.113.2");
	CHECK(socks[1].remote.address() == "203.0.113.1");
	CHECK(socks[1].remote.port == 50000);
	CHECK(ssStateName("tcp", socks[1].state) == "ESTAB");
}

TEST_CASE("parses /proc/net/tcp6 and udp6 lines, mapped addresses as IPv4", "[proc_sockets]")
{
	const char *text =
		"  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
		"   0: 00000000000000000000000001000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 42 1\n"
		"   1: 0000000000000000FFFF00000100007F:0035 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 43 2\n";
	auto socks = parseProcNetTable(text, "udp6");
	REQUIRE(socks.size() == 2);
	CHECK(socks[0].local.address() == "::1");
	CHECK(socks[0].local.port == 80);
	CHECK(socks[1].local.isV4);
	CHECK(socks[1].local.address() == "127.0.0.1");
	CHECK(ssStateName("udp6", socks[1].state) == "UNCONN");
}

TEST_CASE("a listening socket of this process is found by inode", "[proc_sockets]")
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	REQUIRE(fd >= 0);
	sockaddr_in sa{};
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	REQUIRE(bind(fd, reinterpret_cast<sockaddr *>(&sa), sizeof(sa)) == 0);
	REQUIRE(listen(fd, 1) == 0);
	socklen_t len = sizeof(sa);
	REQUIRE(getsockname(fd, reinterpret_cast<sockaddr *>(&sa), &len) == 0);
	struct stat st;
	REQUIRE(fstat(fd, &st) == 0);

	auto mine = socketInodes(getpid());
	CHECK(std::find(mine.begin(), mine.end(), st.st_ino) != mine.end());
	bool found = false;
	for (const ProcSocket &s : readProcNet(getpid())) {
		if (s.inode == st.st_ino) {
			found = true;
			CHECK(s.proto == "tcp");
			CHECK(s.state == kTcpListen);
			CHECK(s.local.port == ntohs(sa.sin_port));
			CHECK(s.local.address() == "127.0.0.1");
		}
	}
	CHECK(found);
	close(fd);
}
