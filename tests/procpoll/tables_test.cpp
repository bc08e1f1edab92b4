#include <sys/socket.h>

#include <catch2/catch.hpp>

#include "procpoll/proc_tables.h"

using namespace hg;

TEST_CASE("parses /proc/net/packet", "[procpoll][tables]")
{
	const char *text =
		"sk               RefCnt Type Proto  Iface R Rmem   User   Inode\n"
		"ffff8f0a4b2c3000 3      3    0003   2     1 0      0      35321\n"
		"ffff8f0a4b2c4000 3      2    88cc   0     1 0      1000   35322\n"
		"short line\n"
		"ffff8f0a4b2c5000 3      3    zzzz   2     1 0      0      35323\n";
	std::vector<int> types;
	auto socks = parsePacketTable(text, &types);
	REQUIRE(socks.size() == 2);
	CHECK(socks[0].proto == "packet");
	CHECK(socks[0].local.family == AF_PACKET);
	CHECK(socks[0].local.pktProtocol == 0x0003);
	CHECK(socks[0].local.pktIfindex == 2);
	CHECK(socks[0].inode == 35321);
	CHECK(socks[1].local.pktProtocol == 0x88cc);
	CHECK(socks[1].inode == 35322);
	CHECK(types == std::vector<int>{SOCK_RAW, SOCK_DGRAM});
	CHECK(parsePacketTable("").empty());
	CHECK(parsePacketTable("sk RefCnt Type Proto Iface R Rmem User Inode\n").empty());
}

TEST_CASE("reads the inode column of unix and netlink tables", "[procpoll][tables]")
{
	const char *unixTable =
		"Num       RefCount Protocol Flags    Type St Inode Path\n"
		"00000000e465259d: 00000003 00000000 00000000 0001 03  1526\n"
		"000000004c2b2337: 00000002 00000000 00010000 0001 01  1527 /run/x.sock\n"
		"0000000011111111: 00000002 00000000 00010000 0001 01  notanumber /run/y.sock\n";
	CHECK(parseInodeColumn(unixTable, 6) == std::vector<uint64_t>{1526, 1527});
	const char *netlink =
		"sk               Eth Pid        Groups   Rmem     Wmem     Dump  Locks    Drops    Inode\n"
		"00000000d4d6ba14 0   0          00000000 0        0        0     2        0        4       \n"
		"000000006fdc2b1a 4   0          00000000 0        0        0     2        0        1440    \n";
	CHECK(parseInodeColumn(netlink, 9) == std::vector<uint64_t>{4, 1440});
	CHECK(parseInodeColumn("header only", 6).empty());
}

TEST_CASE("parses children lists", "[procpoll][tables]")
{
	CHECK(parsePidList("12 345 6789 ") == std::vector<pid_t>{12, 345, 6789});
	CHECK(parsePidList("42\n") == std::vector<pid_t>{42});
	CHECK(parsePidList("").empty());
	CHECK(parsePidList("7 x 8") == std::vector<pid_t>{7});
	CHECK(parsePidList("0 5").empty()); // pid 0 is never a child
}

TEST_CASE("parses /proc/PID/stat, comm with spaces and parentheses", "[procpoll][tables]")
{
	std::string tail = " 0 -1 4194304 100 0 0 0 7 3 0 0 20 0 4 0 313170 3133440 413 18446744073709551615 1 2 3 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 4 5 6 7 8 9 10 256";
	auto st = parseProcStat("14995 (a) b (c)) S 14985 14985 12615" + tail);
	REQUIRE(st);
	CHECK(st->pid == 14995);
	CHECK(st->comm == "a) b (c)");
	CHECK(st->state == 'S');
	CHECK(st->ppid == 14985);
	CHECK(st->utimeTicks == 7);
	CHECK(st->stimeTicks == 3);
	CHECK(st->numThreads == 4);
	CHECK(st->startTime == 313170);
	CHECK(st->exitCode == 256); // the wait status of a process that exited 1

	auto zombie = parseProcStat("7 (sh) Z 1 1 1" + tail + "\n");
	REQUIRE(zombie);
	CHECK(zombie->state == 'Z');
	CHECK(zombie->exitCode == 256);

	CHECK_FALSE(parseProcStat(""));
	CHECK_FALSE(parseProcStat("garbage"));
	CHECK_FALSE(parseProcStat("1 (x) S 0 1"));        // too few fields
	CHECK_FALSE(parseProcStat("x (x) S 0" + tail));   // pid not a number
	auto old = parseProcStat("9 (old) S 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 555");
	REQUIRE(old); // kernels before 3.5 stop before exit_code
	CHECK(old->exitCode == -1);
	CHECK(old->startTime == 555);
}

TEST_CASE("prints endpoints as ss does", "[procpoll][tables]")
{
	auto socks = parseProcNetTable(
		"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
		"   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1\n",
		"tcp");
	REQUIRE(socks.size() == 1);
	CHECK(ssEndpoint(socks[0].local) == "127.0.0.1:8080");
	auto v6 = parseProcNetTable(
		"  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
		"   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1\n"
		"   1: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000100007F:A000 01 00000000:00000000 00:00000000 00000000     0        0 3 1\n",
		"tcp6");
	REQUIRE(v6.size() == 2);
	CHECK(ssEndpoint(v6[0].local) == "[::]:80");
	CHECK(ssEndpoint(v6[1].local) == "127.0.0.1:8080"); // IPv4-mapped prints as IPv4
	CHECK(ssEndpoint(Endpoint{}).empty());
}

TEST_CASE("parses ip_local_port_range", "[procpoll][tables]")
{
	auto range = parsePortRange("32768\t60999\n");
	REQUIRE(range);
	CHECK(range->low == 32768);
	CHECK(range->high == 60999);
	CHECK(parsePortRange("1024 1024")->contains(1024));
	CHECK_FALSE(parsePortRange("1024 1024")->contains(1025));
	for (const char *bad : {"", "\n", "32768", "32768 60999 1", "0 60999", "60999 32768", "1024 65536", "a b", "-1 5"})
		CHECK_FALSE(parsePortRange(bad));
	PortRange kernelDefault;
	CHECK(kernelDefault.low == 32768);
	CHECK(kernelDefault.high == 60999);
}
