#include "evidence/strace_log.h"

#include <sys/socket.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "net/sockaddr.h"

namespace hg {

namespace {

struct Flag {
	uint64_t bit;
	const char *name;
};

// Linux values (include/linux/socket.h), so the names do not depend on libc headers.
constexpr Flag kMsgFlags[] = {
	{ 0x1, "MSG_OOB" },
	{ 0x2, "MSG_PEEK" },
	{ 0x4, "MSG_DONTROUTE" },
	{ 0x8, "MSG_CTRUNC" },
	{ 0x10, "MSG_PROBE" },
	{ 0x20, "MSG_TRUNC" },
	{ 0x40, "MSG_DONTWAIT" },
	{ 0x80, "MSG_EOR" },
	{ 0x100, "MSG_WAITALL" },
	{ 0x200, "MSG_FIN" },
	{ 0x400, "MSG_SYN" },
	{ 0x800, "MSG_CONFIRM" },
	{ 0x1000, "MSG_RST" },
	{ 0x2000, "MSG_ERRQUEUE" },
	{ 0x4000, "MSG_NOSIGNAL" },
	{ 0x8000, "MSG_MORE" },
	{ 0x10000, "MSG_WAITFORONE" },
	{ 0x40000, "MSG_BATCH" },
	{ 0x4000000, "MSG_ZEROCOPY" },
	{ 0x20000000, "MSG_FASTOPEN" },
	{ 0x40000000, "MSG_CMSG_CLOEXEC" },
};

static_assert(MSG_NOSIGNAL == 0x4000 && MSG_FASTOPEN == 0x20000000);

// Kernel-internal restart codes a tracer can see at syscall exit; strace prints
// them as `= ? NAME (text)` with these texts (strace's syscall.c).
struct Restart {
	int errnum;
	const char *name;
	const char *text;
};

constexpr Restart kRestarts[] = {
	{ 512, "ERESTARTSYS", "To be restarted if SA_RESTART is set" },
	{ 513, "ERESTARTNOINTR", "To be restarted" },
	{ 514, "ERESTARTNOHAND", "To be restarted if no handler" },
	{ 516, "ERESTART_RESTARTBLOCK", "Interrupted by signal" },
};

// The kernel returns -1..-4095 for errors (IS_ERR_VALUE); anything else is a value.
constexpr long kMaxErrno = 4095;

const Restart *findRestart(int errnum)
{
	for (const Restart &r : kRestarts)
		if (r.errnum == errnum)
			return &r;
	return nullptr;
}

std::string result(const NetRecord &r)
{
	if (!r.resultKnown)
		return "?";
	if (r.result >= 0 || r.result < -kMaxErrno)
		return std::to_string(r.result);

	int errnum = static_cast<int>(-r.result);
	if (const Restart *restart = findRestart(errnum))
		return std::string("? ") + restart->name + " (" + restart->text + ")";
	return "-1 " + straceErrnoName(errnum) + " (" + std::strerror(errnum) + ")";
}

std::string sockaddrArg(const NetRecord &r)
{
	return straceSockaddr(r.addr, r.addrPtr);
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

// socket()'s type as strace names it; the record keeps the type without its flags.
std::string socketType(int type)
{
	const char *name = knownSocketTypeName(type);
	return name ? std::string(name) : std::to_string(type); // strace prints an unknown type as a number
}

std::string args(const NetRecord &r)
{
	const std::string fd = std::to_string(r.fd);
	const std::string flags = straceMsgFlags(r.flags);

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
		return familyName(r.sock.domain) + ", " + socketType(r.sock.type) + ", " + std::to_string(r.sock.protocol);
	case NetCall::Other:
		break;
	}
	return r.fd >= 0 ? fd + ", ..." : "...";
}

} // namespace

std::string straceErrnoName(int errnum)
{
	if (const Restart *restart = findRestart(errnum))
		return restart->name;
	if (const char *name = strerrorname_np(errnum))
		return name;
	return std::to_string(errnum);
}

std::string straceMsgFlags(uint64_t flags)
{
	if (flags == 0)
		return "0";

	std::string out;
	for (const Flag &f : kMsgFlags) {
		if (!(flags & f.bit))
			continue;
		if (!out.empty())
			out += "|";
		out += f.name;
		flags &= ~f.bit;
	}
	if (flags) {
		char rest[24];
		std::snprintf(rest, sizeof(rest), "%#" PRIx64, flags);
		if (!out.empty())
			out += "|";
		out += rest;
	}
	return out;
}

std::string straceLine(const NetRecord &r)
{
	const pid_t who = r.tid ? r.tid : r.pid;
	const char *name = r.call == NetCall::Other ? nullptr : netCallName(r.call);
	const std::string callName = name ? std::string(name)
					  : (r.callName.empty() ? std::string("syscall") : r.callName);
	return std::to_string(who) + " " + callName + "(" + args(r) + ") = " + result(r);
}

} // namespace hg
