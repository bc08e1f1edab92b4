#include <catch2/catch.hpp>

#include "net/sockaddr.h"
#include "policy/allowlist.h"
#include "../net/sockaddr_bytes.h"

using namespace hg;
using namespace hg::test;

namespace {

Exception host(const std::string &spec)
{
	Expected<Exception> e = parseHostException(spec, "--allow-host");
	INFO(spec);
	REQUIRE(e.ok());
	return *e;
}

std::string hostError(const std::string &spec)
{
	Expected<Exception> e = parseHostException(spec, "--allow-host");
	INFO(spec);
	REQUIRE_FALSE(e.ok());
	return e.error().message;
}

std::string portError(const std::string &spec)
{
	Expected<Exception> e = parsePortException(spec, "--allow-port");
	INFO(spec);
	REQUIRE_FALSE(e.ok());
	return e.error().message;
}

} // namespace

TEST_CASE("literal IPv4 and IPv6 addresses", "[allowlist]")
{
	Exception v4 = host("203.0.113.7");
	CHECK(v4.kind == Exception::Kind::Address);
	CHECK(v4.spec == "203.0.113.7");
	CHECK(v4.source == "--allow-host");
	REQUIRE(v4.nets.size() == 1);
	CHECK(v4.nets[0].str() == "203.0.113.7/32");
	CHECK_FALSE(v4.port);
	CHECK(v4.matches(v4Endpoint("203.0.113.7", 443)));
	CHECK(v4.matches(v4Endpoint("203.0.113.7", 1)));
	CHECK_FALSE(v4.matches(v4Endpoint("203.0.113.8", 443)));
	CHECK(v4.matches(v6Endpoint("::ffff:203.0.113.7", 443)));
	CHECK_FALSE(v4.matches(v6Endpoint("::cb00:7107", 443)));

	Exception v6 = host("2001:db8::1");
	CHECK(v6.kind == Exception::Kind::Address);
	REQUIRE(v6.nets.size() == 1);
	CHECK(v6.nets[0].str() == "2001:db8::1/128");
	CHECK(v6.matches(v6Endpoint("2001:db8::1", 53)));
	CHECK_FALSE(v6.matches(v6Endpoint("2001:db8::2", 53)));
	CHECK_FALSE(v6.matches(v4Endpoint("32.1.13.184", 53)));

	// Only decoded inet endpoints can match.
	CHECK_FALSE(v4.matches(Endpoint{}));
	CHECK_FALSE(v4.matches(undecodableEndpoint(16, "EFAULT")));
	CHECK_FALSE(host("0.0.0.0/0").matches(decode(unixBytes("/tmp/x"))));
}

TEST_CASE("CIDR nets, prefix edges included", "[allowlist]")
{
	Exception eight = host("10.0.0.0/8");
	CHECK(eight.kind == Exception::Kind::Cidr);
	CHECK(eight.nets[0].str() == "10.0.0.0/8");
	CHECK(eight.matches(v4Endpoint("10.0.0.1", 1)));
	CHECK(eight.matches(v4Endpoint("10.255.255.255", 1)));
	CHECK_FALSE(eight.matches(v4Endpoint("11.0.0.0", 1)));
	CHECK_FALSE(eight.matches(v4Endpoint("9.255.255.255", 1)));

	Exception odd = host("192.168.4.0/22");
	CHECK(odd.matches(v4Endpoint("192.168.7.255", 1)));
	CHECK_FALSE(odd.matches(v4Endpoint("192.168.8.0", 1)));
	CHECK_FALSE(odd.matches(v4Endpoint("192.168.3.255", 1)));

	Exception all4 = host("0.0.0.0/0");
	CHECK(all4.matches(v4Endpoint("203.0.113.1", 1)));
	CHECK(all4.matches(v6Endpoint("::ffff:1.2.3.4", 1)));
	CHECK_FALSE(all4.matches(v6Endpoint("2001:db8::1", 1)));

	Exception one = host("203.0.113.7/32");
	CHECK(one.matches(v4Endpoint("203.0.113.7", 1)));
	CHECK_FALSE(one.matches(v4Endpoint("203.0.113.6", 1)));

	// Host bits are dropped: the net is what the prefix says.
	CHECK(host("10.1.2.3/8").nets[0].str() == "10.0.0.0/8");

	Exception doc = host("2001:db8::/32");
	CHECK(doc.kind == Exception::Kind::Cidr);
	CHECK(doc.matches(v6Endpoint("2001:db8:ffff::1", 1)));
	CHECK_FALSE(doc.matches(v6Endpoint("2001:db9::1", 1)));

	Exception all6 = host("::/0");
	CHECK(all6.matches(v6Endpoint("2001:db8::1", 1)));
	CHECK_FALSE(all6.matches(v4Endpoint("1.2.3.4", 1)));

	Exception exact6 = host("2001:db8::1/128");
	CHECK(exact6.matches(v6Endpoint("2001:db8::1", 1)));
	CHECK_FALSE(exact6.matches(v6Endpoint("2001:db8::", 1)));

	Exception nibble = host("2001:db8::/127");
	CHECK(nibble.matches(v6Endpoint("2001:db8::1", 1)));
	CHECK_FALSE(nibble.matches(v6Endpoint("2001:db8::2", 1)));
}

