#include "strace/format.h"

#include <algorithm>
#include <string_view>

#include "strace/args.h"
#include "strace/msghdr.h"
#include "strace/names.h"
#include "strace/sockopt.h"

namespace hg::strace {

namespace {

// strace pads the line with spaces so that "= " starts at this column.
constexpr size_t kResultColumn = 40;

constexpr Named kShutHow[] = { { 0, "SHUT_RD" }, { 1, "SHUT_WR" }, { 2, "SHUT_RDWR" } };

bool succeeded(std::optional<long> ret)
{
	return ret && !isErrorReturn(*ret);
}

int argInt(const Call &call, size_t i)
{
	return static_cast<int>(call.args[i]);
}

uint32_t argU32(const Call &call, size_t i)
{
	return static_cast<uint32_t>(call.args[i]);
}

std::string fdArg(const Ctx &c, const Call &call)
{
	return fd(c, argInt(call, 0));
}

// accept, getsockname, recvfrom: an address buffer and its in/out length.
std::string addrOut(const Ctx &c, uint64_t addr, uint64_t lenPtr, std::optional<uint32_t> lenIn, bool ok)
{
	if (!ok)
		return pointer(addr) + ", " + (lenPtr && lenIn ? "[" + std::to_string(*lenIn) + "]" : pointer(lenPtr));
	std::optional<uint32_t> out = lenPtr ? readU32(c.mem, lenPtr) : std::nullopt;
	std::string len = out ? inOutLen(lenIn, *out) : pointer(lenPtr);
	if (!addr)
		return "NULL, " + len;
	const uint32_t shown = out ? std::min(*out, lenIn.value_or(*out)) : lenIn.value_or(0);
	return sockaddrAt(c, addr, shown) + ", " + len;
}

std::string socketArgs(const Ctx &, const Call &call)
{
	const int family = argInt(call, 0);
	return familyName(family) + ", " + socketType(argInt(call, 1)) + ", " + socketProtocol(family, argInt(call, 2));
}

std::string addrArgs(const Ctx &c, const Call &call)
{
	return fdArg(c, call) + ", " + sockaddrAt(c, call.args[1], argU32(call, 2)) + ", " + std::to_string(argInt(call, 2));
}

std::string listenArgs(const Ctx &c, const Call &call)
{
	return fdArg(c, call) + ", " + std::to_string(argInt(call, 1));
}

std::string shutdownArgs(const Ctx &c, const Call &call)
{
	return fdArg(c, call) + ", " + constant(kShutHow, argU32(call, 1), "SHUT_???");
}

std::string sendtoArgs(const Ctx &c, const Call &call)
{
	return fdArg(c, call) + ", " + buffer(c, call.args[1], call.args[2]) + ", " + std::to_string(call.args[2]) +
	       ", " + msgFlags(argU32(call, 3)) + ", " + sockaddrAt(c, call.args[4], argU32(call, 5)) + ", " +
	       std::to_string(argInt(call, 5));
}

std::string sendmsgArgs(const Ctx &c, const Call &call)
{
	return fdArg(c, call) + ", " + msghdr(c, call.args[1], std::nullopt, std::nullopt) + ", " + msgFlags(argU32(call, 2));
}

std::string setsockoptArgs(const Ctx &c, const Call &call)
{
	const int level = argInt(call, 1), name = argInt(call, 2);
	return fdArg(c, call) + ", " + sockoptName(level, name) + ", " +
	       setsockoptValue(c, level, name, call.args[3], argU32(call, 4)) + ", " + std::to_string(argInt(call, 4));
}

std::string timespecAt(const Ctx &c, uint64_t addr)
{
	if (!addr)
		return "NULL";
	const size_t field = c.compat32 ? 4 : 8;
	auto bytes = readExact(c.mem, addr, 2 * field);
	if (!bytes)
		return hex(addr);
	auto load = [&](size_t i) {
		const uint8_t *p = bytes->data() + i * field;
		return c.compat32 ? std::to_string(static_cast<int32_t>(load32(p)))
				  : std::to_string(static_cast<int64_t>(load64(p)));
	};
	return "{tv_sec=" + load(0) + ", tv_nsec=" + load(1) + "}";
}

// Calls whose arguments are all inputs: strace prints them at entry.
using ArgsFn = std::string (*)(const Ctx &, const Call &);

struct InputCall {
	const char *name;
	ArgsFn args;
};

constexpr InputCall kInputCalls[] = {
	{ "socket", socketArgs },       { "bind", addrArgs },       { "connect", addrArgs },
	{ "listen", listenArgs },       { "shutdown", shutdownArgs }, { "sendto", sendtoArgs },
	{ "sendmsg", sendmsgArgs },     { "setsockopt", setsockoptArgs },
};

const InputCall *findInput(std::string_view name)
{
	for (const InputCall &ic : kInputCalls)
		if (name == ic.name)
			return &ic;
	return nullptr;
}

std::string socketpairInputs(const Call &call)
{
	// Observed: socketpair prints the protocol as a number whatever the family.
	return familyName(argInt(call, 0)) + ", " + socketType(argInt(call, 1)) + ", " + std::to_string(argInt(call, 2)) + ", ";
}

std::string socketpairArgs(const Ctx &c, const Call &call, std::optional<long> ret)
{
	std::string s = socketpairInputs(call);
	auto fds = succeeded(ret) ? readExact(c.mem, call.args[3], 8) : std::nullopt;
	if (!fds)
		return s + pointer(call.args[3]);
	// An array like any other: at most -s elements ("[...]" under -s 0, as strace prints it).
	return s + array(c, 2, [&](size_t i) { return fd(c, static_cast<int>(load32(fds->data() + 4 * i))); });
}

std::string recvfromArgs(const Ctx &c, const Call &call, const Entry &e, std::optional<long> ret)
{
	const bool ok = succeeded(ret);
	return fdArg(c, call) + ", " + (ok ? buffer(c, call.args[1], static_cast<uint64_t>(*ret)) : pointer(call.args[1])) +
	       ", " + std::to_string(call.args[2]) + ", " + msgFlags(argU32(call, 3)) + ", " +
	       addrOut(c, call.args[4], call.args[5], e.lenIn, ok);
}

std::string recvmsgArgs(const Ctx &c, const Call &call, const Entry &e, std::optional<long> ret)
{
	std::string msg;
	if (succeeded(ret))
		msg = msghdr(c, call.args[1], e.lenIn, static_cast<uint64_t>(*ret));
	else
		msg = e.lenIn ? "{msg_namelen=" + std::to_string(*e.lenIn) + "}" : pointer(call.args[1]);
	return fdArg(c, call) + ", " + msg + ", " + msgFlags(argU32(call, 2));
}

std::string mmsgArgs(const Ctx &c, const Call &call, const Entry &e, std::optional<long> ret)
{
	const bool recv = call.name == "recvmmsg";
	const bool ok = succeeded(ret);
	std::string s = fdArg(c, call) + ", " +
			(ok ? mmsghdrs(c, call.args[1], static_cast<uint64_t>(*ret), recv) : pointer(call.args[1])) +
			", " + std::to_string(argU32(call, 2)) + ", " + msgFlags(argU32(call, 3));
	return recv ? s + ", " + e.timeout : s;
}

std::string getsockoptArgs(const Ctx &c, const Call &call, const Entry &e, std::optional<long> ret)
{
	const int level = argInt(call, 1), name = argInt(call, 2);
	std::string s = fdArg(c, call) + ", " + sockoptName(level, name) + ", ";
	const uint64_t lenPtr = call.args[4];
	if (!succeeded(ret))
		return s + pointer(call.args[3]) + ", " + (e.lenIn ? "[" + std::to_string(*e.lenIn) + "]" : pointer(lenPtr));
	auto out = readU32(c.mem, lenPtr);
	if (!out)
		return s + pointer(call.args[3]) + ", " + pointer(lenPtr);
	return s + getsockoptValue(c, level, name, call.args[3], *out) + ", " + inOutLen(e.lenIn, *out);
}

// The arguments of a call with outputs, printed at exit.
std::string outputArgs(const Ctx &c, const Call &call, const Entry &e, std::optional<long> ret)
{
	const std::string &n = call.name;
	if (n == "accept" || n == "accept4" || n == "getsockname" || n == "getpeername") {
		std::string s = fdArg(c, call) + ", " + addrOut(c, call.args[1], call.args[2], e.lenIn, succeeded(ret));
		return n == "accept4" ? s + ", " + acceptFlags(argU32(call, 3)) : s;
	}
	if (n == "socketpair")
		return socketpairArgs(c, call, ret);
	if (n == "recvfrom")
		return recvfromArgs(c, call, e, ret);
	if (n == "recvmsg")
		return recvmsgArgs(c, call, e, ret);
	if (n == "sendmmsg" || n == "recvmmsg")
		return mmsgArgs(c, call, e, ret);
	if (n == "getsockopt")
		return getsockoptArgs(c, call, e, ret);
	std::string s;
	for (uint64_t a : call.args)
		s += (s.empty() ? "" : ", ") + hex(a);
	return s;
}

bool returnsFd(std::string_view name)
{
	return name == "socket" || name == "accept" || name == "accept4";
}

// The inputs a call with outputs has strace print at its entry, ending in ", ".
std::string leadArgs(const Ctx &c, const Call &call)
{
	const std::string &n = call.name;
	if (n == "socketpair")
		return socketpairInputs(call);
	if (n == "getsockopt")
		return fdArg(c, call) + ", " + sockoptName(argInt(call, 1), argInt(call, 2)) + ", ";
	return fdArg(c, call) + ", ";
}

std::string finish(const Ctx &c, const Call &call, std::string text, std::optional<long> ret, size_t column);

} // namespace

Entry onEntry(const Call &call, Memory &mem, const Options &o, const FdPath &fdPath)
{
	Ctx c{ mem, o, fdPath, call.compat32 };
	Entry e;
	if (const InputCall *ic = findInput(call.name)) {
		e.args = ic->args(c, call);
		return e;
	}
	const std::string &n = call.name;
	e.lead = leadArgs(c, call);
	if (n == "accept" || n == "accept4" || n == "getsockname" || n == "getpeername")
		e.lenIn = call.args[2] ? readU32(mem, call.args[2]) : std::nullopt;
	else if (n == "recvfrom")
		e.lenIn = call.args[5] ? readU32(mem, call.args[5]) : std::nullopt;
	else if (n == "getsockopt")
		e.lenIn = call.args[4] ? readU32(mem, call.args[4]) : std::nullopt;
	else if (n == "recvmsg")
		e.lenIn = call.args[1] ? msgNamelen(c, call.args[1]) : std::nullopt;
	else if (n == "recvmmsg")
		e.timeout = timespecAt(c, call.args[4]);
	return e;
}

std::string onExit(const Call &call, const Entry &e, std::optional<long> ret, Memory &mem, const Options &o,
		   const FdPath &fdPath, size_t column)
{
	Ctx c{ mem, o, fdPath, call.compat32 };
	return finish(c, call, call.name + "(" + (findInput(call.name) ? e.args : outputArgs(c, call, e, ret)), ret, column);
}

std::string entryText(const Call &call, const Entry &e)
{
	return call.name + "(" + (findInput(call.name) ? e.args : e.lead);
}

std::string resumedText(const Call &call, const Entry &e, std::optional<long> ret, Memory &mem, const Options &o,
			const FdPath &fdPath, size_t column)
{
	Ctx c{ mem, o, fdPath, call.compat32 };
	std::string rest;
	if (!findInput(call.name)) {
		rest = outputArgs(c, call, e, ret);
		// The inputs were written at entry (the same text: only outputs change in the call).
		if (rest.compare(0, e.lead.size(), e.lead) == 0)
			rest.erase(0, e.lead.size());
	}
	return finish(c, call, rest, ret, column);
}

namespace {

// text + ") ", padded to the result column, "= " and the result.
std::string finish(const Ctx &c, const Call &call, std::string text, std::optional<long> ret, size_t column)
{
	std::string line = std::move(text) + ") ";
	const size_t at = column + line.size();
	if (at < kResultColumn)
		line.append(kResultColumn - at, ' ');
	line += "= ";
	if (succeeded(ret) && returnsFd(call.name))
		return line + fd(c, static_cast<int>(*ret));
	line += result(ret);
	if (call.name == "recvmmsg" && succeeded(ret) && call.args[4])
		line += " (left " + timespecAt(c, call.args[4]) + ")";
	return line;
}

} // namespace

const std::vector<std::string> &networkSyscalls()
{
	static const std::vector<std::string> kNames = {
		"socket", "socketpair", "bind", "connect", "listen", "accept", "accept4",
		"getsockname", "getpeername", "sendto", "recvfrom", "sendmsg", "recvmsg",
		"sendmmsg", "recvmmsg", "shutdown", "setsockopt", "getsockopt",
	};
	return kNames;
}

} // namespace hg::strace
