#include "net/classify.h"

#include <sys/socket.h>

#include <cctype>

namespace hg {

namespace {

bool isInet(int family)
{
	return family == AF_INET || family == AF_INET6;
}

bool isLocal(int family)
{
	return family == AF_UNIX || family == AF_NETLINK;
}

// "connect to X", "send to X (sendmsg)", "bind to X", "connect" when there is no address.
std::string action(NetCall call, const Endpoint &ep)
{
	std::string what = isSend(call) ? "send" : netCallName(call);
	if (ep.status != AddrStatus::Absent)
		what += " to " + endpointTarget(ep);
	else if (isSend(call))
		what += " without an address";
	if (isSend(call))
		what += std::string(" (") + netCallName(call) + ")";
	return what;
}

std::string upper(std::string s)
{
	for (char &c : s)
		c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
	return s;
}

Classification make(Direction direction, bool violation, std::string why)
{
	return Classification{ direction, violation, std::move(why) };
}

Direction violationDirection(NetCall call)
{
	return call == NetCall::Bind || call == NetCall::Listen ? Direction::Inbound
								 : Direction::Outbound;
}

Classification classifyUnknownSocket(NetCall call, const Endpoint &addr)
{
	const std::string suffix = " on a socket that could not be inspected";
	if (addr.status == AddrStatus::Absent)
		return make(Direction::None, false, action(call, addr) + suffix);
	// Unknown socket and a non-local address: the address family is all there is
	// to go on, and an inet address counts as a stream socket, so nothing is exempt.
	return make(violationDirection(call), true, action(call, addr) + suffix);
}

Classification classifyInet(NetCall call, const SocketInfo &sock, const Endpoint &addr)
{
	const std::string label = upper(protocolLabel(sock)) + " ";
	const bool decoded = addr.status == AddrStatus::Decoded;

	if (call == NetCall::Bind) {
		if (sock.type == SOCK_DGRAM)
			return make(Direction::Inbound, true, label + action(call, addr));
		// A stream socket only accepts peers once it listens; listen is judged then.
		return make(Direction::None, false, label + action(call, addr));
	}

	if (addr.status == AddrStatus::Absent)
		return make(Direction::None, false, label + action(call, addr));

	if (call == NetCall::Connect && decoded && addr.family == AF_UNSPEC)
		// connect(AF_UNSPEC) dissolves the association (inet_dgram_connect,
		// inet_stream_connect); nothing is sent. sendto with AF_UNSPEC is not
		// exempt: udp_sendmsg still uses the address.
		return make(Direction::None, false, label + "disconnect (connect with AF_UNSPEC)");

	if (call == NetCall::Connect && sock.type == SOCK_DGRAM && decoded && addr.isLoopback())
		// A datagram connect sends nothing; glibc's getaddrinfo connects UDP
		// sockets to rank addresses (RFC 6724), so only loopback is let pass.
		return make(Direction::None, false, label + action(call, addr));

	return make(Direction::Outbound, true, label + action(call, addr));
}

} // namespace

bool isSend(NetCall call)
{
	return call == NetCall::Sendto || call == NetCall::Sendmsg || call == NetCall::Sendmmsg;
}

std::string endpointTarget(const Endpoint &ep)
{
	if (ep.status == AddrStatus::Decoded && ep.isIp) {
		// Named strings, not "[" + temporary: GCC 12 -O3 -Wrestrict (PR105329).
		const std::string addr = ep.address(), port = std::to_string(ep.port);
		return ep.isV4 ? addr + ":" + port : "[" + addr + "]:" + port;
	}
	if (ep.status == AddrStatus::Decoded)
		return familyName(ep.family) + " " + ep.address();
	return ep.address();
}

const char *netCallName(NetCall call)
{
	switch (call) {
	case NetCall::Connect:
		return "connect";
	case NetCall::Bind:
		return "bind";
	case NetCall::Listen:
		return "listen";
	case NetCall::Sendto:
		return "sendto";
	case NetCall::Sendmsg:
		return "sendmsg";
	case NetCall::Sendmmsg:
		return "sendmmsg";
	case NetCall::Socket:
		return "socket";
	case NetCall::Other:
		return "other";
	}
	return "other";
}

const char *directionName(Direction d)
{
	switch (d) {
	case Direction::None:
		return "none";
	case Direction::Local:
		return "local";
	case Direction::Outbound:
		return "outbound";
	case Direction::Inbound:
		return "inbound";
	case Direction::Evasion:
		return "evasion";
	case Direction::Self:
		return "self";
	case Direction::Dns:
		return "dns";
	case Direction::Delegated:
		return "delegated";
	case Direction::Raw:
		return "raw";
	}
	return "none";
}

Classification classify(NetCall call, const SocketInfo &sock, const Endpoint &addr)
{
	const bool decoded = addr.status == AddrStatus::Decoded;
	const int domain = sock.known ? sock.domain : (decoded ? addr.family : -1);

	// The socket's own family decides: the kernel interprets the address by it.
	if (isLocal(domain))
		return make(Direction::Local, false,
			    (sock.known ? protocolLabel(sock) : familyName(domain)) + " " +
				    action(call, addr));

	if (call == NetCall::Other)
		return make(Direction::Outbound, true,
			    "unmodelled network syscall on a " +
				    (sock.known ? familyName(sock.domain) : std::string("uninspectable")) +
				    " socket");

	if (call == NetCall::Listen) {
		if (!sock.known)
			return make(Direction::Inbound, true, "listen on a socket that could not be inspected");
		if (isInet(domain))
			return make(Direction::Inbound, true, upper(protocolLabel(sock)) + " listen");
		return make(Direction::Inbound, true, "listen on an " + familyName(domain) + " socket");
	}

	const bool packet = domain == AF_PACKET;
	const bool raw = sock.known && sock.type == SOCK_RAW;
	if (packet || raw) {
		// Raw and packet sockets build their own headers: the address (or its
		// absence) says nothing reliable about where the frame goes.
		std::string label = packet ? "AF_PACKET " : familyName(domain) + " raw ";
		if (call != NetCall::Bind)
			return make(Direction::Outbound, true, label + action(call, addr));
		if (packet || isInet(domain))
			return make(Direction::Inbound, true, label + action(call, addr));
	}

	if (addr.status == AddrStatus::Undecodable)
		return make(violationDirection(call), true,
			    action(call, addr) + " (address could not be decoded)");

	if (!sock.known)
		return classifyUnknownSocket(call, addr);

	if (isInet(domain))
		return classifyInet(call, sock, addr);

	if (call == NetCall::Bind)
		return make(Direction::None, false, familyName(domain) + " " + action(call, addr));

	return make(Direction::Outbound, true, familyName(domain) + " " + action(call, addr));
}

} // namespace hg
