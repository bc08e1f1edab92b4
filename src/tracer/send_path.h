#pragma once
// What a trapped send carries that changes the path of its packets (issue 12, part 3): source
// routing control messages on an inet socket, rtnetlink changes on a NETLINK_ROUTE socket.
// Reads msg_control and the payload out of tracee memory in the call's ABI layout, one message
// at a time (memory bounded by one message), and judges them with net/packet_path.h.

#include <cstddef>
#include <optional>
#include <string>

#include "net/endpoint.h"
#include "tracer/syscall_decoder.h"

namespace hg {

constexpr size_t kMaxPathControl = 256 * 1024; // msg_control of one message (above optmem_max)
constexpr size_t kMaxPathPayload = 64 * 1024;  // netlink payload of one message the gate reads

// The why of a refusal, or nothing. A message the gate cannot read, or control data larger than
// it reads, is refused too (fail closed); the kernel would read what the gate could not.
std::optional<std::string> judgeSendPath(const DecodedCall &d, const SocketInfo &sock, MemoryReader &mem);

} // namespace hg