TEST_CASE("mapped IPv6 addresses and IPv4 nets", "[allowlist]")
{
	Exception net = host("198.51.100.0/24");
	CHECK(net.matches(v6Endpoint("::ffff:198.51.100.9", 443)));
	CHECK_FALSE(net.matches(v6Endpoint("::ffff:198.51.101.9", 443)));

	// A mapped spec stands for the IPv4 address, whichever way the tracee spells it.
	Exception mapped = host("::ffff:198.51.100.9");
	REQUIRE(mapped.nets.size() == 1);
	CHECK(mapped.nets[0].v4);
	CHECK(mapped.nets[0].str() == "198.51.100.9/32");
	CHECK(mapped.matches(v4Endpoint("198.51.100.9", 1)));
	CHECK(mapped.matches(v6Endpoint("::ffff:198.51.100.9", 1)));

	Exception mappedNet = host("::ffff:198.51.100.0/120");
	CHECK(mappedNet.nets[0].str() == "198.51.100.0/24");
	CHECK(mappedNet.matches(v4Endpoint("198.51.100.200", 1)));

	// ::/0 covers mapped addresses, since that is what the tracee passed.
	CHECK(host("::/0").matches(v6Endpoint("::ffff:1.2.3.4", 1)));
	CHECK(host("::ffff:0:0/96").matches(v4Endpoint("1.2.3.4", 1)));
}

TEST_CASE("host:port, [v6]:port and bare ports", "[allowlist]")
{
	Exception hp = host("203.0.113.7:443");
	CHECK(hp.kind == Exception::Kind::HostPort);
	CHECK(hp.port == 443);
	CHECK(hp.resolved);
	CHECK(hp.matches(v4Endpoint("203.0.113.7", 443)));
	CHECK_FALSE(hp.matches(v4Endpoint("203.0.113.7", 80)));
	CHECK_FALSE(hp.matches(v4Endpoint("203.0.113.8", 443)));

	Exception v6 = host("[2001:db8::1]:443");
	CHECK(v6.kind == Exception::Kind::HostPort);
	CHECK(v6.port == 443);
	CHECK(v6.matches(v6Endpoint("2001:db8::1", 443)));
	CHECK_FALSE(v6.matches(v6Endpoint("2001:db8::1", 444)));

	Exception bracketed = host("[2001:db8::1]");
	CHECK(bracketed.kind == Exception::Kind::Address);
	CHECK_FALSE(bracketed.port);

	Exception bracketedNet = host("[2001:db8::/32]:53");
	CHECK(bracketedNet.kind == Exception::Kind::Cidr);
	CHECK(bracketedNet.matches(v6Endpoint("2001:db8:1::1", 53)));
	CHECK_FALSE(bracketedNet.matches(v6Endpoint("2001:db8:1::1", 54)));

	Exception named = host("registry.example.com:443");
	CHECK(named.kind == Exception::Kind::HostPort);
	CHECK(named.host == "registry.example.com");
	CHECK(named.port == 443);
	CHECK_FALSE(named.resolved);
	CHECK(named.nets.empty());
	CHECK_FALSE(named.matches(v4Endpoint("203.0.113.7", 443)));

	Exception name = host("registry.example.com");
	CHECK(name.kind == Exception::Kind::Hostname);
	CHECK(name.host == "registry.example.com");
	CHECK_FALSE(name.port);

	Expected<Exception> port = parsePortException("443", "policy.yml:3:5");
	REQUIRE(port.ok());
	CHECK(port->kind == Exception::Kind::Port);
	CHECK(port->port == 443);
	CHECK(port->source == "policy.yml:3:5");
	CHECK(port->matches(v4Endpoint("203.0.113.7", 443)));
	CHECK(port->matches(v6Endpoint("2001:db8::1", 443)));
	CHECK_FALSE(port->matches(v4Endpoint("203.0.113.7", 80)));
	CHECK_FALSE(port->matches(decode(unixBytes("/tmp/443"))));

	CHECK(parsePortException("1", "x").ok());
	CHECK(parsePortException("65535", "x").ok());
}

