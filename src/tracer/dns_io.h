#pragma once
// The bytes a thread writes to or reads from a DNS socket with the calls the seccomp
// filter lets run untrapped (write, writev, send/sendto without an address; read, readv,
// recv/recvfrom, recvmsg, recvmmsg), read out of tracee memory while the supervisor
// follows that thread through its DNS exchange (tracer/dns_follow.h). x86_64 ABI only;
// pure over a MemoryReader.

#include <cstdint>
#include <vector>

#include "tracer/syscall_decoder.h"

namespace hg {

enum class IoDir {
	None,  // not a call on a socket's data (or another ABI)
	Out,   // write, writev, sendto/send without an address (sendmsg/sendmmsg are trapped)
	In,    // read, readv, recvfrom/recv, recvmsg, recvmmsg
	Close, // close(fd)
};

struct IoCall {
	IoDir dir = IoDir::None;
	int fd = -1;
	RawSyscall sc; // as seen at the syscall-entry stop (the exit stop has no arguments)
};

// What sc is, for an x86_64 syscall seen at its entry stop.
IoCall classifyIo(const RawSyscall &sc);

// One buffer per message: for a datagram socket each is one DNS message, for a stream the
// pieces of the byte stream in order. Out: what the call is about to send (its length
// arguments); In: what it received, `ret` bytes (recvmmsg: each message's msg_len, read
// back from memory). At most `cap` bytes in all; unreadable memory ends the list.
std::vector<std::vector<uint8_t>> ioBuffers(const IoCall &io, long ret, MemoryReader &mem, size_t cap);

} // namespace hg
