// ListenerTable: which of the step's own listeners a loopback destination reaches.

#include <netinet/in.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>

#include "net/listener_table.h"
#include "sockaddr_bytes.h"

using namespace hg;
using namespace hg::test;

namespace {

const SocketInfo kTcp4{ true, AF_INET, SOCK_STREAM, IPPROTO_TCP };
const SocketInfo kTcp6{ true, AF_INET6, SOCK_STREAM, IPPROTO_TCP };
const SocketInfo kUdp4{ true, AF_INET, SOCK_DGRAM, IPPROTO_UDP };
const std::string kNs = "net:[4026531840]";

LocalListener listener(pid_t tgid, int fd, const SocketInfo &sock, const Endpoint &local)
{
	LocalListener l;
	l.tgid = tgid;
	l.fd = fd;
	l.inode = 1000 + static_cast<uint64_t>(fd);
	l.netns = kNs;
	l.sock = sock;
	l.local = local;
	l.reported = local;
	l.reported.port = 0;
	return l;
}

// Located where it was listened on.
std::optional<std::pair<pid_t, int>> always(const LocalListener &l)
{
	return std::make_pair(l.tgid, l.fd);
}

} // namespace

TEST_CASE("reaches: same address or a wildcard that takes the destination's family", "[listeners]")
{
	LocalListener lo4 = listener(10, 3, kTcp4, v4Endpoint("127.0.0.1", 40000));
	CHECK(reaches(lo4, kTcp4, v4Endpoint("127.0.0.1", 40000)));
	CHECK(reaches(lo4, kTcp6, v6Endpoint("::ffff:127.0.0.1", 40000))); // a mapped destination is IPv4
	CHECK_FALSE(reaches(lo4, kTcp4, v4Endpoint("127.0.0.2", 40000)));
	CHECK_FALSE(reaches(lo4, kTcp4, v4Endpoint("127.0.0.1", 40001)));
	CHECK_FALSE(reaches(lo4, kUdp4, v4Endpoint("127.0.0.1", 40000))); // UDP does not reach a TCP listener
	CHECK_FALSE(reaches(lo4, kTcp6, v6Endpoint("::1", 40000)));

	LocalListener any4 = listener(10, 4, kTcp4, v4Endpoint("0.0.0.0", 40000));
	CHECK(reaches(any4, kTcp4, v4Endpoint("127.0.0.1", 40000)));
	CHECK(reaches(any4, kTcp4, v4Endpoint("127.9.9.9", 40000)));
	CHECK_FALSE(reaches(any4, kTcp6, v6Endpoint("::1", 40000)));

	LocalListener any6 = listener(10, 5, kTcp6, v6Endpoint("::", 40000));
	CHECK(reaches(any6, kTcp6, v6Endpoint("::1", 40000)));
	CHECK(reaches(any6, kTcp4, v4Endpoint("127.0.0.1", 40000))); // dual-stack
	any6.v6only = true;
	CHECK_FALSE(reaches(any6, kTcp4, v4Endpoint("127.0.0.1", 40000)));
	CHECK(reaches(any6, kTcp6, v6Endpoint("::1", 40000)));

	// Only loopback destinations are self connections, whatever the listener's address.
	LocalListener remote = listener(10, 6, kTcp4, v4Endpoint("203.0.113.2", 40000));
	CHECK_FALSE(reaches(remote, kTcp4, v4Endpoint("203.0.113.2", 40000)));
	CHECK_FALSE(reaches(any4, kTcp4, v4Endpoint("203.0.113.2", 40000)));
}

TEST_CASE("ListenerTable: find, replace, liveness and process exit", "[listeners]")
{
	ListenerTable table;
	CHECK(table.empty());
	Endpoint dest = v4Endpoint("127.0.0.1", 40000);
	CHECK(table.find(kTcp4, dest, kNs, always) == nullptr);

	table.add(listener(10, 3, kTcp4, v4Endpoint("127.0.0.1", 40000)));
	const LocalListener *found = table.find(kTcp4, dest, kNs, always);
	REQUIRE(found != nullptr);
	CHECK(found->tgid == 10);
	CHECK(found->reported.port == 0);
	// Loopback is per network namespace.
	CHECK(table.find(kTcp4, dest, "net:[4026532000]", always) == nullptr);

	// The same fd listening again replaces its entry: the table does not grow per listen.
	table.add(listener(10, 3, kTcp4, v4Endpoint("127.0.0.1", 40001)));
	CHECK(table.size() == 1);
	CHECK(table.find(kTcp4, dest, kNs, always) == nullptr);
	CHECK(table.find(kTcp4, v4Endpoint("127.0.0.1", 40001), kNs, always) != nullptr);

	// An entry whose fd no longer names its socket is dropped when asked about.
	table.add(listener(11, 7, kUdp4, v4Endpoint("127.0.0.1", 5353)));
	CHECK(table.size() == 2);
	int asked = 0;
	auto closed = [&](const LocalListener &) -> std::optional<std::pair<pid_t, int>> {
		asked++;
		return std::nullopt;
	};
	CHECK(table.find(kUdp4, v4Endpoint("127.0.0.1", 5353), kNs, closed) == nullptr);
	CHECK(asked == 1);
	CHECK(table.size() == 1);

	table.add(listener(12, 3, kTcp4, v4Endpoint("0.0.0.0", 8080)));
	table.add(listener(12, 4, kTcp6, v6Endpoint("::1", 8080)));
	CHECK(table.size() == 3);
	table.dropProcess(12);
	CHECK(table.size() == 1);
	CHECK(table.find(kTcp4, v4Endpoint("127.0.0.1", 8080), kNs, always) == nullptr);
}

TEST_CASE("isWildcardIp and sameIp", "[listeners]")
{
	CHECK(isWildcardIp(v4Endpoint("0.0.0.0", 1)));
	CHECK(isWildcardIp(v6Endpoint("::", 1)));
	CHECK_FALSE(isWildcardIp(v4Endpoint("127.0.0.1", 1)));
	CHECK_FALSE(isWildcardIp(Endpoint{}));
	CHECK(sameIp(v4Endpoint("127.0.0.1", 1), v6Endpoint("::ffff:127.0.0.1", 2)));
	CHECK_FALSE(sameIp(v4Endpoint("127.0.0.1", 1), v6Endpoint("::1", 1)));
}

TEST_CASE("ListenerTable: a listener handed to another process moves with it", "[listeners]")
{
	ListenerTable table;
	table.add(listener(10, 3, kTcp4, v4Endpoint("127.0.0.1", 40000)));
	auto child = [](const LocalListener &) -> std::optional<std::pair<pid_t, int>> { return std::make_pair(11, 5); };
	const LocalListener *found = table.find(kTcp4, v4Endpoint("127.0.0.1", 40000), kNs, child);
	REQUIRE(found != nullptr);
	CHECK(found->tgid == 11);
	CHECK(found->fd == 5);
	CHECK(found->reported.port == 0);
	CHECK(table.size() == 1);

	// The holder ends while another process still holds the socket: the entry moves.
	table.endProcess(11, [](const LocalListener &) -> std::optional<std::pair<pid_t, int>> { return std::make_pair(12, 7); });
	REQUIRE(table.find(kTcp4, v4Endpoint("127.0.0.1", 40000), kNs, always) != nullptr);
	CHECK(table.find(kTcp4, v4Endpoint("127.0.0.1", 40000), kNs, always)->tgid == 12);
	// Nobody holds it any more: gone.
	table.endProcess(12, [](const LocalListener &) -> std::optional<std::pair<pid_t, int>> { return std::nullopt; });
	CHECK(table.empty());
}