TEST_CASE("bad specs say what is wrong", "[allowlist]")
{
	CHECK(hostError("10.0.0.0/33") ==
	      "bad CIDR prefix /33 in '10.0.0.0/33' (IPv4 prefixes are 0-32)");
	CHECK(hostError("2001:db8::/129") ==
	      "bad CIDR prefix /129 in '2001:db8::/129' (IPv6 prefixes are 0-128)");
	CHECK(hostError("10.0.0.0/-1") ==
	      "bad CIDR prefix /-1 in '10.0.0.0/-1' (IPv4 prefixes are 0-32)");
	CHECK(hostError("10.0.0.0/") ==
	      "bad CIDR prefix / in '10.0.0.0/' (IPv4 prefixes are 0-32)");
	CHECK(hostError("10.0.0.0/8x") ==
	      "bad CIDR prefix /8x in '10.0.0.0/8x' (IPv4 prefixes are 0-32)");
	CHECK(hostError("10.0.0/8") ==
	      "bad address '10.0.0' in CIDR '10.0.0/8' (expected e.g. 198.51.100.0/24 or 2001:db8::/32)");
	CHECK(hostError("10.0.0.0/8:443") ==
	      "a CIDR cannot take a port in '10.0.0.0/8:443' (use a separate port exception)");
	CHECK(hostError("") ==
	      "empty host exception (expected an address, CIDR, hostname or host:port, "
	      "e.g. 203.0.113.7, 198.51.100.0/24, registry.example.com:443)");
	CHECK(hostError("host:0") == "bad port '0' in 'host:0' (ports are 1-65535)");
	CHECK(hostError("host:65536") == "bad port '65536' in 'host:65536' (ports are 1-65535)");
	CHECK(hostError("host:") == "bad port '' in 'host:' (ports are 1-65535)");
	CHECK(hostError("host:https") == "bad port 'https' in 'host:https' (ports are 1-65535)");
	CHECK(hostError(":443") ==
	      "missing host before ':' in ':443' (for any host use a port exception)");
	CHECK(hostError("300.1.1.1") ==
	      "bad IPv4 address '300.1.1.1' in '300.1.1.1' (expected four numbers 0-255, e.g. 203.0.113.7)");
	CHECK(hostError("2001:db8::zz") ==
	      "bad IPv6 address '2001:db8::zz' (for an address with a port write [2001:db8::1]:443)");
	CHECK(hostError("https://example.com/x") ==
	      "'https://example.com/x' is a URL, not a host (write the host alone, e.g. example.com or example.com:443)");
	CHECK(hostError("example.com/x") ==
	      "bad address 'example.com' in CIDR 'example.com/x' (expected e.g. 198.51.100.0/24 or 2001:db8::/32)");
	CHECK(hostError("foo bar") ==
	      "bad hostname 'foo bar' in 'foo bar' (letters, digits, '-', '_' and '.', or *.example.com for every name below a domain; no scheme or path)");
	CHECK(hostError("a..b") ==
	      "bad hostname 'a..b' in 'a..b' (letters, digits, '-', '_' and '.', or *.example.com for every name below a domain; no scheme or path)");
	CHECK(hostError("*.com").rfind("bad hostname '*.com'", 0) == 0);
	CHECK(hostError("a.*.example.com").rfind("bad hostname 'a.*.example.com'", 0) == 0);
	CHECK(hostError("[2001:db8::1") == "missing ']' in '[2001:db8::1' (write [2001:db8::1]:443)");
	CHECK(hostError("[203.0.113.7]:443") ==
	      "bad IPv6 address '203.0.113.7' in '[203.0.113.7]:443' (brackets are for IPv6: [2001:db8::1]:443)");
	CHECK(hostError("[2001:db8::1]443") ==
	      "unexpected '443' after ']' in '[2001:db8::1]443' (write [2001:db8::1]:443)");
	CHECK(hostError("[2001:db8::1]:0") == "bad port '0' in '[2001:db8::1]:0' (ports are 1-65535)");
	CHECK(hostError("[::zz]") == "bad IPv6 address '::zz' in '[::zz]' (expected e.g. [2001:db8::1]:443)");

	CHECK(portError("0") == "bad port '0' in '0' (ports are 1-65535)");
	CHECK(portError("65536") == "bad port '65536' in '65536' (ports are 1-65535)");
	CHECK(portError("99999999999999999999") ==
	      "bad port '99999999999999999999' in '99999999999999999999' (ports are 1-65535)");
	CHECK(portError("-1") == "bad port '-1' in '-1' (ports are 1-65535)");
	CHECK(portError("+80") == "bad port '+80' in '+80' (ports are 1-65535)");
	CHECK(portError(" 80") == "bad port ' 80' in ' 80' (ports are 1-65535)");
	CHECK(portError("") == "empty port exception (expected a port 1-65535, e.g. 443)");
}

