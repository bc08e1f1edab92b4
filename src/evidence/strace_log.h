#pragma once
// strace.txt: one line per trapped network call in the syntax of `strace -f -e trace=network`,
// so scripts written for strace logs keep working on the gate's evidence.
//
// What the gate cannot know is printed the way strace prints what it chose not to:
//   connect(3, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("203.0.113.1")}, 16) = -1 EPERM (Operation not permitted)
//   bind(3, {sa_family=AF_INET6, sin6_port=htons(8080), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::", &sin6_addr), sin6_scope_id=0}, 28) = 0
//   listen(3, 128) = 0
//   sendto(5, ""..., 12, MSG_NOSIGNAL, {sa_family=AF_INET, ...}, 16) = 12
//       the data is not read: `""...` is strace's own spelling with `-s 0`; `""` when the length is 0
//   sendmsg(5, {msg_name={sa_family=AF_INET, ...}, msg_namelen=16, ...}, 0) = 12
//       iovecs and control data are not read: `...` as strace ends an abbreviated struct
//   sendmmsg(5, [{msg_hdr={msg_name={...}, msg_namelen=16, ...}, ...}, ...], 2, 0) = 2
//       the first message's address; the trailing `...` only when vlen > 1
//   socketcall_x(3, ...) = 0   (NetCall::Other: the recorded name, the fd when known, then ...)
// Each line starts with the thread id as `strace -f` does. Results: `= 0`, `= 12`,
// `= -1 ECONNREFUSED (Connection refused)`, `= ? ERESTARTSYS (To be restarted if SA_RESTART
// is set)` for the kernel's restart codes, and `= ?` when the tracee vanished first.
// An address that could not be decoded prints as its tracee pointer (0x7ffd1234), a
// missing one as NULL.

#include <cstdint>
#include <string>

#include "record/record.h"

namespace hg {

// One line of strace output for r, without the trailing newline.
std::string straceLine(const NetRecord &r);
} // namespace hg
