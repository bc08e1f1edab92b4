#pragma once
// Constant and flag names as strace prints them: table-driven, Linux values, independent of
// libc headers. Unknown values use strace's own spelling: "0x3e7 /* SO_??? */".

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace hg::strace {

struct Named {
	uint64_t value;
	const char *name;
};

// The name of value in table, or nullptr.
const char *lookup(std::span<const Named> table, uint64_t value);

// The name, else "0x3e7 /* SO_??? */" built from unknownTag ("SO_???").
std::string constant(std::span<const Named> table, uint64_t value, const char *unknownTag);

// Bits named in table order joined by '|'; leftover bits in hex, followed by
// " /* SOCK_??? */" when unknownTag is given. "0" for no bits.
std::string flags(std::span<const Named> table, uint64_t value, const char *unknownTag = nullptr);

// "%#x" spelling strace uses for pointers and unknown numbers: 0x7ffd1234, 0 for zero.
std::string hex(uint64_t value);

// "EPERM", "ECONNREFUSED", "ERESTARTSYS"; the number itself for an errno Linux does not name.
std::string errnoName(int errnum);

// The text strace prints after a failed call's errno name, without the parentheses.
std::string errnoText(int errnum);

// True for the kernel-internal restart codes (512..516) a tracer sees at syscall exit.
bool isRestartCode(int errnum);

// True for -1..-4095, the kernel's error returns (IS_ERR_VALUE); anything else is a value.
bool isErrorReturn(long ret);

// The result as strace prints it after "= ": "3", "-1 ECONNREFUSED (Connection refused)",
// "? ERESTARTSYS (To be restarted if SA_RESTART is set)", "?" (the tracee vanished).
std::string result(std::optional<long> ret);

// "MSG_DONTWAIT|MSG_NOSIGNAL", "0", unknown bits appended in hex ("MSG_MORE|0x80000000").
std::string msgFlags(uint64_t flags);

// "SIGCHLD"; "SIGRT_3" for real-time signals; the number when unknown.
std::string signalName(int sig);

// Address families, socket types and protocols as socket() prints them.
std::string familyName(int family);
std::string socketType(int type);
std::string socketProtocol(int family, int protocol);

// htons(ETH_P_IP) payload: "ETH_P_IP", "0x1234 /* ETH_P_??? */".
std::string ethProtocol(uint16_t hostOrder);

// Tables the sockaddr and sockopt printers share.
std::span<const Named> arpHardwareTypes();
std::span<const Named> packetTypes();
std::span<const Named> socketLevels();

} // namespace hg::strace

namespace hg::strace {

// accept4() flags: "SOCK_CLOEXEC|SOCK_NONBLOCK", "0", "0x4000 /* SOCK_??? */".
std::string acceptFlags(uint64_t value);

} // namespace hg::strace