TEST_CASE("Allowlist::match returns the first matching entry", "[allowlist]")
{
	Allowlist list;
	CHECK(list.match(v4Endpoint("10.0.0.1", 443), ExceptionScope::Outbound) == -1);
	list.add(host("10.0.0.1"));
	list.add(host("10.0.0.0/8"));
	list.add(*parsePortException("443", "--allow-port"));
	CHECK(list.entries().size() == 3);

	CHECK(list.match(v4Endpoint("10.0.0.1", 80), ExceptionScope::Outbound) == 0);
	CHECK(list.match(v4Endpoint("10.9.9.9", 80), ExceptionScope::Outbound) == 1);
	CHECK(list.match(v4Endpoint("203.0.113.1", 443), ExceptionScope::Outbound) == 2);
	CHECK(list.match(v6Endpoint("2001:db8::1", 443), ExceptionScope::Outbound) == 2);
	CHECK(list.match(v4Endpoint("203.0.113.1", 80), ExceptionScope::Outbound) == -1);
	CHECK(list.match(Endpoint{}, ExceptionScope::Outbound) == -1);
	CHECK(list.match(decode(unixBytes("/run/x")), ExceptionScope::Outbound) == -1);
}

TEST_CASE("resolveHosts fills hostname entries from /etc/hosts", "[allowlist]")
{
	// Only "localhost": /etc/hosts answers it, so no DNS query leaves the machine.
	Allowlist list;
	list.add(host("localhost:8080"));
	list.add(host("203.0.113.7:443"));
	list.resolveHosts();

	const Exception &local = list.entries()[0];
	CHECK(local.resolved);
	CHECK(local.resolveError.empty());
	REQUIRE_FALSE(local.nets.empty());
	CHECK(local.matches(v4Endpoint("127.0.0.1", 8080)));
	CHECK_FALSE(local.matches(v4Endpoint("127.0.0.1", 8081)));
	CHECK_FALSE(local.matches(v4Endpoint("203.0.113.7", 8080)));
	CHECK(list.match(v4Endpoint("127.0.0.1", 8080), ExceptionScope::Outbound) == 0);

	// Literals were already resolved; resolveHosts leaves them alone.
	CHECK(list.entries()[1].nets.size() == 1);
	CHECK(list.entries()[1].resolveError.empty());
	CHECK(list.match(v4Endpoint("127.0.0.1", 1), ExceptionScope::Outbound) == -1);

	// Resolution happens once: a second call keeps the nets as they are.
	size_t count = local.nets.size();
	list.resolveHosts();
	CHECK(list.entries()[0].nets.size() == count);
}

TEST_CASE("Allowlist::match keeps the scopes apart", "[allowlist]")
{
	Allowlist list;
	list.add(host("127.0.0.1"));                                    // outbound
	list.add(*parseInboundException("127.0.0.1", "inbound"));        // inbound, any port
	list.add(*parseInboundException("8080", "inbound"));             // inbound, port alone
	list.add(*parseInboundException("[::1]:9000", "inbound"));       // inbound, v6 with a port
	CHECK(list.entries()[1].scope == ExceptionScope::Inbound);
	CHECK(list.entries()[2].kind == Exception::Kind::Port);
	CHECK(std::string(scopeName(list.entries()[3].scope)) == "inbound");

	CHECK(list.match(v4Endpoint("127.0.0.1", 0), ExceptionScope::Outbound) == 0);
	CHECK(list.match(v4Endpoint("127.0.0.1", 0), ExceptionScope::Inbound) == 1);
	CHECK(list.match(v4Endpoint("0.0.0.0", 8080), ExceptionScope::Inbound) == 2);
	// A listener on every address is not covered by a loopback exception.
	CHECK(list.match(v4Endpoint("0.0.0.0", 0), ExceptionScope::Inbound) == -1);
	CHECK(list.match(v6Endpoint("::1", 9000), ExceptionScope::Inbound) == 3);
	// A kernel-chosen port is matched as 0: a port exception never covers it.
	CHECK(list.match(v6Endpoint("::1", 0), ExceptionScope::Inbound) == -1);
	CHECK(list.match(v4Endpoint("203.0.113.1", 8080), ExceptionScope::Outbound) == -1);

	auto bad = parseInboundException("127.0.0.1/33", "inbound");
	REQUIRE_FALSE(bad.ok());
	CHECK(bad.error().message == "bad CIDR prefix /33 in '127.0.0.1/33' (IPv4 prefixes are 0-32)");
	CHECK_FALSE(parseInboundException("70000", "inbound").ok());
}

