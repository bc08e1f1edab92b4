#pragma once
// Sends on a copy (issue #4, class 5): in a multi-threaded process another thread can rewrite
// a send's sockaddr between the gate's read and the kernel's copy. For an inet datagram socket
// the gate makes the send itself, on its duplicate of the socket (pidfd_getfd), from its own
// copy of the payload, to the destination(s) it judged; the tracee's call is then skipped with
// that result, so the kernel can only use what was judged.
//
// copySend() reads the payload out of tracee memory (pure, over a MemoryReader);
// buildMessages() lays the copy out as the kernel's arguments (pure); sendCopy() makes the
// call. Whatever cannot be done this way says why, and the supervisor lets the tracee's own
// call run and checks it afterwards.

#include <sys/socket.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "net/endpoint.h"
#include "tracer/ptrace_ops.h"
#include "tracer/syscall_decoder.h"

namespace hg {

constexpr size_t kMaxCopyDatagram = 64 * 1024;  // payload of one message (UDP's own limit)
constexpr size_t kMaxCopyTotal = 1024 * 1024;   // payload of all messages of one call
constexpr size_t kMaxCopyControl = 64 * 1024;   // msg_control of one message
constexpr size_t kMaxCopyIov = 1024;            // UIO_MAXIOV: the kernel refuses more (EMSGSIZE)

// One message of a send, copied out of tracee memory.
struct CopiedMessage {
	std::vector<uint8_t> data;    // the iovecs' bytes, in order
	std::vector<uint8_t> control; // msg_control, verbatim
	uint64_t lenAddr = 0;         // sendmmsg: the tracee address of this message's msg_len
};

// A send ready to be made on a copy, or why it cannot be.
struct CopiedSend {
	std::vector<CopiedMessage> msgs;
	std::string problem; // non-empty: leave the call to the tracee (and check it afterwards)
};

// Reads exactly len bytes at the tracee address addr, appended to out; false when it cannot,
// and problem says what (`what`) could not be read where.
bool readAll(MemoryReader &mem, uint64_t addr, size_t len, std::vector<uint8_t> &out, std::string &problem,
	     const char *what);

// Copies the payload and control data of a decoded sendto/sendmsg/sendmmsg out of tracee
// memory; sendmmsg: min(vlen, kMaxMmsg) messages, as the kernel caps them. x86_64 layouts
// only: a compat (i386/x32) call, a short read, more than kMaxCopyIov iovecs, a payload or
// control data past the bounds above, MSG_ZEROCOPY, or control messages controlProblem()
// refuses set `problem`.
CopiedSend copySend(const DecodedCall &d, MemoryReader &mem);

// The kernel checks some control messages against the sender's capabilities (SO_MARK,
// SO_PRIORITY, IPV6_HOPOPTS, ...), and on a copy the sender is the gate. Returns "" when
// every cmsg is one that needs no privilege (IP_TOS, IP_TTL, IP_PKTINFO, IPV6_PKTINFO,
// IPV6_HOPLIMIT, IPV6_TCLASS, IPV6_DONTFRAG, UDP_SEGMENT), else what is not, or "malformed".
std::string controlProblem(std::span<const uint8_t> control);

// The copy laid out as sendmsg/sendmmsg arguments. Points into itself and into the
// CopiedSend it was built from: keep both alive and unmoved while the call runs.
struct OutgoingMessages {
	std::vector<sockaddr_storage> names;
	std::vector<iovec> iovs;
	std::vector<mmsghdr> hdrs;
	std::string problem; // a destination the socket's family cannot take
};

// dests[i] is message i's judged destination (Absent: no address, as msg_name NULL), in the
// family of a socket of `domain` (IPv4 on AF_INET6 becomes ::ffff:a.b.c.d).
OutgoingMessages buildMessages(const CopiedSend &copy, const std::vector<Endpoint> &dests, int domain);

// What a send on a copy did.
struct SendOutcome {
	bool done = false;   // false: nothing was sent, leave the call to the tracee
	long ret = 0;        // what the tracee's call returns: bytes, messages, or -errno
	std::string problem; // why it was not done
};

// Sends `copy` on sockFd (the gate's duplicate of the tracee's socket, of family `domain`) to
// the destinations the gate read and judged (d.addrs) with d.flags | MSG_DONTWAIT, as d.call
// would have; sendmmsg writes each sent msg_len back into the tracee through mem. A blocking
// socket that would block is not done.
SendOutcome sendCopy(int sockFd, int domain, const DecodedCall &d, const CopiedSend &copy, TraceeMemory &mem);

} // namespace hg
