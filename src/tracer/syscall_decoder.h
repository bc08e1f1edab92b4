#pragma once
// Turns the raw arguments of a trapped syscall (from PTRACE_GET_SYSCALL_INFO) into a
// DecodedCall: which network call, on which fd, towards which address. Handles the
// three x86 ABIs: x86_64, x32 (compat struct layouts) and i386 (socketcall included).
// Tracee memory is read through MemoryReader so the decoder is unit-tested without ptrace.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "net/classify.h"
#include "net/endpoint.h"

namespace hg {

class MemoryReader {
public:
	virtual ~MemoryReader() = default;
	// Copies up to len bytes at the tracee address addr into buf. Returns the number of
	// bytes copied (possibly short at the end of a mapping) or -errno.
	virtual ssize_t read(uint64_t addr, void *buf, size_t len) = 0;
};

struct RawSyscall {
	uint32_t auditArch = 0; // AUDIT_ARCH_*
	uint64_t nr = 0;
	uint64_t args[6] = {};
	uint32_t tag = 0;       // SECCOMP_RET_TRACE data (TrapTag)
};

struct DecodedCall {
	NetCall call = NetCall::Other;
	std::string callName;     // "connect", ..., or "syscall_NNN" for an unexpected trap
	std::string arch;         // "x86_64", "x32", "i386", "audit-arch 0x..."
	bool viaSocketcall = false;
	bool abiKnown = true;     // false: a syscall of an ABI the filter does not model
	bool compat = false;      // 32-bit pointers and ILP32 struct layouts (i386, x32)
	int fd = -1;
	uint64_t addrPtr = 0;     // the address argument; sendmsg/sendmmsg: the msghdr / mmsghdr vector
	uint64_t bufPtr = 0;      // sendto: the payload
	uint64_t len = 0;         // strace's third argument: addrlen, buffer length, backlog's fd... see straceLine
	uint64_t flags = 0;       // send flags, or the listen backlog
	// Destinations: one for connect/bind/sendto/sendmsg (status Absent when none),
	// one per message for sendmmsg (capped at kMaxMmsg; `truncated` set beyond).
	std::vector<Endpoint> addrs;
	bool truncated = false;
	std::string problem;      // what could not be read, when something could not
};

constexpr unsigned kMaxMmsg = 1024; // the kernel's UIO_MAXIOV cap on sendmmsg's vlen

DecodedCall decodeCall(const RawSyscall &sc, MemoryReader &mem);

// The raw arguments a trap stands for: its registers, or for an i386 socketcall() the ones in
// tracee memory; cut to 32 bits for the compat ABIs. Empty `problem` when read.
struct CallArgs {
	uint64_t a[6] = {};
	bool compat = false;
	std::string problem;
};
CallArgs readCallArgs(const RawSyscall &sc, MemoryReader &mem);

// The name of the call a SECCOMP_RET_TRACE tag (TrapTag) stands for: "connect", "clone",
// ...; empty for a tag that covers several calls or none. For a trap whose details could
// not be read: the tag comes with PTRACE_GETEVENTMSG, which works where the details do not.
std::string trapTagCallName(uint32_t tag);

} // namespace hg