TEST_CASE("name exceptions cover DNS queries, wildcards the names below a domain", "[allowlist]")
{
	Allowlist list;
	list.add(host("api.example.test"));
	list.add(host("*.cdn.example.test:443"));
	list.add(host("203.0.113.7"));
	list.add(*parseInboundException("localhost", "inbound"));
	const Exception &wild = list.entries()[1];
	CHECK(wild.wildcard);
	CHECK(wild.kind == Exception::Kind::HostPort);
	CHECK(wild.resolved); // never resolved at start: only DNS answers give it addresses
	CHECK(wild.nets.empty());

	CHECK(list.matchName("api.example.test") == 0);
	CHECK(list.matchName("API.Example.Test") == 0);
	CHECK(list.matchName("v2.api.example.test") == -1);
	CHECK(list.matchName("edge.cdn.example.test") == 1);
	CHECK(list.matchName("a.b.cdn.example.test") == 1);
	CHECK(list.matchName("cdn.example.test") == -1);
	CHECK(list.matchName("other.example.test") == -1);
	CHECK(list.matchName("localhost") == -1); // inbound exceptions do not allow queries
}

TEST_CASE("delegated exceptions: a socket path or @name, matched only on delegated targets", "[allowlist]")
{
	Allowlist list;
	list.add(host("127.0.0.1"));
	auto docker = parseDelegatedException("/var/run//docker.sock", "--allow-delegated");
	REQUIRE(docker.ok());
	CHECK(docker->spec == "/var/run//docker.sock");
	CHECK(docker->socket.path == "/var/run/docker.sock");
	CHECK(docker->kind == Exception::Kind::Socket);
	CHECK(std::string(scopeName(docker->scope)) == "delegated");
	list.add(*docker);
	list.add(*parseDelegatedException("@/org/example/bus", "policy"));
	list.resolveSockets(); // neither exists here: matched by path and name

	CHECK(list.match(UnixTarget{ false, "/run/docker.sock", "/var/run/docker.sock", std::nullopt }) == 1);
	CHECK(list.match(UnixTarget{ false, "/var/run/docker.sock", "/var/run/docker.sock", std::nullopt }) == 1);
	CHECK(list.match(UnixTarget{ true, "@/org/example/bus", "@/org/example/bus", std::nullopt }) == 2);
	CHECK(list.match(UnixTarget{ false, "/run/podman/podman.sock", "/run/podman/podman.sock", std::nullopt }) == -1);
	// Same inode, any path (a socket reached through a bind mount or another link).
	Exception byId = *parseDelegatedException("/run/a.sock", "test");
	byId.socket.id = FileId{ 1, 42 };
	CHECK(byId.matches(UnixTarget{ false, "/mnt/b.sock", "/mnt/b.sock", FileId{ 1, 42 } }));
	CHECK_FALSE(byId.matches(UnixTarget{ false, "/mnt/b.sock", "/mnt/b.sock", FileId{ 1, 43 } }));
	// Never an inet destination, and an outbound exception never a socket.
	CHECK(list.match(v4Endpoint("127.0.0.1", 0), ExceptionScope::Delegated) == -1);
	CHECK_FALSE(list.entries()[0].matches(UnixTarget{ false, "/127.0.0.1", "/127.0.0.1", std::nullopt }));

	auto relative = parseDelegatedException("docker.sock", "--allow-delegated");
	REQUIRE_FALSE(relative.ok());
	CHECK_THAT(relative.error().message, Catch::StartsWith("'docker.sock' is a relative path"));
}
