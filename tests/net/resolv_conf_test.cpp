// resolv.conf nameservers, and which destinations count as the step's resolvers.

#include <catch2/catch.hpp>

#include "net/resolv_conf.h"
#include "sockaddr_bytes.h"

using namespace hg;
using namespace hg::test;

TEST_CASE("parseResolvConf reads the nameserver lines glibc reads", "[resolv]")
{
	auto ns = parseResolvConf("# generated\n"
				  "nameserver 10.0.0.2\n"
				  "  nameserver\t2001:db8::53   # comment\n"
				  "nameserver fe80::1%eth0\n"
				  "nameserver not-an-address\n"
				  "nameservers 192.0.2.1\n"
				  "search example.test\n"
				  "options edns0 trust-ad\n"
				  "nameserver 127.0.0.53");
	REQUIRE(ns.size() == 4);
	CHECK(ns[0].address() == "10.0.0.2");
	CHECK(ns[0].port == 53);
	CHECK(ns[1].address() == "2001:db8::53");
	CHECK(ns[2].address() == "fe80::1");
	CHECK(ns[3].address() == "127.0.0.53");
	CHECK(parseResolvConf("").empty());
}

TEST_CASE("isResolver: port 53 of a nameserver or of loopback", "[resolv]")
{
	auto ns = parseResolvConf("nameserver 10.0.0.2\nnameserver 2001:db8::53\n");
	CHECK(isResolver(v4Endpoint("10.0.0.2", 53), ns));
	CHECK(isResolver(v6Endpoint("2001:db8::53", 53), ns));
	CHECK(isResolver(v4Endpoint("127.0.0.53", 53), ns));
	CHECK(isResolver(v6Endpoint("::1", 53), {}));
	CHECK_FALSE(isResolver(v4Endpoint("10.0.0.2", 5353), ns));
	CHECK_FALSE(isResolver(v4Endpoint("203.0.113.1", 53), ns));
	CHECK_FALSE(isResolver(Endpoint{}, ns));
}
