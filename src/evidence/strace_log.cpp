#include "evidence/strace_log.h"

#include <sys/socket.h>

#include <optional>

#include "strace/names.h"
#include "strace/sockaddr.h"

namespace hg {

namespace {

std::string result(const NetRecord &r)
{
	return strace::result(r.resultKnown ? std::optional<long>(r.result) : std::nullopt);
}

std::string sockaddrArg(const NetRecord &r)
{
	return strace::sockaddr(r.addr, r.addrPtr);
}

std::string msghdr(const NetRecord &r)
{
	return "{msg_name=" + sockaddrArg(r) + ", msg_namelen=" +
	       std::to_string(r.addr.addrlen) + ", ...}";
}

std::string buffer(uint64_t len)
{
	return len ? "\"\"..." : "\"\"";
}

std::string args(const NetRecord &r)
{
	const std::string fd = std::to_string(r.fd);
	const std::string flags = strace::msgFlags(r.flags);

	switch (r.call) {
	case NetCall::Connect:
	case NetCall::Bind:
		return fd + ", " + sockaddrArg(r) + ", " + std::to_string(r.len);
	case NetCall::Listen:
		// The backlog is an int; the kernel reads it as one (and clamps it).
		return fd + ", " + std::to_string(static_cast<int>(r.flags));
	case NetCall::Sendto:
		return fd + ", " + buffer(r.len) + ", " + std::to_string(r.len) + ", " + flags +
		       ", " + sockaddrArg(r) + ", " + std::to_string(r.addr.addrlen);
	case NetCall::Sendmsg:
		return fd + ", " + msghdr(r) + ", " + flags;
	case NetCall::Sendmmsg:
		return fd + ", [{msg_hdr=" + msghdr(r) + ", ...}" + (r.len > 1 ? ", ...]" : "]") +
		       ", " + std::to_string(r.len) + ", " + flags;
	case NetCall::Socket:
		if (!r.sock.known)
			break;
		return familyName(r.sock.domain) + ", " + strace::socketType(r.sock.type) + ", " + std::to_string(r.sock.protocol);
	case NetCall::Other:
		break;
	}
	return r.fd >= 0 ? fd + ", ..." : "...";
}

} // namespace

std::string straceLine(const NetRecord &r)
{
	const pid_t who = r.tid ? r.tid : r.pid;
	const char *name = r.call == NetCall::Other ? nullptr : netCallName(r.call);
	const std::string callName = name ? std::string(name)
					  : (r.callName.empty() ? std::string("syscall") : r.callName);
	return std::to_string(who) + " " + callName + "(" + args(r) + ") = " + result(r);
}

} // namespace hg
