#pragma once
// Judging the calls that change where packets go, or that receive and inject packets without
// the socket calls the gate traps (issue 12, part 3). Pure functions of the call's arguments
// and of bytes the tracer read: no ptrace. The values trapped are base/packet_path.h's tables.
// Each judge returns the `why` of a refusal ("setsockopt(IPPROTO_IP, IP_OPTIONS): ..."), or
// nothing when the call changes no path.

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "net/classify.h"

namespace hg {

// socket(domain, type, protocol) as passed (type with SOCK_NONBLOCK/SOCK_CLOEXEC; int
// arguments: the low 32 bits count).
// - Raw, a violation: a socket that receives packets with no bind() and no listen(): any
//   AF_INET/AF_INET6 SOCK_RAW socket (IPPROTO_RAW included: an IPv4 one receives datagrams of
//   protocol 255), an AF_PACKET socket with a protocol, and AF_INET SOCK_PACKET (the kernel
//   makes it an AF_PACKET one). It can also send to any address or none.
// - Evasion, a violation: a netlink socket of a protocol in kPathNetlinks.
// - None: everything else (a protocol-0 packet socket receives nothing until a bind gives it
//   a protocol, and that bind is judged as an inbound one).
Classification classifySocket(uint64_t domain, uint64_t type, uint64_t protocol);

// setsockopt(fd, level, optname, optval, optlen).
std::optional<std::string> judgeSockopt(uint64_t level, uint64_t optname, uint64_t optlen);

// The control data of one message of sendmsg/sendmmsg, as the kernel walks it
// (for_each_cmsghdr; compat: the i386/x32 layout, 4-byte lengths and alignment): the first
// control message of kPathCmsgs. A malformed one the kernel refuses (EINVAL), so nothing.
std::optional<std::string> judgeControl(std::span<const uint8_t> control, bool compat);

// The bytes sent on an AF_NETLINK socket of `protocol`: for NETLINK_ROUTE, the first
// rtnetlink message that changes something (RTM_NEW*, RTM_DEL*, RTM_SET*: every type from
// RTM_BASE on except the RTM_GET* ones) or a truncated header; dumps and gets pass.
// `complete` is false when the bytes are only the start of the payload: the call is then
// refused unless the part read already decides.
std::optional<std::string> judgeNetlinkSend(int protocol, std::span<const uint8_t> payload, bool complete);

// ioctl(fd, cmd, ...): the low 32 bits of cmd.
std::optional<std::string> judgeIoctl(uint64_t cmd);

// bpf(cmd, ...).
std::optional<std::string> judgeBpf(uint64_t cmd);

// setns(fd, nstype) where fdTarget is what the fd is ("net:[4026531840]", "pid:[...]",
// "anon_inode:[pidfd]", from /proc/PID/fd): refused when it can enter a network namespace.
std::optional<std::string> judgeSetns(uint64_t nstype, const std::string &fdTarget);

} // namespace hg
